"""The public giving form: amount, frequency, donor, address, consents, idempotency key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from essaim.core.models import Organisation, TaxReduction
from essaim.core.money import format_euros, parse_euros

from .inputs import DonorInput
from .models import Frequency, GivingPage, SuggestedAmount
from .tax import tax_reduction

KEY_SALT = "essaim.giving.form-key"
KEY_MAX_AGE = timedelta(days=2)
FREE = "free"


def form_key_new() -> str:
    """Return a fresh signed idempotency key for one giving form."""
    return signing.dumps(secrets.token_urlsafe(24), salt=KEY_SALT)


def form_key_read(signed: str) -> str | None:
    """Return the raw idempotency key from its signed form, or None (forged, expired)."""
    try:
        value = signing.loads(signed, salt=KEY_SALT, max_age=KEY_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(value, str) or not 16 <= len(value) <= 64:
        return None
    return value


def tax_sentence(amount_cents: int, organisation: Organisation, *, monthly: bool = False) -> str:
    """Return the tax line of an amount ("30 € ne vous coûte que 10,20 € après réduction…")."""
    line = tax_reduction(amount_cents, organisation)
    values = {"amount": format_euros(line.amount_cents), "cost": format_euros(line.cost_cents)}
    if monthly:
        main = _("%(amount)s par mois ne vous coûte que %(cost)s par mois après réduction d'impôt")
    else:
        main = _("%(amount)s ne vous coûte que %(cost)s après réduction d'impôt")
    if organisation.tax_reduction_rate == TaxReduction.AID:
        rate = _("75 %% jusqu'à %(ceiling)s de dons dans l'année, 66 %% au-delà") % {
            "ceiling": format_euros(organisation.aid_ceiling_cents)
        }
    else:
        rate = _("66 %% du montant") % {}
    return f"{main % values} ({rate})"


@dataclass(frozen=True)
class AmountCard:
    """One suggested amount as the page shows it."""

    value: str
    amount_cents: int
    label: str
    impact: str
    tax_line: str


def amount_cards(
    amounts: list[SuggestedAmount], frequency: str, organisation: Organisation
) -> list[AmountCard]:
    """Return the page's suggested amounts for a frequency, each with its tax line."""
    monthly = frequency == Frequency.MONTHLY
    return [
        AmountCard(
            value=str(item.amount_cents),
            amount_cents=item.amount_cents,
            label=format_euros(item.amount_cents),
            impact=item.impact,
            tax_line=tax_sentence(item.amount_cents, organisation, monthly=monthly),
        )
        for item in amounts
        if item.frequency == frequency
    ]


def page_frequencies(page: GivingPage) -> list[str]:
    """Return the frequencies a page offers, its preferred one first."""
    offered: list[str] = []
    if page.allow_one_off:
        offered.append(str(Frequency.ONE_OFF))
    if page.allow_monthly:
        offered.append(str(Frequency.MONTHLY))
    preferred = str(page.default_frequency)
    if preferred in offered:
        offered.remove(preferred)
        offered.insert(0, preferred)
    return offered


