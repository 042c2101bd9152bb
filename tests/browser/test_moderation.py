"""Moderation screens (files, reports, dismiss, unhide): axe-clean and usable at 360 px."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from essaim.circles import discussions
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll
from tests.browser.test_network import PHONE
from tests.circles.discussion_world import build_world

pytestmark = pytest.mark.browser

SCREENS = [
    (
        "files-coordinator",
        "coordinator",
        lambda w, r: reverse("circles:files", kwargs={"slug": "lyon"}),
    ),
    ("files-member", "member", lambda w, r: reverse("circles:files", kwargs={"slug": "lyon"})),
    ("reports", "coordinator", lambda w, r: reverse("circles:reports", kwargs={"slug": "lyon"})),
    (
        "reports-closed",
        "coordinator",
        lambda w, r: reverse("circles:reports", kwargs={"slug": "lyon"}) + "?vue=traites",
    ),
    (
        "dismiss",
        "coordinator",
        lambda w, r: reverse("circles:report_dismiss", kwargs={"slug": "lyon", "report_id": r.pk}),
    ),
    (
        "unhide",
        "coordinator",
        lambda w, r: reverse(
            "circles:message_unhide", kwargs={"slug": "lyon", "message_id": w.hidden_message.pk}
        ),
    ),
]


def _open(new_context: Any, sign_in: Any, screen, **options):
    _n, role, url = screen
    w = build_world()
    r = discussions.message_report(
        actor=w.users["member"], message=w.first_message, reason="Propos blessants"
    )
    r2 = discussions.message_report(
        actor=w.users["member"], message=w.member_message, reason="Autre"
    )
    discussions.report_dismiss(actor=w.users["coordinator"], report=r2, note="Vu")
    context = new_context(**options)
    sign_in(context, w.users[role])
    page = context.new_page()
    resp = page.goto(url(w, r))
    assert resp.status == 200
    return page


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s[0])
def test_axe(new_context, sign_in, screen):
    assert_accessible(_open(new_context, sign_in, screen))


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s[0])
def test_phone(new_context, sign_in, screen):
    page = _open(new_context, sign_in, screen, **PHONE)
    assert_no_horizontal_scroll(page, 360)
