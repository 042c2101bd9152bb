"""The giving pages, thank-you pages and donor space are valid HTML (Nu HTML Checker)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from essaim.giving import donor_links
from essaim.giving.models import DonationStatus, Frequency
from essaim.giving.receipts import receipt_issue_for_donation
from tests.blog.factories import StoryConsentFactory, StoryFactory
from tests.blog.test_html_validity import _validator, assert_valid_html
from tests.conftest import make_user_for_role
from tests.giving.factories import (
    DonationFactory,
    GivingPageFactory,
    PaidDonationFactory,
    RecurringGiftFactory,
    SuggestedAmountFactory,
)

pytestmark = pytest.mark.django_db


def _pages(client: Client) -> dict[str, str]:
    """Create a giving world; return label -> path (the client ends signed in)."""
    page = GivingPageFactory(is_default=True, goal_cents=100_000, intro="Un **texte**.")
    SuggestedAmountFactory(page=page, amount_cents=3000, impact="Un duvet")
    SuggestedAmountFactory(page=page, frequency=Frequency.MONTHLY, amount_cents=1000)
    StoryConsentFactory(story=StoryFactory())
    paid = PaidDonationFactory(page=page)
    receipt_issue_for_donation(donation=paid, actor=None)
    user = make_user_for_role("member")
    assert user is not None
    PaidDonationFactory(person=user.person)
    schedule = RecurringGiftFactory(person=user.person)
    client.force_login(user)
    return {
        "giving page": reverse("blog:give"),
        "giving page, monthly": reverse("blog:give") + "?rythme=monthly",
        "giving page, English": reverse("blog_en:give"),
        "thanks, paid": reverse("blog:give_thanks", kwargs={"code": paid.code}),
        "thanks, pending": reverse(
            "blog:give_thanks", kwargs={"code": DonationFactory(page=page).code}
        ),
        "thanks, failed": reverse(
            "blog:give_thanks",
            kwargs={"code": DonationFactory(page=page, status=DonationStatus.FAILED).code},
        ),
        "donor space": reverse("donor:home"),
        "link request": reverse("donor:request_link"),
        "monthly gift link": reverse(
            "donor:recurring", kwargs={"token": donor_links.recurring_token(schedule)}
        ),
    }


def test_giving_pages_are_valid_html(client: Client, tmp_path: Any) -> None:
    _validator()  # skips (or fails on CI) before any work when the validator is missing
    files: dict[str, str] = {}
    pages = _pages(client)
    # The form with an error too.
    response = client.post(reverse("blog:give"), {"amount": "free", "free_amount": "abc"})
    assert response.status_code == 200
    (tmp_path / "page-error.html").write_bytes(response.content)
    files["page-error.html"] = "giving page with errors"
    for number, (label, path) in enumerate(pages.items()):
        response = client.get(path)
        assert response.status_code == 200, f"{label} ({path}) answered {response.status_code}"
        target = tmp_path / f"page-{number:02d}.html"
        target.write_bytes(response.content)
        files[target.name] = f"{label} {path}"
    assert_valid_html(tmp_path, files)
