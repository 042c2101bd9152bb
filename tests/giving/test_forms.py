"""The public giving form: every bad input gets a French message, and the tax lines."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import signing

from essaim.core.models import TaxReduction
from essaim.core.selectors import organisation_get
from essaim.giving.forms import (
    KEY_SALT,
    GiftForm,
    amount_cards,
    form_key_new,
    form_key_read,
    page_frequencies,
    tax_sentence,
)
from essaim.giving.models import Frequency, GivingPage
from tests.giving.factories import GivingPageFactory, SuggestedAmountFactory

pytestmark = pytest.mark.django_db


def _data(**changes: Any) -> dict[str, Any]:
    data = {
        "key": form_key_new(),
        "frequency": "one_off",
        "amount": "3000",
        "free_amount": "",
        "given_name": "Louise",
        "family_name": "Michel",
        "email": "louise@exemple.fr",
        "wants_receipt": "on",
        "address_line1": "12 rue des Lilas",
        "postal_code": "69001",
        "city": "Lyon",
        "provider": "demo",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _form(page: GivingPage, data: dict[str, Any], frequency: str = "one_off") -> GiftForm:
    org = organisation_get()
    cards = amount_cards(list(page.amounts.all()), frequency, org)
    return GiftForm(
        data, page=page, frequency=frequency, cards=cards, providers=[("demo", "Démonstration")]
    )


@pytest.fixture
def page() -> GivingPage:
    page = GivingPageFactory(minimum_cents=500)
    SuggestedAmountFactory(page=page, amount_cents=3000)
    SuggestedAmountFactory(page=page, amount_cents=5000)
    SuggestedAmountFactory(page=page, frequency=Frequency.MONTHLY, amount_cents=1000)
    return page


def test_a_suggested_amount_is_read_in_cents(page: GivingPage) -> None:
    form = _form(page, _data())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount_cents"] == 3000
    donor = form.donor()
    assert donor.has_postal_address and donor.email == "louise@exemple.fr"


def test_a_free_amount_is_read_the_french_way_and_wins(page: GivingPage) -> None:
    form = _form(page, _data(amount="free", free_amount="12,50"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount_cents"] == 1250
    form = _form(page, _data(amount="3000", free_amount="1 200"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount_cents"] == 120000


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "supérieur à zéro"),
        ("0,00", "supérieur à zéro"),
        ("-10", "Saisissez un montant en euros"),
        ("dix euros", "Saisissez un montant en euros"),
        ("12,505", "Saisissez un montant en euros"),
        ("4,99", "Le don minimum sur cette page est de 5"),
        ("100000000", "contactez-nous directement"),
    ],
)
def test_bad_free_amounts_are_refused_in_french(page: GivingPage, typed: str, message: str) -> None:
    form = _form(page, _data(amount="free", free_amount=typed))
    assert not form.is_valid()
    assert message in " ".join(form.errors["free_amount"])
    assert "amount_cents" not in form.cleaned_data


def test_an_amount_just_above_the_maximum_is_refused(page: GivingPage, settings: Any) -> None:
    settings.ESSAIM_GIVING_MAX_CENTS = 10_000
    form = _form(page, _data(amount="free", free_amount="100,01"))
    assert not form.is_valid()
    assert "100\u00a0€" in form.errors["free_amount"][0]
    assert _form(page, _data(amount="free", free_amount="100")).is_valid()


def test_an_amount_not_offered_is_refused(page: GivingPage) -> None:
    form = _form(page, _data(amount="3100"))
    assert not form.is_valid()
    assert "amount" in form.errors


def test_no_amount_at_all_is_refused(page: GivingPage) -> None:
    form = _form(page, _data(amount=None))
    assert not form.is_valid()
    assert "Choisissez un montant" in form.errors["amount"][0]


def test_a_receipt_needs_the_postal_address(page: GivingPage) -> None:
    form = _form(page, _data(address_line1="", postal_code="", city=" "))
    assert not form.is_valid()
    for name in ("address_line1", "postal_code", "city"):
        assert "reçu fiscal" in form.errors[name][0]
    # Without a receipt the address may stay empty.
    form = _form(page, _data(wants_receipt=None, address_line1="", postal_code="", city=""))
    assert form.is_valid(), form.errors


def test_monthly_on_a_one_off_page_is_refused() -> None:
    page = GivingPageFactory(allow_monthly=False)
    SuggestedAmountFactory(page=page, amount_cents=3000)
    form = _form(page, _data(frequency="monthly"))
    assert not form.is_valid()
    assert "ne propose pas ce rythme" in form.errors["frequency"][0]


def test_a_forged_or_expired_key_is_refused(page: GivingPage) -> None:
    form = _form(page, _data(key="forged"))
    assert not form.is_valid()
    assert "expiré" in form.errors["key"][0]
    old = signing.TimestampSigner(salt=KEY_SALT)
    assert form_key_read(form_key_new()) is not None
    assert form_key_read(old.sign("x" * 20) + "tampered") is None


def test_the_free_amount_is_absent_when_the_page_forbids_it() -> None:
    page = GivingPageFactory(allow_free_amount=False)
    SuggestedAmountFactory(page=page, amount_cents=3000)
    form = _form(page, _data(amount="free", free_amount="12"))
    assert "free_amount" not in form.fields
    assert not form.is_valid()


def test_frequencies_put_the_page_preference_first() -> None:
    page = GivingPageFactory(default_frequency=Frequency.MONTHLY)
    assert page_frequencies(page) == ["monthly", "one_off"]
    page = GivingPageFactory(allow_monthly=False, default_frequency=Frequency.MONTHLY)
    assert page_frequencies(page) == ["one_off"]


def test_tax_line_at_66_percent() -> None:
    org = organisation_get()
    org.tax_reduction_rate = TaxReduction.GENERAL
    assert tax_sentence(3000, org) == (
        "30\u00a0€ ne vous coûte que 10,20\u00a0€ après réduction d'impôt (66 % du montant)"
    )
    monthly = tax_sentence(1000, org, monthly=True)
    assert "par mois ne vous coûte que 3,40\u00a0€ par mois" in monthly


def test_tax_line_at_75_percent_says_so_with_the_ceiling() -> None:
    org = organisation_get()
    org.tax_reduction_rate = TaxReduction.AID
    org.aid_ceiling_cents = 100_000
    line = tax_sentence(3000, org)
    assert line.startswith("30\u00a0€ ne vous coûte que 7,50\u00a0€")
    assert "75 % jusqu'à 1\u202f000\u00a0€ de dons dans l'année, 66 % au-delà" in line


def test_cards_carry_their_impact_and_tax_line(page: GivingPage) -> None:
    org = organisation_get()
    cards = amount_cards(list(page.amounts.all()), Frequency.ONE_OFF, org)
    assert [card.amount_cents for card in cards] == [3000, 5000]
    assert cards[0].impact == "Un mois de fournitures"
    assert "10,20" in cards[0].tax_line
    monthly = amount_cards(list(page.amounts.all()), Frequency.MONTHLY, org)
    assert [card.amount_cents for card in monthly] == [1000]
