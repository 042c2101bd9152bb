"""Login, logout, password change and reset, email change, rate limit."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from essaim.people.models import Person
from tests.accounts.factories import UserFactory
from tests.people.factories import PersonFactory

from .helpers import NEW_PASSWORD, PASSWORD, is_logged_in, link_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    user = UserFactory(email="dominique@exemple.org")
    PersonFactory(user=user, email=user.email, given_name="Dominique", family_name="Martin")
    return user


def login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_login_and_logout_by_post(client, member):
    response = login(client, member.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert is_logged_in(client)

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert not is_logged_in(client)


def test_wrong_password_gets_a_french_message(client, member):
    response = login(client, member.email, "pas-le-bon")
    assert response.status_code == 200
    assert not is_logged_in(client)
    errors = response.context["form"].non_field_errors()
    assert errors == ["L’adresse e-mail ou le mot de passe sont incorrects."]
    assert '<div class="form-errors" role="alert">' in response.content.decode()


def test_repeated_failed_logins_are_rate_limited(client, member):
    for _ in range(5):
        response = login(client, member.email, "pas-le-bon")
        assert response.status_code == 200
        assert "incorrects" in response.content.decode()
    # The sixth attempt is refused even with the right password.
    response = login(client, member.email, PASSWORD)
    assert response.status_code == 200
    assert not is_logged_in(client)
    assert "Trop de tentatives de connexion échouées" in response.content.decode()


def test_rate_limit_is_per_account(client, member):
    other = UserFactory(email="autre@exemple.org")
    for _ in range(5):
        login(client, member.email, "pas-le-bon")
    response = login(client, other.email, PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_password_change(client, member):
    client.force_login(member)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    # Still signed in: Django keeps the session valid after one's own password change.
    assert is_logged_in(client)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"oldpassword": "pas-le-bon", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
            "oldpassword",
            "Merci d'indiquer votre mot de passe actuel.",
        ),
        (
            {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": "autre-2025-X"},
            "password2",
            "Vous devez saisir deux fois le même mot de passe.",
        ),
        (
            {"oldpassword": PASSWORD, "password1": "motdepasse", "password2": "motdepasse"},
            "password1",
            "trop courant",
        ),
    ],
)
def test_bad_password_change_changes_nothing(client, member, data, field, message):
    client.force_login(member)
    response = client.post(reverse("account_change_password"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_email_change_updates_person_after_confirmation(client, member):
    client.force_login(member)
    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "nouvelle@exemple.org"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    person = Person.objects.get(user=member)
    # Nothing changes until the new address is confirmed.
    assert member.email == "dominique@exemple.org"
    assert person.email == "dominique@exemple.org"
    page = client.get(reverse("account_email")).content.decode()
    assert "nouvelle@exemple.org" in page
    assert "en attente de confirmation" in page

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nouvelle@exemple.org"]
    assert "Confirmez votre adresse e-mail" in message.subject
    client.post(link_in(message, "/compte/confirm-email/"))

    member.refresh_from_db()
    person.refresh_from_db()
    assert member.email == "nouvelle@exemple.org"
    assert person.email == "nouvelle@exemple.org"
    assert person.search_text.endswith("nouvelle@exemple.org") or "nouvelle" in person.search_text
    assert list(EmailAddress.objects.filter(user=member).values_list("email", flat=True)) == [
        "nouvelle@exemple.org"
    ]


def test_email_change_refuses_an_invalid_address(client, member):
    client.force_login(member)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "pas-une-adresse"})
    assert response.status_code == 200
    assert "Saisissez une adresse de courriel valide." in response.content.decode()
    assert list(EmailAddress.objects.filter(user=member).values_list("email", flat=True)) == [
        member.email
    ]
    assert mail.outbox == []


def test_email_change_to_a_taken_address_changes_nothing(client, member):
    other = UserFactory(email="prise@exemple.org")
    client.force_login(member)
    client.post(reverse("account_email"), {"action_add": "", "email": "prise@exemple.org"})
    # allauth does not reveal that the address belongs to someone else, but nothing moves.
    member.refresh_from_db()
    assert member.email == "dominique@exemple.org"
    assert Person.objects.get(user=member).email == "dominique@exemple.org"
    # At most a pending, unverified entry: only the owner of the address could confirm it,
    # and allauth refuses that because the address is verified for another account.
    assert not EmailAddress.objects.filter(
        user=member, email="prise@exemple.org", verified=True
    ).exists()
    assert EmailAddress.objects.get(email="prise@exemple.org", verified=True).user == other
    for message in mail.outbox:
        for path in re.findall(r"https?://[^/\s]+(/compte/confirm-email/\S+)", str(message.body)):
            client.post(path)
    member.refresh_from_db()
    assert member.email == "dominique@exemple.org"
    assert Person.objects.get(user=member).email == "dominique@exemple.org"


def test_password_reset_flow(client, member):
    response = client.post(reverse("account_reset_password"), {"email": member.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject.endswith("Choisir un nouveau mot de passe")
    assert "Pour choisir un nouveau mot de passe, ouvrez ce lien" in message.body

    # allauth moves the key from the URL into the session before showing the form.
    response = client.get(link_in(message, "/compte/password/reset/key/"))
    assert response.status_code == 302
    form_url = response["Location"]
    page = client.get(form_url)
    assert "Choisir un nouveau mot de passe" in page.content.decode()

    response = client.post(form_url, {"password1": "faible", "password2": "faible"})
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.check_password(PASSWORD)

    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)

    # The link works once only.
    reused = client.get(link_in(message, "/compte/password/reset/key/"), follow=True)
    assert "Lien non valable" in reused.content.decode()

    client.logout()
    assert login(client, member.email, NEW_PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_password_reset_for_an_unknown_address_reveals_nothing(client, member):
    response = client.post(reverse("account_reset_password"), {"email": "inconnu@exemple.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    assert "aucun compte n'utilise cette adresse" in mail.outbox[0].body
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
