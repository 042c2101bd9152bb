"""Circle pages in a real browser: axe finds no violation, phones do not scroll sideways,
and joining an open circle works with htmx (and without JavaScript)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from essaim.circles.models import Membership
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll
from tests.circles.conftest import World, build_world

# (name, role, url builder, phone check)
SCREENS: list[tuple[str, str, Callable[[World], str], bool]] = [
    ("list-anonymous", "anonymous", lambda w: reverse("circles:list"), True),
    ("list-member", "member_a", lambda w: reverse("circles:list"), True),
    ("list-children", "admin", lambda w: reverse("circles:list") + "?parent=national", False),
    (
        "detail-public",
        "anonymous",
        lambda w: reverse("circles:detail", kwargs={"slug": "national"}),
        True,
    ),
    (
        "detail-coordinator",
        "coordinator_a",
        lambda w: reverse("circles:detail", kwargs={"slug": w.circles["a"].slug}),
        True,
    ),
    (
        "detail-outsider",
        "member_b",
        lambda w: reverse("circles:detail", kwargs={"slug": w.circles["a"].slug}),
        False,
    ),
    (
        "members-coordinator",
        "coordinator_a",
        lambda w: reverse("circles:members", kwargs={"slug": w.circles["a"].slug}),
        True,
    ),
    (
        "requests",
        "coordinator_a",
        lambda w: reverse("circles:requests", kwargs={"slug": w.circles["a"].slug}),
        True,
    ),
    (
        "invite",
        "coordinator_a",
        lambda w: reverse("circles:invite", kwargs={"slug": w.circles["a"].slug}),
        False,
    ),
    (
        "request-form",
        "sympathiser",
        lambda w: reverse("circles:request", kwargs={"slug": w.circles["a"].slug}),
        False,
    ),
    (
        "leave",
        "member_a",
        lambda w: reverse("circles:leave", kwargs={"slug": w.circles["a"].slug}),
        False,
    ),
    (
        "member-remove",
        "admin",
        lambda w: reverse(
            "circles:member_remove",
            kwargs={"slug": w.circles["a"].slug, "membership_id": w.memberships["member_a"].pk},
        ),
        False,
    ),
    ("create", "admin", lambda w: reverse("circles:create"), True),
    (
        "edit",
        "admin",
        lambda w: reverse("circles:edit", kwargs={"slug": w.circles["a"].slug}),
        False,
    ),
    (
        "archive",
        "admin",
        lambda w: reverse("circles:archive", kwargs={"slug": w.circles["b"].slug}),
        False,
    ),
    (
        "invitation",
        "member",
        lambda w: reverse("circles:invitation", kwargs={"code": w.invitation.code}),  # type: ignore[union-attr]
        True,
    ),
    (
        "invitation-anonymous",
        "anonymous",
        lambda w: reverse("circles:invitation", kwargs={"code": w.invitation.code}),  # type: ignore[union-attr]
        False,
    ),
]


def _open(new_context: Any, sign_in: Any, world: World, role: str, url: str, **options: Any) -> Any:
    context = new_context(**options)
    user = world.users[role]
    if user is not None:
        sign_in(context, user)
    page = context.new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    return page


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s[0])
def test_circle_page_has_no_axe_violation(new_context, sign_in, screen):
    _name, role, url, _phone = screen
    world = build_world()
    page = _open(new_context, sign_in, world, role, url(world))
    assert_accessible(page)


@pytest.mark.parametrize("screen", [s for s in SCREENS if s[3]], ids=lambda s: s[0])
def test_circle_page_fits_a_phone(new_context, sign_in, screen):
    _name, role, url, _phone = screen
    world = build_world()
    page = _open(
        new_context,
        sign_in,
        world,
        role,
        url(world),
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_join_an_open_circle(new_context, sign_in, javascript):
    world = build_world()
    circle = world.circles["b"]
    page = _open(
        new_context,
        sign_in,
        world,
        "member",
        reverse("circles:detail", kwargs={"slug": circle.slug}),
        java_script_enabled=javascript,
    )
    page.get_by_role("button", name="Rejoindre le cercle").click()
    page.get_by_text("Vous êtes membre de ce cercle.").wait_for()
    assert Membership.objects.filter(circle=circle, person=world.person("member")).exists()
    circle.refresh_from_db()
    assert circle.member_count == 3
