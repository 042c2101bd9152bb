"""The hourly consent check: expired consents unpublish their story; a warning 14 days before."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from essaim.blog.models import PublicationStatus, Story
from essaim.blog.stories import story_consents_check
from essaim.blog.story_selectors import today
from essaim.blog.story_tasks import story_consents_check as check_task
from essaim.feed.models import Notification, NotificationKind
from essaim.feed.scheduling import JOBS, PARIS
from tests.blog.factories import StoryConsentFactory
from tests.conftest import make_user_for_role

pytestmark = pytest.mark.django_db


def _alerts() -> list[Notification]:
    return list(Notification.objects.filter(kind=NotificationKind.STORY_CONSENT).order_by("id"))


def test_expired_consent_unpublishes_and_alerts(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    writer = make_user_for_role("communication")
    admin = make_user_for_role("admin")
    day = today()
    expired = StoryConsentFactory(featured_name="Amina", valid_until=day - dt.timedelta(days=1))
    valid = StoryConsentFactory(featured_name="Bruno", valid_until=day)
    already_down = StoryConsentFactory(
        valid_until=day - dt.timedelta(days=5), story__status=PublicationStatus.UNPUBLISHED
    )
    # Hidden from the public before the job runs (the selector reads the date).
    url = reverse("blog:story", kwargs={"slug": expired.story.slug})
    assert client.get(url).status_code == 404
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        result = story_consents_check()

    assert result.unpublished == [expired.story_id]
    story = Story.objects.get(pk=expired.story_id)
    assert story.status == PublicationStatus.UNPUBLISHED
    assert story.unpublished_reason == "Consentement expiré pour Amina"
    change = story.status_changes.get(to_status=PublicationStatus.UNPUBLISHED)
    assert change.actor is None and change.note == "Consentement expiré pour Amina"
    assert Story.objects.get(pk=valid.story_id).status == PublicationStatus.PUBLISHED
    assert Story.objects.get(pk=already_down.story_id).status == PublicationStatus.UNPUBLISHED
    down = [n for n in _alerts() if "dépublié" in n.summary]
    assert {n.recipient.user_id for n in down} == {writer.pk, admin.pk}
    assert "Amina" in down[0].summary
    assert {writer.email, admin.email} <= {a for m in mail.outbox for a in m.to}
    # A second run finds nothing more to do.
    again = story_consents_check()
    assert again.unpublished == []


def test_warns_fourteen_days_before_once() -> None:
    make_user_for_role("communication")
    day = today()
    soon = StoryConsentFactory(featured_name="Chloé", valid_until=day + dt.timedelta(days=14))
    later = StoryConsentFactory(valid_until=day + dt.timedelta(days=15))
    draft = StoryConsentFactory(
        valid_until=day + dt.timedelta(days=3), story__status=PublicationStatus.DRAFT
    )

    first = story_consents_check()
    assert first.warned == [soon.pk]
    soon.refresh_from_db()
    assert soon.expiry_warned_on == day
    alerts = _alerts()
    assert len(alerts) == 1
    expected_date = soon.valid_until.strftime("%d/%m/%Y")  # type: ignore[union-attr]
    assert "Chloé" in alerts[0].summary and expected_date in alerts[0].summary
    # The next hourly runs, and the next days, do not warn again.
    assert story_consents_check().warned == []
    assert story_consents_check(on=day + dt.timedelta(days=1)).warned == [later.pk]
    assert len(_alerts()) == 2
    later.refresh_from_db()
    draft.refresh_from_db()
    assert draft.expiry_warned_on is None


def test_the_task_runs_the_check_and_the_scheduler_knows_it() -> None:
    make_user_for_role("communication")
    StoryConsentFactory(valid_until=today() - dt.timedelta(days=1))
    result = check_task.enqueue()
    assert result.return_value == {"unpublished": 1, "warned": 0}
    job = JOBS["story_consents_check"]
    assert job.hourly
    after = dt.datetime(2026, 11, 24, 10, 7, tzinfo=PARIS)
    assert job.next_run(after) == dt.datetime(2026, 11, 24, 11, 5, tzinfo=PARIS)
