"""Role matrix of missions, registrations, check-in, calendars and the public pages.

Same pattern as tests/actions/test_access.py: each row says what every circle role gets.
An action the user may not see answers 404; coordinators' pages answer 403 to others who see it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from essaim.actions import missions
from essaim.actions.models import ActionStatus, ActionVisibility
from tests.access import assert_circle_access
from tests.actions.conftest import ActionWorld, make_action
from tests.actions.test_access import (
    ActionRoute,
    action,
    circle_a_managers,
    expect,
    managers,
    secret,
)
from tests.circles.conftest import CIRCLE_ROLES

EVERYONE_200 = expect(200, anonymous=200)
EVERYONE_404 = expect(404, anonymous=404)
EVERYONE_302 = expect(302, anonymous=302)


def _mission(key: str) -> Any:
    def create(w: ActionWorld) -> Any:
        a = w.actions[key]
        return missions.mission_create(
            actor=w.users["admin"],
            action=a,
            data={
                "role": "Accueil",
                "starts_at": a.starts_at,
                "ends_at": a.starts_at + timedelta(hours=2),
                "capacity": 3,
            },
        )

    return create


def mission(key: str) -> Callable[[ActionWorld], dict[str, Any]]:
    return lambda w: {"slug": w.actions[key].slug, "mission_id": _mission(key)(w).pk}


def _signed_up(key: str) -> Callable[[ActionWorld], dict[str, Any]]:
    # The admin holds a place: withdrawing answers for everyone (with "not signed up").
    def kwargs(w: ActionWorld) -> dict[str, Any]:
        m = _mission(key)(w)
        missions.mission_signup(actor=w.users["admin"], mission=m)
        return {"slug": w.actions[key].slug, "mission_id": m.pk}

    return kwargs


def _mission_data(w: ActionWorld) -> dict[str, Any]:
    return {
        "role": "Logistique",
        "description": "",
        "skills": "",
        "starts_at": "2030-12-12T14:00",
        "ends_at": "2030-12-12T17:00",
        "capacity": "2",
    }


def _running(w: ActionWorld) -> Any:
    if "running" not in w.actions:
        w.actions["running"] = make_action(
            w, title="Collecte en cours", status=ActionStatus.RUNNING
        )
    return w.actions["running"]


def _running_registration(w: ActionWorld) -> dict[str, Any]:
    a = _running(w)
    registration = missions.registration_create(actor=w.users["member_a"], action=a)
    return {"slug": a.slug, "registration_id": registration.pk}


def _running_signup(w: ActionWorld) -> dict[str, Any]:
    a = _running(w)
    m = missions.mission_create(
        actor=w.users["admin"],
        action=a,
        data={"role": "Caisse", "starts_at": a.starts_at, "ends_at": a.ends_at, "capacity": 2},
    )
    signup = missions.mission_signup(actor=w.users["member_a"], mission=m)
    return {"slug": a.slug, "signup_id": signup.pk}


def _running_slug(w: ActionWorld) -> dict[str, Any]:
    return {"slug": _running(w).slug}


def _feed(w: ActionWorld) -> dict[str, Any]:
    return {"token": missions.calendar_feed_get(actor=w.users["member_a"]).token}


def _circle_feed(w: ActionWorld) -> dict[str, Any]:
    feed = missions.calendar_feed_get(actor=w.users["member_a"], circle=w.circles["a"])
    return {"token": feed.token}


def _public_registration(w: ActionWorld) -> dict[str, Any]:
    registration = missions.registration_request_public(
        action=w.actions["public"], given_name="Léa", family_name="Martin", email="lea@exemple.org"
    )
    return {"code": registration.code}


def _public_form(w: ActionWorld) -> dict[str, Any]:
    return {"given_name": "Léa", "family_name": "Martin", "email": "lea@exemple.org"}


# Members of the network see "members" actions; circle actions are for circle A.
CIRCLE_A_SEE = expect(404, member_a=200, coordinator_a=200, admin=200)
CIRCLE_A_POST = expect(404, member_a=302, coordinator_a=302, admin=302)

ROUTES: list[ActionRoute] = [
    ActionRoute("actions:missions", CIRCLE_A_SEE, kwargs=action("circle")),
    ActionRoute("actions:missions", expect(200), kwargs=action("members"), label="members"),
    ActionRoute(
        "actions:missions",
        expect(404, coordinator_a=200, admin=200),
        kwargs=action("draft"),
        label="draft",
    ),
    ActionRoute("actions:missions", secret(200), kwargs=action("secret"), label="secret"),
    ActionRoute("actions:mission_create", circle_a_managers(200), kwargs=action("circle")),
    ActionRoute("actions:mission_create", managers(200), kwargs=action("members"), label="members"),
    ActionRoute(
        "actions:mission_create",
        circle_a_managers(302),
        kwargs=action("circle"),
        method="post",
        data=_mission_data,
    ),
    ActionRoute("actions:mission_create", secret(200), kwargs=action("secret"), label="secret"),
    ActionRoute("actions:mission_edit", circle_a_managers(200), kwargs=mission("circle")),
    ActionRoute(
        "actions:mission_edit",
        circle_a_managers(302),
        kwargs=mission("circle"),
        method="post",
        data=_mission_data,
    ),
    ActionRoute("actions:mission_edit", managers(200), kwargs=mission("members"), label="members"),
    ActionRoute("actions:mission_delete", circle_a_managers(200), kwargs=mission("circle")),
    ActionRoute(
        "actions:mission_delete", circle_a_managers(302), kwargs=mission("circle"), method="post"
    ),
    ActionRoute("actions:mission_signup", CIRCLE_A_POST, kwargs=mission("circle"), method="post"),
    ActionRoute(
        "actions:mission_signup",
        expect(302),
        kwargs=mission("members"),
        method="post",
        label="members",
    ),
    ActionRoute(
        "actions:mission_signup",
        secret(302),
        kwargs=mission("secret"),
        method="post",
        label="secret",
    ),
    ActionRoute(
        "actions:mission_withdraw", CIRCLE_A_POST, kwargs=_signed_up("circle"), method="post"
    ),
    ActionRoute(
        "actions:mission_withdraw",
        expect(302),
        kwargs=_signed_up("members"),
        method="post",
        label="members",
    ),
    ActionRoute("actions:register", CIRCLE_A_POST, kwargs=action("circle"), method="post"),
    ActionRoute(
        "actions:register", expect(302), kwargs=action("members"), method="post", label="members"
    ),
    ActionRoute(
        "actions:register", secret(302), kwargs=action("secret"), method="post", label="secret"
    ),
    ActionRoute("actions:register_cancel", CIRCLE_A_POST, kwargs=action("circle"), method="post"),
    ActionRoute("actions:my_missions", expect(200)),
    ActionRoute("actions:calendars", expect(200)),
    ActionRoute("actions:calendars", expect(302), method="post", data=lambda w: {"circle": ""}),
    ActionRoute(
        "actions:calendars",
        expect(302),
        method="post",
        data=lambda w: {"circle": w.circles["a"].slug, "regenerate": "1"},
        label="circle",
    ),
    ActionRoute(
        "actions:calendars",
        secret(302),
        method="post",
        data=lambda w: {"circle": w.circles["secret"].slug},
        label="secret circle",
    ),
    # The .ics needs no login: the token in the address is the key.
    ActionRoute("actions:ical", EVERYONE_200, kwargs=_feed),
    ActionRoute("actions:ical", EVERYONE_200, kwargs=_circle_feed, label="circle"),
    ActionRoute(
        "actions:ical", EVERYONE_404, kwargs=lambda w: {"token": "invente"}, label="forged"
    ),
    ActionRoute("actions:checkin", circle_a_managers(200), kwargs=action("circle")),
    ActionRoute("actions:checkin", circle_a_managers(200), kwargs=_running_slug, label="running"),
    ActionRoute("actions:checkin", secret(200), kwargs=action("secret"), label="secret"),
    ActionRoute(
        "actions:checkin_registration",
        circle_a_managers(302),
        kwargs=_running_registration,
        method="post",
        data=lambda w: {"attended": "1"},
    ),
    ActionRoute(
        "actions:checkin_signup",
        circle_a_managers(302),
        kwargs=_running_signup,
        method="post",
        data=lambda w: {"attended": "1"},
    ),
    ActionRoute(
        "actions:walk_in",
        circle_a_managers(302),
        kwargs=_running_slug,
        method="post",
        data=lambda w: {"name": "Camille Petit", "email": ""},
    ),
    # Public pages: no account needed, and only for public actions of visible circles.
    ActionRoute("public_actions:detail", EVERYONE_200, kwargs=action("public")),
    ActionRoute("public_actions:detail", EVERYONE_404, kwargs=action("circle"), label="circle"),
    ActionRoute("public_actions:detail", EVERYONE_404, kwargs=action("secret"), label="secret"),
    ActionRoute(
        "public_actions:detail",
        EVERYONE_302,
        kwargs=action("public"),
        method="post",
        data=_public_form,
    ),
    ActionRoute("public_actions:thanks", EVERYONE_200, kwargs=action("public")),
    ActionRoute("public_actions:confirm", EVERYONE_200, kwargs=_public_registration),
    ActionRoute("public_actions:confirm", EVERYONE_302, kwargs=_public_registration, method="post"),
    ActionRoute(
        "public_actions:confirm", EVERYONE_404, kwargs=lambda w: {"code": "x"}, label="forged"
    ),
    ActionRoute("public_actions:cancel", EVERYONE_200, kwargs=_public_registration),
    ActionRoute("public_actions:cancel", EVERYONE_302, kwargs=_public_registration, method="post"),
]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", CIRCLE_ROLES)
def test_access(client: Any, action_world: ActionWorld, route: ActionRoute, role: str) -> None:
    assert_circle_access(client, action_world, route, role)


def test_secret_action_checkin_looks_missing(client: Any, action_world: ActionWorld) -> None:
    client.force_login(action_world.users["coordinator_a"])
    slug = action_world.actions["secret"].slug
    assert client.get(reverse("actions:checkin", kwargs={"slug": slug})).status_code == 404
    assert action_world.actions["secret"].visibility == ActionVisibility.PUBLIC
