"""Recovery-code pages and the inactive-account page, for each kind of visitor."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.accounts.test_mfa import activate_totp

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["mfa_generate_recovery_codes", "mfa_download_recovery_codes"])
def test_recovery_code_pages_send_anonymous_visitors_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_recovery_codes_do_not_exist_without_two_factor(client, login_as):
    client.force_login(login_as("member"))
    # Without an authenticator app there are no recovery codes to download...
    assert client.get(reverse("mfa_download_recovery_codes")).status_code == 404
    # ...and renewing them first asks for the password again, like every 2FA change.
    response = client.get(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_recovery_codes_download_and_renewal_after_activation(client):
    activate_totp(client, UserFactory(email="camille@exemple.org"))
    download = client.get(reverse("mfa_download_recovery_codes"))
    assert download.status_code == 200
    codes = download.content.decode().split()
    assert len(codes) >= 10
    renewal = client.post(reverse("mfa_generate_recovery_codes"))
    assert renewal.status_code == 302
    renewed = client.get(reverse("mfa_download_recovery_codes")).content.decode().split()
    assert set(renewed).isdisjoint(codes)


def test_inactive_account_page_is_french(client):
    response = client.get(reverse("account_inactive"))
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()
