"""Forms of the tax receipt screens: register filters, cancel, replace, annual run, year."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .inputs import DonorInput
from .models import Receipt, ReceiptStatus

FIRST_YEAR = 2000


def _year_bounds() -> tuple[int, int]:
    return FIRST_YEAR, timezone.localdate().year


class RegisterFilterForm(forms.Form):
    annee = forms.IntegerField(label=_("Année"), required=False)
    etat = forms.ChoiceField(
        label=_("État"),
        required=False,
        choices=[("", _("Tous")), *ReceiptStatus.choices],
    )
    q = forms.CharField(
        label=_("Numéro, nom ou e-mail"),
        required=False,
        max_length=100,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit_year(self.fields["annee"], last=_year_bounds()[1] + 1)

    def filters(self) -> dict[str, Any]:
        """Return the valid filters (an invalid form filters nothing)."""
        if not self.is_valid():
            return {}
        return {
            "year": self.cleaned_data.get("annee") or None,
            "status": self.cleaned_data.get("etat") or "",
            "search": self.cleaned_data.get("q") or "",
        }


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de l'annulation"),
        max_length=300,
        help_text=_("Par exemple : don remboursé, reçu émis par erreur. Le numéro reste utilisé."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Beside the replace form on one page: its own ids.
        kwargs.setdefault("auto_id", "cancel_%s")
        super().__init__(*args, **kwargs)


def _articles_choices() -> list[tuple[str, str]]:
    return [
        ("200", str(_("Article 200 (don d'un particulier)"))),
        (
            "200, 978",
            str(_("Articles 200 et 978 (particulier, avec l'impôt sur la fortune immobilière)")),
        ),
        ("238 bis", str(_("Article 238 bis (don d'une entreprise)"))),
    ]


class ReplaceForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de la correction"),
        max_length=300,
        help_text=_(
            "Le reçu actuel est annulé ; un nouveau reçu, avec un nouveau numéro, le remplace."
        ),
    )
    given_name = forms.CharField(label=_("Prénom"), max_length=100, required=False)
    family_name = forms.CharField(label=_("Nom ou dénomination"), max_length=100)
    email = forms.EmailField(label=_("Adresse e-mail"), max_length=254)
    address_line1 = forms.CharField(label=_("Adresse"), max_length=200)
    address_line2 = forms.CharField(label=_("Complément d'adresse"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Code postal"), max_length=10)
    city = forms.CharField(label=_("Ville"), max_length=100)
    country = forms.CharField(
        label=_("Pays (code à deux lettres)"), max_length=2, min_length=2, initial="FR"
    )
    cgi_articles = forms.ChoiceField(
        label=_("Articles du CGI"),
        choices=_articles_choices,
        help_text=_("L'article 200 pour les particuliers ; 238 bis pour les entreprises."),
    )

    @classmethod
    def for_receipt(cls, receipt: Receipt) -> ReplaceForm:
        """Return the form filled with what the receipt says now."""
        return cls(
            initial={
                "given_name": receipt.given_name,
                "family_name": receipt.family_name,
                "email": receipt.email,
                "address_line1": receipt.address_line1,
                "address_line2": receipt.address_line2,
                "postal_code": receipt.postal_code,
                "city": receipt.city,
                "country": receipt.country or "FR",
                "cgi_articles": receipt.cgi_articles,
            }
        )

    def clean_country(self) -> str:
        country = str(self.cleaned_data["country"]).strip().upper()
        if not country.isalpha():
            raise forms.ValidationError(_("Indiquez le pays en deux lettres, par exemple FR."))
        return country

    def donor(self) -> DonorInput:
        data = self.cleaned_data
        return DonorInput(
            given_name=data["given_name"],
            family_name=data["family_name"],
            email=data["email"],
            address_line1=data["address_line1"],
            address_line2=data["address_line2"],
            postal_code=data["postal_code"],
            city=data["city"],
            country=data["country"],
        )

    def articles(self) -> str:
        return str(self.cleaned_data["cgi_articles"])


class YearForm(forms.Form):
    annee = forms.IntegerField(label=_("Année"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit_year(self.fields["annee"], last=_year_bounds()[1])


def _limit_year(field: forms.Field, *, last: int) -> None:
    """Accept years from 2000 to ``last`` only, with one clear French message."""
    message = _("Choisissez une année entre %(first)d et %(last)d.") % {
        "first": FIRST_YEAR,
        "last": last,
    }
    field.validators += [
        MinValueValidator(FIRST_YEAR, message=message),
        MaxValueValidator(last, message=message),
    ]
    field.error_messages["invalid"] = _("Indiquez une année en chiffres, par exemple 2026.")
    # A text input (numeric keyboard): a wrong entry is shown back as typed, validly.
    field.widget = forms.TextInput(
        attrs={"inputmode": "numeric", "pattern": "[0-9]{4}", "maxlength": "4", "size": "6"}
    )
