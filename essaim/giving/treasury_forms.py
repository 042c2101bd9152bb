"""Forms of the treasurer screens: list filters, offline gift entry, notes, reconciliation."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EurosField
from essaim.people.models import Person
from essaim.referrals.models import Campaign

from .inputs import DonorInput
from .models import DonationStatus, GivingPage, PaymentMethod, Provider
from .treasury import GiftFilters

OFFLINE_METHOD_CHOICES = [
    (PaymentMethod.CHEQUE, PaymentMethod.CHEQUE.label),
    (PaymentMethod.TRANSFER, PaymentMethod.TRANSFER.label),
    (PaymentMethod.CASH, PaymentMethod.CASH.label),
    (PaymentMethod.OTHER, PaymentMethod.OTHER.label),
]
RECONCILED_CHOICES = [("", _("Tous")), ("no", _("Non rapprochés")), ("yes", _("Rapprochés"))]
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class GiftFilterForm(forms.Form):
    q = forms.CharField(
        label=_("donateur (nom ou e-mail) ou référence"), required=False, max_length=100
    )
    status = forms.ChoiceField(
        label=_("état"), required=False, choices=[("", _("Tous")), *DonationStatus.choices]
    )
    provider = forms.ChoiceField(
        label=_("prestataire"), required=False, choices=[("", _("Tous")), *Provider.choices]
    )
    method = forms.ChoiceField(
        label=_("moyen de paiement"),
        required=False,
        choices=[("", _("Tous")), *PaymentMethod.choices],
    )
    month = forms.CharField(
        label=_("mois"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "2026-03", "inputmode": "numeric"}),
        help_text=_("Au format AAAA-MM ; remplace les dates ci-dessous."),
    )
    start = forms.DateField(label=_("du"), required=False, widget=_date_widget())
    end = forms.DateField(label=_("au"), required=False, widget=_date_widget())
    page = forms.ModelChoiceField(
        label=_("page de don"),
        required=False,
        queryset=GivingPage.objects.order_by("title"),
        empty_label=_("Toutes"),
    )
    campaign = forms.ModelChoiceField(
        label=_("campagne"),
        required=False,
        queryset=Campaign.objects.order_by("-starts_on"),
        empty_label=_("Toutes"),
    )
    reconciled = forms.ChoiceField(
        label=_("rapprochement"), required=False, choices=RECONCILED_CHOICES
    )

    def clean_month(self) -> tuple[dt.date, dt.date] | None:
        text = (self.cleaned_data.get("month") or "").strip()
        if not text:
            return None
        match = _MONTH.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise forms.ValidationError(
                _("Indiquez un mois au format AAAA-MM, par exemple 2026-03.")
            )
        year, month = int(match.group(1)), int(match.group(2))
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("La fin de la période doit suivre son début."))
        return data

    def filters(self) -> GiftFilters:
        """Return the filters typed (none when the form is invalid)."""
        if not self.is_valid():
            return GiftFilters()
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if data.get("month"):
            start, end = data["month"]
        return GiftFilters(
            status=data.get("status") or "",
            provider=data.get("provider") or "",
            method=data.get("method") or "",
            start=start,
            end=end,
            page_id=data["page"].pk if data.get("page") else None,
            campaign_id=data["campaign"].pk if data.get("campaign") else None,
            search=data.get("q") or "",
            reconciled=data.get("reconciled") or "",
        )


class ReconcileFilterForm(forms.Form):
    method = forms.ChoiceField(
        label=_("moyen de paiement"),
        required=False,
        choices=[("", _("Tous")), *PaymentMethod.choices],
    )
    start = forms.DateField(label=_("du"), required=False, widget=_date_widget())
    end = forms.DateField(label=_("au"), required=False, widget=_date_widget())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("La fin de la période doit suivre son début."))
        return data


class OfflineGiftForm(forms.Form):
    person = forms.ModelChoiceField(
        label=_("personne déjà connue"),
        required=False,
        queryset=Person.objects.filter(erased_at__isnull=True),
        widget=forms.HiddenInput,
    )
    given_name = forms.CharField(label=_("prénom"), max_length=100, required=False)
    family_name = forms.CharField(label=_("nom"), max_length=100, required=False)
    email = forms.EmailField(
        label=_("adresse e-mail"),
        required=False,
        help_text=_("Pour envoyer le reçu fiscal et retrouver le donateur."),
    )
    address_line1 = forms.CharField(label=_("adresse"), max_length=200, required=False)
    address_line2 = forms.CharField(label=_("complément d'adresse"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("code postal"), max_length=10, required=False)
    city = forms.CharField(label=_("ville"), max_length=100, required=False)
    amount = EurosField(label=_("montant (€)"), help_text=_("Par exemple 50 ou 12,50."))
    payment_method = forms.ChoiceField(label=_("moyen de paiement"), choices=OFFLINE_METHOD_CHOICES)
    given_on = forms.DateField(
        label=_("date du don"),
        widget=_date_widget(),
        help_text=_("La date du chèque ou du virement."),
    )
    bank_reference = forms.CharField(
        label=_("référence (numéro de chèque, libellé du virement)"),
        max_length=120,
        required=False,
    )
    wants_receipt = forms.BooleanField(
        label=_("émettre un reçu fiscal (l'adresse postale est alors obligatoire)"),
        required=False,
        initial=True,
    )
    page = forms.ModelChoiceField(
        label=_("page de don"),
        required=False,
        queryset=GivingPage.objects.order_by("title"),
        empty_label=_("Aucune"),
    )
    campaign = forms.ModelChoiceField(
        label=_("campagne"),
        required=False,
        queryset=Campaign.objects.order_by("-starts_on"),
        empty_label=_("Aucune"),
    )
    notes = forms.CharField(
        label=_("notes internes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, person: Person | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.picked = person
        if person is not None and not self.is_bound:
            self.initial.update(
                {
                    "person": person.pk,
                    "given_name": person.given_name,
                    "family_name": person.family_name,
                    "email": person.email,
                    "address_line1": person.address_line1,
                    "address_line2": person.address_line2,
                    "postal_code": person.postal_code,
                    "city": person.city,
                }
            )
        self.initial.setdefault("given_on", timezone.localdate())

    def clean_amount(self) -> int:
        cents = self.cleaned_data["amount"]
        if cents is None or cents <= 0:
            raise forms.ValidationError(_("Indiquez un montant supérieur à zéro."))
        return int(cents)

    def donor(self) -> DonorInput:
        """Return the donor as typed."""
        data = self.cleaned_data
        return DonorInput(
            given_name=data.get("given_name") or "",
            family_name=data.get("family_name") or "",
            email=data.get("email") or "",
            address_line1=data.get("address_line1") or "",
            address_line2=data.get("address_line2") or "",
            postal_code=data.get("postal_code") or "",
            city=data.get("city") or "",
        )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("motif"),
        max_length=300,
        help_text=_("Par exemple : chèque rejeté par la banque le 12 mars."),
    )
