"""Writes for the activity stream, notifications and delivery preferences."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

from django.db import transaction
from django.utils import timezone

from essaim.circles.models import Circle, Message, Thread
from essaim.people.models import Person

from .models import (
    DEFAULT_DELIVERY,
    Activity,
    Delivery,
    Notification,
    NotificationKind,
    NotificationPreference,
)

logger = logging.getLogger(__name__)


@transaction.atomic
def activity_record(
    *,
    circle: Circle,
    actor: Person | None,
    verb: str,
    thread: Thread | None = None,
    message: Message | None = None,
    summary: str = "",
    url: str = "",
) -> Activity:
    """Record that something happened in a circle."""
    return Activity.objects.create(
        circle=circle,
        actor=actor,
        verb=verb,
        thread=thread,
        message=message,
        summary=summary[:300],
        url=url[:300],
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
    return notifications_create_for_ids(
        recipient_ids=[person.pk for person in recipients],
        kind=kind,
        summary=summary,
        url=url,
        activity=activity,
        circle=circle,
    )


def notifications_create_for_ids(
    *,
    recipient_ids: Sequence[int],
    kind: str,
    summary: str,
    url: str = "",
    activity: Activity | None = None,
    circle: Circle | None = None,
) -> list[Notification]:
    """Create one notification per person id, for fan-outs that never load the people."""
    rows = [
        Notification(
            recipient_id=person_id,
            kind=kind,
            summary=summary[:300],
            url=url[:300],
            activity=activity,
            circle=circle,
        )
        for person_id in dict.fromkeys(recipient_ids)
    ]
    # One INSERT for the whole batch where the database allows it (PostgreSQL).
    created = Notification.objects.bulk_create(rows, batch_size=max(len(rows), 1))
    _email_immediately(created, kind)
    return created


def _email_immediately(created: list[Notification], kind: str) -> None:
    # One task for the whole batch, whatever its size: never one job per recipient.
    if not created:
        return
    recipient_ids = [n.recipient_id for n in created]
    if DEFAULT_DELIVERY[kind] == Delivery.IMMEDIATE:
        opted_out = set(
            NotificationPreference.objects.filter(person_id__in=recipient_ids, kind=kind)
            .exclude(delivery=Delivery.IMMEDIATE)
            .values_list("person_id", flat=True)
        )
        wanted = [n.pk for n in created if n.recipient_id not in opted_out]
    else:
        opted_in = set(
            NotificationPreference.objects.filter(
                person_id__in=recipient_ids, kind=kind, delivery=Delivery.IMMEDIATE
            ).values_list("person_id", flat=True)
        )
        wanted = [n.pk for n in created if n.recipient_id in opted_in]
    if wanted:
        # After commit: a worker must not look for rows that a rollback would remove.
        transaction.on_commit(lambda: _enqueue_immediate(wanted))


def _enqueue_immediate(notification_ids: list[int]) -> None:
    """Enqueue the immediate emails; if the queue refuses, the retry job sends them."""
    from .tasks import notifications_email

    try:
        notifications_email.enqueue(notification_ids)
    except Exception:
        logger.exception("Could not enqueue immediate emails; the retry job will send them")
        Notification.objects.filter(id__in=notification_ids, emailed_at__isnull=True).update(
            email_retry_at=timezone.now()
        )


@transaction.atomic
def notification_mark_read(*, actor: Person, notification: Notification) -> Notification:
    """Mark one of the actor's notifications as read."""
    if notification.recipient_id != actor.pk:
        raise PermissionError("not the recipient")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor: Person) -> int:
    """Mark every unread notification of the actor as read; return how many."""
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def notification_preferences_update(
    *, actor: Person, person: Person, choices: Mapping[str, str]
) -> None:
    """Store a person's delivery choice for each notification kind."""
    if actor.pk != person.pk:
        raise PermissionError("a person sets only their own preferences")
    for kind, delivery in choices.items():
        if kind not in NotificationKind.values or delivery not in Delivery.values:
            raise ValueError(f"unknown kind or delivery: {kind!r} {delivery!r}")
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(person=person, kind=k, delivery=d) for k, d in choices.items()],
        update_conflicts=True,
        unique_fields=["person", "kind"],
        update_fields=["delivery"],
    )


@transaction.atomic
def notifications_unsubscribe(*, person: Person, delivery: str) -> list[str]:
    """Stop the emails of one delivery (a digest or immediate) for a person; return the kinds."""
    from .selectors import preferences_for

    if delivery not in (Delivery.IMMEDIATE, Delivery.DAILY, Delivery.WEEKLY):
        raise ValueError(f"cannot unsubscribe from {delivery!r}")
    kinds = [kind for kind, value in preferences_for(person).items() if value == delivery]
    if kinds:
        NotificationPreference.objects.bulk_create(
            [NotificationPreference(person=person, kind=k, delivery=Delivery.NEVER) for k in kinds],
            update_conflicts=True,
            unique_fields=["person", "kind"],
            update_fields=["delivery"],
        )
    return kinds
