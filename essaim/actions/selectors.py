"""Reads for actions: lists the user may see, the action page, tasks and the calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from essaim.circles.models import Circle, Membership, Visibility
from essaim.circles.policies import circle_roles_of, coordinated_circle_ids, is_circle_admin
from essaim.people.models import Person

from .models import Action, ActionStatus, ActionTask, ActionTransition, ActionVisibility
from .policies import SHOWN

User = Any


def visible_actions_q(user: User) -> Q | None:
    """The filter of the actions a user may see (mirrors policies.can_see_action); None: all."""
    if is_circle_admin(user):
        return None
    member_of = list(circle_roles_of(user))
    coordinated = list(coordinated_circle_ids(user))
    circle_ok = ~Q(circle__visibility=Visibility.SECRET) | Q(circle_id__in=member_of)
    audience = Q(visibility=ActionVisibility.PUBLIC)
    if user is not None and user.is_authenticated:
        audience |= Q(visibility=ActionVisibility.MEMBERS)
        audience |= Q(visibility=ActionVisibility.CIRCLE, circle_id__in=member_of)
    return Q(circle_id__in=coordinated) | (circle_ok & Q(status__in=SHOWN) & audience)


def actions_for_user(
    user: User, *, circle: Circle | None = None, kind: str = "", status: str = ""
) -> QuerySet[Action]:
    """Return the actions the user may see, with their circle, optionally filtered."""
    actions = Action.objects.select_related("circle")
    rule = visible_actions_q(user)
    if rule is not None:
        actions = actions.filter(rule)
    if circle is not None:
        actions = actions.filter(circle=circle)
    if kind:
        actions = actions.filter(kind=kind)
    if status:
        actions = actions.filter(status=status)
    return actions


def upcoming(actions: QuerySet[Action], now: datetime | None = None) -> QuerySet[Action]:
    """Actions not yet over, soonest first."""
    return actions.filter(ends_at__gte=now or timezone.now()).order_by("starts_at", "id")


def past(actions: QuerySet[Action], now: datetime | None = None) -> QuerySet[Action]:
    """Actions already over, latest first."""
    return actions.filter(ends_at__lt=now or timezone.now()).order_by("-starts_at", "-id")


def circle_upcoming_actions(user: User, circle: Circle, limit: int = 5) -> list[Action]:
    """The next few actions of a circle the user may see, for the circle page."""
    return list(upcoming(actions_for_user(user, circle=circle))[:limit])


class CalendarEntry(NamedTuple):
    """What a calendar cell shows of an action."""

    id: int
    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str


def actions_in_range(
    user: User, *, start: datetime, end: datetime, circle: Circle | None = None
) -> list[CalendarEntry]:
    """Actions the user may see that overlap [start, end), for the month calendar.

    Only what a calendar cell shows is read, as plain rows: a national network has
    thousands of actions in six weeks, and model instances with their circle made the
    page ten times slower.
    """
    rows = (
        actions_for_user(user, circle=circle)
        .select_related(None)
        .filter(starts_at__lt=end, ends_at__gte=start)
        .exclude(status=ActionStatus.CANCELLED)
        .order_by("starts_at", "id")
        .values_list("id", "slug", "title", "starts_at", "ends_at", "status")
    )
    return [CalendarEntry(*row) for row in rows]


def action_page_data(action: Action) -> dict[str, Any]:
    """Objectives, tasks (with their assignee) and history of an action, in three queries."""
    return {
        "objectives": list(action.objectives.all()),
        "tasks": list(action.tasks.select_related("assignee")),
        "transitions": list(
            ActionTransition.objects.filter(action=action).select_related("actor").order_by("id")
        ),
    }


def task_get(action: Action, pk: int) -> ActionTask | None:
    return action.tasks.select_related("assignee").filter(pk=pk).first()


def open_tasks_of(person_id: int | None) -> QuerySet[ActionTask]:
    """A person's tasks not yet done, across actions, by due date (undated last)."""
    if person_id is None:
        return ActionTask.objects.none()
    return (
        ActionTask.objects.filter(assignee_id=person_id, done_at__isnull=True)
        .exclude(action__status__in=(ActionStatus.CANCELLED, ActionStatus.EVALUATED))
        .select_related("action", "action__circle")
        .order_by(F("due_on").asc(nulls_last=True), "id")
    )


def assignable_members(*, circle: Circle, query: str = "", limit: int = 100) -> list[Person]:
    """Members of the circle a task may be given to, by name, narrowed by a search."""
    from essaim.circles.selectors import circle_members

    return [m.person for m in circle_members(circle=circle, query=query)[:limit]]


def is_assignable(circle: Circle, person_id: int) -> Person | None:
    membership = (
        Membership.objects.select_related("person")
        .filter(circle=circle, person_id=person_id)
        .first()
    )
    return membership.person if membership else None
