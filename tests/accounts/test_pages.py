"""Role matrix and look of the account pages (profile and the allauth pages we style)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.access import EVERYONE, ROLES, SIGNED_IN, Route, assert_access

ANONYMOUS_ONLY = frozenset({"anonymous"})

ROUTES = [
    Route("accounts:profile", allowed=SIGNED_IN),
    Route("account_change_password", allowed=SIGNED_IN),
    Route("account_email", allowed=SIGNED_IN),
    Route("mfa_index", allowed=SIGNED_IN),
    Route("mfa_view_recovery_codes", allowed=frozenset(), refused=404),
    # Signed-in people have nothing to do on the entrance pages: allauth sends them home.
    Route("account_login", allowed=ANONYMOUS_ONLY, refused=302),
    Route("account_signup", allowed=ANONYMOUS_ONLY, refused=302),
    Route("account_reset_password", allowed=EVERYONE),
    Route("account_reset_password_done", allowed=EVERYONE),
    Route("account_email_verification_sent", allowed=EVERYONE),
]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_access(client, login_as, route, role):
    assert_access(client, route, role, login_as)


@pytest.mark.parametrize("role", ROLES)
def test_logout_page(client, login_as, role):
    user = login_as(role)
    if user is not None:
        client.force_login(user)
    response = client.get(reverse("account_logout"))
    if user is None:
        # Nobody to sign out: allauth goes back to the home page.
        assert response.status_code == 302
        assert response["Location"] == reverse("core:home")
    else:
        assert response.status_code == 200
        assert "Voulez-vous vraiment vous déconnecter ?" in response.content.decode()
        # A GET never signs anybody out (it could be a forged link).
        assert "_auth_user_id" in client.session


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("account_login", "<h1>Se connecter</h1>"),
        ("account_signup", "<h1>Créer un compte</h1>"),
        ("account_reset_password", "<h1>Mot de passe oublié</h1>"),
        ("account_reset_password_done", "<h1>Consultez votre boîte e-mail</h1>"),
        ("account_email_verification_sent", "<h1>Confirmez votre adresse e-mail</h1>"),
    ],
)
def test_entrance_pages_use_the_essaim_layout_in_french(client, name, heading):
    html = client.get(reverse(name)).content.decode()
    assert '<html lang="fr">' in html
    assert heading in html
    assert 'class="site-header"' in html  # our base.html, not allauth's bare layout
    assert "essaim/essaim.css" in html
    assert html.count("<h1>") == 1


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("account_change_password", "<h1>Changer de mot de passe</h1>"),
        ("account_email", "<h1>Adresse e-mail</h1>"),
        ("mfa_index", "<h1>Double authentification</h1>"),
        ("account_logout", "<h1>Se déconnecter</h1>"),
    ],
)
def test_manage_pages_use_the_essaim_layout_in_french(client, login_as, name, heading):
    client.force_login(login_as("member"))
    html = client.get(reverse(name)).content.decode()
    assert '<html lang="fr">' in html
    assert heading in html
    assert 'class="site-header"' in html


def test_security_pages_share_a_navigation_marking_the_current_page(client, login_as):
    client.force_login(login_as("member"))
    html = client.get(reverse("account_change_password")).content.decode()
    assert f'<a href="{reverse("account_change_password")}" aria-current="page">' in html
    for name in ("accounts:profile", "account_email", "mfa_index"):
        assert f'href="{reverse(name)}"' in html


def test_form_errors_are_tied_to_their_field(client, login_as):
    client.force_login(login_as("member"))
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "pas-le-bon", "password1": "x", "password2": "y"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_oldpassword_error"' in html
    assert 'aria-invalid="true"' in html
    assert "id_oldpassword_error" in html.split('name="oldpassword"')[1].split(">")[0]


def test_pages_switch_to_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("account_login")).content.decode()
    assert '<html lang="en">' in html
    # Field labels come from allauth's catalogue, so they switch at once.
    assert "Password" in html
    assert "Mot de passe" not in html


def test_allauth_elements_render_with_essaim_markup(rf):
    """Pages we do not rewrite (here: setting a first password) still get our classes."""
    from allauth.account.forms import SetPasswordForm
    from allauth.core import context
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string

    from essaim.accounts.models import User

    request = rf.get("/")
    request.user = AnonymousUser()
    request.session = {}
    with context.request_context(request):
        form = SetPasswordForm(user=User(email="x@exemple.org"), data={"password1": "a"})
        assert not form.is_valid()
        html = render_to_string("account/password_set.html", {"form": form}, request=request)
    assert 'class="site-header"' in html
    assert '<div class="field">' in html
    assert 'class="errorlist" id="id_password2_error"' in html
    assert 'type="submit" class="button">' in html
    assert '<div class="actions">' in html
