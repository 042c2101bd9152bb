"""Erasing a contact (RGPD) withdraws their consents: their stories leave the public site."""

from __future__ import annotations

import pytest
from django.urls import reverse

from essaim.blog.models import PublicationStatus
from essaim.core.models import AuditLog
from essaim.people.services import ERASED_NAME, person_erase
from tests.blog.factories import StoryConsentFactory, StoryFactory
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_erasing_a_person_unpublishes_their_stories_and_forgets_their_name(client, admin_user):
    person = PersonFactory(given_name="Amina", family_name="Diallo")
    story = StoryFactory(slug="la-fete-du-quartier")
    consent = StoryConsentFactory(story=story, person=person, featured_name="Amina Diallo")
    other_story = StoryFactory(slug="un-autre-recit")
    StoryConsentFactory(story=other_story, featured_name="Paul")
    url = reverse("blog:story", kwargs={"slug": story.slug})
    assert client.get(url).status_code == 200

    person_erase(actor=admin_user, person=person)

    story.refresh_from_db()
    consent.refresh_from_db()
    assert story.status == PublicationStatus.UNPUBLISHED
    assert consent.withdrawn_at is not None
    assert consent.featured_name == ERASED_NAME and consent.person_id is None
    assert client.get(url).status_code == 404
    # Someone else's story stays online.
    assert client.get(reverse("blog:story", kwargs={"slug": other_story.slug})).status_code == 200
    withdrawal = AuditLog.objects.get(action="story_consent.withdraw")
    assert "Amina Diallo" not in str(withdrawal.details)
