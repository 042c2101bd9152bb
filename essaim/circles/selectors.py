"""Reads for circles: lists the visitor may see, members, requests, invitations."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from essaim.people.models import fold

from .models import (
    Circle,
    CircleInvitation,
    InvitationStatus,
    JoinRequest,
    Membership,
    MembershipRole,
    RequestStatus,
    Visibility,
)
from .policies import circle_roles_of, is_circle_admin

MAX_SEARCH_WORDS = 6


def _visible_q(user: Any, prefix: str = "") -> Q:
    """Circles a user may see: not secret, or secret ones they belong to."""
    if is_circle_admin(user):
        return Q()
    mine = list(circle_roles_of(user))
    return ~Q(**{f"{prefix}visibility": Visibility.SECRET}) | Q(**{f"{prefix}pk__in": mine})


def circle_list_for_user(
    user: Any, *, query: str = "", parent: Circle | None = None, roots_only: bool = True
) -> QuerySet[Circle]:
    """Return the active circles the user may see, with their parent.

    Without a search, one level of the tree (the roots, or the children of ``parent``);
    with a search, matching circles at any level.
    """
    circles = Circle.objects.filter(_visible_q(user), archived_at__isnull=True)
    words = query.split()[:MAX_SEARCH_WORDS]
    for word in words:
        # Names only: matching descriptions too doubled the search time at 5,000 circles.
        circles = circles.filter(name__icontains=word)
    if parent is not None:
        circles = circles.filter(parent=parent)
    elif roots_only and not words:
        circles = circles.filter(parent__isnull=True)
    return circles.select_related("parent").order_by("name", "id")


def circle_child_counts(user: Any, parent_ids: list[int]) -> dict[int, int]:
    """Return how many visible active sub-circles each of these circles has, in one query.

    Counted for one page of circles only: a COUNT joined over the whole list made the
    search 50 ms at 5,000 circles.
    """
    if not parent_ids:
        return {}
    rows = (
        Circle.objects.filter(_visible_q(user), parent_id__in=parent_ids, archived_at__isnull=True)
        .order_by()
        .values("parent_id")
        .annotate(n=Count("id"))
        .values_list("parent_id", "n")
    )
    return {parent_id: n for parent_id, n in rows if parent_id is not None}


def my_memberships(user: Any) -> QuerySet[Membership]:
    """Return the user's memberships in active circles, with their circle."""
    if user is None or not user.is_authenticated:
        return Membership.objects.none()
    return (
        Membership.objects.filter(person__user=user, circle__archived_at__isnull=True)
        .select_related("circle", "circle__parent")
        .order_by("circle__name", "circle_id")
    )


def circle_children_for_user(user: Any, circle: Circle) -> QuerySet[Circle]:
    """Return the visible active sub-circles of a circle."""
    return Circle.objects.filter(
        _visible_q(user), parent=circle, archived_at__isnull=True
    ).order_by("name", "id")


def circle_members(*, circle: Circle, query: str = "") -> QuerySet[Membership]:
    """Return a circle's members with their person, by name."""
    members = Membership.objects.filter(circle=circle).select_related("person")
    for word in fold(query).split()[:MAX_SEARCH_WORDS]:
        members = members.filter(person__search_text__contains=word)
    # The order of the person name index: a big circle's first page walks that index
    # (7 ms for 3,700 members among 100k people) instead of sorting every member (66 ms).
    return members.order_by("person__family_name", "person__given_name", "person_id")


def circle_coordinators(*, circle: Circle, limit: int = 50) -> list[Membership]:
    """Return a circle's coordinators (a handful), sorted by name in Python.

    Sorted in SQL, PostgreSQL walks the whole person name index looking for them.
    """
    rows = list(
        Membership.objects.filter(circle=circle, role=MembershipRole.COORDINATOR)
        .select_related("person")
        .order_by("id")[:limit]
    )
    return sorted(rows, key=lambda m: (m.person.family_name, m.person.given_name, m.person_id))


def membership_get(*, circle: Circle, pk: int) -> Membership | None:
    return (
        Membership.objects.select_related("person", "circle").filter(circle=circle, pk=pk).first()
    )


def circle_pending_requests(*, circle: Circle) -> QuerySet[JoinRequest]:
    """Return the requests waiting for a decision, oldest first."""
    return (
        JoinRequest.objects.filter(circle=circle, status=RequestStatus.PENDING)
        .select_related("person")
        .order_by("created_at", "id")
    )


def join_request_pending_for(*, circle: Circle, user: Any) -> JoinRequest | None:
    if user is None or not user.is_authenticated:
        return None
    return JoinRequest.objects.filter(
        circle=circle, person__user=user, status=RequestStatus.PENDING
    ).first()


def circle_pending_invitations(*, circle: Circle) -> QuerySet[CircleInvitation]:
    return (
        CircleInvitation.objects.filter(circle=circle, status=InvitationStatus.PENDING)
        .select_related("invited_by")
        .order_by("-created_at", "-id")
    )


def invitation_get(*, code: str) -> CircleInvitation | None:
    return (
        CircleInvitation.objects.select_related("circle", "person", "invited_by")
        .filter(code=code)
        .first()
    )
