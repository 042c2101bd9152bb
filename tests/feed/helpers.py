"""Small builders for feed tests: circles, memberships, activities, notifications."""

from __future__ import annotations

from itertools import count

from essaim.circles.models import Circle, Membership, MembershipRole
from essaim.feed.models import Activity, Notification, NotificationKind, Verb
from essaim.people.models import Person

_seq = count(1)


def make_circle(name: str = "", **fields: object) -> Circle:
    n = next(_seq)
    return Circle.objects.create(name=name or f"Cercle {n}", slug=f"cercle-feed-{n}", **fields)


def join(person: Person, circle: Circle, role: str = MembershipRole.MEMBER) -> Membership:
    return Membership.objects.create(person=person, circle=circle, role=role)


def activities(circle: Circle, n: int, actor: Person | None = None) -> list[Activity]:
    return Activity.objects.bulk_create(
        [
            Activity(circle=circle, actor=actor, verb=Verb.THREAD_CREATED, summary=f"Sujet {i}")
            for i in range(n)
        ]
    )


def notifications(
    person: Person, n: int, kind: str = NotificationKind.NEW_THREAD, circle: Circle | None = None
) -> list[Notification]:
    return Notification.objects.bulk_create(
        [
            Notification(
                recipient=person, kind=kind, circle=circle, summary=f"Nouvelle {i}", url=f"/x/{i}/"
            )
            for i in range(n)
        ]
    )
