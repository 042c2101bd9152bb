"""Run the periodic jobs at their time, in a long-lived loop (started by `serve`)."""

from __future__ import annotations

import logging
import signal
import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from essaim.feed.scheduling import due_jobs

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Enqueue the periodic jobs of essaim/feed/scheduling.py at their time (digests, retries…)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tick", type=float, default=30.0, help="Seconds between two looks at the clock."
        )
        parser.add_argument("--once", action="store_true", help="Look once (tests), do not loop.")

    def handle(self, *args: Any, **options: Any) -> None:
        previous_handler = signal.signal(signal.SIGTERM, self._stop)
        previous = timezone.now()
        self.stdout.write("scheduler: started")
        try:
            while True:
                if not options["once"]:
                    time.sleep(options["tick"])
                now = timezone.now()
                self.tick(previous, now)
                previous = now
                if options["once"]:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous_handler)

    def tick(self, previous: datetime, now: datetime) -> None:
        for job in due_jobs(previous, now):
            try:
                if job.run() is None:  # the job found nothing to do (no line each minute)
                    continue
                logger.info("scheduler: %s enqueued", job.name)
                self.stdout.write(f"scheduler: {job.name} enqueued")
            except Exception:
                # One failing job (database down…) must not stop the others or the loop.
                logger.exception("scheduler: %s failed", job.name)
        close_old_connections()

    def _stop(self, signum: int, frame: Any) -> None:
        # Raise rather than set a flag: time.sleep resumes after a handler that returns,
        # and `serve` only waits a few seconds before killing its children.
        raise SystemExit(0)
