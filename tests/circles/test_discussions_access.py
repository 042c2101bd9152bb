"""Who may use each discussion URL, per circle role and circle visibility."""

from __future__ import annotations

from typing import Any

import pytest

from essaim.circles.models import Report
from tests.access import Route, assert_access
from tests.circles.discussion_world import DISCUSSION_ROLES, World, build_world

pytestmark = pytest.mark.django_db

WORLD: dict[str, World] = {}

READERS = frozenset({"member", "coordinator", "admin"})
WRITERS = frozenset({"member", "coordinator"})
MODERATORS = frozenset({"coordinator", "admin"})
AUTHOR = frozenset({"member"})
PUBLIC_READERS = READERS | {"outsider", "other_member"}


def _w() -> World:
    return WORLD["world"]


def _circle() -> dict[str, Any]:
    return {"slug": _w().circle.slug}


def _thread() -> dict[str, Any]:
    return {**_circle(), "thread_id": _w().thread.pk}


def _message() -> dict[str, Any]:
    return {**_circle(), "message_id": _w().member_message.pk}


def _attachment() -> dict[str, Any]:
    return {**_circle(), "attachment_id": _w().attachment_id}


def _hidden_message() -> dict[str, Any]:
    return {**_circle(), "message_id": _w().hidden_message.pk}


def _report() -> dict[str, Any]:
    report, _created = Report.objects.get_or_create(
        message=_w().member_message,
        reporter=_w().person("member"),
        defaults={"reason": "Propos blessants"},
    )
    return {**_circle(), "report_id": report.pk}


def routes(readers: frozenset[str], refused: int = 403) -> list[Route]:
    def r(name: str, allowed: frozenset[str], **kw: Any) -> Route:
        return Route(name, allowed=allowed, refused=refused, **kw)

    return [
        r("circles:thread_list", readers, kwargs=_circle),
        r("circles:thread_list", readers, kwargs=_circle, query="avant=1700000000.0_1"),
        r("circles:thread_create", WRITERS, kwargs=_circle),
        r(
            "circles:thread_create",
            WRITERS,
            kwargs=_circle,
            method="post",
            data=lambda: {"title": "Nouvelle idée", "body": "Et si on essayait ?"},
            ok=(302,),
        ),
        r("circles:thread_detail", readers, kwargs=_thread),
        r("circles:thread_detail", readers, kwargs=_thread, query="page=last"),
        r(
            "circles:message_create",
            WRITERS,
            kwargs=_thread,
            method="post",
            data=lambda: {"body": "Bonne idée"},
            ok=(302,),
        ),
        r(
            "circles:thread_pin",
            MODERATORS,
            kwargs=_thread,
            method="post",
            data=lambda: {"value": "1"},
            ok=(302,),
        ),
        r(
            "circles:thread_lock",
            MODERATORS,
            kwargs=_thread,
            method="post",
            data=lambda: {"value": "1"},
            ok=(302,),
        ),
        r("circles:message_edit", AUTHOR, kwargs=_message),
        r(
            "circles:message_edit",
            AUTHOR,
            kwargs=_message,
            method="post",
            data=lambda: {"body": "Texte corrigé"},
            ok=(302,),
        ),
        r(
            "circles:message_react",
            WRITERS,
            kwargs=_message,
            method="post",
            data=lambda: {"emoji": "👍"},
            ok=(302,),
        ),
        r("circles:message_report", WRITERS, kwargs=_message),
        r(
            "circles:message_report",
            WRITERS,
            kwargs=_message,
            method="post",
            data=lambda: {"reason": "Ce message blesse quelqu'un."},
            ok=(302,),
        ),
        r("circles:message_hide", MODERATORS, kwargs=_message),
        r(
            "circles:message_hide",
            MODERATORS,
            kwargs=_message,
            method="post",
            data=lambda: {"reason": "Hors sujet"},
            ok=(302,),
        ),
        r("circles:attachment", readers, kwargs=_attachment),
        r("circles:message_unhide", MODERATORS, kwargs=_hidden_message),
        r(
            "circles:message_unhide",
            MODERATORS,
            kwargs=_hidden_message,
            method="post",
            data=lambda: {"reason": ""},
            ok=(302,),
        ),
        # Files and reports are for the circle's own people, even in a public circle.
        r("circles:files", READERS, kwargs=_circle),
        r("circles:files", READERS, kwargs=_circle, query="page=2"),
        r("circles:reports", MODERATORS, kwargs=_circle),
        r("circles:reports", MODERATORS, kwargs=_circle, query="vue=traites"),
        r("circles:report_dismiss", MODERATORS, kwargs=_report),
        r(
            "circles:report_dismiss",
            MODERATORS,
            kwargs=_report,
            method="post",
            data=lambda: {"reason": "Relu : conforme à la charte"},
            ok=(302,),
        ),
    ]


ROUTES = routes(READERS)
PUBLIC_ROUTES = routes(PUBLIC_READERS)
# A secret circle does not exist for outsiders: every URL answers 404, as a wrong address.
SECRET_ROUTES = routes(READERS, refused=404)


def _login(role: str) -> Any:
    return _w().login(role)


def _check(client: Any, route: Route, role: str, visibility: str) -> None:
    WORLD["world"] = build_world(visibility)
    try:
        assert_access(client, route, role, _login)
    finally:
        WORLD.clear()


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", DISCUSSION_ROLES)
def test_private_circle(client, route, role):
    _check(client, route, role, "private")


@pytest.mark.parametrize("route", PUBLIC_ROUTES, ids=str)
@pytest.mark.parametrize("role", DISCUSSION_ROLES)
def test_public_circle(client, route, role):
    _check(client, route, role, "public")


@pytest.mark.parametrize("route", SECRET_ROUTES, ids=str)
@pytest.mark.parametrize("role", ("anonymous", "outsider", "other_member"))
def test_secret_circle_outsiders(client, route, role):
    _check(client, route, role, "secret")


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ("member", "coordinator", "admin"))
def test_secret_circle_insiders(client, route, role):
    _check(client, route, role, "secret")
