"""Reads for missions, registrations, check-in and calendars (joins applied, counts constant)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from essaim.circles.models import Circle, Membership
from essaim.circles.policies import can_manage_circle, can_see_circle, is_circle_member
from essaim.people.models import Person

from .models import (
    ANNOUNCED,
    Action,
    ActionVisibility,
    CalendarFeed,
    Mission,
    MissionSignup,
    Registration,
    RegistrationStatus,
    SignupStatus,
)
from .policies import SHOWN


def _waiting_ahead() -> Subquery:
    """How many people wait before a sign-up on its mission (0 for the first in line)."""
    ahead = (
        MissionSignup.objects.filter(mission_id=OuterRef("mission_id"), status=SignupStatus.WAITING)
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id"))
        )
        .order_by()
        .values("mission_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Subquery(ahead, output_field=IntegerField())


def with_position(signups: QuerySet[MissionSignup]) -> QuerySet[MissionSignup]:
    return signups.annotate(ahead=Coalesce(_waiting_ahead(), Value(0)))


@dataclass
class MissionRow:
    mission: Mission
    signup: MissionSignup | None
    waiting: int

    @property
    def places_left(self) -> int:
        return max(0, self.mission.capacity - self.mission.confirmed_count)

    @property
    def position(self) -> int | None:
        if self.signup is None or self.signup.status != SignupStatus.WAITING:
            return None
        return int(getattr(self.signup, "ahead", 0)) + 1


def mission_rows(action: Action, person: Person | None) -> list[MissionRow]:
    """The action's missions with the person's own sign-up and the queue length (3 queries)."""
    missions = list(
        Mission.objects.filter(action=action).annotate(
            waiting_count=Count("signups", filter=Q(signups__status=SignupStatus.WAITING))
        )
    )
    mine: dict[int, MissionSignup] = {}
    if person is not None and missions:
        mine = {
            s.mission_id: s
            for s in with_position(
                MissionSignup.objects.filter(
                    mission__action=action,
                    person=person,
                    status__in=(SignupStatus.CONFIRMED, SignupStatus.WAITING),
                )
            )
        }
    return [
        MissionRow(mission=m, signup=mine.get(m.pk), waiting=getattr(m, "waiting_count", 0))
        for m in missions
    ]


def registration_for(action: Action, person: Person | None) -> Registration | None:
    if person is None:
        return None
    return (
        Registration.objects.filter(action=action, person=person)
        .exclude(status=RegistrationStatus.CANCELLED)
        .first()
    )


def mission_get(action: Action, mission_id: int) -> Mission | None:
    return (
        Mission.objects.select_related("action", "action__circle")
        .filter(action=action, pk=mission_id)
        .first()
    )


def my_missions(person: Person) -> QuerySet[MissionSignup]:
    """The person's missions still to come (or under way), confirmed or waiting, soonest first."""
    return with_position(
        MissionSignup.objects.filter(
            person=person,
            status__in=(SignupStatus.CONFIRMED, SignupStatus.WAITING),
            mission__ends_at__gte=timezone.now(),
            mission__action__status__in=ANNOUNCED,
        )
        .select_related("mission", "mission__action", "mission__action__circle")
        .order_by("mission__starts_at", "id")
    )


def checkin_registrations(action: Action) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(action=action, status=RegistrationStatus.CONFIRMED)
        .select_related("person")
        .order_by("person__family_name", "person__given_name", "id")
    )


def checkin_signups(action: Action) -> QuerySet[MissionSignup]:
    return (
        MissionSignup.objects.filter(mission__action=action, status=SignupStatus.CONFIRMED)
        .select_related("person", "mission")
        .order_by("mission__starts_at", "mission_id", "person__family_name", "id")
    )


def checkin_counts(action: Action) -> dict[str, int]:
    """Present and expected people, participants and volunteers (2 queries)."""
    registrations = Registration.objects.filter(
        action=action, status=RegistrationStatus.CONFIRMED
    ).aggregate(total=Count("id"), present=Count("id", filter=Q(attended=True)))
    signups = MissionSignup.objects.filter(
        mission__action=action, status=SignupStatus.CONFIRMED
    ).aggregate(total=Count("id"), present=Count("id", filter=Q(attended=True)))
    return {
        "participants": registrations["total"],
        "participants_present": registrations["present"],
        "volunteers": signups["total"],
        "volunteers_present": signups["present"],
        "total": registrations["total"] + signups["total"],
        "present": registrations["present"] + signups["present"],
    }


def feed_by_token(token: str) -> CalendarFeed | None:
    return (
        CalendarFeed.objects.select_related("person", "person__user", "circle")
        .filter(token=token)
        .first()
    )


def feed_missions(person: Person) -> QuerySet[MissionSignup]:
    """Confirmed missions for a personal calendar (the last 90 days and what is to come)."""
    since = timezone.now() - timedelta(days=90)
    return (
        MissionSignup.objects.filter(
            person=person,
            status=SignupStatus.CONFIRMED,
            mission__ends_at__gte=since,
            # Past missions stay in the calendar; a cancelled action's ones show as cancelled.
            mission__action__status__in=SHOWN,
        )
        .select_related("mission", "mission__action")
        .order_by("mission__starts_at", "id")
    )


def feed_actions(user: Any, circle: Circle) -> QuerySet[Action] | None:
    """A circle's announced actions this user may see, or None when the circle is hidden now."""
    if user is None or not can_see_circle(user, circle):
        return None
    since = timezone.now() - timedelta(days=90)
    # Past actions stay in the calendar; cancelled ones are sent as cancelled events.
    actions = Action.objects.filter(circle=circle, status__in=SHOWN, ends_at__gte=since).order_by(
        "starts_at", "id"
    )
    if not (can_manage_circle(user, circle) or is_circle_member(user, circle)):
        actions = actions.filter(visibility__in=(ActionVisibility.MEMBERS, ActionVisibility.PUBLIC))
    return actions


def calendar_feeds_for(person: Person) -> dict[int | None, CalendarFeed]:
    return {f.circle_id: f for f in CalendarFeed.objects.filter(person=person)}


def my_circles(person: Person) -> list[Circle]:
    return [
        m.circle
        for m in Membership.objects.filter(person=person, circle__archived_at__isnull=True)
        .select_related("circle")
        .order_by("circle__name")
    ]
