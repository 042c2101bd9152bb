"""Fifty payments confirmed at the same instant (PostgreSQL): receipt numbers 1..50, no gap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.utils import timezone

from essaim.giving.models import Donation, Receipt, ReceiptCounter
from essaim.giving.receipts import receipt_issue_for_donation
from essaim.giving.services import donation_mark_paid
from tests.concurrency import race
from tests.giving.factories import DonationFactory, PaidDonationFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]

CONCURRENT = 50


def assert_gapless(year: int, count: int) -> None:
    sequences = sorted(Receipt.objects.filter(year=year).values_list("sequence", flat=True))
    assert sequences == list(range(1, count + 1))
    numbers = set(Receipt.objects.filter(year=year).values_list("number", flat=True))
    assert numbers == {f"{year}-{n:06d}" for n in range(1, count + 1)}
    assert ReceiptCounter.objects.get(year=year).last == count


def test_fifty_concurrent_payment_confirmations_number_gaplessly() -> None:
    today = timezone.localdate()
    gifts = [DonationFactory() for _ in range(CONCURRENT)]
    at = timezone.now()

    def confirm(gift_id: int) -> Callable[[], object]:
        return lambda: donation_mark_paid(
            donation=Donation.objects.get(pk=gift_id), at=at, provider_reference=f"race_{gift_id}"
        )

    results = race(*[confirm(gift.pk) for gift in gifts])
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    assert Receipt.objects.count() == CONCURRENT
    assert_gapless(today.year, CONCURRENT)
    # One receipt per gift, never two.
    assert Receipt.donations.through.objects.values("donation_id").distinct().count() == CONCURRENT


def test_first_receipts_of_a_new_year_create_the_counter_once() -> None:
    # No counter row for 2031 yet: every thread tries to create it at the same instant.
    gifts = [PaidDonationFactory(given_on=dt.date(2031, 1, 1)) for _ in range(20)]

    def issue(gift_id: int) -> Callable[[], object]:
        def job() -> object:
            with transaction.atomic():
                return receipt_issue_for_donation(donation=Donation.objects.get(pk=gift_id))

        return job

    results = race(*[issue(gift.pk) for gift in gifts])
    assert not [r for r in results if isinstance(r, Exception)]
    assert_gapless(2031, 20)


def test_the_same_payment_confirmed_twice_at_once_gets_one_receipt() -> None:
    gift = PaidDonationFactory(given_on=dt.date(2032, 3, 3))

    def job() -> object:
        with transaction.atomic():
            return receipt_issue_for_donation(donation=Donation.objects.get(pk=gift.pk))

    results = race(*[job for _ in range(8)])
    assert not [r for r in results if isinstance(r, Exception)]
    assert Receipt.objects.filter(year=2032).count() == 1
    assert_gapless(2032, 1)
