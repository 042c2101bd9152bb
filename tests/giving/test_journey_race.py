"""Journey counts at the same instant (PostgreSQL): every click is counted, one row per day."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from essaim.giving.journey import journey_count
from essaim.giving.models import Excuse, JourneyDay, JourneyStep, Rebuttal

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]

WRITERS = 12


def race(job: Callable[[], object], n: int) -> list[BaseException]:
    start = threading.Barrier(n)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(10)
            job()
        except BaseException as error:  # reported to the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


@pytest.mark.parametrize("attempt", range(3))
def test_simultaneous_first_counts_of_a_day_all_count(attempt: int) -> None:
    excuse = Excuse.objects.create(slug=f"course-{attempt}", label="Je n'ai pas le temps")
    rebuttal = Rebuttal.objects.create(excuse=excuse, name="A", text="Deux minutes.")
    day = datetime.date(2026, 6, 1) + datetime.timedelta(days=attempt)

    errors = race(
        lambda: journey_count(step=JourneyStep.READ, excuse=excuse, rebuttal=rebuttal, day=day),
        WRITERS,
    )
    errors += race(lambda: journey_count(step=JourneyStep.VIEW, day=day), WRITERS)

    assert not errors
    read = JourneyDay.objects.get(step=JourneyStep.READ, rebuttal=rebuttal, day=day)
    assert read.count == WRITERS
    # The page view has no excuse: NULLs are one key too (the constraint coalesces them).
    assert JourneyDay.objects.get(step=JourneyStep.VIEW, day=day, excuse__isnull=True).count == (
        WRITERS
    )
