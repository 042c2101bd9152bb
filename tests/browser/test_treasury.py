"""Treasurer screens and giving pages management in Chromium: axe finds nothing, phones fit,
and ticking gifts to reconcile shows the running total of the selection (htmx)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from essaim.giving.models import DonationChange, Frequency
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll
from tests.conftest import make_user_for_role
from tests.giving.factories import (
    GivingPageFactory,
    OfflineDonationFactory,
    PaidDonationFactory,
    SuggestedAmountFactory,
)
from tests.people.factories import PersonFactory

PHONE = {"viewport": {"width": 360, "height": 740}}


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def _world() -> dict[str, Any]:
    page = GivingPageFactory(is_default=True)
    SuggestedAmountFactory(page=page, amount_cents=3000, impact="Un duvet")
    SuggestedAmountFactory(page=page, frequency=Frequency.MONTHLY, amount_cents=1000)
    paid = PaidDonationFactory(page=page, referrer=PersonFactory())
    DonationChange.objects.create(
        donation=paid, from_status="pending", to_status="paid", at=timezone.now()
    )
    cheques = [
        OfflineDonationFactory(amount_cents=1000, family_name="Alpha"),
        OfflineDonationFactory(amount_cents=2550, family_name="Bravo"),
    ]
    OfflineDonationFactory(reconciled_at=timezone.now())
    return {"page": page, "paid": paid, "cheques": cheques}


SCREENS = [
    ("dashboard", lambda w: reverse("treasury:dashboard")),
    ("gifts", lambda w: reverse("treasury:gifts")),
    ("gift", lambda w: reverse("treasury:gift", kwargs={"code": w["cheques"][0].code})),
    ("offline", lambda w: reverse("treasury:offline") + "?q=alpha"),
    ("reconcile", lambda w: reverse("treasury:reconcile")),
    ("pages", lambda w: reverse("giving_pages:list")),
    ("page-edit", lambda w: reverse("giving_pages:edit", kwargs={"slug": w["page"].slug})),
]


def _open(new_context: Any, sign_in: Any, path: Any, **options: Any) -> Any:
    user = make_user_for_role("treasurer")
    world = _world()
    context = new_context(**options)
    sign_in(context, user)
    page = context.new_page()
    response = page.goto(path(world))
    assert response is not None and response.status == 200
    return page


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s[0])
def test_treasury_screen_has_no_axe_violation(new_context: Any, sign_in: Any, screen: Any) -> None:
    assert_accessible(_open(new_context, sign_in, screen[1]))


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s[0])
def test_treasury_screen_fits_a_phone(new_context: Any, sign_in: Any, screen: Any) -> None:
    page = _open(new_context, sign_in, screen[1], **PHONE)
    assert_no_horizontal_scroll(page, 360)


def test_selection_total_follows_the_ticks(new_context: Any, sign_in: Any) -> None:
    page = _open(new_context, sign_in, lambda w: reverse("treasury:reconcile"))
    page.get_by_label("Alpha", exact=False).check()
    expect(page.locator("#selection-total")).to_contain_text("1 don, 10")
    page.get_by_label("Bravo", exact=False).check()
    expect(page.locator("#selection-total")).to_contain_text("35,50")
    page.get_by_role("button", name="Marquer comme rapprochés").click()
    expect(page.get_by_text("marqué(s) comme rapproché(s)", exact=False)).to_be_visible()
