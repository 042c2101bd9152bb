"""Two requests with the same form key at the same instant (PostgreSQL): one gift, one checkout."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from essaim.giving import services
from essaim.giving.inputs import DonorInput, GiftSource
from essaim.giving.models import (
    Donation,
    DonationChange,
    DonationStatus,
    Frequency,
    GivingPage,
    Receipt,
    RecurringGift,
)
from essaim.people.models import Person
from tests.concurrency import race
from tests.giving.factories import GivingPageFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]


def _start(page_id: int, frequency: str) -> services.CheckoutStart:
    return services.donation_start(
        donor=DonorInput(
            given_name="Noa",
            family_name="Roux",
            email="noa@example.org",
            address_line1="4 quai Est",
            postal_code="13002",
            city="Marseille",
        ),
        amount_cents=3000,
        frequency=frequency,
        provider="demo",
        idempotency_key="same-form",
        source=GiftSource(page=GivingPage.objects.get(pk=page_id)),
        wants_receipt=True,
        consent_news=False,
        return_url="https://asso.example/merci/{code}/",
        cancel_url="https://asso.example/don/",
    )


@pytest.mark.parametrize("frequency", [Frequency.ONE_OFF, Frequency.MONTHLY])
@pytest.mark.parametrize("attempt", range(2))
def test_same_key_at_once_gives_one_gift(attempt: int, frequency: str) -> None:
    page_id = GivingPageFactory().pk
    results = race(*[lambda: _start(page_id, frequency) for _ in range(4)])
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    starts = [r for r in results if isinstance(r, services.CheckoutStart)]
    assert len({s.donation.pk for s in starts}) == 1
    assert len({s.redirect_url for s in starts}) == 1
    assert Donation.objects.count() == 1
    assert Person.objects.count() == 1
    assert RecurringGift.objects.count() == (1 if frequency == Frequency.MONTHLY else 0)


def test_two_payment_confirmations_at_once_pay_once() -> None:
    page_id = GivingPageFactory().pk
    donation = _start(page_id, Frequency.ONE_OFF).donation
    now = timezone.now()
    results = race(
        *[
            lambda: services.donation_mark_paid(
                donation=Donation.objects.get(pk=donation.pk), at=now
            )
            for _ in range(3)
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.PAID
    assert DonationChange.objects.filter(to_status=DonationStatus.PAID).count() == 1
    assert Receipt.objects.count() == 1
