"""The demo command gives the treasury a year of gifts, once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from essaim.giving.models import (
    Donation,
    DonationStatus,
    GivingPage,
    Provider,
    Receipt,
    RecurringGift,
    RecurringStatus,
)
from essaim.giving.treasury import year_figures

pytestmark = pytest.mark.django_db


def test_demo_fills_the_treasury_once(settings: object) -> None:
    out = io.StringIO()
    call_command("demo", "--persons", "40", verbosity=0, stdout=out)
    assert "dons" in out.getvalue()
    paid = Donation.objects.filter(status=DonationStatus.PAID)
    assert 18 <= paid.count() <= 25
    assert paid.filter(provider=Provider.OFFLINE).exists()
    assert paid.filter(provider=Provider.DEMO).exists()
    assert paid.filter(reconciled_at__isnull=False).exists()
    assert paid.filter(referrer__isnull=False).exists()
    assert Donation.objects.filter(status=DonationStatus.REFUNDED).count() == 1
    schedule = RecurringGift.objects.get()
    assert schedule.status == RecurringStatus.ACTIVE
    assert schedule.payments.filter(status=DonationStatus.PAID).count() >= 2
    assert Receipt.objects.count() >= 10
    page = GivingPage.objects.get(is_default=True)
    assert page.story is not None and page.amounts.exists()
    figures = year_figures(paid.first().given_on.year, month_names=[str(m) for m in range(12)])
    assert figures.total_cents > 0
    counts = (Donation.objects.count(), Receipt.objects.count())
    again = io.StringIO()
    call_command("demo", "--persons", "40", verbosity=0, stdout=again)
    assert (Donation.objects.count(), Receipt.objects.count()) == counts
