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
from .policies import circle_roles_of, coordinated_circle_ids, is_circle_admin

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


# --- Parent circle picker -------------------------------------------------------------

PARENT_SUGGESTIONS = 20
# How many look-alikes an "ambiguous" message names before "…".
PARENT_AMBIGUOUS_SHOWN = 5


def parent_candidates_for_user(
    user: Any, *, circle: Circle | None = None, is_admin: bool | None = None
) -> QuerySet[Circle]:
    """Return the active circles the user may put a circle under (never the circle itself).

    Administrators: every active circle they see; coordinators: the circles they
    coordinate, plus the circle's current parent when editing (kept even if not theirs).
    """
    circles = Circle.objects.filter(_visible_q(user), archived_at__isnull=True)
    admin = is_circle_admin(user) if is_admin is None else is_admin
    if not admin:
        allowed = coordinated_circle_ids(user)
        if circle is not None and circle.parent_id:
            allowed.add(circle.parent_id)
        circles = circles.filter(pk__in=allowed)
    if circle is not None and circle.pk:
        circles = circles.exclude(pk=circle.pk)
    return circles.select_related("parent").order_by("name", "id")


def _normalise(text: str) -> str:
    return " ".join(text.split())


def parent_suggestions(
    candidates: QuerySet[Circle], text: str, *, limit: int = PARENT_SUGGESTIONS + 1
) -> list[Circle]:
    """Return at most ``limit`` candidates whose name or address holds every word typed."""
    words = _normalise(text).split()[:MAX_SEARCH_WORDS]
    if not words:
        return []
    matches = candidates
    for word in words:
        matches = matches.filter(Q(name__icontains=word) | Q(slug__icontains=word))
    return list(matches[:limit])


def parent_resolve(candidates: QuerySet[Circle], text: str) -> tuple[Circle | None, list[Circle]]:
    """Find the one circle a typed name or address designates.

    Return (circle, []) when exactly one matches, else (None, look-alikes): several
    look-alikes mean the text is ambiguous, none that nothing matches. An exact address
    wins, then an exact name, then a single circle whose name holds every word.
    """
    text = _normalise(text)
    if not text:
        return None, []
    by_slug = candidates.filter(slug=text.lower()).first()
    if by_slug is not None:
        return by_slug, []
    limit = PARENT_AMBIGUOUS_SHOWN + 1
    same_name = list(candidates.filter(name__iexact=text)[:limit])
    if len(same_name) == 1:
        return same_name[0], []
    if same_name:
        return None, same_name
    partial = candidates
    for word in text.split()[:MAX_SEARCH_WORDS]:
        partial = partial.filter(name__icontains=word)
    close = list(partial[:limit])
    if len(close) == 1:
        return close[0], []
    return None, close
