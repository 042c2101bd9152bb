"""axe-core finds no violation on any page, and phones at 360 px never scroll sideways."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from essaim.accounts.models import Role
from essaim.accounts.services import role_grant
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll
from tests.conftest import make_user_for_role
from tests.people.factories import PersonFactory


@dataclass(frozen=True)
class Screen:
    """A page to scan: how to reach it, as whom, and what status it answers."""

    name: str
    url: Callable[[], str]
    role: str = "anonymous"
    status: int = 200
    phone: bool = False

    def __str__(self) -> str:
        return self.name


def named(name: str, **kwargs: Any) -> Callable[[], str]:
    return lambda: reverse(name, kwargs=kwargs or None)


def of_person(name: str) -> Callable[[], str]:
    return lambda: reverse(name, kwargs={"pk": PersonFactory(is_member=True).pk})


def with_grant(name: str) -> Callable[[], str]:
    """A page about a role granted through the service, so the audit log has a row too."""

    def url() -> str:
        user = make_user_for_role("member")
        grant = role_grant(actor=None, user=user, role=Role.TREASURER)
        return reverse(name, kwargs={"grant_id": grant.pk} if name == "core:role_revoke" else None)

    return url


SCREENS = [
    Screen("home-anonymous", named("core:home"), phone=True),
    Screen("home-signed-in", named("core:home"), role="member"),
    Screen("home-staff", named("core:home"), role="admin"),
    Screen("login", named("account_login"), phone=True),
    Screen("signup", named("account_signup")),
    Screen("password-reset", named("account_reset_password")),
    Screen("profile", named("accounts:profile"), role="member", phone=True),
    Screen("password-change", named("account_change_password"), role="member"),
    Screen("email-change", named("account_email"), role="member"),
    Screen("mfa-index", named("mfa_index"), role="member"),
    Screen("mfa-activate", named("mfa_activate_totp"), role="member"),
    Screen("directory", named("people:directory"), role="admin", phone=True),
    Screen("person", of_person("people:detail"), role="admin", phone=True),
    Screen("person-edit", of_person("people:edit"), role="admin"),
    Screen("person-create", named("people:create"), role="admin"),
    Screen("person-merge", of_person("people:merge"), role="admin"),
    Screen("person-erase", of_person("people:erase"), role="admin"),
    Screen("import-upload", named("people:import_start"), role="admin"),
    Screen("organisation", named("core:organisation"), role="admin", phone=True),
    Screen("roles", with_grant("core:roles"), role="admin", phone=True),
    Screen("role-revoke", with_grant("core:role_revoke"), role="admin"),
    Screen("audit-log", with_grant("core:audit"), role="admin", phone=True),
    Screen("forbidden", named("core:organisation"), role="member", status=403),
    Screen("not-found", lambda: "/cette-page-n-existe-pas/", status=404, phone=True),
]


def open_screen(new_context: Callable[..., Any], sign_in: Any, screen: Screen, **options: Any):
    context = new_context(**options)
    user = make_user_for_role(screen.role)
    if user is not None:
        sign_in(context, user)
    page = context.new_page()
    response = page.goto(screen.url())
    assert response is not None
    assert response.status == screen.status, f"{screen.name}: {page.url} answered {response.status}"
    return page


@pytest.mark.parametrize("screen", SCREENS, ids=str)
def test_page_has_no_axe_violation(new_context, sign_in, screen):
    page = open_screen(new_context, sign_in, screen)
    assert_accessible(page)


@pytest.mark.parametrize("screen", [s for s in SCREENS if s.phone], ids=str)
def test_page_fits_a_phone(new_context, sign_in, screen):
    page = open_screen(
        new_context,
        sign_in,
        screen,
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)
