"""Many volunteers rushing for a few places: the mission never takes more than its capacity."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from essaim.actions import missions
from essaim.actions.models import Action, MissionSignup, Registration, SignupStatus
from tests.actions.conftest import build_action_world
from tests.conftest import make_user_for_role

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

RUSH = 24


def _rush(target, users) -> dict[str, int]:
    start = threading.Barrier(len(users))
    outcome = {"ok": 0, "refused": 0}
    lock = threading.Lock()

    def run(user) -> None:
        try:
            start.wait(10)
            target(user)
            with lock:
                outcome["ok"] += 1
        except Exception:
            with lock:
                outcome["refused"] += 1
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(user,)) for user in users]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    return outcome


def test_concurrent_signups_never_exceed_capacity():
    world = build_action_world()
    action = world.actions["members"]
    mission = missions.mission_create(
        actor=world.users["admin"],
        action=action,
        data={
            "role": "Accueil",
            "starts_at": action.starts_at,
            "ends_at": action.starts_at + timedelta(hours=2),
            "capacity": 5,
        },
    )
    users = [make_user_for_role("member") for _ in range(RUSH)]
    outcome = _rush(lambda user: missions.mission_signup(actor=user, mission=mission), users)
    assert outcome == {"ok": RUSH, "refused": 0}
    mission.refresh_from_db()
    assert mission.confirmed_count == 5
    assert MissionSignup.objects.filter(mission=mission, status=SignupStatus.CONFIRMED).count() == 5
    assert MissionSignup.objects.filter(mission=mission, status=SignupStatus.WAITING).count() == (
        RUSH - 5
    )


def test_concurrent_withdrawals_promote_each_waiting_person_once():
    world = build_action_world()
    action = world.actions["members"]
    mission = missions.mission_create(
        actor=world.users["admin"],
        action=action,
        data={
            "role": "Accueil",
            "starts_at": action.starts_at,
            "ends_at": action.starts_at + timedelta(hours=2),
            "capacity": 5,
        },
    )
    users = [make_user_for_role("member") for _ in range(10)]
    signups = {u.pk: missions.mission_signup(actor=u, mission=mission) for u in users}
    confirmed = [u for u in users if signups[u.pk].status == SignupStatus.CONFIRMED]
    outcome = _rush(
        lambda user: missions.mission_withdraw(actor=user, signup=signups[user.pk]), confirmed
    )
    assert outcome["ok"] == 5
    mission.refresh_from_db()
    assert mission.confirmed_count == 5
    assert MissionSignup.objects.filter(mission=mission, status=SignupStatus.CONFIRMED).count() == 5
    assert not MissionSignup.objects.filter(mission=mission, status=SignupStatus.WAITING).exists()


def test_concurrent_registrations_respect_the_action_capacity():
    world = build_action_world()
    action = world.actions["members"]
    Action.objects.filter(pk=action.pk).update(capacity=3)
    action.refresh_from_db()
    users = [make_user_for_role("member") for _ in range(12)]
    outcome = _rush(lambda user: missions.registration_create(actor=user, action=action), users)
    assert outcome == {"ok": 3, "refused": 9}
    action.refresh_from_db()
    assert action.registered_count == 3
    assert Registration.objects.filter(action=action, status="confirmed").count() == 3
