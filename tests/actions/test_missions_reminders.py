"""Day-before reminders: sent once, in batches, only to confirmed volunteers of tomorrow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from essaim.actions import missions
from essaim.actions.models import MissionSignup
from essaim.feed.scheduling import JOBS
from tests.actions.test_missions import make_mission
from tests.conftest import make_user_for_role

pytestmark = pytest.mark.django_db


def test_reminders_go_once_to_tomorrows_confirmed_volunteers(action_world):
    now = timezone.now()
    tomorrow = make_mission(
        action_world, key="members", role="Demain", capacity=3, starts_at=now + timedelta(hours=30)
    )
    later = make_mission(
        action_world, key="members", role="Plus tard", capacity=3, starts_at=now + timedelta(days=3)
    )
    soon = make_mission(
        action_world, key="members", role="Bientôt", capacity=3, starts_at=now + timedelta(hours=5)
    )
    users = [make_user_for_role("member") for _ in range(3)]
    for user in users:
        missions.mission_signup(actor=user, mission=tomorrow)
        missions.mission_signup(actor=user, mission=later)
        missions.mission_signup(actor=user, mission=soon)
    waiting_user = make_user_for_role("member")
    full = make_mission(
        action_world, key="members", role="Complet", capacity=1, starts_at=now + timedelta(hours=25)
    )
    missions.mission_signup(actor=users[0], mission=full)
    missions.mission_signup(actor=waiting_user, mission=full)
    mail.outbox.clear()
    assert missions.mission_reminders_send(batch_size=2) == 4
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [u.email for u in users] + [users[0].email]
    )
    assert all("Rappel" in m.subject for m in mail.outbox)
    assert "Demain" in mail.outbox[0].body or "Complet" in mail.outbox[0].body
    assert MissionSignup.objects.filter(reminded_at__isnull=False).count() == 4
    # Never twice.
    assert missions.mission_reminders_send() == 0
    assert len(mail.outbox) == 4


def test_failed_sending_is_retried(action_world, monkeypatch):
    mission = make_mission(action_world, capacity=1, starts_at=timezone.now() + timedelta(hours=26))
    missions.mission_signup(actor=action_world.users["member_a"], mission=mission)

    def broken(self, messages):
        raise OSError("serveur de messagerie indisponible")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", broken)
    assert missions.mission_reminders_send() == 0
    assert MissionSignup.objects.get().reminded_at is None
    monkeypatch.undo()
    assert missions.mission_reminders_send() == 1


def test_hourly_job_is_scheduled_and_runs(action_world):
    job = JOBS["mission_reminders"]
    assert job.hourly
    after = timezone.now()
    next_run = job.next_run(after)
    assert timedelta(0) < next_run - after <= timedelta(hours=1)
    mission = make_mission(action_world, capacity=1, starts_at=timezone.now() + timedelta(hours=26))
    missions.mission_signup(actor=action_world.users["member_a"], mission=mission)
    job.run()  # the immediate task backend runs it at once in tests
    assert len(mail.outbox) == 1
