"""Forms of the people directory."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Person, PersonRole
from .services import EDITABLE_FIELDS

MAX_TAGS = 30
MAX_QUERY_LENGTH = 200
TAG_MAX_LENGTH = 60
PHONE_ALLOWED = re.compile(r"^\+?[0-9 .\-()/]+$")


def split_tag_names(raw: str) -> list[str]:
    """Split a comma-separated list of tag names, dropping blanks and repeats."""
    names: dict[str, str] = {}
    for part in raw.split(","):
        name = " ".join(part.split())
        if name:
            names.setdefault(name.lower(), name)
    return list(names.values())


def clean_phone(value: str) -> str:
    """Normalise a phone number; French numbers are written 06 12 34 56 78."""
    value = value.strip()
    if not value:
        return ""
    if not PHONE_ALLOWED.match(value):
        raise forms.ValidationError(
            _(
                "Ce numéro de téléphone contient des caractères inattendus "
                "(exemple : 06 12 34 56 78)."
            )
        )
    digits = re.sub(r"\D", "", value)
    if value.startswith("+33") and len(digits) == 11:
        digits = "0" + digits[2:]
    elif value.startswith("0033") and len(digits) == 13:
        digits = "0" + digits[4:]
    if len(digits) == 10 and digits.startswith("0"):
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if not 6 <= len(digits) <= 15:
        raise forms.ValidationError(
            _(
                "Ce numéro de téléphone n'a pas le bon nombre de chiffres "
                "(exemple : 06 12 34 56 78)."
            )
        )
    return ("+" if value.startswith("+") else "") + digits


class DirectoryFilterForm(forms.Form):
    """The directory's search box and filters, read from the query string."""

    q = forms.CharField(
        label=_("Rechercher"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Nom, e-mail ou ville"),
                "autocomplete": "off",
                "maxlength": MAX_QUERY_LENGTH,
            }
        ),
    )
    role = forms.ChoiceField(
        label=_("Rôle"),
        required=False,
        choices=[("", _("Tous les rôles")), *PersonRole.choices],
    )
    tag = forms.CharField(label=_("Étiquette"), required=False, max_length=TAG_MAX_LENGTH)

    def filters(self) -> dict[str, str]:
        """Return the valid filters; an invalid one is ignored rather than failing the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "query": str(data.get("q") or "").strip()[:MAX_QUERY_LENGTH],
            "role": str(data.get("role") or ""),
            "tag": str(data.get("tag") or "").strip(),
        }


class PersonForm(forms.ModelForm[Person]):
    """Add or edit a person's details from the directory."""

    newsletter_consent = forms.BooleanField(
        label=_("Accepte de recevoir la lettre d'information"),
        required=False,
        help_text=_("La date et l'auteur de la modification sont enregistrés comme preuve."),
    )
    tag_names = forms.CharField(
        label=_("Étiquettes"),
        required=False,
        max_length=2000,
        help_text=_("Séparez les étiquettes par des virgules, par exemple : Lyon, Collecte 2025."),
        widget=forms.TextInput(attrs={"list": "tag-suggestions", "autocomplete": "off"}),
    )

    class Meta:
        model = Person
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "last_contact_at": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 4}),
            "country": forms.TextInput(attrs={"size": 2, "autocomplete": "off"}),
        }
        help_texts = {
            "country": _("Code à deux lettres : FR, BE, CH, LU, CA…"),
            "postal_code": _("Pour la France : 5 chiffres."),
            "notes": _("Visibles seulement par l'équipe. N'y notez rien de sensible."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["last_contact_at"] = forms.DateField(
            label=_("Dernier contact"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
        person = self.instance
        if person.pk:
            self.initial.setdefault("newsletter_consent", person.newsletter_consent)
            self.initial.setdefault("tag_names", ", ".join(tag.name for tag in person.tags.all()))
            if person.last_contact_at:
                self.initial["last_contact_at"] = person.last_contact_at.date()

    def clean_given_name(self) -> str:
        return " ".join(str(self.cleaned_data.get("given_name", "")).split())

    def clean_family_name(self) -> str:
        return " ".join(str(self.cleaned_data.get("family_name", "")).split())

    def clean_email(self) -> str:
        return str(self.cleaned_data.get("email", "")).strip().lower()

    def clean_phone(self) -> str:
        return clean_phone(str(self.cleaned_data.get("phone", "")))

    def clean_country(self) -> str:
        country = str(self.cleaned_data.get("country", "")).strip().upper() or "FR"
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise forms.ValidationError(
                _("Indiquez le pays par son code à deux lettres (exemple : FR).")
            )
        return country

    def clean_last_contact_at(self) -> Any:
        from datetime import datetime, time

        from django.utils import timezone

        day = self.cleaned_data.get("last_contact_at")
        if day is None:
            return None
        if day > timezone.localdate():
            raise forms.ValidationError(_("La date du dernier contact ne peut pas être future."))
        return timezone.make_aware(datetime.combine(day, time(12, 0)))

    def clean_tag_names(self) -> list[str]:
        names = split_tag_names(str(self.cleaned_data.get("tag_names", "")))
        if len(names) > MAX_TAGS:
            raise forms.ValidationError(
                _("Une personne peut avoir au plus %(max)d étiquettes.") % {"max": MAX_TAGS}
            )
        too_long = [name for name in names if len(name) > TAG_MAX_LENGTH]
        if too_long:
            raise forms.ValidationError(
                _(
                    "Une étiquette compte au plus %(max)d caractères : "
                    "« %(name)s… » est trop longue."
                )
                % {"max": TAG_MAX_LENGTH, "name": too_long[0][:20]}
            )
        return names

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # An email that failed validation is already reported on its own field.
        named = data.get("given_name") or data.get("family_name") or data.get("email")
        if not named and "email" not in self.errors:
            raise forms.ValidationError(
                _("Indiquez au moins un nom, un prénom ou une adresse e-mail.")
            )
        postal_code = str(data.get("postal_code") or "").replace(" ", "")
        french = data.get("country", "FR") == "FR"
        if postal_code and french and not re.fullmatch(r"\d{5}", postal_code):
            self.add_error(
                "postal_code",
                _("Un code postal français compte 5 chiffres (exemple : 69001)."),
            )
        if "postal_code" in data and "postal_code" not in self.errors:
            data["postal_code"] = postal_code.upper()
        return data

    def person_data(self) -> dict[str, Any]:
        """Return the cleaned values the services save on the person."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class MergeSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Chercher le doublon"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Nom ou e-mail")}),
    )
