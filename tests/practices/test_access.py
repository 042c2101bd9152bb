"""Role matrix of the practice library, per circle role (pattern of tests/circles/test_access.py).

Sheets of circle A are written by member_a (coordinator_a coordinates A); a circle sheet is
hidden (404) from outsiders, a secret circle's sheet from everyone outside it; readers who
may not edit get 403 on editing pages. Anonymous visitors go to the login page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from tests.access import assert_circle_access
from tests.circles.conftest import CIRCLE_ROLES
from tests.practices.conftest import PracticeWorld

LOGIN = "login"
Expect = dict[str, int | str]
EDITORS_A = ("member_a", "coordinator_a", "admin")


def expect(default: int | str, **by_role: int | str) -> Expect:
    table: Expect = {role: default for role in CIRCLE_ROLES}
    table["anonymous"] = LOGIN
    table.update(by_role)
    return table


def editors_a(ok: int, other: int) -> Expect:
    """Sheets of circle A: author member_a, coordinator_a and the admin edit them."""
    return expect(other, **dict.fromkeys(EDITORS_A, ok))


def secret_only_admin(ok: int) -> Expect:
    return expect(404, admin=ok)


@dataclass(frozen=True)
class SheetRoute:
    name: str
    expected: Expect
    kwargs: Callable[[PracticeWorld], dict[str, Any]] = lambda w: {}
    method: str = "get"
    data: Callable[[PracticeWorld], dict[str, Any]] | None = None
    query: str = ""
    label: str = ""

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.name}{' ' + self.label if self.label else ''}"


def sheet(key: str) -> Callable[[PracticeWorld], dict[str, Any]]:
    return lambda w: {"slug": w.sheets[key].slug}


def comment_of(key: str) -> Callable[[PracticeWorld], dict[str, Any]]:
    def kwargs(w: PracticeWorld) -> dict[str, Any]:
        from essaim.practices.services import practice_comment_add

        comment = practice_comment_add(actor=w.users["admin"], sheet=w.sheets[key], body="Merci")
        return {"slug": w.sheets[key].slug, "comment_id": comment.pk}

    return kwargs


def revision_of(key: str) -> Callable[[PracticeWorld], dict[str, Any]]:
    return lambda w: {"slug": w.sheets[key].slug, "number": 1}


def _sheet_data(w: PracticeWorld) -> dict[str, Any]:
    return {
        "title": "Une fiche",
        "summary": "",
        "body": "Texte",
        "tags": "",
        "circle": "",
        "visibility": "network",
    }


def _edit_data(key: str) -> Callable[[PracticeWorld], dict[str, Any]]:
    def data(w: PracticeWorld) -> dict[str, Any]:
        s = w.sheets[key]
        return {
            "title": f"{s.title} (revue)",
            "summary": s.summary,
            "body": s.body,
            "tags": "",
            "circle": s.circle.slug if s.circle else "",
            "visibility": s.visibility,
        }

    return data


SIGNED_IN_200 = expect(200)
SIGNED_IN_302 = expect(302)

ROUTES: list[SheetRoute] = [
    SheetRoute("practices:list", SIGNED_IN_200),
    SheetRoute("practices:list", SIGNED_IN_200, query="q=accueil&tri=useful", label="search"),
    SheetRoute("practices:list", SIGNED_IN_200, query="etat=brouillons", label="drafts"),
    SheetRoute("practices:list", SIGNED_IN_200, query="cercle=antenne-a", label="circle"),
    SheetRoute(
        "practices:list",
        secret_only_admin(200),
        query="cercle=cellule-secrete",
        label="secret circle",
    ),
    SheetRoute("practices:create", SIGNED_IN_200),
    SheetRoute("practices:create", SIGNED_IN_302, method="post", data=_sheet_data),
    SheetRoute(
        "practices:preview", SIGNED_IN_200, method="post", data=lambda w: {"body": "**gras**"}
    ),
    # Reading.
    SheetRoute("practices:detail", SIGNED_IN_200, sheet("network"), label="network"),
    SheetRoute("practices:detail", editors_a(200, 404), sheet("circle"), label="circle"),
    SheetRoute("practices:detail", editors_a(200, 404), sheet("draft"), label="draft"),
    SheetRoute("practices:detail", secret_only_admin(200), sheet("secret"), label="secret"),
    SheetRoute("practices:detail", SIGNED_IN_200, sheet("loose"), label="no circle"),
    # Editing.
    SheetRoute("practices:edit", editors_a(200, 403), sheet("network"), label="network"),
    SheetRoute("practices:edit", editors_a(200, 404), sheet("circle"), label="circle"),
    SheetRoute("practices:edit", secret_only_admin(200), sheet("secret"), label="secret"),
    SheetRoute(
        "practices:edit", expect(403, member_b=200, admin=200), sheet("loose"), label="no circle"
    ),
    SheetRoute(
        "practices:edit",
        editors_a(302, 403),
        sheet("network"),
        method="post",
        data=_edit_data("network"),
        label="network",
    ),
    SheetRoute(
        "practices:edit",
        editors_a(302, 404),
        sheet("draft"),
        method="post",
        data=_edit_data("draft"),
        label="draft",
    ),
    SheetRoute(
        "practices:publish", editors_a(302, 404), sheet("draft"), method="post", label="draft"
    ),
    SheetRoute(
        "practices:publish",
        editors_a(302, 403),
        sheet("network"),
        method="post",
        data=lambda w: {"value": "0"},
        label="unpublish",
    ),
    SheetRoute("practices:history", editors_a(200, 403), sheet("network"), label="network"),
    SheetRoute(
        "practices:history",
        editors_a(200, 404),
        sheet("draft"),
        query="de=1&a=1",
        label="draft compare",
    ),
    SheetRoute("practices:history", secret_only_admin(200), sheet("secret"), label="secret"),
    SheetRoute(
        "practices:restore",
        editors_a(302, 403),
        revision_of("network"),
        method="post",
        label="network",
    ),
    SheetRoute(
        "practices:restore",
        editors_a(302, 404),
        revision_of("circle"),
        method="post",
        label="circle",
    ),
    # Votes and comments: readers of published sheets.
    SheetRoute("practices:vote", SIGNED_IN_302, sheet("network"), method="post", label="network"),
    SheetRoute(
        "practices:vote", editors_a(302, 404), sheet("circle"), method="post", label="circle"
    ),
    SheetRoute("practices:vote", editors_a(403, 404), sheet("draft"), method="post", label="draft"),
    SheetRoute(
        "practices:vote", secret_only_admin(302), sheet("secret"), method="post", label="secret"
    ),
    SheetRoute(
        "practices:comment",
        SIGNED_IN_302,
        sheet("network"),
        method="post",
        data=lambda w: {"body": "Très utile, merci !"},
        label="network",
    ),
    SheetRoute(
        "practices:comment",
        editors_a(302, 404),
        sheet("circle"),
        method="post",
        data=lambda w: {"body": "Merci"},
        label="circle",
    ),
    SheetRoute(
        "practices:comment",
        editors_a(403, 404),
        sheet("draft"),
        method="post",
        data=lambda w: {"body": "Merci"},
        label="draft",
    ),
    SheetRoute(
        "practices:comment_hide",
        editors_a(302, 403),
        comment_of("network"),
        method="post",
        label="network",
    ),
    SheetRoute(
        "practices:comment_hide",
        editors_a(302, 404),
        comment_of("circle"),
        method="post",
        label="circle",
    ),
]


@pytest.mark.parametrize("role", CIRCLE_ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_access(client, practice_world, route, role):
    world = practice_world
    assert_circle_access(client, world, route, role)


def test_secret_sheet_404_looks_like_a_missing_sheet(client, practice_world):
    client.force_login(practice_world.users["member_a"])
    secret = client.get(reverse("practices:detail", kwargs={"slug": "fiche-secrete"}))
    missing = client.get(reverse("practices:detail", kwargs={"slug": "nexiste-pas"}))
    assert secret.status_code == missing.status_code == 404
    listing = client.get(reverse("practices:list")).content.decode()
    assert "Accueillir les nouveaux" in listing
    assert "Fiche secrète" not in listing
