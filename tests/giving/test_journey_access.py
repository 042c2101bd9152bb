"""Role matrix of the excuses journey: public pages (French and English) and staff pages."""

from __future__ import annotations

from typing import Any

import pytest

from essaim.giving.models import Excuse, Rebuttal
from tests.access import EVERYONE, ROLES, Route, assert_access

pytestmark = pytest.mark.django_db

EDITORS = frozenset({"treasurer", "communication", "admin"})


def _excuse() -> Excuse:
    excuse = Excuse.objects.create(
        slug=f"excuse-{Excuse.objects.count()}", label="Je n'ai pas de monnaie sur moi"
    )
    Rebuttal.objects.create(excuse=excuse, name="A", text="Une carte suffit.")
    return excuse


def _slug() -> dict[str, Any]:
    return {"slug": _excuse().slug}


def _hidden_slug() -> dict[str, Any]:
    excuse = _excuse()
    excuse.is_active = False
    excuse.save()
    return {"slug": excuse.slug}


def _pk() -> dict[str, Any]:
    return {"pk": _excuse().pk}


def _rebuttal_pk() -> dict[str, Any]:
    return {"pk": _excuse().rebuttals.get().pk}


def _rebuttal_data() -> dict[str, str]:
    return {"name": "B", "text": "Une carte suffit, vraiment.", "is_active": "on"}


PUBLIC_ROUTES = [
    row
    for namespace in ("blog", "blog_en")
    for row in (
        Route(f"{namespace}:excuses", allowed=EVERYONE),
        Route(f"{namespace}:excuse", allowed=EVERYONE, kwargs=_slug),
        Route(f"{namespace}:excuse", allowed=EVERYONE, kwargs=_hidden_slug, ok=(404,)),
        Route(f"{namespace}:excuse_give", allowed=EVERYONE, kwargs=_slug, ok=(302,)),
        Route(f"{namespace}:excuse_give", allowed=EVERYONE, kwargs=_slug, method="post", ok=(302,)),
        Route(f"{namespace}:excuse_volunteer", allowed=EVERYONE, kwargs=_slug, ok=(302,)),
    )
]

STAFF_ROUTES = [
    Route("journey_admin:list", allowed=EDITORS),
    Route("journey_admin:settings", allowed=EDITORS),
    Route(
        "journey_admin:settings",
        allowed=EDITORS,
        method="post",
        data=lambda: {"title": "Je n'aime pas donner", "intro": ""},
        ok=(302,),
    ),
    Route("journey_admin:report", allowed=EDITORS),
    Route(
        "journey_admin:report", allowed=EDITORS, query="start=2026-01-01&end=2025-01-01", ok=(400,)
    ),
    Route("journey_admin:report_csv", allowed=EDITORS),
    Route("journey_admin:report_csv", allowed=EDITORS, query="start=2026-13-01&end=x", ok=(400,)),
    Route("journey_admin:excuse_create", allowed=EDITORS),
    Route(
        "journey_admin:excuse_create",
        allowed=EDITORS,
        method="post",
        data=lambda: {"label": "Je donne déjà ailleurs", "is_active": "on"},
        ok=(302,),
    ),
    Route("journey_admin:excuse_edit", allowed=EDITORS, kwargs=_pk),
    Route(
        "journey_admin:excuse_edit",
        allowed=EDITORS,
        kwargs=_pk,
        method="post",
        data=lambda: {"label": "Je n'ai jamais de monnaie", "slug": "", "is_active": "on"},
        ok=(302,),
    ),
    Route(
        "journey_admin:excuse_move",
        allowed=EDITORS,
        kwargs=_pk,
        method="post",
        data=lambda: {"sens": "up"},
        ok=(302,),
    ),
    Route(
        "journey_admin:excuse_active",
        allowed=EDITORS,
        kwargs=_pk,
        method="post",
        data=lambda: {"active": "0"},
        ok=(302,),
    ),
    Route("journey_admin:rebuttal_create", allowed=EDITORS, kwargs=_pk),
    Route(
        "journey_admin:rebuttal_create",
        allowed=EDITORS,
        kwargs=_pk,
        method="post",
        data=_rebuttal_data,
        ok=(302,),
    ),
    Route("journey_admin:rebuttal_edit", allowed=EDITORS, kwargs=_rebuttal_pk),
    Route("journey_admin:rebuttal_preview", allowed=EDITORS, kwargs=_rebuttal_pk),
    Route(
        "journey_admin:rebuttal_edit",
        allowed=EDITORS,
        kwargs=_rebuttal_pk,
        method="post",
        data=_rebuttal_data,
        ok=(302,),
    ),
    Route(
        "journey_admin:rebuttal_active",
        allowed=EDITORS,
        kwargs=_rebuttal_pk,
        method="post",
        data=lambda: {"active": "0"},
        ok=(302,),
    ),
]

ROUTES = PUBLIC_ROUTES + STAFF_ROUTES


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_access(client: Any, login_as: Any, route: Route, role: str) -> None:
    assert_access(client, route, role, login_as)


@pytest.mark.parametrize("role", sorted(EDITORS))
def test_unknown_objects_are_404(client: Any, login_as: Any, role: str) -> None:
    client.force_login(login_as(role))
    assert client.get("/collecte/excuses/999999/").status_code == 404
    assert client.get("/collecte/excuses/variantes/999999/").status_code == 404
    assert client.post("/collecte/excuses/999999/deplacer/", {"sens": "up"}).status_code == 404
