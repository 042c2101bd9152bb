"""Background tasks for people."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def run_import(job_id: str) -> None:
    """Run a confirmed contact import."""
    from .importing import import_job_fail, import_job_run

    try:
        import_job_run(job_id=job_id)
    except Exception:
        # import_job_run reports line-level failures itself; this catches the rest so
        # that the progress page never waits forever on a job stuck in "en cours".
        logger.exception("Import %s crashed", job_id)
        import_job_fail(
            job_id=job_id,
            message=_(
                "L'import s'est arrêté sur une erreur inattendue. "
                "Prévenez l'administrateur du site."
            ),
        )
        raise
