"""The declared lifecycle of an action: allowed moves, history, cancellation reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from essaim.actions.models import ActionStatus, ActionTransition
from essaim.actions.policies import can_see_action
from essaim.actions.services import action_cancel, action_transition
from tests.actions.conftest import ActionWorld

pytestmark = pytest.mark.django_db


def test_each_move_is_recorded_with_who_and_when(action_world: ActionWorld) -> None:
    action = action_world.actions["circle"]
    coordinator = action_world.users["coordinator_a"]
    action = action_transition(actor=coordinator, action=action, target=ActionStatus.RUNNING)
    history = list(ActionTransition.objects.filter(action=action).order_by("id"))
    assert [(row.from_status, row.to_status) for row in history] == [
        ("", ActionStatus.DRAFT),
        (ActionStatus.DRAFT, ActionStatus.PREPARING),
        (ActionStatus.PREPARING, ActionStatus.RUNNING),
    ]
    assert history[-1].actor == action_world.person("coordinator_a")


def test_a_forbidden_move_changes_nothing(action_world: ActionWorld) -> None:
    action = action_world.actions["draft"]
    with pytest.raises(ValidationError, match="ne peut pas passer"):
        action_transition(actor=None, action=action, target=ActionStatus.EVALUATED)
    action.refresh_from_db()
    assert action.status == ActionStatus.DRAFT
    assert action.transitions.count() == 1


def test_cancel_needs_a_reason_and_is_refused_once_done(action_world: ActionWorld) -> None:
    action = action_world.actions["circle"]
    with pytest.raises(ValidationError):
        action_cancel(actor=None, action=action, reason="  ")
    action.refresh_from_db()
    assert action.status == ActionStatus.PREPARING
    cancelled = action_cancel(actor=None, action=action, reason="Orage annoncé")
    assert (cancelled.status, cancelled.cancel_reason) == (ActionStatus.CANCELLED, "Orage annoncé")
    done = action_world.actions["public"]
    for step in (ActionStatus.RUNNING, ActionStatus.DONE):
        done = action_transition(actor=None, action=done, target=step)
    with pytest.raises(ValidationError):
        action_cancel(actor=None, action=done, reason="Trop tard")


def test_visibility_rules(action_world: ActionWorld) -> None:
    users, actions = action_world.users, action_world.actions
    assert not can_see_action(users["member_a"], actions["draft"])
    assert can_see_action(users["coordinator_a"], actions["draft"])
    assert can_see_action(users["member_a"], actions["circle"])
    assert not can_see_action(users["member_b"], actions["circle"])
    assert can_see_action(users["member_b"], actions["members"])
    assert not can_see_action(users["anonymous"], actions["members"])
    assert can_see_action(users["anonymous"], actions["public"])
    # A public action of a secret circle stays hidden with its circle.
    assert not can_see_action(users["anonymous"], actions["secret"])
    assert can_see_action(users["admin"], actions["secret"])
