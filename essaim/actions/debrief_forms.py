"""Forms of the evaluation: debrief, files, lesson to practice sheet, survey, volunteer hours."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EurosField
from essaim.core.money import format_euros

from .evaluation import MAX_MINUTES, DebriefUpload, debrief_file_prepare
from .evaluation_selectors import GROUPS
from .models import Metric, Objective

LESSON_HELP = _("Une idée par ligne. Chaque leçon peut devenir une fiche pratique.")


class DebriefForm(forms.Form):
    what_worked = forms.CharField(
        label=_("Ce qui a marché"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=LESSON_HELP,
    )
    to_improve = forms.CharField(
        label=_("Ce qui est à améliorer"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=LESSON_HELP,
    )
    notes = forms.CharField(
        label=_("Notes libres"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Mise en forme Markdown : **gras**, *italique*, listes avec « - »."),
    )

    def __init__(self, *args: Any, objectives: list[Objective], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.objectives = objectives
        for objective in objectives:
            name = f"achieved_{objective.pk}"
            label = _("Réalisé : %(objective)s") % {"objective": objective}
            if objective.metric == Metric.MONEY:
                self.fields[name] = EurosField(
                    label=label,
                    required=False,
                    initial=objective.achieved,
                    help_text=_("En euros. Objectif : %(target)s.")
                    % {"target": format_euros(objective.target)},
                )
            else:
                self.fields[name] = forms.IntegerField(
                    label=label,
                    required=False,
                    min_value=0,
                    initial=objective.achieved,
                    help_text=_("Objectif : %(target)s %(unit)s.")
                    % {"target": objective.target, "unit": objective.unit},
                    error_messages={
                        "invalid": _("Indiquez un nombre entier, par exemple 25."),
                        "min_value": _("Un résultat ne peut pas être négatif."),
                    },
                )

    def achieved(self) -> dict[int, int | None]:
        return {o.pk: self.cleaned_data.get(f"achieved_{o.pk}") for o in self.objectives}


class DebriefFileForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier à joindre"),
        help_text=_(
            "PDF, image (JPEG, PNG, WebP) ou document Word, Excel, PowerPoint, LibreOffice ; "
            "10 Mo au plus."
        ),
        error_messages={"required": _("Choisissez un fichier à joindre.")},
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".pdf,.jpg,.jpeg,.png,.webp,.docx,.xlsx,.pptx,.odt,.ods,.odp",
            }
        ),
    )

    def clean_file(self) -> DebriefUpload:
        return debrief_file_prepare(self.cleaned_data["file"])


class LessonForm(forms.Form):
    SECTIONS = (
        ("what_worked", _("Ce qui a marché")),
        ("to_improve", _("Ce qui est à améliorer")),
    )
    section = forms.ChoiceField(label=_("Partie du bilan"), choices=SECTIONS)
    # One line of the section (an idea); empty: the whole section.
    line = forms.IntegerField(label=_("Ligne"), min_value=0, required=False)
    title = forms.CharField(label=_("Titre de la fiche"), max_length=200, required=False)


RATINGS = [
    (5, _("5 — Excellent")),
    (4, _("4 — Très bien")),
    (3, _("3 — Correct")),
    (2, _("2 — Décevant")),
    (1, _("1 — Très décevant")),
]


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Votre note"),
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez une note de 1 à 5."),
            "invalid_choice": _("Choisissez une note de 1 à 5."),
        },
    )
    comment = forms.CharField(
        label=_("Un commentaire ? (facultatif)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Ce qui vous a plu, ce qui pourrait être mieux la prochaine fois."),
    )


class MinutesForm(forms.Form):
    hours = forms.IntegerField(
        label=_("Heures"),
        min_value=0,
        max_value=24,
        error_messages={
            "required": _("Indiquez le nombre d'heures (0 si moins d'une heure)."),
            "invalid": _("Indiquez un nombre entier d'heures."),
            "min_value": _("Le nombre d'heures ne peut pas être négatif."),
            "max_value": _("Une mission dure 24 heures au plus."),
        },
    )
    minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=0,
        max_value=59,
        required=False,
        error_messages={
            "invalid": _("Indiquez un nombre entier de minutes."),
            "min_value": _("Les minutes vont de 0 à 59."),
            "max_value": _("Les minutes vont de 0 à 59."),
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "hours" in data and data.get("hours") is not None:
            total = data["hours"] * 60 + (data.get("minutes") or 0)
            if total > MAX_MINUTES:
                raise ValidationError(_("Une mission dure 24 heures au plus."))
            data["total"] = total
        return data


GROUP_LABELS = {
    "person": _("Par personne"),
    "circle": _("Par cercle"),
    "action": _("Par action"),
}


class HoursFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Année"), coerce=int, required=False)
    circle = forms.ChoiceField(label=_("Cercle"), required=False)
    group = forms.ChoiceField(
        label=_("Regrouper"), choices=[(g, GROUP_LABELS[g]) for g in GROUPS], required=False
    )

    def __init__(self, *args: Any, circles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        years: Any = self.fields["year"]
        circle_field: Any = self.fields["circle"]
        years.choices = [(y, str(y)) for y in range(this_year + 1, this_year - 10, -1)]
        circle_field.choices = [("", _("Tous mes cercles")), *circles]

    def values(self) -> tuple[int, str, str]:
        """Return (year, circle slug or "", group), falling back to defaults on bad input."""
        data = self.cleaned_data if self.is_valid() else {}
        year = data.get("year") or timezone.localdate().year
        return year, data.get("circle") or "", data.get("group") or "person"
