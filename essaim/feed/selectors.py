"""Reads for the activity stream, notifications and delivery preferences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from essaim.circles.models import Circle
from essaim.people.models import Person

from .models import (
    DEFAULT_DELIVERY,
    Activity,
    Notification,
    NotificationKind,
    NotificationPreference,
)

FEED_PAGE_SIZE = 20
NOTIFICATION_PAGE_SIZE = 30
# Past this many circles one IN query beats a union of per-circle index scans.
UNION_MAX_CIRCLES = 100
# The columns a feed item shows (templates/feed/_feed_item.html) or links with.
ACTIVITY_SHOWN = (
    "id",
    "verb",
    "summary",
    "url",
    "created_at",
    "thread_id",
    "circle__name",
    "circle__slug",
    "actor__given_name",
    "actor__family_name",
)


@dataclass
class Page:
    items: list
    next_before: int | None


def member_circles(person: Person) -> list[Circle]:
    """Return the circles a person belongs to, by name, in one query."""
    return list(
        Circle.objects.filter(memberships__person=person, archived_at__isnull=True)
        .only("id", "name", "slug")
        .order_by("name", "id")
    )


def _newest_ids(circle_ids: list[int], before: int | None, limit: int) -> Any:
    """The ids of the newest activities of these circles, as a subquery (no round trip)."""
    base = Activity.objects.all()
    if before is not None:
        base = base.filter(id__lt=before)
    if len(circle_ids) == 1 or len(circle_ids) > UNION_MAX_CIRCLES:
        return base.filter(circle_id__in=circle_ids).order_by("-id").values("id")[:limit]
    # Each arm walks the (circle, -id) index and stops after `limit` rows, so the cost
    # depends on the number of circles, never on how many activities they hold. Raw SQL:
    # the ORM refuses LIMIT inside the arms of a compound query on SQLite.
    table = connection.ops.quote_name(Activity._meta.db_table)
    condition = "circle_id = %s" + (" AND id < %s" if before is not None else "")
    # Only the quoted table name and fixed clauses are interpolated; values are parameters.
    arm = (
        f"SELECT * FROM (SELECT id FROM {table} WHERE {condition}"  # noqa: S608
        " ORDER BY id DESC LIMIT %s) AS a{}"
    )
    sql = " UNION ALL ".join(arm.format(i) for i in range(len(circle_ids)))
    params: list[int] = []
    for circle_id in circle_ids:
        params += [circle_id, before, limit] if before is not None else [circle_id, limit]
    query = f"SELECT id FROM ({sql}) AS u ORDER BY id DESC LIMIT %s"  # noqa: S608
    return RawSQL(query, [*params, limit])  # noqa: S611 - values are parameters


def feed_page(
    *, circle_ids: list[int], before: int | None = None, size: int = FEED_PAGE_SIZE
) -> Page:
    """Return one page of activities of these circles, newest first, before an id."""
    if not circle_ids:
        return Page(items=[], next_before=None)
    # One query: the newest ids are a subquery of the one that reads the rows.
    rows = list(
        Activity.objects.filter(id__in=_newest_ids(circle_ids, before, size + 1))
        .select_related("circle", "actor")
        # What a feed item shows, and no more: people and circles have wide rows.
        .only(*ACTIVITY_SHOWN)
        .order_by("-id")[: size + 1]
    )
    items = rows[:size]
    return Page(items=items, next_before=items[-1].pk if len(rows) > size else None)


def notification_page(
    *, person: Person, before: int | None = None, size: int = NOTIFICATION_PAGE_SIZE
) -> Page:
    """Return one page of a person's notifications, newest first, before an id."""
    rows = Notification.objects.filter(recipient=person).select_related("circle").order_by("-id")
    if before is not None:
        rows = rows.filter(id__lt=before)
    items = list(rows[: size + 1])
    more = len(items) > size
    items = items[:size]
    return Page(items=items, next_before=items[-1].pk if more and items else None)


def notification_get_for_person(*, person: Person, notification_id: int) -> Notification | None:
    """Return a notification only if it belongs to the person."""
    return Notification.objects.filter(recipient=person, pk=notification_id).first()


def person_with_unread_count(user: Any) -> Person | None:
    """Return the account's person with ``unread_count`` (the badge's number), in one query."""
    unread = (
        Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        Person.objects.filter(user=user)
        .annotate(unread_count=Coalesce(Subquery(unread, output_field=IntegerField()), 0))
        .first()
    )


def unread_count(person_id: int) -> int:
    """Count a person's unread notifications."""
    return Notification.objects.filter(recipient_id=person_id, read_at__isnull=True).count()


def unread_count_for_user(user_id: int) -> int:
    """Count the unread notifications of an account's person, in one query."""
    return Notification.objects.filter(recipient__user_id=user_id, read_at__isnull=True).count()


def preferences_for(person: Person) -> dict[str, str]:
    """Return each notification kind's delivery for a person (defaults filled in)."""
    chosen = dict(
        NotificationPreference.objects.filter(person=person).values_list("kind", "delivery")
    )
    return {kind: chosen.get(kind, DEFAULT_DELIVERY[kind]) for kind in NotificationKind.values}


def delivery_q(delivery: str, *, prefix: str = "") -> Q:
    """Match notifications whose recipient gets their kind by this delivery."""
    chosen = NotificationPreference.objects.filter(
        person_id=OuterRef(f"{prefix}recipient_id"), kind=OuterRef(f"{prefix}kind")
    )
    default_kinds = [kind for kind, value in DEFAULT_DELIVERY.items() if value == delivery]
    return Q(Exists(chosen.filter(delivery=delivery))) | (
        Q(**{f"{prefix}kind__in": default_kinds}) & ~Q(Exists(chosen))
    )


def pending_for_delivery(delivery: str) -> QuerySet[Notification]:
    """Return unread notifications not yet emailed that go out by this delivery."""
    return Notification.objects.filter(
        delivery_q(delivery), emailed_at__isnull=True, read_at__isnull=True
    )
