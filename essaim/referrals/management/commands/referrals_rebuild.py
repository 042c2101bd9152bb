"""Recompute every referral path and cached count from referred_by."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from essaim.referrals.tree import referrals_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the referral tree's paths, depths and cached counts from referred_by "
        "and the network figures' running totals (after a bulk load, or to repair them); "
        "loops are broken by detaching one person."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per bulk update.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = referrals_rebuild(batch_size=max(1, options["batch_size"]), log=self.stdout.write)
        self.stdout.write(f"  {result['tallies_fixed']} totaux des chiffres du réseau corrigés")
        self.stdout.write(
            self.style.SUCCESS(
                f"{result['persons']} personnes, {result['changed']} recalculées, "
                f"{result['loops_broken']} boucles rompues en "
                f"{time.monotonic() - started:.1f} s."
            )
        )
