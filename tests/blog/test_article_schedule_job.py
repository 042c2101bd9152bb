"""The scheduler's every-minute job publishes due articles through a task."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import default_task_backend

from essaim.blog.models import Article, PublicationStatus
from essaim.feed.scheduling import JOBS
from tests.blog.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_job_runs_every_minute():
    job = JOBS["articles_publish_due"]
    after = dt.datetime(2026, 3, 29, 0, 59, 30, tzinfo=dt.UTC)
    assert job.next_run(after) == dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC)
    assert job.next_run(job.next_run(after)) == dt.datetime(2026, 3, 29, 1, 1, tzinfo=dt.UTC)


def test_run_periodic_enqueues_the_task_only_when_an_article_is_due(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]
    ArticleFactory(status=PublicationStatus.SCHEDULED)  # tomorrow
    call_command("run_periodic", "articles_publish_due", stdout=StringIO())
    assert default_task_backend.results == []  # type: ignore[attr-defined]
    ArticleFactory(
        status=PublicationStatus.SCHEDULED, publish_at=timezone.now() - dt.timedelta(seconds=5)
    )
    call_command("run_periodic", "articles_publish_due", stdout=StringIO())
    names = [r.task.name for r in default_task_backend.results]  # type: ignore[attr-defined]
    assert names == ["articles_publish_due_task"]
    default_task_backend.clear()  # type: ignore[attr-defined]


def test_the_task_publishes_due_articles():
    due = ArticleFactory(
        status=PublicationStatus.SCHEDULED, publish_at=timezone.now() - dt.timedelta(minutes=1)
    )
    ArticleFactory(status=PublicationStatus.SCHEDULED)  # tomorrow
    call_command("run_periodic", "articles_publish_due", stdout=StringIO())
    due.refresh_from_db()
    assert due.status == PublicationStatus.PUBLISHED
    assert Article.objects.filter(status=PublicationStatus.SCHEDULED).count() == 1


def test_scheduler_tick_says_nothing_when_no_article_is_due():
    from essaim.feed.management.commands.scheduler import Command as SchedulerCommand

    out = StringIO()
    start = dt.datetime(2026, 11, 24, 10, 0, 30, tzinfo=dt.UTC)
    SchedulerCommand(stdout=out).tick(start, start + dt.timedelta(seconds=30))
    assert "articles_publish_due" not in out.getvalue()
