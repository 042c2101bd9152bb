"""Role matrix of the capillarity URLs of helper E: /parrainage/ pages and public addresses."""

from __future__ import annotations

import pytest
from django.urls import reverse

from essaim.referrals.models import LinkGoal
from tests.access import EVERYONE, ROLES, SIGNED_IN, Route, assert_access
from tests.referrals.factories import CampaignFactory, InvitationFactory, ReferralLinkFactory

pytestmark = pytest.mark.django_db

CAMPAIGN_MANAGERS = frozenset({"communication", "admin"})
TEXT_EDITORS = frozenset({"communication", "admin"})
NOBODY: frozenset[str] = frozenset()


def _someone_elses_link() -> dict[str, str]:
    return {"code": ReferralLinkFactory(goal=LinkGoal.JOIN).code, "fmt": "png"}


def _link() -> dict[str, str]:
    return {"code": ReferralLinkFactory(goal=LinkGoal.JOIN).code}


def _invitation() -> dict[str, str]:
    return {"code": InvitationFactory().code}


def _public_campaign() -> dict[str, str]:
    return {"slug": CampaignFactory(is_public=True).slug}


def _hidden_campaign() -> dict[str, str]:
    return {"slug": CampaignFactory(is_public=False).slug}


def _campaign_data() -> dict[str, str]:
    return {
        "title": "200 bénévoles avant juin",
        "description": "",
        "goal_kind": "volunteers",
        "target": "200",
        "starts_on": "2026-01-01",
        "ends_on": "2026-06-30",
        "is_public": "on",
    }


def _invite_data() -> dict[str, str]:
    return {"addresses": "ami@exemple.fr", "message": ""}


ROUTES = [
    Route("referrals:links", allowed=SIGNED_IN),
    Route("referrals:links", allowed=SIGNED_IN, query="action=inconnue", ok=(404,)),
    # A QR code only for the link's owner: everyone else is told it does not exist.
    Route("referrals:qr", allowed=NOBODY, kwargs=_someone_elses_link, refused=404),
    # Renewing a link: only its owner (tested in test_links.py); anyone else gets a 404.
    Route("referrals:link_renew", allowed=NOBODY, kwargs=_link, method="post", refused=404),
    Route("referrals:invite", allowed=SIGNED_IN),
    Route("referrals:invite", allowed=SIGNED_IN, method="post", data=_invite_data, ok=(302,)),
    Route("referrals:invitations", allowed=SIGNED_IN),
    Route("referrals:share_texts", allowed=TEXT_EDITORS),
    Route("referrals:campaigns", allowed=CAMPAIGN_MANAGERS),
    Route("referrals:campaign_create", allowed=CAMPAIGN_MANAGERS),
    Route(
        "referrals:campaign_create",
        allowed=CAMPAIGN_MANAGERS,
        method="post",
        data=_campaign_data,
        ok=(302,),
    ),
    Route("referrals:campaign_edit", allowed=CAMPAIGN_MANAGERS, kwargs=_public_campaign),
    Route("capillarity:link", allowed=EVERYONE, kwargs=_link, ok=(302,)),
    Route("capillarity:invitation", allowed=EVERYONE, kwargs=_invitation, ok=(302,)),
    Route("capillarity:invitation_stop", allowed=EVERYONE, kwargs=_invitation),
    Route(
        "capillarity:invitation_stop",
        allowed=EVERYONE,
        kwargs=_invitation,
        method="post",
    ),
    Route("capillarity:campaign", allowed=EVERYONE, kwargs=_public_campaign),
    # A campaign not shown publicly: only its managers see its page; others get a 404.
    Route("capillarity:campaign", allowed=CAMPAIGN_MANAGERS, kwargs=_hidden_campaign, ok=(200,)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_access(client, login_as, route: Route, role: str) -> None:
    if route.name == "capillarity:campaign" and route.allowed == CAMPAIGN_MANAGERS:
        user = login_as(role)
        if user is not None:
            client.force_login(user)
        response = client.get(reverse(route.name, kwargs=route.kwargs()))  # type: ignore[misc]
        assert response.status_code == (200 if role in CAMPAIGN_MANAGERS else 404)
        return
    assert_access(client, route, role, login_as)
