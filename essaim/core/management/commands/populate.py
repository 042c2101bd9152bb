"""Fill the database with realistic, deterministic French data."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from essaim.core.populate import SECTIONS, populate


class Command(BaseCommand):
    help = "Fill the database with realistic, deterministic French demo data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=300, help="Number of contacts.")
        parser.add_argument(
            "--circles",
            type=int,
            default=None,
            help="Number of circles (default: one per 20 contacts, at least one).",
        )
        parser.add_argument(
            "--articles",
            type=int,
            default=30,
            help="Published blog articles, with 8 categories, 40 tags and a few stories (0: none).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed, same data)."
        )
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per bulk insert.")
        parser.add_argument(
            "--only",
            nargs="+",
            choices=[name for name, _ in SECTIONS],
            help="Run only these sections (default: all).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        persons = options["persons"]
        if persons < 0:
            self.stderr.write("--persons must be zero or more.")
            return
        if options["articles"] < 0:
            self.stderr.write("--articles must be zero or more.")
            return
        started = time.monotonic()
        counts = populate(
            persons=persons,
            circles=options["circles"],
            articles=options["articles"],
            seed=options["seed"],
            batch_size=max(1, options["batch_size"]),
            log=self.stdout.write,
            only=options["only"],
        )
        summary = ", ".join(f"{name}: {count}" for name, count in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s ({summary}).")
        )
