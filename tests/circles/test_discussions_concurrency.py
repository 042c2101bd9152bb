"""Races: a reply against a thread lock; moderators hiding, dismissing and un-hiding at once."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from essaim.circles import discussions
from essaim.circles.models import Message, ReportStatus, Thread
from essaim.core.models import AuditLog
from tests.circles.discussion_world import build_world

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_reply_waits_for_a_lock_in_progress_and_is_refused():
    world = build_world("private")
    count = Message.objects.count()
    locked_row = threading.Event()
    outcome: dict[str, object] = {}

    def lock_thread() -> None:
        try:
            with transaction.atomic():
                thread = Thread.objects.select_for_update().get(pk=world.thread.pk)
                locked_row.set()
                time.sleep(0.5)  # the reply arrives while the row is held
                thread.locked = True
                thread.save(update_fields=["locked"])
        finally:
            connections.close_all()

    def reply() -> None:
        locked_row.wait(5)
        try:
            discussions.message_post(
                actor=world.users["member"], thread=world.thread, body="Vite !"
            )
            outcome["result"] = "posted"
        except ValidationError as error:
            outcome["result"] = error.messages[0]
        finally:
            connections.close_all()

    workers = [threading.Thread(target=lock_thread), threading.Thread(target=reply)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert outcome["result"] == "Cette discussion est verrouillée : on ne peut plus y répondre."
    assert Message.objects.count() == count


def _race(first, second) -> dict[str, object]:
    """Run ``first`` holding its transaction open a moment, and ``second`` meanwhile."""
    holding = threading.Event()
    outcome: dict[str, object] = {}

    def run_first() -> None:
        try:
            with transaction.atomic():
                first()
                holding.set()
                time.sleep(0.5)  # the other moderator acts while this is uncommitted
        finally:
            holding.set()
            connections.close_all()

    def run_second() -> None:
        holding.wait(5)
        try:
            second()
            outcome["second"] = "done"
        except ValidationError as error:
            outcome["second"] = error.messages[0]
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    return outcome


def test_hiding_waits_for_a_dismissal_in_progress_and_leaves_it_dismissed():
    world = build_world("private")
    report = discussions.message_report(
        actor=world.users["member"], message=world.first_message, reason="Spam"
    )
    outcome = _race(
        lambda: discussions.report_dismiss(actor=world.users["admin"], report=report, note="Vu"),
        lambda: discussions.message_hide(
            actor=world.users["coordinator"], message=world.first_message, reason="Spam"
        ),
    )
    assert outcome["second"] == "done"
    report.refresh_from_db()
    assert report.status == ReportStatus.DISMISSED
    assert report.resolution_note == "Vu"
    log = AuditLog.objects.get(action="circles.message_hide", target_id=str(world.first_message.pk))
    assert "reports" not in log.details  # the dismissed report was not counted as closed by hiding


def test_dismissing_waits_for_a_hide_in_progress_and_is_refused():
    world = build_world("private")
    report = discussions.message_report(
        actor=world.users["member"], message=world.first_message, reason="Spam"
    )
    outcome = _race(
        lambda: discussions.message_hide(
            actor=world.users["coordinator"], message=world.first_message, reason="Spam"
        ),
        lambda: discussions.report_dismiss(actor=world.users["admin"], report=report, note="Vu"),
    )
    assert str(outcome["second"]).startswith("Ce signalement est déjà traité")
    report.refresh_from_db()
    assert report.status == ReportStatus.HIDDEN
    assert report.resolution_note == ""
    assert not AuditLog.objects.filter(action="circles.report_dismiss").exists()


def test_two_moderators_unhiding_at_once_leave_one_audit_row():
    world = build_world("private")
    outcome = _race(
        lambda: discussions.message_unhide(
            actor=world.users["coordinator"], message=world.hidden_message
        ),
        lambda: discussions.message_unhide(
            actor=world.users["admin"], message=world.hidden_message
        ),
    )
    assert outcome["second"] == "Ce message n'est pas masqué : il est déjà visible par les membres."
    assert AuditLog.objects.filter(action="circles.message_unhide").count() == 1
