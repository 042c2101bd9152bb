"""Run one periodic job now (for cron or a systemd timer)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from essaim.feed.scheduling import JOBS


class Command(BaseCommand):
    help = "Enqueue one periodic job now (the jobs are listed in essaim/feed/scheduling.py)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=sorted(JOBS))

    def handle(self, *args: Any, **options: Any) -> None:
        JOBS[options["job"]].run()
        self.stdout.write(f"{options['job']}: enqueued")
