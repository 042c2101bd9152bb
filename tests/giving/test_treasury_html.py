"""The treasurer screens and giving pages management are valid HTML (Nu HTML Checker)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from essaim.giving.models import DonationChange, Frequency
from essaim.giving.receipts import receipt_issue_for_donation
from tests.blog.test_html_validity import _validator, assert_valid_html
from tests.conftest import make_user_for_role
from tests.giving.factories import (
    GivingPageFactory,
    OfflineDonationFactory,
    PaidDonationFactory,
    RecurringGiftFactory,
    SuggestedAmountFactory,
)
from tests.people.factories import PersonFactory
from tests.referrals.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _world() -> dict[str, Any]:
    page = GivingPageFactory(is_default=True, campaign=CampaignFactory(title="Hiver"))
    SuggestedAmountFactory(page=page, amount_cents=3000, impact="Un duvet")
    SuggestedAmountFactory(page=page, frequency=Frequency.MONTHLY, amount_cents=1000)
    relay = PersonFactory(given_name="Rita", family_name="Relais")
    paid = PaidDonationFactory(page=page, referrer=relay)
    DonationChange.objects.create(
        donation=paid, from_status="pending", to_status="paid", at=timezone.now()
    )
    receipt_issue_for_donation(donation=paid, actor=None)
    cheque = OfflineDonationFactory(page=page)
    OfflineDonationFactory(reconciled_at=timezone.now())
    RecurringGiftFactory()
    PersonFactory(given_name="Anatole", family_name="Connu")
    return {"page": page, "paid": paid, "cheque": cheque}


def _paths(world: dict[str, Any]) -> dict[str, str]:
    return {
        "dashboard": reverse("treasury:dashboard"),
        "gifts": reverse("treasury:gifts"),
        "gifts, filtered": reverse("treasury:gifts") + "?status=paid&reconciled=no&q=a",
        "gifts, bad month": reverse("treasury:gifts") + "?month=mars",
        "gift": reverse("treasury:gift", kwargs={"code": world["paid"].code}),
        "cheque": reverse("treasury:gift", kwargs={"code": world["cheque"].code}),
        "offline": reverse("treasury:offline"),
        "offline, search": reverse("treasury:offline") + "?q=anatole",
        "reconcile": reverse("treasury:reconcile"),
        "pages": reverse("giving_pages:list"),
        "page new": reverse("giving_pages:create"),
        "page edit": reverse("giving_pages:edit", kwargs={"slug": world["page"].slug}),
    }


def test_treasury_pages_are_valid_html(client: Client, tmp_path: Any) -> None:
    _validator()  # skips (or fails on CI) before any work when the validator is missing
    user = make_user_for_role("treasurer")
    assert user is not None
    client.force_login(user)
    world = _world()
    files: dict[str, str] = {}
    for number, (label, path) in enumerate(_paths(world).items()):
        response = client.get(path)
        assert response.status_code in (200, 400), (
            f"{label} ({path}) answered {response.status_code}"
        )
        target = tmp_path / f"page-{number:02d}.html"
        target.write_bytes(response.content)
        files[target.name] = f"{label} {path}"
    posted = {
        "offline, errors": client.post(reverse("treasury:offline"), {"amount": "abc"}),
        "page, errors": client.post(
            reverse("giving_pages:create"),
            {
                "title": "",
                "amounts-TOTAL_FORMS": "1",
                "amounts-INITIAL_FORMS": "0",
                "amounts-0-frequency": "one_off",
                "amounts-0-amount": "x",
            },
        ),
    }
    for number, (label, response) in enumerate(posted.items()):
        assert response.status_code == 400, label
        target = tmp_path / f"post-{number:02d}.html"
        target.write_bytes(response.content)
        files[target.name] = label
    assert_valid_html(tmp_path, files)
