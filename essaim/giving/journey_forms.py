"""Forms of the excuses journey's staff pages (excuses, answers, page text, report period)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .journey import RebuttalInput, giving_pages_for_choice, stories_for_choice
from .models import Excuse, GivingPage, JourneySettings

MAX_REPORT_DAYS = 3660


class JourneySettingsForm(forms.ModelForm[JourneySettings]):
    class Meta:
        model = JourneySettings
        fields = ("title", "intro")
        labels = {"title": _("Titre de la page"), "intro": _("Introduction")}
        help_texts = {"intro": _("Markdown. Affichée sous le titre, au-dessus des excuses.")}
        error_messages = {"title": {"required": _("Le titre ne peut pas être vide.")}}
        widgets = {"intro": forms.Textarea(attrs={"rows": 5})}


class ExcuseForm(forms.ModelForm[Excuse]):
    class Meta:
        model = Excuse
        fields = ("label", "slug", "is_active")
        labels = {
            "label": _("Excuse"),
            "slug": _("Adresse (facultative)"),
            "is_active": _("Affichée sur la page publique"),
        }
        help_texts = {
            "label": _("Telle que les visiteurs la disent : « Je n'ai pas le temps »."),
            "slug": _("Lettres, chiffres et tirets ; laissez vide pour la tirer de l'excuse."),
        }
        error_messages = {
            "label": {"required": _("L'excuse ne peut pas être vide.")},
            "slug": {"invalid": _("L'adresse ne peut contenir que lettres, chiffres et tirets.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        if self.instance.pk is None:
            self.fields["is_active"].initial = True

    def validate_unique(self) -> None:
        # The service checks the address (it also makes one up when left empty).
        pass


class RebuttalForm(forms.Form):
    name = forms.CharField(
        label=_("Nom de la variante"),
        max_length=40,
        help_text=_("A, B, C… Deux variantes actives forment un test A/B."),
        error_messages={"required": _("Donnez un nom à la variante (A, B, C…).")},
    )
    text = forms.CharField(
        label=_("Réponse"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Markdown. Chaleureuse et honnête : pas de chiffre que vous ne pouvez pas sourcer."
        ),
        error_messages={"required": _("La réponse ne peut pas être vide.")},
    )
    impact_figure = forms.CharField(
        label=_("Chiffre d'impact"),
        max_length=200,
        required=False,
        help_text=_("Par exemple : « 30 € = un mois de soutien scolaire pour un enfant »."),
    )
    source_url = forms.URLField(
        label=_("Lien vers une source"),
        required=False,
        assume_scheme="https",
        error_messages={"invalid": _("Saisissez une adresse web complète (https://…).")},
    )
    source_label = forms.CharField(label=_("Texte du lien"), max_length=200, required=False)
    story = forms.ModelChoiceField(
        label=_("Récit affiché"),
        queryset=stories_for_choice(),
        required=False,
        empty_label=_("(aucun)"),
        help_text=_("Seuls les récits dont les consentements autorisent les pages de don."),
    )
    give_label = forms.CharField(
        label=_("Texte du bouton « donner »"),
        max_length=80,
        required=False,
        help_text=_("Laissez vide pour « Je donne »."),
    )
    giving_page = forms.ModelChoiceField(
        label=_("Page de don"),
        queryset=giving_pages_for_choice(),
        required=False,
        empty_label=_("(la page de don principale)"),
    )
    is_active = forms.BooleanField(label=_("Active (montrée aux visiteurs)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Querysets are evaluated per form, not once at import.
        story_field = self.fields["story"]
        page_field = self.fields["giving_page"]
        assert isinstance(story_field, forms.ModelChoiceField)
        assert isinstance(page_field, forms.ModelChoiceField)
        story_field.queryset = stories_for_choice()
        page_field.queryset = giving_pages_for_choice()

    def to_input(self) -> RebuttalInput:
        data = self.cleaned_data
        page: GivingPage | None = data.get("giving_page")
        return RebuttalInput(
            name=data["name"],
            text=data["text"],
            impact_figure=data.get("impact_figure", ""),
            source_url=data.get("source_url", ""),
            source_label=data.get("source_label", ""),
            story=data.get("story"),
            give_label=data.get("give_label", ""),
            giving_page=page,
            is_active=bool(data.get("is_active")),
        )


def rebuttal_initial(rebuttal: Any) -> dict[str, Any]:
    """Return a form's initial values from a stored answer."""
    return {
        "name": rebuttal.name,
        "text": rebuttal.text,
        "impact_figure": rebuttal.impact_figure,
        "source_url": rebuttal.source_url,
        "source_label": rebuttal.source_label,
        "story": rebuttal.story_id,
        "give_label": rebuttal.give_label,
        "giving_page": rebuttal.giving_page_id,
        "is_active": rebuttal.is_active,
    }


class ReportPeriodForm(forms.Form):
    start = forms.DateField(
        label=_("Du"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )
    end = forms.DateField(
        label=_("Au"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )

    @staticmethod
    def default_period() -> tuple[date, date]:
        today = timezone.localdate()
        return today - timedelta(days=29), today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("La date de début doit précéder la date de fin."))
            if (end - start).days > MAX_REPORT_DAYS:
                raise forms.ValidationError(_("Choisissez une période de dix ans au plus."))
        return data
