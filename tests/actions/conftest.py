"""The circle world of tests/circles plus actions in every visibility and status.

Circle A (private) is coordinated by ``coordinator_a`` and has ``member_a``; ``member_b``
belongs to circle B; ``member`` belongs to no circle; the secret circle has one action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from essaim.actions.models import Action, ActionStatus, ActionVisibility
from essaim.actions.services import action_create, action_transition
from tests.circles.conftest import CIRCLE_ROLES, World, build_world

__all__ = ["CIRCLE_ROLES", "ActionWorld", "build_action_world", "make_action"]


@dataclass
class ActionWorld(World):
    actions: dict[str, Action] = field(default_factory=dict)


def make_action(
    world: World,
    *,
    circle: str = "a",
    title: str = "Maraude du jeudi",
    status: str = ActionStatus.PREPARING,
    visibility: str = ActionVisibility.CIRCLE,
    days: int = 7,
    **fields: Any,
) -> Action:
    """Create an action in a circle (as the admin) and move it to ``status``."""
    admin = world.users["admin"]
    starts = timezone.now() + timedelta(days=days)
    action = action_create(
        actor=admin,
        circle=world.circles[circle],
        title=title,
        kind=fields.pop("kind", "street"),
        starts_at=fields.pop("starts_at", starts),
        ends_at=fields.pop("ends_at", starts + timedelta(hours=3)),
        visibility=visibility,
        **fields,
    )
    path = {
        ActionStatus.DRAFT: [],
        ActionStatus.PREPARING: [ActionStatus.PREPARING],
        ActionStatus.RUNNING: [ActionStatus.PREPARING, ActionStatus.RUNNING],
        ActionStatus.DONE: [ActionStatus.PREPARING, ActionStatus.RUNNING, ActionStatus.DONE],
        ActionStatus.EVALUATED: [
            ActionStatus.PREPARING,
            ActionStatus.RUNNING,
            ActionStatus.DONE,
            ActionStatus.EVALUATED,
        ],
    }[status]
    for step in path:
        action = action_transition(actor=admin, action=action, target=step)
    return action


def build_action_world() -> ActionWorld:
    base = build_world()
    world = ActionWorld(**vars(base))
    world.actions = {
        "draft": make_action(world, title="Brouillon A", status=ActionStatus.DRAFT),
        "circle": make_action(world, title="Action du cercle A"),
        "members": make_action(
            world, title="Action du réseau", visibility=ActionVisibility.MEMBERS
        ),
        "public": make_action(world, title="Action publique", visibility=ActionVisibility.PUBLIC),
        "secret": make_action(
            world, circle="secret", title="Action secrète", visibility=ActionVisibility.PUBLIC
        ),
    }
    return world


@pytest.fixture
def action_world(db: Any) -> ActionWorld:
    return build_action_world()
