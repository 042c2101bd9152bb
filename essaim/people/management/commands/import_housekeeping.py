"""Tidy contact imports: delete files of abandoned ones, fail those stuck by a dead worker.

Meant to run periodically (cron or a systemd timer, see docs/deploy.md); running it
twice in a row changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from essaim.people.importing import (
    ABANDONED_AFTER,
    STALLED_AFTER,
    import_jobs_fail_stalled,
    import_jobs_purge_abandoned,
)


class Command(BaseCommand):
    help = _(
        "Supprime le fichier des imports de contacts jamais confirmés et marque en échec "
        "les imports bloqués."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--abandoned-days",
            type=int,
            default=ABANDONED_AFTER.days,
            help=_("Jours sans confirmation avant de supprimer le fichier (7 par défaut)."),
        )
        parser.add_argument(
            "--stalled-minutes",
            type=int,
            default=int(STALLED_AFTER.total_seconds() // 60),
            help=_("Minutes sans progression avant de déclarer un import bloqué (60 par défaut)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days: int = options["abandoned_days"]
        minutes: int = options["stalled_minutes"]
        if days < 1:
            raise CommandError(_("--abandoned-days doit valoir au moins 1."))
        # Below a few minutes a healthy import between two batches would look stuck.
        if minutes < 5:
            raise CommandError(_("--stalled-minutes doit valoir au moins 5."))
        purged = import_jobs_purge_abandoned(older_than=dt.timedelta(days=days))
        stalled = import_jobs_fail_stalled(stalled_for=dt.timedelta(minutes=minutes))
        # A label then the number: reads right for 0, 1 or many without plural forms.
        self.stdout.write(_("Imports abandonnés, fichier supprimé : %(count)s") % {"count": purged})
        self.stdout.write(_("Imports bloqués, marqués en échec : %(count)s") % {"count": stalled})
