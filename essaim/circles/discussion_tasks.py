"""Background tasks for circle discussions: telling a circle's members about a new thread."""

from __future__ import annotations

from django_tasks import task

from .discussions import thread_fan_out_sweep, thread_notify_members_run


@task()
def thread_notify_members(activity_id: int) -> int:
    """Notify the circle's members of a new thread, in batches; one task per thread."""
    return thread_notify_members_run(activity_id=activity_id)


@task()
def thread_fan_out_catch_up() -> int:
    """Tell members about recent threads whose own task was never enqueued; periodic job."""
    return thread_fan_out_sweep()
