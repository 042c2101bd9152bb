"""Background tasks for people."""

from __future__ import annotations

from django_tasks import task


@task()
def run_import(job_id: str) -> None:
    """Run a confirmed contact import."""
    from .importing import import_job_run

    import_job_run(job_id=job_id)
