"""Who may see, read, join and manage a circle: the one door to circles.

A person's circle roles are read once per request (one query for all their circles)
and cached on the user object, like staff roles in :mod:`essaim.accounts.policies`.
"""

from __future__ import annotations

from typing import Any, cast

from django.http import Http404

from essaim.accounts.models import Role
from essaim.accounts.policies import roles_of

from .models import Circle, CircleInvitation, JoinPolicy, Membership, MembershipRole, Visibility

User = Any  # an authenticated User or AnonymousUser


def is_circle_admin(user: User) -> bool:
    """Administrators see and manage every circle, secret ones included."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_superuser or Role.ADMIN in roles_of(user))


def circle_roles_of(user: User) -> dict[int, str]:
    """Return {circle id: role} for the user's memberships, read once per request."""
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(user, "_essaim_circle_roles", None)
    if cached is None:
        cached = dict(Membership.objects.filter(person__user=user).values_list("circle_id", "role"))
        user._essaim_circle_roles = cached
    return cast(dict[int, str], cached)


def forget_circle_roles(user: User) -> None:
    """Drop the cached circle roles after the user joined, left or changed role."""
    if user is not None and hasattr(user, "_essaim_circle_roles"):
        del user._essaim_circle_roles


def circle_role(user: User, circle: Circle) -> str | None:
    return circle_roles_of(user).get(circle.pk)


def is_circle_member(user: User, circle: Circle) -> bool:
    return circle_role(user, circle) is not None


def can_see_circle(user: User, circle: Circle) -> bool:
    """A secret circle exists only for its members and administrators."""
    if circle.visibility != Visibility.SECRET:
        return True
    return is_circle_member(user, circle) or is_circle_admin(user)


def visible_parent(user: User, circle: Circle) -> Circle | None:
    """The circle's parent, unless it is a secret circle the user may not know about."""
    parent = circle.parent if circle.parent_id else None
    return parent if parent is not None and can_see_circle(user, parent) else None


def get_circle_for_user(user: User, slug: str) -> Circle:
    """Return the circle the user may see, or raise Http404 (same answer as a wrong address)."""
    circle = Circle.objects.select_related("parent").filter(slug=slug).first()
    if circle is None or not can_see_circle(user, circle):
        raise Http404
    return circle


def can_read_circle_content(user: User, circle: Circle) -> bool:
    """Public content is for everyone; private and secret content for members and admins."""
    if circle.visibility == Visibility.PUBLIC:
        return True
    return is_circle_member(user, circle) or is_circle_admin(user)


def can_see_members(user: User, circle: Circle) -> bool:
    # Names of members are personal data: even in a public circle only its members see them.
    return is_circle_member(user, circle) or is_circle_admin(user)


def can_manage_circle(user: User, circle: Circle) -> bool:
    """Coordinators of the circle and administrators manage members, requests and settings."""
    return circle_role(user, circle) == MembershipRole.COORDINATOR or is_circle_admin(user)


def coordinated_circle_ids(user: User) -> set[int]:
    return {pk for pk, role in circle_roles_of(user).items() if role == MembershipRole.COORDINATOR}


def can_create_circle(user: User, parent: Circle | None = None) -> bool:
    """Admins create any circle; coordinators create sub-circles of the circles they coordinate."""
    if is_circle_admin(user):
        return True
    if parent is None:
        return False
    return circle_role(user, parent) == MembershipRole.COORDINATOR


def can_create_some_circle(user: User) -> bool:
    return is_circle_admin(user) or bool(coordinated_circle_ids(user))


def can_join(user: User, circle: Circle) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and circle.archived_at is None
        and circle.join_policy == JoinPolicy.OPEN
        and not is_circle_member(user, circle)
    )


def can_request_to_join(user: User, circle: Circle) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and circle.archived_at is None
        and circle.join_policy == JoinPolicy.REQUEST
        and not is_circle_member(user, circle)
    )


def is_invited_person(user: User, invitation: CircleInvitation) -> bool:
    """Only the person the invitation was sent to may answer it."""
    if user is None or not user.is_authenticated:
        return False
    if invitation.person is not None and invitation.person.user_id == user.pk:
        return True
    return bool(user.email) and user.email.lower() == invitation.email.lower()
