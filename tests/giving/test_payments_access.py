"""Role matrix of /paiements/: the demo checkout (anyone holding the code) and the webhooks.

Webhooks take a POST from anyone, but only a signed (Stripe) or API-confirmed (HelloAsso)
body acts: an unsigned one gets 400 whoever sends it; a GET gets 405.
"""

from __future__ import annotations

from typing import Any

import pytest

from essaim.giving.models import Provider
from tests.access import EVERYONE, ROLES, Route, assert_access
from tests.giving.factories import DonationFactory, PaidDonationFactory

pytestmark = pytest.mark.django_db


def _demo_gift() -> dict[str, str]:
    return {"code": DonationFactory(provider=Provider.DEMO).code}


def _paid_demo_gift() -> dict[str, str]:
    return {"code": PaidDonationFactory(provider=Provider.DEMO).code}


def _stripe_gift() -> dict[str, str]:
    return {"code": DonationFactory(provider=Provider.STRIPE).code}


def _unknown() -> dict[str, str]:
    return {"code": "no-such-gift-code"}


def _pay() -> dict[str, str]:
    return {"outcome": "pay"}


ROUTES = [
    Route("payments:demo_checkout", allowed=EVERYONE, kwargs=_demo_gift),
    Route("payments:demo_checkout", allowed=EVERYONE, kwargs=_paid_demo_gift),
    Route(
        "payments:demo_checkout",
        allowed=EVERYONE,
        kwargs=_demo_gift,
        method="post",
        data=_pay,
        ok=(302,),
    ),
    # Unknown codes and gifts of a real provider: there is no demo checkout to show.
    Route("payments:demo_checkout", allowed=EVERYONE, kwargs=_unknown, ok=(404,)),
    Route("payments:demo_checkout", allowed=EVERYONE, kwargs=_stripe_gift, ok=(404,)),
    Route(
        "payments:demo_checkout",
        allowed=EVERYONE,
        kwargs=_stripe_gift,
        method="post",
        data=_pay,
        ok=(404,),
    ),
    Route("payments:stripe_webhook", allowed=EVERYONE, method="post", ok=(400,)),
    Route("payments:stripe_webhook", allowed=EVERYONE, ok=(405,)),
    Route("payments:helloasso_webhook", allowed=EVERYONE, method="post", ok=(400,)),
    Route("payments:helloasso_webhook", allowed=EVERYONE, ok=(405,)),
]


@pytest.fixture(autouse=True)
def _providers_configured(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    settings.HELLOASSO_CLIENT_ID = "client"
    settings.HELLOASSO_CLIENT_SECRET = "secret"
    settings.HELLOASSO_ORGANIZATION_SLUG = "mon-asso"
    settings.ESSAIM_GIVING_DEMO = True  # the demo checkout stays open beside real providers


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_access(client: Any, login_as: Any, route: Route, role: str) -> None:
    assert_access(client, route, role, login_as)
