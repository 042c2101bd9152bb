"""Role matrix of every circle page, per circle role, secret circles included.

Each row names what every role gets: a status code, or LOGIN (sent to the login page).
A secret circle answers 404 to everyone outside it, exactly like a wrong address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from tests.access import assert_circle_access
from tests.circles.conftest import CIRCLE_ROLES, World

LOGIN = "login"
Expect = dict[str, int | str]


def expect(default: int | str, **by_role: int | str) -> Expect:
    """Every role gets ``default`` unless named; anonymous goes to the login page by default."""
    table: Expect = {role: default for role in CIRCLE_ROLES}
    table["anonymous"] = LOGIN
    table.update(by_role)
    return table


def managers(ok: int, other: int = 403, **by_role: int | str) -> Expect:
    return expect(other, coordinator_a=ok, admin=ok, **by_role)


def secret(ok: int, **by_role: int | str) -> Expect:
    # Outsiders of the secret circle: 404 (anonymous visitors still go to the login page).
    return expect(404, admin=ok, **by_role)


@dataclass(frozen=True)
class CircleRoute:
    name: str
    expected: Expect
    kwargs: Callable[[World], dict[str, Any]] = lambda w: {}
    method: str = "get"
    data: Callable[[World], dict[str, Any]] | None = None
    query: str = ""
    label: str = ""

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.name}{' ' + self.label if self.label else ''}"


def slug(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"slug": w.circles[key].slug}


def membership(circle: str, key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"slug": w.circles[circle].slug, "membership_id": w.memberships[key].pk}


def _request_kwargs(w: World) -> dict[str, Any]:
    assert w.join_request is not None
    return {"slug": w.circles["a"].slug, "request_id": w.join_request.pk}


def _invitation_kwargs(w: World) -> dict[str, Any]:
    assert w.invitation is not None
    return {"code": w.invitation.code}


def _revoke_kwargs(w: World) -> dict[str, Any]:
    assert w.invitation is not None
    return {"slug": w.circles["secret"].slug, "invitation_id": w.invitation.pk}


def _revoke_a_kwargs(w: World) -> dict[str, Any]:
    from essaim.circles.services import invitation_create

    invitation = invitation_create(
        actor=w.users["admin"], circle=w.circles["a"], email="annulable@exemple.org"
    )
    return {"slug": w.circles["a"].slug, "invitation_id": invitation.pk}


def _new_circle(w: World) -> dict[str, Any]:
    return {
        "name": "Commission jardins",
        "slug": "",
        "kind": "commission",
        "parent": w.circles["a"].slug,
        "description": "",
        "visibility": "private",
        "join_policy": "request",
    }


def _edit_circle(key: str) -> Callable[[World], dict[str, Any]]:
    def data(w: World) -> dict[str, Any]:
        circle = w.circles[key]
        return {
            "name": f"{circle.name} (renommé)",
            "slug": circle.slug,
            "kind": circle.kind,
            "parent": circle.parent.slug if circle.parent else "",
            "description": "Nouvelle présentation",
            "visibility": circle.visibility,
            "join_policy": circle.join_policy,
        }

    return data


EVERYONE_200 = expect(200, anonymous=200)

ROUTES: list[CircleRoute] = [
    CircleRoute("circles:list", EVERYONE_200),
    CircleRoute("circles:list", EVERYONE_200, query="q=antenne", label="search"),
    CircleRoute("circles:list", EVERYONE_200, query="parent=national", label="children"),
    CircleRoute(
        "circles:list",
        secret(200, anonymous=404),
        query="parent=cellule-secrete",
        label="secret parent",
    ),
    CircleRoute("circles:detail", EVERYONE_200, kwargs=slug("national"), label="public"),
    CircleRoute("circles:detail", EVERYONE_200, kwargs=slug("a"), label="private"),
    CircleRoute(
        "circles:detail", secret(200, anonymous=404), kwargs=slug("secret"), label="secret"
    ),
    CircleRoute("circles:create", managers(200)),
    CircleRoute("circles:create", managers(302), method="post", data=_new_circle),
    CircleRoute("circles:edit", managers(200), kwargs=slug("a")),
    # Parent-circle suggestions: for those who may create a circle somewhere.
    CircleRoute("circles:parent_suggestions", managers(200), query="parent=antenne"),
    CircleRoute("circles:parent_suggestions", managers(200), query="pick=antenne-a", label="pick"),
    CircleRoute(
        "circles:parent_suggestions",
        managers(200),
        query="parent=nat&circle=antenne-a",
        label="editing",
    ),
    CircleRoute(
        "circles:parent_suggestions",
        expect(403, admin=200),
        query="parent=nat&circle=antenne-b",
        label="editing not theirs",
    ),
    CircleRoute(
        "circles:parent_suggestions",
        expect(403, coordinator_a=404, admin=200),
        query="parent=nat&circle=cellule-secrete",
        label="editing secret",
    ),
    CircleRoute(
        "circles:edit", managers(302), kwargs=slug("a"), method="post", data=_edit_circle("a")
    ),
    CircleRoute("circles:edit", secret(200), kwargs=slug("secret"), label="secret"),
    CircleRoute("circles:archive", expect(403, admin=200), kwargs=slug("b"), label="not theirs"),
    CircleRoute("circles:archive", managers(200), kwargs=slug("a")),
    CircleRoute("circles:archive", managers(302), kwargs=slug("a"), method="post"),
    CircleRoute("circles:archive", secret(302), kwargs=slug("secret"), method="post"),
    # Joining answers with a redirect to the circle page and a message (welcome, or why not).
    CircleRoute("circles:join", expect(302), kwargs=slug("b"), method="post", label="open"),
    CircleRoute("circles:join", expect(302), kwargs=slug("a"), method="post", label="request"),
    CircleRoute("circles:join", secret(302), kwargs=slug("secret"), method="post", label="secret"),
    CircleRoute("circles:request", expect(200), kwargs=slug("a")),
    CircleRoute(
        "circles:request",
        expect(302),
        kwargs=slug("a"),
        method="post",
        data=lambda w: {"message": "Je voudrais aider."},
    ),
    CircleRoute("circles:request", secret(200), kwargs=slug("secret"), label="secret"),
    # Withdrawing: the network member has a pending request; others are told they have none.
    CircleRoute("circles:request_withdraw", expect(302), kwargs=slug("a"), method="post"),
    CircleRoute(
        "circles:request_withdraw",
        secret(302),
        kwargs=slug("secret"),
        method="post",
        label="secret",
    ),
    CircleRoute("circles:leave", expect(302, member_a=200, coordinator_a=200), kwargs=slug("a")),
    CircleRoute("circles:leave", expect(302), kwargs=slug("a"), method="post"),
    CircleRoute("circles:leave", secret(302), kwargs=slug("secret"), label="secret"),
    CircleRoute(
        "circles:members", expect(403, member_a=200, coordinator_a=200, admin=200), kwargs=slug("a")
    ),
    CircleRoute(
        "circles:members",
        expect(403, member_a=200, coordinator_a=200, admin=200),
        kwargs=slug("a"),
        query="q=zzz&page=2",
        label="search",
    ),
    CircleRoute("circles:members", secret(200), kwargs=slug("secret"), label="secret"),
    CircleRoute(
        "circles:member_role",
        managers(302),
        kwargs=membership("a", "member_a"),
        method="post",
        data=lambda w: {"role": "coordinator"},
    ),
    CircleRoute(
        "circles:member_role",
        secret(302),
        kwargs=membership("secret", "secret"),
        method="post",
        data=lambda w: {"role": "member"},
        label="secret",
    ),
    CircleRoute("circles:member_remove", managers(200), kwargs=membership("a", "member_a")),
    CircleRoute(
        "circles:member_remove",
        managers(302),
        kwargs=membership("a", "member_a"),
        method="post",
        data=lambda w: {"reason": "Départ de la commune"},
    ),
    CircleRoute("circles:requests", managers(200), kwargs=slug("a")),
    CircleRoute("circles:requests", secret(200), kwargs=slug("secret"), label="secret"),
    CircleRoute(
        "circles:request_decide",
        managers(302),
        kwargs=_request_kwargs,
        method="post",
        data=lambda w: {"decision": "approve", "response": "Bienvenue"},
    ),
    CircleRoute("circles:invite", managers(200), kwargs=slug("a")),
    CircleRoute(
        "circles:invite",
        managers(302),
        kwargs=slug("a"),
        method="post",
        data=lambda w: {"email": "nouvelle@exemple.org"},
    ),
    CircleRoute("circles:invite", secret(200), kwargs=slug("secret"), label="secret"),
    CircleRoute(
        "circles:invitation_revoke",
        secret(302),
        kwargs=_revoke_kwargs,
        method="post",
        label="secret",
    ),
    CircleRoute("circles:invitation_revoke", managers(302), kwargs=_revoke_a_kwargs, method="post"),
    # Only the invited person (the network member) answers; others learn it went elsewhere.
    CircleRoute(
        "circles:invitation", expect(403, anonymous=200, member=200), kwargs=_invitation_kwargs
    ),
    CircleRoute(
        "circles:invitation",
        expect(403, member=302),
        kwargs=_invitation_kwargs,
        method="post",
        data=lambda w: {"answer": "accept"},
    ),
    CircleRoute(
        "circles:invitation",
        expect(404, anonymous=404),
        kwargs=lambda w: {"code": "code-invente-de-toutes-pieces"},
        label="forged code",
    ),
]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", CIRCLE_ROLES)
def test_access(client, world, route, role):
    assert_circle_access(client, world, route, role)


def test_secret_404_looks_like_a_missing_circle(client, world):
    client.force_login(world.users["member_a"])
    secret_page = client.get(reverse("circles:detail", kwargs={"slug": "cellule-secrete"}))
    missing_page = client.get(reverse("circles:detail", kwargs={"slug": "nexiste-pas"}))
    assert secret_page.status_code == missing_page.status_code == 404
    assert "Cellule secrète" not in secret_page.content.decode()
    listing = client.get(reverse("circles:list"), {"parent": "national"}).content.decode()
    assert "Antenne A" in listing
    assert "Cellule secrète" not in listing
    search = client.get(reverse("circles:list"), {"q": "cellule"}).content.decode()
    assert "Cellule secrète" not in search


def test_admin_sees_secret_circle_in_lists(client, world):
    client.force_login(world.users["admin"])
    listing = client.get(reverse("circles:list"), {"parent": "national"}).content.decode()
    assert "Cellule secrète" in listing


def test_private_content_hidden_from_outsiders(client, world):
    client.force_login(world.users["member_b"])
    page = client.get(reverse("circles:detail", kwargs={"slug": world.circles["a"].slug}))
    assert page.status_code == 200
    assert "réservées à ses membres" in page.content.decode()
