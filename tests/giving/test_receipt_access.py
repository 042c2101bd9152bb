"""Role matrix of the tax receipt screens (/recus/) and the PDF reached by its code."""

from __future__ import annotations

from typing import Any

import pytest

from tests.access import EVERYONE, ROLES, Route, assert_access
from tests.giving.factories import issued_receipt

pytestmark = pytest.mark.django_db

RECEIPT_MANAGERS = frozenset({"treasurer", "admin"})


def _receipt() -> dict[str, str]:
    return {"code": issued_receipt().code}


def _unknown() -> dict[str, str]:
    return {"code": "pas-un-vrai-code-de-recu-000000000"}


def _cancel_data() -> dict[str, str]:
    return {"reason": "Don remboursé"}


def _replace_data() -> dict[str, Any]:
    return {
        "reason": "Adresse corrigée",
        "given_name": "Jeanne",
        "family_name": "Dupont",
        "email": "jeanne@exemple.org",
        "address_line1": "2 rue Neuve",
        "postal_code": "69003",
        "city": "Lyon",
        "country": "FR",
        "cgi_articles": "200",
    }


ROUTES = [
    Route("receipts:register", allowed=RECEIPT_MANAGERS),
    Route("receipts:register", allowed=RECEIPT_MANAGERS, query="annee=2026&etat=issued&q=a"),
    Route("receipts:register_csv", allowed=RECEIPT_MANAGERS),
    Route("receipts:register_xlsx", allowed=RECEIPT_MANAGERS),
    Route("receipts:detail", allowed=RECEIPT_MANAGERS, kwargs=_receipt),
    Route("receipts:detail", allowed=RECEIPT_MANAGERS, kwargs=_unknown, ok=(404,)),
    Route(
        "receipts:cancel",
        allowed=RECEIPT_MANAGERS,
        kwargs=_receipt,
        method="post",
        data=_cancel_data,
        ok=(302,),
    ),
    Route(
        "receipts:replace",
        allowed=RECEIPT_MANAGERS,
        kwargs=_receipt,
        method="post",
        data=_replace_data,
        ok=(302,),
    ),
    Route("receipts:resend", allowed=RECEIPT_MANAGERS, kwargs=_receipt, method="post", ok=(302,)),
    Route("receipts:annual", allowed=RECEIPT_MANAGERS),
    Route(
        "receipts:annual",
        allowed=RECEIPT_MANAGERS,
        method="post",
        data=lambda: {"annee": "2025"},
        ok=(302,),
    ),
    Route("receipts:declaration", allowed=RECEIPT_MANAGERS),
    Route("receipts:declaration_csv", allowed=RECEIPT_MANAGERS, query="annee=2026"),
    # The PDF: whoever holds the unguessable code (it is e-mailed to the donor).
    Route("receipts:pdf", allowed=EVERYONE, kwargs=_receipt),
    Route("receipts:pdf", allowed=EVERYONE, kwargs=_unknown, ok=(404,)),
]


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_access(client: Any, login_as: Any, role: str, route: Route) -> None:
    assert_access(client, route, role, login_as)
