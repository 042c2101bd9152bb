"""Immediate emails that fail are retried by a periodic job: backed off, capped, never twice."""

from __future__ import annotations

import logging
import smtplib
import threading
import time as clock
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks import default_task_backend

from essaim.feed import digests, tasks
from essaim.feed.digests import EMAIL_MAX_ATTEMPTS, RETRY_DELAYS, retry_failed_immediate
from essaim.feed.models import Notification, NotificationKind, NotificationPreference
from essaim.feed.scheduling import JOBS, PARIS, due_jobs
from essaim.feed.services import notifications_create
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db

IMMEDIATE_KIND = NotificationKind.MENTION  # by email at once, by default
FAILING = "tests.feed.test_retries.FailingBackend"
UNREACHABLE = "tests.feed.test_retries.UnreachableBackend"
WORKING = "django.core.mail.backends.locmem.EmailBackend"


class FailingBackend(EmailBackend):
    """The mail server answers, then refuses every message."""

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPException("451 try again later")


class UnreachableBackend(EmailBackend):
    """The mail server cannot even be reached."""

    def open(self):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPConnectError(421, "connection refused")


def _person(**kw):
    return PersonFactory(email=f"r{PersonFactory._meta.next_sequence()}@exemple.org", **kw)


def _mention(person) -> Notification:
    """Create a mention with the mail server down: its first email fails at once."""
    return notifications_create(
        recipients=[person], kind=IMMEDIATE_KIND, summary="Camille vous mentionne", url="/d/1/"
    )[0]


def _mention_failed(settings, django_capture_on_commit_callbacks, person) -> Notification:
    settings.EMAIL_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        note = _mention(person)
    note.refresh_from_db()
    return note


def test_failed_email_is_retried_once_the_server_is_back(
    settings, django_capture_on_commit_callbacks
):
    person = _person()
    before = timezone.now()
    note = _mention_failed(settings, django_capture_on_commit_callbacks, person)
    assert mail.outbox == []
    assert note.emailed_at is None and note.email_failures == 1
    assert note.email_retry_at is not None
    assert before + RETRY_DELAYS[0] <= note.email_retry_at <= timezone.now() + RETRY_DELAYS[0]
    settings.EMAIL_BACKEND = WORKING
    # Not due yet: the job waits for the delay.
    assert retry_failed_immediate() == 0
    later = timezone.now() + RETRY_DELAYS[0] + timedelta(seconds=1)
    assert retry_failed_immediate(now=later) == 1
    assert retry_failed_immediate(now=later) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [person.email]
    assert "Camille vous mentionne" in mail.outbox[0].body
    note.refresh_from_db()
    assert note.emailed_at is not None and note.email_retry_at is None
    # Later moved to the daily digest: the digest does not repeat what already left.
    NotificationPreference.objects.create(person=person, kind=IMMEDIATE_KIND, delivery="daily")
    assert digests.send_for(delivery="daily", recipient_ids=[person.pk]) == 0
    assert len(mail.outbox) == 1


def test_retries_back_off_then_stop_after_the_last_attempt(
    settings, django_capture_on_commit_callbacks, caplog
):
    person = _person()
    note = _mention_failed(settings, django_capture_on_commit_callbacks, person)
    waits = [note.email_retry_at - timezone.now()]  # type: ignore[operator]
    with caplog.at_level(logging.ERROR, logger="essaim.feed.digests"):
        for attempt in range(2, EMAIL_MAX_ATTEMPTS + 1):
            assert note.email_retry_at is not None
            assert retry_failed_immediate(now=note.email_retry_at) == 0
            note.refresh_from_db()
            assert note.email_failures == attempt
            if note.email_retry_at is not None:
                waits.append(note.email_retry_at - timezone.now())
    # Each failure waits longer before the next try: 5 min, 15 min, 1 h, 4 h.
    assert waits == pytest.approx(list(RETRY_DELAYS), abs=timedelta(seconds=5))
    # Given up: no further try, no later digest either, and the log says so.
    assert note.email_retry_at is None and note.emailed_at is not None
    assert "Gave up emailing notifications" in caplog.text
    settings.EMAIL_BACKEND = WORKING
    assert retry_failed_immediate(now=timezone.now() + timedelta(days=1)) == 0
    NotificationPreference.objects.create(person=person, kind=IMMEDIATE_KIND, delivery="daily")
    assert digests.send_for(delivery="daily", recipient_ids=[person.pk]) == 0
    assert mail.outbox == []
    # The person still finds it among their notifications.
    assert Notification.objects.get(pk=note.pk).read_at is None


