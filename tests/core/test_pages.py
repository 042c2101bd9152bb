from __future__ import annotations

import pytest
from django.urls import reverse

from tests.access import EVERYONE, ROLES, Route, assert_access

ROUTES = [
    Route("core:home", allowed=EVERYONE),
    Route("core:healthz", allowed=EVERYONE),
]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_access(client, login_as, route, role):
    assert_access(client, route, role, login_as)


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
