"""Writes for the activity stream and notifications."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from essaim.circles.models import Circle, Message, Thread
from essaim.people.models import Person

from .models import Activity, Notification


@transaction.atomic
def activity_record(
    *,
    circle: Circle,
    actor: Person | None,
    verb: str,
    thread: Thread | None = None,
    message: Message | None = None,
    summary: str = "",
) -> Activity:
    """Record that something happened in a circle."""
    return Activity.objects.create(
        circle=circle, actor=actor, verb=verb, thread=thread, message=message, summary=summary[:300]
    )


def notifications_create(
    *,
    recipients: Iterable[Person],
    kind: str,
    summary: str,
    url: str = "",
    activity: Activity | None = None,
    circle: Circle | None = None,
) -> list[Notification]:
    """Create one in-app notification per recipient, in one query."""
    rows = [
        Notification(
            recipient=person,
            kind=kind,
            summary=summary[:300],
            url=url[:300],
            activity=activity,
            circle=circle,
        )
        for person in {p.pk: p for p in recipients}.values()
    ]
    return Notification.objects.bulk_create(rows, batch_size=1000)