def test_an_unreachable_server_keeps_every_email_for_a_retry(
    settings, django_capture_on_commit_callbacks
):
    people = [_person() for _ in range(3)]
    settings.EMAIL_BACKEND = UNREACHABLE
    with django_capture_on_commit_callbacks(execute=True):
        notifications_create(recipients=people, kind=IMMEDIATE_KIND, summary="Réunion")
    assert Notification.objects.filter(emailed_at__isnull=True, email_failures=1).count() == 3
    settings.EMAIL_BACKEND = WORKING
    assert retry_failed_immediate(now=timezone.now() + RETRY_DELAYS[0]) == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


def test_a_refused_queue_leaves_the_email_to_the_retry_job(
    settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.EMAIL_BACKEND = WORKING
    person = _person()

    class RefusingTask:
        def enqueue(self, *args: object) -> None:
            raise ConnectionError("queue down")

    monkeypatch.setattr(tasks, "notifications_email", RefusingTask())
    with django_capture_on_commit_callbacks(execute=True):
        note = _mention(person)
    assert mail.outbox == []
    note.refresh_from_db()
    assert note.email_retry_at is not None and note.email_failures == 0
    assert retry_failed_immediate() == 1
    assert retry_failed_immediate() == 0
    assert len(mail.outbox) == 1


def test_read_or_rerouted_notifications_leave_the_retry_list(
    settings, django_capture_on_commit_callbacks
):
    reader, mover = _person(), _person()
    settings.EMAIL_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        read = _mention(reader)
        moved = _mention(mover)
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    NotificationPreference.objects.create(person=mover, kind=IMMEDIATE_KIND, delivery="never")
    settings.EMAIL_BACKEND = WORKING
    assert retry_failed_immediate(now=timezone.now() + timedelta(hours=1)) == 0
    assert not Notification.objects.filter(pk__in=[read.pk, moved.pk], email_retry_at__isnull=False)
    assert mail.outbox == []


def test_one_run_retries_everyone_in_constant_queries(
    settings, django_capture_on_commit_callbacks, django_assert_num_queries
):
    def fail_for(count: int) -> None:
        settings.EMAIL_BACKEND = FAILING
        with django_capture_on_commit_callbacks(execute=True):
            notifications_create(
                recipients=[_person() for _ in range(count)], kind=IMMEDIATE_KIND, summary="Hop"
            )

    due = timezone.now() + timedelta(hours=1)  # past every first retry made below
    fail_for(2)
    settings.EMAIL_BACKEND = WORKING
    retry_failed_immediate(now=due)  # warms the organisation cache
    fail_for(2)
    settings.EMAIL_BACKEND = WORKING
    with CaptureQueriesContext(connection) as small:
        assert retry_failed_immediate(now=due) == 2
    fail_for(20)
    settings.EMAIL_BACKEND = WORKING
    with django_assert_num_queries(len(small)):
        assert retry_failed_immediate(now=due) == 20
    # Clean-up, the due ids, the claim (select and update), the rows, the retry marks.
    assert len(small) == 8
    assert len(mail.outbox) == 24


def test_retry_job_runs_every_five_minutes_off_the_digest_hour():
    job = JOBS["email_retries"]
    start = timezone.datetime(2026, 11, 23, 6, 0, tzinfo=PARIS)
    assert job.next_run(start) == start + timedelta(minutes=2)
    assert job.next_run(start + timedelta(minutes=2)) == start + timedelta(minutes=7)
    assert job.next_run(start + timedelta(minutes=58)) == start + timedelta(minutes=62)
    assert "email_retries" not in [
        j.name for j in due_jobs(start + timedelta(minutes=59), start + timedelta(minutes=60))
    ]
    assert "email_retries" in [
        j.name for j in due_jobs(start + timedelta(minutes=4), start + timedelta(minutes=7))
    ]


@pytest.fixture
def dummy_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]
    yield default_task_backend
    default_task_backend.clear()  # type: ignore[attr-defined]


def test_run_periodic_enqueues_one_retry_task(dummy_tasks):
    call_command("run_periodic", "email_retries", stdout=StringIO())
    assert [(r.task.name, r.args) for r in dummy_tasks.results] == [
        ("notifications_email_retry", [])
    ]


class SlowBackend(EmailBackend):
    """A slow mail server: two runs overlap while the first is still sending."""

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        clock.sleep(0.2)
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
def test_two_retry_runs_at_once_send_each_email_once(settings):
    settings.EMAIL_BACKEND = FAILING
    people = [_person() for _ in range(6)]
    # Autocommit: the immediate email task runs at once, and fails.
    notifications_create(recipients=people, kind=IMMEDIATE_KIND, summary="Course")
    assert Notification.objects.filter(email_failures=1).count() == 6
    settings.EMAIL_BACKEND = "tests.feed.test_retries.SlowBackend"
    due = timezone.now() + timedelta(hours=1)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []
    sent: list[int] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            sent.append(retry_failed_immediate(now=due))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(sent) == 6
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
