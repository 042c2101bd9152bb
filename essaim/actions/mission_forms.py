"""Forms for missions, the public sign-up and walk-ins."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Mission

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


class MissionForm(forms.ModelForm[Mission]):
    starts_at = forms.DateTimeField(
        label=_("Début"),
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_FORMAT, "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"],
        error_messages={
            "invalid": _("Indiquez une date et une heure, par exemple 12/12/2026 14:00.")
        },
    )
    ends_at = forms.DateTimeField(
        label=_("Fin"),
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_FORMAT, "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"],
        error_messages={
            "invalid": _("Indiquez une date et une heure, par exemple 12/12/2026 17:00.")
        },
    )
    capacity = forms.IntegerField(
        label=_("Nombre de places"),
        min_value=1,
        max_value=10000,
        error_messages={"min_value": _("Une mission compte au moins une place.")},
    )

    class Meta:
        model = Mission
        fields = ("role", "description", "skills", "starts_at", "ends_at", "capacity")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "role": _("Par exemple : accueil, distribution, logistique."),
            "skills": _("Facultatif : ce qu'il faut savoir faire ou apporter."),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends < starts:
            self.add_error("ends_at", _("La fin doit venir après le début."))
        return data


class PublicRegistrationForm(forms.Form):
    given_name = forms.CharField(label=_("Prénom"), max_length=100)
    family_name = forms.CharField(label=_("Nom"), max_length=100)
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        max_length=254,
        help_text=_("Nous vous envoyons un lien pour confirmer votre inscription."),
        error_messages={"invalid": _("Cette adresse e-mail ne semble pas valide.")},
    )
    phone = forms.CharField(label=_("Téléphone (facultatif)"), max_length=30, required=False)
    newsletter_consent = forms.BooleanField(
        label=_(
            "J'accepte de recevoir des nouvelles de l'association (désinscription à tout moment)."
        ),
        required=False,
    )
    # Honeypot: hidden from people, filled in by robots.
    website = forms.CharField(label=_("Laissez ce champ vide"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["family_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["phone"].widget.attrs.update(autocomplete="tel", inputmode="tel")
        self.fields["website"].widget.attrs.update(tabindex="-1", autocomplete="off")

    def is_spam(self) -> bool:
        return bool(self.data.get("website"))


class WalkInForm(forms.Form):
    name = forms.CharField(label=_("Prénom et nom"), max_length=200)
    email = forms.EmailField(
        label=_("Adresse e-mail (facultatif)"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Cette adresse e-mail ne semble pas valide.")},
    )
