from __future__ import annotations

import pytest
from django.urls import reverse

from essaim.accounts.models import Role, RoleGrant
from tests.access import EVERYONE, ROLES, Route, assert_access
from tests.accounts.factories import RoleGrantFactory

ADMIN_ONLY = frozenset({"admin"})


def _organisation_post() -> dict[str, object]:
    return {
        "name": "Association du matrix",
        "primary_color": "#1f5f8b",
        "accent_color": "#a6422b",
        "tax_reduction_rate": 66,
    }


def _grant_kwargs() -> dict[str, object]:
    return {"grant_id": RoleGrantFactory(role=Role.TREASURER).pk}


ROUTES = [
    Route("core:home", allowed=EVERYONE),
    Route("core:healthz", allowed=EVERYONE),
    Route("core:organisation", allowed=ADMIN_ONLY),
    Route(
        "core:organisation",
        allowed=ADMIN_ONLY,
        method="post",
        data=_organisation_post,
        ok=(302,),
    ),
    Route("core:roles", allowed=ADMIN_ONLY),
    Route(
        "core:roles",
        allowed=ADMIN_ONLY,
        method="post",
        data=lambda: {"email": "inconnu@exemple.org", "role": "treasurer"},
    ),
    Route("core:role_revoke", allowed=ADMIN_ONLY, kwargs=_grant_kwargs),
    Route("core:role_revoke", allowed=ADMIN_ONLY, kwargs=_grant_kwargs, method="post", ok=(302,)),
    Route("core:audit", allowed=ADMIN_ONLY),
    Route("core:audit", allowed=ADMIN_ONLY, query="action=role.grant&page=2"),
]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_access(client, login_as, route, role):
    assert_access(client, route, role, login_as)


def test_refused_revoke_leaves_the_role(client, login_as):
    grant = RoleGrantFactory(role=Role.TREASURER)
    client.force_login(login_as("treasurer"))
    response = client.post(reverse("core:role_revoke", kwargs={"grant_id": grant.pk}))
    assert response.status_code == 403
    assert RoleGrant.objects.filter(pk=grant.pk).exists()


def test_healthz_reports_database(client):
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_home_is_french_by_default(client):
    response = client.get(reverse("core:home"))
    assert '<html lang="fr">' in response.content.decode()
    assert "Créer un compte" in response.content.decode()


def test_unknown_page_gets_french_404(client):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
