"""Sign-up, email confirmation and the bad input the sign-up form must refuse."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from essaim.accounts.models import User
from essaim.core.models import Organisation
from essaim.people.models import Person

from .helpers import is_logged_in, link_in, signup_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation() -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(pk=Organisation.SINGLETON_PK)
    organisation.name = "Les Abeilles du Quartier"
    organisation.save()
    cache.clear()
    return organisation


def test_full_sign_up_flow(client, organisation):
    response = client.post(reverse("account_signup"), signup_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert not is_logged_in(client)

    # One French email, from and about the association, with the confirmation link.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["camille.durand@exemple.org"]
    assert message.subject == "[Les Abeilles du Quartier] Confirmez votre inscription"
    assert "Les Abeilles du Quartier" in message.from_email
    assert "Merci de votre inscription sur l'espace de Les Abeilles du Quartier" in message.body
    assert "Bonjour," in message.body
    assert message.body.rstrip().endswith("Les Abeilles du Quartier\nhttp://testserver/")
    link = link_in(message, "/compte/confirm-email/")

    user = User.objects.get(email="camille.durand@exemple.org")
    person = Person.objects.get(user=user)
    assert (person.given_name, person.family_name) == ("Camille", "Durand")
    assert person.email == user.email
    assert person.is_sympathiser and not person.is_member
    assert person.newsletter_consent is True
    assert person.newsletter_consent_at is not None
    assert person.newsletter_consent_proof == "Case cochée au formulaire d'inscription"
    assert not EmailAddress.objects.get(user=user).verified

    # Opening the link only asks; confirming takes a POST (mail scanners follow links).
    page = client.get(link)
    assert page.status_code == 200
    assert "Oui, je confirme" in page.content.decode()
    assert not EmailAddress.objects.get(user=user).verified

    confirmed = client.post(link)
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert is_logged_in(client)
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_sign_up_without_newsletter_records_no_consent(client):
    client.post(reverse("account_signup"), signup_data(newsletter_consent=""))
    person = Person.objects.get(user__email="camille.durand@exemple.org")
    assert person.newsletter_consent is False
    assert person.newsletter_consent_at is None


def test_login_refused_before_confirmation(client):
    client.post(reverse("account_signup"), signup_data())
    mail.outbox.clear()
    response = client.post(
        reverse("account_login"),
        {"login": "camille.durand@exemple.org", "password": "Ruche-Solidaire-2025"},
    )
    assert not is_logged_in(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    # allauth resends the confirmation at most once every 3 minutes per address.
    assert mail.outbox == []
    assert EmailAddress.objects.filter(email="camille.durand@exemple.org", verified=False).exists()


def test_bad_confirmation_link_is_explained_in_french(client):
    response = client.get(reverse("account_confirm_email", args=["pas-une-vraie-cle"]))
    assert response.status_code == 200
    assert "Ce lien de confirmation a expiré ou n'est pas valable." in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "pas-une-adresse"}, "email", "Saisissez une adresse de courriel valide."),
        ({"email": ""}, "email", "Ce champ est obligatoire."),
        (
            {"password2": "Autre-Chose-2025"},
            "password2",
            "Vous devez saisir deux fois le même mot de passe.",
        ),
        ({"password1": "azerty", "password2": "azerty"}, "password1", "trop court"),
        ({"password1": "12345678901", "password2": "12345678901"}, "password1", "numérique"),
        ({"given_name": "a" * 101}, "given_name", "au plus 100 caractères"),
        ({"family_name": "b" * 101}, "family_name", "au plus 100 caractères"),
        ({"given_name": "   "}, "given_name", "Ce champ est obligatoire."),
    ],
)
def test_bad_sign_up_input_creates_nothing(client, overrides, field, message):
    response = client.post(reverse("account_signup"), signup_data(**overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert any(message in error for error in form.errors[field]), form.errors[field]
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert User.objects.count() == 0
    assert Person.objects.count() == 0
    assert mail.outbox == []


def test_existing_address_gets_no_second_account(client, login_as):
    existing = login_as("member")
    mail.outbox.clear()
    response = client.post(reverse("account_signup"), signup_data(email=existing.email))
    # allauth does not reveal that the address is taken; it tells its owner by email.
    assert User.objects.filter(email=existing.email).count() == 1
    assert Person.objects.filter(user__email=existing.email).count() == 1
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "un compte existe déjà avec cette adresse" in mail.outbox[0].body


def test_hostile_names_are_stored_as_text_and_escaped(client):
    hostile = '<script>alert("x")</script>'
    client.post(
        reverse("account_signup"),
        signup_data(given_name=hostile, family_name="Robert'); DROP TABLE people_person;--"),
    )
    person = Person.objects.get(user__email="camille.durand@exemple.org")
    assert person.given_name == hostile
    assert person.family_name == "Robert'); DROP TABLE people_person;--"

    client.force_login(person.user)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert hostile not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
