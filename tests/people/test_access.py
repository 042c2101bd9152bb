"""Role matrix of every people directory URL (the import has its own)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.access import ROLES, Route, assert_access
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db

VIEWERS = frozenset({"coordinator", "treasurer", "communication", "admin"})
EDITORS = frozenset({"coordinator", "communication", "admin"})
EXPORTERS = frozenset({"treasurer", "communication", "admin"})
ADMINS = frozenset({"admin"})


def _person() -> dict[str, int]:
    return {"pk": PersonFactory().pk}


def _valid_person_data() -> dict[str, str]:
    return {
        "given_name": "Camille",
        "family_name": "Durand",
        "email": "camille.durand@exemple.fr",
        "country": "FR",
        "source": "manual",
    }


def _duplicate() -> dict[str, str]:
    return {"duplicate": str(PersonFactory().pk)}


ROUTES = [
    Route("people:directory", allowed=VIEWERS),
    Route("people:directory", allowed=VIEWERS, query="q=a&role=member"),
    Route("people:detail", allowed=VIEWERS, kwargs=_person),
    Route("people:create", allowed=EDITORS),
    Route("people:create", allowed=EDITORS, method="post", data=_valid_person_data, ok=(302,)),
    Route("people:edit", allowed=EDITORS, kwargs=_person),
    Route(
        "people:edit",
        allowed=EDITORS,
        kwargs=_person,
        method="post",
        data=_valid_person_data,
        ok=(302,),
    ),
    Route("people:export_csv", allowed=EXPORTERS),
    Route("people:export_xlsx", allowed=EXPORTERS),
    Route("people:merge", allowed=ADMINS, kwargs=_person),
    Route(
        "people:merge", allowed=ADMINS, kwargs=_person, method="post", data=_duplicate, ok=(302,)
    ),
    Route("people:erase", allowed=ADMINS, kwargs=_person),
    Route(
        "people:erase",
        allowed=ADMINS,
        kwargs=_person,
        method="post",
        data=lambda: {"confirm": "yes"},
        ok=(302,),
    ),
]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r}{'?' + r.query if r.query else ''}")
@pytest.mark.parametrize("role", ROLES)
def test_access(client, login_as, route, role):
    assert_access(client, route, role, login_as)


def test_unknown_person_is_404(client, login_as):
    client.force_login(login_as("admin"))
    for name in ("people:detail", "people:edit", "people:merge", "people:erase"):
        assert client.get(reverse(name, kwargs={"pk": 999_999})).status_code == 404
