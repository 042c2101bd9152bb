"""Running writers at the same instant, for the race tests (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def race(*jobs: Callable[[], object], wait: float = 30, join: float = 120) -> list[object]:
    """Run the jobs in threads released together; return their results (or exceptions).

    Each thread closes its own database connections when done (Django opens one per
    thread), so the test database can be flushed afterwards.
    """
    start = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            start.wait(wait)
            results[index] = job()
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(join)
    return results
