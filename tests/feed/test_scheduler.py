"""The scheduler: run times in Paris wall-clock time, due jobs, the commands."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks import default_task_backend

from essaim.feed import scheduling
from essaim.feed.management.commands.scheduler import Command as SchedulerCommand
from essaim.feed.scheduling import JOBS, PARIS, due_jobs

pytestmark = pytest.mark.django_db


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def test_daily_runs_at_seven_paris_time():
    job = JOBS["daily"]
    assert job.next_run(paris(2026, 11, 23, 6, 59)) == paris(2026, 11, 23, 7, 0)
    assert job.next_run(paris(2026, 11, 23, 7, 0)) == paris(2026, 11, 24, 7, 0)
    # Across the spring change (29 March 2026), still 07:00 on the wall clock.
    assert job.next_run(paris(2026, 3, 28, 8, 0)) == paris(2026, 3, 29, 7, 0)
    assert job.next_run(paris(2026, 3, 28, 8, 0)).utcoffset() == timedelta(hours=2)


def test_weekly_runs_on_monday_at_seven():
    job = JOBS["weekly"]
    # 23 November 2026 is a Monday.
    assert job.next_run(paris(2026, 11, 20, 12, 0)) == paris(2026, 11, 23, 7, 0)
    assert job.next_run(paris(2026, 11, 23, 7, 0)) == paris(2026, 11, 30, 7, 0)


def _due(previous: datetime, now: datetime) -> list[str]:
    # The every-minute job (scheduled articles) is due at every tick: left out here.
    return [j.name for j in due_jobs(previous, now) if j.every_minutes != 1]


def test_due_jobs_between_two_ticks():
    assert _due(paris(2026, 11, 23, 6, 59), paris(2026, 11, 23, 7, 0)) == ["daily", "weekly"]
    assert _due(paris(2026, 11, 24, 6, 59), paris(2026, 11, 24, 7, 1)) == ["daily"]
    assert _due(paris(2026, 11, 24, 7, 3), paris(2026, 11, 24, 7, 4)) == []
    # A machine asleep over 07:00 catches up once when it wakes.
    # Other issues add their jobs: only these ones are checked here.
    woke = [j.name for j in due_jobs(paris(2026, 11, 24, 5, 0), paris(2026, 11, 24, 9, 0))]
    assert "daily" in woke and "weekly" not in woke
    # Every 5 minutes or hourly: once, however many runs were missed.
    assert woke.count("email_retries") == 1 and woke.count("feedback_surveys") == 1


@pytest.fixture
def dummy_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]
    yield default_task_backend
    default_task_backend.clear()  # type: ignore[attr-defined]


def test_run_periodic_enqueues_the_digest(dummy_tasks):
    out = StringIO()
    call_command("run_periodic", "weekly", stdout=out)
    assert [(r.task.name, r.args) for r in dummy_tasks.results] == [("digest_send", ["weekly"])]
    assert "weekly" in out.getvalue()


def test_run_periodic_refuses_an_unknown_job():
    with pytest.raises(CommandError):
        call_command("run_periodic", "hourly")


def test_scheduler_tick_enqueues_due_jobs_and_survives_a_failure(dummy_tasks, monkeypatch):
    command = SchedulerCommand(stdout=StringIO())
    command.tick(paris(2026, 11, 23, 6, 59, 30), paris(2026, 11, 23, 7, 0, 0))
    assert sorted(r.args[0] for r in dummy_tasks.results if r.args) == ["daily", "weekly"]

    def broken() -> None:
        raise RuntimeError("database down")

    monkeypatch.setitem(
        scheduling.JOBS, "daily", scheduling.Job("daily", JOBS["daily"].at, None, broken)
    )
    command.tick(paris(2026, 11, 30, 6, 59, 30), paris(2026, 11, 30, 7, 0, 0))
    assert sorted(r.args[0] for r in dummy_tasks.results if r.args) == ["daily", "weekly", "weekly"]


def test_scheduler_once_exits(dummy_tasks):
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "scheduler: started" in out.getvalue()


@pytest.mark.parametrize(
    ("job", "task_name"),
    [
        ("thread_fan_out_catch_up", "thread_fan_out_catch_up"),
        ("mission_reminders", "mission_reminders"),
        ("email_retries", "notifications_email_retry"),
        ("network_tally_check", "network_tally_check"),
    ],
)
def test_each_periodic_job_enqueues_its_task(dummy_tasks, job, task_name):
    call_command("run_periodic", job, stdout=StringIO())
    assert [r.task.name for r in dummy_tasks.results] == [task_name]
