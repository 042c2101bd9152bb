"""Background tasks of the action lifecycle: telling the circle, telling registrants."""

from __future__ import annotations

from django_tasks import task

from .services import action_cancel_notify_run, action_notify_members_run


@task()
def action_notify_members(activity_id: int) -> int:
    """Notify the circle's members of an announced action, in batches; one task per action."""
    return action_notify_members_run(activity_id=activity_id)


@task()
def action_cancel_notify(action_id: int) -> int:
    """Notify and email the registrants and volunteers of a cancelled action; one task."""
    return action_cancel_notify_run(action_id=action_id)