class GiftForm(forms.Form):
    """What a donor fills in on a giving page."""

    key = forms.CharField(widget=forms.HiddenInput)
    frequency = forms.CharField(widget=forms.HiddenInput)
    amount = forms.ChoiceField(
        label=gettext_lazy("Montant"), widget=forms.RadioSelect, required=False
    )
    free_amount = forms.CharField(
        label=gettext_lazy("Autre montant, en euros"),
        required=False,
        max_length=20,
        help_text=gettext_lazy(
            "Par exemple 12,50. Un montant saisi ici remplace le montant choisi."
        ),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    given_name = forms.CharField(
        label=gettext_lazy("Prénom"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    family_name = forms.CharField(
        label=gettext_lazy("Nom"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("Adresse e-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    wants_receipt = forms.BooleanField(
        label=gettext_lazy("Je souhaite un reçu fiscal"), required=False, initial=True
    )
    address_line1 = forms.CharField(
        label=gettext_lazy("Adresse"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    address_line2 = forms.CharField(
        label=gettext_lazy("Complément d'adresse"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    postal_code = forms.CharField(
        label=gettext_lazy("Code postal"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    city = forms.CharField(
        label=gettext_lazy("Ville"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    consent_news = forms.BooleanField(
        label=gettext_lazy("Je souhaite recevoir des nouvelles de l'association par e-mail"),
        required=False,
    )
    provider = forms.ChoiceField(label=gettext_lazy("Moyen de paiement"), required=False)

    def __init__(
        self,
        *args: Any,
        page: GivingPage,
        frequency: str,
        cards: list[AmountCard],
        providers: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.page = page
        self.chosen_frequency = frequency
        self.cards = cards
        choices = [(card.value, card.label) for card in cards]
        if page.allow_free_amount:
            choices.append((FREE, _("Autre montant")))
        else:
            del self.fields["free_amount"]
        amount_field = self.fields["amount"]
        provider_field = self.fields["provider"]
        assert isinstance(amount_field, forms.ChoiceField)
        assert isinstance(provider_field, forms.ChoiceField)
        amount_field.choices = choices
        provider_field.choices = providers
        self.provider_names = [name for name, _label in providers]
        if not self.is_bound:
            self.initial.setdefault("key", form_key_new())
            self.initial.setdefault("frequency", frequency)
            if cards:
                self.initial.setdefault("amount", cards[min(1, len(cards) - 1)].value)
            if providers:
                self.initial.setdefault("provider", providers[0][0])

    def clean_key(self) -> str:
        raw = form_key_read(self.cleaned_data["key"])
        if raw is None:
            raise forms.ValidationError(
                _("Ce formulaire a expiré : vérifiez vos informations et envoyez-le à nouveau.")
            )
        return raw

    def clean_frequency(self) -> str:
        value = self.cleaned_data["frequency"]
        if value not in page_frequencies(self.page):
            raise forms.ValidationError(_("Cette page ne propose pas ce rythme de don."))
        return str(value)

    def clean_provider(self) -> str:
        value = self.cleaned_data.get("provider") or ""
        names = self.provider_names
        if not names:
            raise forms.ValidationError(
                _("Aucun moyen de paiement n'est disponible pour ce rythme de don.")
            )
        if not value:
            return str(names[0])
        return str(value)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        typed = (data.get("free_amount") or "").strip()
        chosen = data.get("amount") or ""
        amount: int | None = None
        if typed:
            try:
                amount = parse_euros(typed)
            except ValueError:
                self.add_error(
                    "free_amount",
                    _("Saisissez un montant en euros, avec deux décimales au plus (ex. : 12,50)."),
                )
        elif chosen and chosen != FREE:
            amount = int(chosen)
        else:
            self.add_error("amount", _("Choisissez un montant ou saisissez-en un."))
        if amount is not None:
            field = "free_amount" if typed else "amount"
            if amount <= 0:
                self.add_error(field, _("Le montant doit être supérieur à zéro."))
            elif amount > settings.ESSAIM_GIVING_MAX_CENTS:
                self.add_error(
                    field,
                    _("Pour un don de plus de %(max)s, contactez-nous directement.")
                    % {"max": format_euros(settings.ESSAIM_GIVING_MAX_CENTS)},
                )
            elif amount < self.page.minimum_cents:
                self.add_error(
                    field,
                    _("Le don minimum sur cette page est de %(min)s.")
                    % {"min": format_euros(self.page.minimum_cents)},
                )
            else:
                data["amount_cents"] = amount
        if data.get("wants_receipt"):
            for name in ("address_line1", "postal_code", "city"):
                if not (data.get(name) or "").strip():
                    self.add_error(
                        name,
                        _("Indispensable pour votre reçu fiscal (ou décochez « reçu fiscal »)."),
                    )
        return data

    def donor(self) -> DonorInput:
        data = self.cleaned_data
        return DonorInput(
            given_name=data["given_name"],
            family_name=data["family_name"],
            email=data["email"],
            address_line1=data.get("address_line1", ""),
            address_line2=data.get("address_line2", ""),
            postal_code=data.get("postal_code", ""),
            city=data.get("city", ""),
        )
