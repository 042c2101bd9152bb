"""Role matrix of the evaluation pages: debrief, files, lessons, survey, volunteer hours.

Pattern of tests/circles/test_access.py: each row names what every circle role gets.
The debrief is for the circle's members; editing it, the files and the hours for its
coordinators and administrators; the survey needs no account (its signed code is the key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile

from essaim.actions.evaluation import survey_code
from essaim.actions.models import ActionVisibility, DebriefFile
from tests.access import assert_circle_access
from tests.actions.conftest import ActionWorld, build_action_world
from tests.actions.evaluation_helpers import (
    PDF,
    add_debrief,
    add_mission,
    add_signup,
    done_action,
)
from tests.circles.conftest import CIRCLE_ROLES
from tests.circles.test_access import CircleRoute, expect

pytestmark = pytest.mark.django_db

READERS = {"member_a": 200, "coordinator_a": 200, "admin": 200}


def readers(ok: int, outsiders: int = 404) -> dict[str, int | str]:
    return expect(outsiders, **{role: ok for role in READERS})


def managers(ok: int, member_a: int = 403, outsiders: int = 404) -> dict[str, int | str]:
    return expect(outsiders, member_a=member_a, coordinator_a=ok, admin=ok)


def staff(ok: int) -> dict[str, int | str]:
    return expect(403, coordinator_a=ok, admin=ok)


def secret_only_admin(ok: int) -> dict[str, int | str]:
    return expect(404, admin=ok)


def build_evaluation_world() -> ActionWorld:
    world = build_action_world()
    done = done_action(world, title="Maraude terminée")
    add_debrief(done)
    stored = DebriefFile(
        action=done, original_name="bilan.pdf", content_type="application/pdf", size=len(PDF)
    )
    stored.file.save("bilan.pdf", ContentFile(PDF), save=True)
    mission = add_mission(done)
    add_signup(mission, world.person("member_a"))
    world.actions["done"] = done
    world.actions["done_members"] = done_action(
        world, title="Action réseau terminée", visibility=ActionVisibility.MEMBERS
    )
    world.actions["done_secret"] = done_action(
        world, title="Action secrète terminée", circle="secret", visibility=ActionVisibility.PUBLIC
    )
    return world


@pytest.fixture
def eval_world(db: Any) -> ActionWorld:
    return build_evaluation_world()


def action(key: str) -> Callable[[Any], dict[str, Any]]:
    return lambda w: {"slug": w.actions[key].slug}


def first_file(w: Any) -> dict[str, Any]:
    done = w.actions["done"]
    return {"slug": done.slug, "file_id": done.debrief_files.get().pk}


def first_signup(w: Any) -> dict[str, Any]:
    done = w.actions["done"]
    signup = done.missions.get().signups.get()
    return {"slug": done.slug, "signup_id": signup.pk}


def survey_of(key: str, role: str = "member_a") -> Callable[[Any], dict[str, Any]]:
    return lambda w: {"code": survey_code(w.actions[key], w.person(role).pk)}


def debrief_data(w: Any) -> dict[str, Any]:
    return {"what_worked": "L'accueil", "to_improve": "Le café", "notes": "RAS"}


def minutes_data(w: Any) -> dict[str, Any]:
    prefix = f"s{first_signup(w)['signup_id']}"
    return {f"{prefix}-hours": "2", f"{prefix}-minutes": "30"}


EVERYONE = expect(200, anonymous=200)

ROUTES: list[CircleRoute] = [
    CircleRoute("actions:debrief", readers(200), kwargs=action("done")),
    # A network action: everyone signed in sees it, only circle A's members read its debrief.
    CircleRoute(
        "actions:debrief",
        expect(403, **READERS),
        kwargs=action("done_members"),
        label="network action",
    ),
    CircleRoute(
        "actions:debrief", secret_only_admin(200), kwargs=action("done_secret"), label="secret"
    ),
    CircleRoute("actions:debrief", readers(200), kwargs=action("circle"), label="not done yet"),
    CircleRoute("actions:debrief_edit", managers(200), kwargs=action("done")),
    CircleRoute(
        "actions:debrief_edit",
        managers(302),
        kwargs=action("done"),
        method="post",
        data=debrief_data,
    ),
    CircleRoute(
        "actions:debrief_edit", managers(302), kwargs=action("circle"), label="not done yet"
    ),
    CircleRoute(
        "actions:debrief_edit",
        secret_only_admin(200),
        kwargs=action("done_secret"),
        label="secret",
    ),
    CircleRoute(
        "actions:debrief_file_add",
        managers(302),
        kwargs=action("done"),
        method="post",
        data=lambda w: {},
    ),
    CircleRoute("actions:debrief_file", readers(200), kwargs=first_file),
    CircleRoute("actions:debrief_file_delete", managers(302), kwargs=first_file, method="post"),
    CircleRoute(
        "actions:debrief_lesson",
        managers(302),
        kwargs=action("done"),
        method="post",
        data=lambda w: {"section": "to_improve"},
    ),
    CircleRoute("actions:action_hours", managers(200), kwargs=action("done")),
    CircleRoute(
        "actions:action_hours", secret_only_admin(200), kwargs=action("done_secret"), label="secret"
    ),
    CircleRoute(
        "actions:hours_edit", managers(302), kwargs=first_signup, method="post", data=minutes_data
    ),
    # The survey needs no account: the signed code is the key, whoever opens it.
    CircleRoute("actions:survey", EVERYONE, kwargs=survey_of("done")),
    CircleRoute(
        "actions:survey",
        EVERYONE,
        kwargs=survey_of("done"),
        method="post",
        data=lambda w: {"rating": "4", "comment": "Bien"},
    ),
    CircleRoute(
        "actions:survey",
        expect(404, anonymous=404),
        kwargs=lambda w: {"code": "eyJhIjoxLCJwIjoyfQ:forged:signature"},
        label="forged code",
    ),
    CircleRoute(
        "actions:survey",
        expect(404, anonymous=404),
        kwargs=survey_of("circle"),
        label="action not done",
    ),
    CircleRoute("actions:hours_report", staff(200)),
    CircleRoute("actions:hours_report", staff(200), query="group=action", label="per action"),
    CircleRoute("actions:hours_export", staff(200), kwargs=lambda w: {"fmt": "csv"}),
    CircleRoute("actions:hours_export", staff(200), kwargs=lambda w: {"fmt": "xlsx"}, label="xlsx"),
]


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", CIRCLE_ROLES)
def test_access(client, eval_world, route, role):
    assert_circle_access(client, eval_world, route, role)
