"""The journey's pages are valid HTML (Nu HTML Checker), public and staff, French and English."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from essaim.giving import journey
from essaim.giving.models import Excuse, JourneyStep
from tests.blog.factories import StoryConsentFactory
from tests.blog.test_html_validity import _validator, assert_valid_html
from tests.giving.factories import GivingPageFactory, PaidDonationFactory, RebuttalFactory

pytestmark = pytest.mark.django_db


def _pages() -> dict[str, str]:
    excuse = Excuse.objects.get(slug="je-n-ai-pas-le-temps")
    a = excuse.rebuttals.get()
    a.source_url = "https://exemple.org/comptes"
    a.source_label = "Nos comptes"
    a.story = StoryConsentFactory().story
    a.save()
    b = RebuttalFactory(excuse=excuse, name="B", giving_page=GivingPageFactory())
    day = datetime.date.today()
    for rebuttal in (a, b):
        for _ in range(3):
            journey.journey_count(step=JourneyStep.READ, excuse=excuse, rebuttal=rebuttal, day=day)
        journey.journey_count(
            step=JourneyStep.GIVE_CLICK, excuse=excuse, rebuttal=rebuttal, day=day
        )
    journey.journey_count(step=JourneyStep.VIEW, day=day)
    PaidDonationFactory(excuse=excuse, rebuttal=b, given_on=day)
    pages = {}
    for namespace in ("blog", "blog_en"):
        pages[f"excuses ({namespace})"] = reverse(f"{namespace}:excuses")
        pages[f"excuse ({namespace})"] = reverse(
            f"{namespace}:excuse", kwargs={"slug": excuse.slug}
        )
    pages["staff list"] = reverse("journey_admin:list")
    pages["settings"] = reverse("journey_admin:settings")
    pages["new excuse"] = reverse("journey_admin:excuse_create")
    pages["edit excuse"] = reverse("journey_admin:excuse_edit", kwargs={"pk": excuse.pk})
    pages["new variant"] = reverse("journey_admin:rebuttal_create", kwargs={"pk": excuse.pk})
    pages["edit variant"] = reverse("journey_admin:rebuttal_edit", kwargs={"pk": b.pk})
    pages["report"] = reverse("journey_admin:report")
    pages["preview"] = reverse("journey_admin:rebuttal_preview", kwargs={"pk": b.pk})
    return pages


def test_journey_pages_are_valid_html(client: Client, login_as: Any, tmp_path: Any) -> None:
    _validator()  # skips (or fails on CI) before any work when the validator is missing
    client.force_login(login_as("communication"))
    files: dict[str, str] = {}
    for number, (label, path) in enumerate(_pages().items()):
        response = client.get(path)
        assert response.status_code == 200, f"{label} ({path}) answered {response.status_code}"
        target = tmp_path / f"page-{number:02d}.html"
        target.write_bytes(response.content)
        files[target.name] = f"{label} {path}"
    # A page refused with errors too (a form with messages).
    response = client.post(reverse("journey_admin:excuse_create"), {"label": " "})
    assert response.status_code == 400
    (tmp_path / "page-errors.html").write_bytes(response.content)
    files["page-errors.html"] = "excuse form with errors"
    assert_valid_html(tmp_path, files)
