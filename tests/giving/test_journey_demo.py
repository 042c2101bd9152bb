"""The journey's demo figures: variant B, four months of counts, demo gifts credited; once."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from essaim.giving.demo import giving_demo_setup
from essaim.giving.journey_demo import DAYS, journey_demo_setup
from essaim.giving.journey_stats import journey_report
from essaim.giving.models import (
    Donation,
    DonationStatus,
    Frequency,
    JourneyDay,
    JourneyStep,
    Rebuttal,
)
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_demo_creates_an_ab_test_once(login_as: Any) -> None:
    admin, treasurer = login_as("admin"), login_as("treasurer")
    PersonFactory.create_batch(24)
    assert giving_demo_setup(admin=admin, treasurer=treasurer) is True
    today = timezone.localdate()
    since = today - datetime.timedelta(days=DAYS - 1)
    in_period = Donation.objects.filter(
        idempotency_key__startswith="demo-seed-",
        status=DonationStatus.PAID,
        frequency=Frequency.ONE_OFF,
        given_on__gte=since,
    ).count()
    paid_before = Donation.objects.filter(status=DonationStatus.PAID).count()

    assert journey_demo_setup(admin=admin) is True

    tested = Rebuttal.objects.filter(excuse__slug="je-n-ai-pas-le-temps")
    assert sorted(tested.values_list("name", flat=True)) == ["A", "B"]
    days = set(JourneyDay.objects.filter(step=JourneyStep.VIEW).values_list("day", flat=True))
    assert len(days) == DAYS and min(days) == since
    # No new gift (the treasury's figures stay as they are): some are credited to answers.
    assert Donation.objects.filter(status=DonationStatus.PAID).count() == paid_before
    credited = Donation.objects.filter(excuse__isnull=False)
    assert credited.count() == min(8, in_period)
    report = journey_report(start=since, end=today)
    row = next(r for r in report.excuses if r.excuse.slug == "je-n-ai-pas-le-temps")
    assert min(v.counts.reads for v in row.variants) >= 100  # enough for a verdict
    assert "Pas encore assez" not in row.verdict.message

    rows = JourneyDay.objects.count()
    assert journey_demo_setup(admin=admin) is False
    assert JourneyDay.objects.count() == rows
