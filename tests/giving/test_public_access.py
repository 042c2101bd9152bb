"""Role matrix of the public giving pages (both languages): everyone may give."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from essaim.giving.forms import form_key_new
from tests.access import EVERYONE, ROLES, Route, assert_access
from tests.giving.factories import DonationFactory, GivingPageFactory, SuggestedAmountFactory

pytestmark = pytest.mark.django_db

NOBODY: frozenset[str] = frozenset()


def _default_page() -> None:
    page = GivingPageFactory(is_default=True)
    SuggestedAmountFactory(page=page, amount_cents=3000)


def _page() -> dict[str, str]:
    page = GivingPageFactory()
    SuggestedAmountFactory(page=page, amount_cents=3000)
    return {"slug": page.slug}


def _offline_page() -> dict[str, str]:
    return {"slug": GivingPageFactory(is_active=False).slug}


def _donation() -> dict[str, str]:
    return {"code": DonationFactory().code}


def _gift() -> dict[str, Any]:
    return {
        "key": form_key_new(),
        "frequency": "one_off",
        "amount": "3000",
        "given_name": "Louise",
        "family_name": "Michel",
        "email": "louise@exemple.fr",
        "wants_receipt": "on",
        "address_line1": "12 rue des Lilas",
        "postal_code": "69001",
        "city": "Lyon",
        "provider": "demo",
    }


def _bad_gift() -> dict[str, Any]:
    return {**_gift(), "amount": "free", "free_amount": "0"}


def _routes(namespace: str) -> list[Route]:
    return [
        Route(f"{namespace}:give", allowed=EVERYONE),
        Route(f"{namespace}:give", allowed=EVERYONE, method="post", data=_gift, ok=(303,)),
        Route(f"{namespace}:give", allowed=EVERYONE, method="post", data=_bad_gift),
        Route(f"{namespace}:give_page", allowed=EVERYONE, kwargs=_page),
        Route(
            f"{namespace}:give_page",
            allowed=EVERYONE,
            kwargs=_page,
            method="post",
            data=_gift,
            ok=(303,),
        ),
        Route(f"{namespace}:give_page", allowed=EVERYONE, kwargs=_offline_page, ok=(404,)),
        Route(f"{namespace}:give_thanks", allowed=EVERYONE, kwargs=_donation),
        Route(
            f"{namespace}:give_thanks",
            allowed=EVERYONE,
            kwargs=lambda: {"code": "inconnu"},
            ok=(404,),
        ),
    ]


ROUTES = _routes("blog") + _routes("blog_en")


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_public_giving_access(client: Client, login_as: Any, role: str, route: Route) -> None:
    _default_page()
    assert_access(client, route, role, login_as)
