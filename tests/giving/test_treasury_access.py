"""Role matrix of the treasurer screens (/tresorerie/): treasurer and admin only."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from tests.access import ROLES, Route, assert_access
from tests.giving.factories import OfflineDonationFactory

pytestmark = pytest.mark.django_db

TREASURY = frozenset({"treasurer", "admin"})


def _gift() -> dict[str, str]:
    return {"code": OfflineDonationFactory().code}


def _reconciled() -> dict[str, str]:
    return {"code": OfflineDonationFactory(reconciled_at=timezone.now()).code}


def _offline_data() -> dict[str, str]:
    return {
        "given_name": "Jeanne",
        "family_name": "Matrice",
        "email": "jeanne.matrice@exemple.fr",
        "amount": "20",
        "payment_method": "cash",
        "given_on": timezone.localdate().isoformat(),
    }


def _note() -> dict[str, str]:
    return {"note": "Chèque rejeté"}


def _selection() -> dict[str, Any]:
    return {"gift": [OfflineDonationFactory().pk], "do": "reconcile"}


ROUTES = [
    Route("treasury:dashboard", allowed=TREASURY),
    Route("treasury:gifts", allowed=TREASURY),
    Route("treasury:gifts", allowed=TREASURY, query="status=paid&reconciled=no"),
    Route("treasury:export_csv", allowed=TREASURY),
    Route("treasury:export_xlsx", allowed=TREASURY),
    Route("treasury:offline", allowed=TREASURY),
    Route("treasury:offline", allowed=TREASURY, method="post", data=_offline_data, ok=(302,)),
    Route("treasury:gift", allowed=TREASURY, kwargs=_gift),
    Route(
        "treasury:gift_fail", allowed=TREASURY, kwargs=_gift, method="post", data=_note, ok=(302,)
    ),
    Route(
        "treasury:gift_refund", allowed=TREASURY, kwargs=_gift, method="post", data=_note, ok=(302,)
    ),
    Route("treasury:reconcile", allowed=TREASURY),
    Route("treasury:reconcile", allowed=TREASURY, method="post", data=_selection, ok=(302,)),
    Route("treasury:reconcile_total", allowed=TREASURY, method="post", data=_selection),
    Route(
        "treasury:reconcile_undo", allowed=TREASURY, kwargs=_reconciled, method="post", ok=(302,)
    ),
]


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_access(client: Any, login_as: Any, role: str, route: Route) -> None:
    assert_access(client, route, role, login_as)
