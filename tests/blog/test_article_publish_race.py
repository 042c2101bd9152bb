"""Two due-publication runs at once (scheduler restarted, two workers) publish each article once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from essaim.blog.models import Article, PublicationChange, PublicationStatus
from essaim.blog.services import articles_publish_due
from essaim.core.models import AuditLog
from tests.blog.factories import ArticleFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]


def test_concurrent_runs_publish_each_article_exactly_once():
    moment = timezone.now() + dt.timedelta(minutes=5)
    articles = ArticleFactory.create_batch(
        40, status=PublicationStatus.SCHEDULED, publish_at=moment - dt.timedelta(minutes=1)
    )
    runners = 4
    barrier = threading.Barrier(runners)
    results: list[object] = []

    def run() -> None:
        try:
            barrier.wait(5)
            results.append(articles_publish_due(now=moment, batch_size=5))
        except Exception as error:  # reported by the assertion below
            results.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run) for _ in range(runners)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 40  # type: ignore[arg-type]
    assert not Article.objects.filter(status=PublicationStatus.SCHEDULED).exists()
    for article in articles:
        assert PublicationChange.objects.filter(article=article).count() == 1
    assert AuditLog.objects.filter(action="blog.article_publish").count() == 40
