"""Races on the lifecycle: two coordinators pressing the same button at the same instant."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from essaim.actions.models import ActionStatus, ActionTransition
from essaim.actions.services import action_cancel, action_transition, action_url
from essaim.feed.models import Activity, Verb
from tests.actions.conftest import build_action_world

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _race(first: Callable[[], object], second: Callable[[], object]) -> dict[str, str]:
    """Run ``first`` holding its transaction open a moment, and ``second`` meanwhile."""
    holding = threading.Event()
    outcome: dict[str, str] = {}

    def run(name: str, work: Callable[[], object], hold: bool) -> None:
        try:
            if hold:
                with transaction.atomic():
                    work()
                    holding.set()
                    time.sleep(0.5)
            else:
                holding.wait(5)
                work()
            outcome[name] = "ok"
        except ValidationError as error:
            outcome[name] = error.messages[0]
        finally:
            holding.set()
            connections.close_all()

    workers = [
        threading.Thread(target=run, args=("first", first, True)),
        threading.Thread(target=run, args=("second", second, False)),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(15)
    return outcome


def test_two_announcements_at_once_announce_once() -> None:
    world = build_action_world()
    draft = world.actions["draft"]
    coordinator, admin = world.users["coordinator_a"], world.users["admin"]
    outcome = _race(
        lambda: action_transition(actor=coordinator, action=draft, target=ActionStatus.PREPARING),
        lambda: action_transition(actor=admin, action=draft, target=ActionStatus.PREPARING),
    )
    assert outcome["first"] == "ok"
    assert "ne peut pas passer" in outcome["second"]
    draft.refresh_from_db()
    assert draft.status == ActionStatus.PREPARING
    assert ActionTransition.objects.filter(action=draft, to_status="preparing").count() == 1
    assert Activity.objects.filter(verb=Verb.ACTION_ANNOUNCED, url=action_url(draft)).count() == 1


def test_cancel_racing_the_start_one_wins_cleanly() -> None:
    world = build_action_world()
    action = world.actions["circle"]
    coordinator, admin = world.users["coordinator_a"], world.users["admin"]
    outcome = _race(
        lambda: action_transition(actor=coordinator, action=action, target=ActionStatus.RUNNING),
        lambda: action_cancel(actor=admin, action=action, reason="Orage"),
    )
    # Running may still be cancelled: both moves happen, one after the other, in order.
    assert outcome == {"first": "ok", "second": "ok"}
    history = list(
        ActionTransition.objects.filter(action=action)
        .order_by("id")
        .values_list("to_status", flat=True)
    )
    assert history[-2:] == [ActionStatus.RUNNING, ActionStatus.CANCELLED]
    action.refresh_from_db()
    assert (action.status, action.cancel_reason) == (ActionStatus.CANCELLED, "Orage")
