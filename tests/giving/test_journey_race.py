"""Journey counts at the same instant (PostgreSQL): every click is counted, one row per day."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from essaim.giving.journey import journey_count
from essaim.giving.models import Excuse, JourneyDay, JourneyStep, Rebuttal
from tests.concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]

WRITERS = 12


@pytest.mark.parametrize("attempt", range(3))
def test_simultaneous_first_counts_of_a_day_all_count(attempt: int) -> None:
    excuse = Excuse.objects.create(slug=f"course-{attempt}", label="Je n'ai pas le temps")
    rebuttal = Rebuttal.objects.create(excuse=excuse, name="A", text="Deux minutes.")
    day = datetime.date(2026, 6, 1) + datetime.timedelta(days=attempt)

    def read() -> object:
        return journey_count(step=JourneyStep.READ, excuse=excuse, rebuttal=rebuttal, day=day)

    def view() -> object:
        return journey_count(step=JourneyStep.VIEW, day=day)

    results = race(*[read] * WRITERS) + race(*[view] * WRITERS)

    assert not [r for r in results if isinstance(r, BaseException)]
    read = JourneyDay.objects.get(step=JourneyStep.READ, rebuttal=rebuttal, day=day)
    assert read.count == WRITERS
    # The page view has no excuse: NULLs are one key too (the constraint coalesces them).
    assert JourneyDay.objects.get(step=JourneyStep.VIEW, day=day, excuse__isnull=True).count == (
        WRITERS
    )
