"""Who may see, join and manage an action: the one door to actions.

An action's circle decides first (a secret circle's actions do not exist for outsiders),
then its visibility and status: drafts are for the circle's coordinators; circle actions
for its members; "members" actions for everyone signed in; public actions for everyone.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from essaim.circles.policies import (
    can_manage_circle,
    can_see_circle,
    is_circle_admin,
    is_circle_member,
)

from .models import Action, ActionStatus, ActionVisibility

User = Any  # an authenticated User or AnonymousUser

# Statuses everyone allowed by the visibility sees; a draft is for its organisers only.
SHOWN = frozenset(
    {
        ActionStatus.PREPARING,
        ActionStatus.RUNNING,
        ActionStatus.DONE,
        ActionStatus.EVALUATED,
        ActionStatus.CANCELLED,
    }
)


def can_manage_action(user: User, action: Action) -> bool:
    """Coordinators of the action's circle and administrators prepare, run and evaluate it."""
    return can_manage_circle(user, action.circle)


def can_see_action(user: User, action: Action) -> bool:
    circle = action.circle
    if not can_see_circle(user, circle):
        return False
    if can_manage_action(user, action):
        return True
    if action.status not in SHOWN:
        return False
    if action.visibility == ActionVisibility.PUBLIC:
        return True
    if user is None or not user.is_authenticated:
        return False
    if action.visibility == ActionVisibility.MEMBERS:
        return True
    return is_circle_member(user, circle) or is_circle_admin(user)


def is_public(action: Action) -> bool:
    """Whether the action has a public page (sign-up form for people without an account)."""
    return action.visibility == ActionVisibility.PUBLIC and action.status in SHOWN


def get_action_for_user(user: User, slug: str) -> Action:
    """Return the action the user may see, or raise Http404 (same answer as a wrong address)."""
    action = Action.objects.select_related("circle", "circle__parent").filter(slug=slug).first()
    if action is None or not can_see_action(user, action):
        raise Http404
    return action


def get_managed_action(user: User, slug: str) -> Action:
    """Return an action the user manages: 404 when they may not see it, 403 when only see it."""
    action = get_action_for_user(user, slug)
    if not can_manage_action(user, action):
        raise PermissionDenied
    return action
