"""Two-factor authentication with an authenticator app (TOTP) and recovery codes."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.urls import reverse

from essaim.core.models import Organisation
from tests.accounts.factories import UserFactory

from .helpers import PASSWORD, is_logged_in, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return UserFactory(email="alex@exemple.org")


def login(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def login_and_confirm_identity(client, user) -> None:
    """Sign in, then re-enter the password as allauth asks before any 2FA change."""
    login(client, user)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def activate_totp(client, user) -> str:
    login_and_confirm_identity(client, user)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    return secret


def test_activation_page_explains_the_steps_in_french(client, member):
    Organisation.objects.update_or_create(
        pk=Organisation.SINGLETON_PK, defaults={"name": "Les Abeilles du Quartier"}
    )
    cache.clear()
    login_and_confirm_identity(client, member)
    html = client.get(reverse("mfa_activate_totp")).content.decode()
    assert "<h1>Activer la double authentification</h1>" in html
    assert 'alt="QR code à scanner avec votre application d’authentification"' in html
    # The authenticator app shows the association's name next to the codes.
    page = client.get(reverse("mfa_activate_totp"))
    assert "issuer=Les%20Abeilles%20du%20Quartier" in page.context["totp_url"]


def test_activation_needs_a_recent_login(client, member):
    client.force_login(member)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    page = client.get(response["Location"])
    assert "<h1>Confirmer votre identité</h1>" in page.content.decode()
    wrong = client.post(response["Location"], {"password": "pas-le-bon"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["password"]
    right = client.post(response["Location"], {"password": PASSWORD})
    assert right.status_code == 302
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_wrong_code_activates_nothing(client, member):
    login_and_confirm_identity(client, member)
    client.get(reverse("mfa_activate_totp"))
    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["Code incorrect."]
    assert 'id="id_code_error"' in response.content.decode()
    assert not Authenticator.objects.filter(user=member).exists()


def test_totp_activation_then_login_requires_the_code(client, member):
    secret = activate_totp(client, member)
    assert Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists()
    # Recovery codes are generated with it and shown once activation succeeds.
    codes_page = client.get(reverse("mfa_view_recovery_codes"))
    assert codes_page.status_code == 200
    assert "<h1>Codes de secours</h1>" in codes_page.content.decode()
    index = client.get(reverse("mfa_index")).content.decode()
    assert "Activée" in index

    client.post(reverse("account_logout"))
    response = login(client, member)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert not is_logged_in(client)

    page = client.get(reverse("mfa_authenticate"))
    assert "<h1>Code de vérification</h1>" in page.content.decode()
    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert wrong.status_code == 200
    assert "Code incorrect." in wrong.content.decode()
    assert not is_logged_in(client)

    # allauth refuses a code twice in its 30 s window (replay protection kept in the cache);
    # the activation code may be the current one, so forget it.
    cache.clear()
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert is_logged_in(client)
    assert int(client.session["_auth_user_id"]) == member.pk


def test_recovery_code_replaces_the_app(client, member):
    activate_totp(client, member)
    codes = (
        Authenticator.objects.get(user=member, type=Authenticator.Type.RECOVERY_CODES)
        .wrap()
        .get_unused_codes()
    )
    client.post(reverse("account_logout"))
    login(client, member)
    response = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert response.status_code == 302
    assert is_logged_in(client)


def test_deactivation(client, member):
    activate_totp(client, member)
    page = client.get(reverse("mfa_deactivate_totp"))
    assert "<h1>Désactiver la double authentification</h1>" in page.content.decode()
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists()
