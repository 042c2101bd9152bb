"""Forms of the practice library: search, sheet, comment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from essaim.actions.models import Action
from essaim.actions.selectors import visible_actions_q
from essaim.circles.models import Circle

from .models import PracticeSheet, PracticeVisibility
from .services import parse_tag_names

ACTION_CHOICE_DAYS = 400
BODY_HELP = _(
    "Mise en forme Markdown : **gras**, *italique*, listes avec « - », titres avec « ## »."
)


class LibrarySearchForm(forms.Form):
    q = forms.CharField(
        label=_("Rechercher une fiche"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    tri = forms.ChoiceField(
        label=_("Trier par"),
        required=False,
        choices=[
            ("relevance", _("Pertinence")),
            ("recent", _("Les plus récentes")),
            ("useful", _("Les plus utiles")),
        ],
    )

    def query(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""

    def sort(self) -> str:
        """The chosen order; by default, relevance when words are typed, else the newest."""
        default = "relevance" if self.query().strip() else "recent"
        return (self.cleaned_data.get("tri") or default) if self.is_valid() else default


class ActionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        day = formats.date_format(timezone.localtime(obj.starts_at), "j F Y")
        return f"{obj.title} ({obj.circle.name}, {day})"


class SheetForm(forms.Form):
    title = forms.CharField(
        label=_("Titre"),
        max_length=200,
        error_messages={
            "required": _("Donnez un titre à la fiche."),
            "max_length": _("Le titre est trop long (200 caractères au plus)."),
        },
    )
    summary = forms.CharField(
        label=_("Résumé"),
        max_length=300,
        required=False,
        help_text=_("Une ou deux phrases : ce que la fiche apprend, à qui elle sert."),
        error_messages={"max_length": _("Le résumé est trop long (300 caractères au plus).")},
    )
    body = forms.CharField(
        label=_("Contenu"),
        max_length=50000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=BODY_HELP,
        error_messages={"max_length": _("Le contenu est trop long (50 000 caractères au plus).")},
    )
    tags = forms.CharField(
        label=_("Thèmes"),
        required=False,
        max_length=800,
        help_text=_("Séparés par des virgules, par exemple : accueil, maraude, collecte."),
    )
    circle = forms.ModelChoiceField(
        label=_("Cercle"),
        queryset=Circle.objects.none(),
        required=False,
        empty_label=_("Aucun (fiche de tout le réseau)"),
        to_field_name="slug",
    )
    visibility = forms.ChoiceField(
        label=_("Qui peut lire la fiche une fois publiée ?"),
        choices=PracticeVisibility.choices,
        widget=forms.RadioSelect,
        initial=PracticeVisibility.NETWORK,
    )
    actions = ActionChoiceField(
        label=_("Actions liées"),
        queryset=Action.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Seulement des actions du cercle choisi."),
    )

    def __init__(
        self,
        *args: Any,
        circles: list[Circle],
        sheet: PracticeSheet | None = None,
        user: Any = None,
        **kwargs: Any,
    ) -> None:
        if sheet is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": sheet.title,
                "summary": sheet.summary,
                "body": sheet.body,
                "tags": ", ".join(t.name for t in sheet.tags.all()),
                "circle": sheet.circle.slug if sheet.circle else "",
                "visibility": sheet.visibility,
                "actions": list(sheet.actions.all()),
            }
        super().__init__(*args, **kwargs)
        ids = [c.pk for c in circles]
        if sheet is not None and sheet.circle_id is not None:
            ids.append(sheet.circle_id)
        field = self.fields["circle"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Circle.objects.filter(pk__in=ids).order_by("name")
        actions = self.fields["actions"]
        assert isinstance(actions, forms.ModelMultipleChoiceField)
        # Recent actions only (and those already linked): a big circle has years of them.
        linked = list(sheet.actions.values_list("pk", flat=True)) if sheet is not None else []
        since = timezone.now() - timedelta(days=ACTION_CHOICE_DAYS)
        choices = Action.objects.filter(circle_id__in=ids)
        # Only actions the writer may see: a member must not read the titles of drafts.
        rule = visible_actions_q(user)
        if rule is not None:
            choices = choices.filter(rule | Q(pk__in=linked))
        actions.queryset = (
            choices.filter(Q(starts_at__gte=since) | Q(pk__in=linked))
            .select_related("circle")
            .order_by("-starts_at")
        )
        if not ids:
            del self.fields["actions"]

    def clean_tags(self) -> list[str]:
        return parse_tag_names(self.cleaned_data.get("tags", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        circle = data.get("circle")
        if data.get("visibility") == PracticeVisibility.CIRCLE and circle is None:
            self.add_error(
                "circle",
                ValidationError(_("Choisissez le cercle dont les membres pourront lire la fiche.")),
            )
        wrong = [a for a in data.get("actions") or [] if circle is None or a.circle_id != circle.pk]
        if wrong:
            self.add_error(
                "actions",
                ValidationError(
                    _("Ces actions n'appartiennent pas au cercle choisi : %(titles)s")
                    % {"titles": ", ".join(a.title for a in wrong)}
                ),
            )
        return data


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Votre commentaire"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Écrivez votre commentaire avant de l'envoyer."),
            "max_length": _("Votre commentaire est trop long (5 000 caractères au plus)."),
        },
    )
