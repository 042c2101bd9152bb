"""Role matrix of the donor space (/mes-dons/): everyone reaches it, each sees only their own."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from essaim.giving import donor_links
from tests.access import EVERYONE, ROLES, Route, assert_access
from tests.giving.factories import PaidDonationFactory, RecurringGiftFactory

pytestmark = pytest.mark.django_db


def _donor_token() -> dict[str, str]:
    return {"token": donor_links.donor_token(PaidDonationFactory().person)}


def _recurring_token() -> dict[str, str]:
    return {"token": donor_links.recurring_token(RecurringGiftFactory())}


def _someone_elses_schedule() -> dict[str, str]:
    return {"code": RecurringGiftFactory().code}


def _address() -> dict[str, str]:
    return {"address_line1": "3 place du Marché", "postal_code": "13001", "city": "Marseille"}


ROUTES = [
    # Signed-in people see their space; a visitor without a link is sent to ask for one
    # (tests/giving/test_donor.py checks where).
    Route("donor:home", allowed=EVERYONE, ok=(200, 302)),
    Route("donor:request_link", allowed=EVERYONE),
    Route(
        "donor:request_link",
        allowed=EVERYONE,
        method="post",
        data=lambda: {"email": "quelquun@exemple.fr"},
    ),
    Route("donor:signed", allowed=EVERYONE, kwargs=_donor_token, ok=(302,)),
    Route("donor:signed", allowed=EVERYONE, kwargs=lambda: {"token": "faux"}, ok=(404,)),
    Route("donor:address", allowed=EVERYONE, method="post", data=_address, ok=(302,)),
    Route("donor:leave", allowed=EVERYONE, method="post", ok=(302,)),
    Route("donor:recurring", allowed=EVERYONE, kwargs=_recurring_token),
    Route(
        "donor:recurring",
        allowed=EVERYONE,
        kwargs=_recurring_token,
        method="post",
        data=lambda: {"action": "pause"},
        ok=(302,),
    ),
    Route("donor:recurring", allowed=EVERYONE, kwargs=lambda: {"token": "faux"}, ok=(404,)),
    # Nobody acts on another donor's schedule from their space: it does not exist for them.
    Route(
        "donor:recurring_change",
        allowed=EVERYONE,
        kwargs=_someone_elses_schedule,
        method="post",
        data=lambda: {"action": "cancel"},
        ok=(404,),
    ),
]


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_donor_space_access(client: Client, login_as: Any, role: str, route: Route) -> None:
    assert_access(client, route, role, login_as)
