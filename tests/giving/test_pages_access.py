"""Role matrix of the giving pages management (/collecte/pages/)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.access import ROLES, Route, assert_access
from tests.giving.factories import GivingPageFactory

pytestmark = pytest.mark.django_db

PAGE_EDITORS = frozenset({"treasurer", "communication", "admin"})


def _page() -> dict[str, str]:
    return {"slug": GivingPageFactory().slug}


def _create_data() -> dict[str, str]:
    return {
        "title": "Page du matrice",
        "kind": "general",
        "allow_one_off": "on",
        "default_frequency": "one_off",
        "minimum_cents": "5",
        "is_active": "on",
        "amounts-TOTAL_FORMS": "0",
        "amounts-INITIAL_FORMS": "0",
        "amounts-MIN_NUM_FORMS": "0",
        "amounts-MAX_NUM_FORMS": "24",
    }


ROUTES = [
    Route("giving_pages:list", allowed=PAGE_EDITORS),
    Route("giving_pages:create", allowed=PAGE_EDITORS),
    Route("giving_pages:create", allowed=PAGE_EDITORS, method="post", data=_create_data, ok=(302,)),
    Route("giving_pages:edit", allowed=PAGE_EDITORS, kwargs=_page),
    Route("giving_pages:deactivate", allowed=PAGE_EDITORS, kwargs=_page, method="post", ok=(302,)),
]


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_access(client: Any, login_as: Any, role: str, route: Route) -> None:
    assert_access(client, route, role, login_as)
