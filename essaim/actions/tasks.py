"""Background tasks of actions: mission reminders and registration emails."""

from __future__ import annotations

from django_tasks import task


@task()
def mission_reminders(batch_size: int = 200) -> int:
    """Email tomorrow's volunteers their reminder; return how many emails left."""
    from .missions import mission_reminders_send

    return mission_reminders_send(batch_size=batch_size)


@task()
def registration_email(registration_id: int, already: bool = False) -> bool:
    """Send the confirmation email of a registration made on the public page."""
    from .missions import registration_email_send

    return registration_email_send(registration_id=registration_id, already=already)
