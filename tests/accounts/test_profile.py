"""The profile page: details, newsletter consent with its date, links to security pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from essaim.people.models import Person
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def profile_data(person: Person, **overrides: str) -> dict[str, str]:
    data = {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "phone": "06 12 34 56 78",
        "address_line1": "3 rue des Lilas",
        "address_line2": "",
        "postal_code": "69001",
        "city": "Lyon",
    }
    data.update(overrides)
    return data


@pytest.fixture
def member(login_as):
    return login_as("member")


def test_profile_shows_details_consent_and_security_links(client, member):
    client.force_login(member)
    response = client.get(reverse("accounts:profile"))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{member.person.given_name}"' in html
    assert "Non abonné" in html
    for name in ("account_email", "account_change_password", "mfa_index"):
        assert f'href="{reverse(name)}"' in html


def test_profile_edit_and_consent_with_its_date(client, member):
    client.force_login(member)
    response = client.post(
        reverse("accounts:profile"),
        profile_data(member.person, city="Villeurbanne", newsletter_consent="on"),
    )
    assert response.status_code == 302
    person = Person.objects.get(user=member)
    assert person.city == "Villeurbanne"
    assert person.phone == "06 12 34 56 78"
    assert person.newsletter_consent is True
    assert person.newsletter_consent_proof == "Modifié par la personne dans son profil"
    consent_date = person.newsletter_consent_at
    assert consent_date is not None

    page = client.get(reverse("accounts:profile"))
    html = page.content.decode()
    assert "Votre profil est enregistré." in html
    assert "Abonné" in html
    shown = formats.date_format(timezone.localtime(consent_date), "j F Y")
    assert f"Vous avez accepté de la recevoir le {shown}." in html

    client.post(reverse("accounts:profile"), profile_data(person))
    person.refresh_from_db()
    assert person.newsletter_consent is False
    assert (
        "Vous avez retiré votre accord le"
        in client.get(reverse("accounts:profile")).content.decode()
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"given_name": ""}, "given_name", "Ce champ est obligatoire."),
        ({"family_name": "x" * 101}, "family_name", "au plus 100 caractères"),
        ({"postal_code": "1" * 11}, "postal_code", "au plus 10 caractères"),
    ],
)
def test_bad_profile_input_changes_nothing(client, member, overrides, field, message):
    before = Person.objects.get(user=member)
    client.force_login(member)
    response = client.post(reverse("accounts:profile"), profile_data(before, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert f'id="id_{field}_error"' in response.content.decode()
    after = Person.objects.get(user=member)
    assert (after.given_name, after.family_name, after.city, after.postal_code) == (
        before.given_name,
        before.family_name,
        before.city,
        before.postal_code,
    )


def test_hostile_profile_input_is_stored_as_text_and_escaped(client, member):
    client.force_login(member)
    hostile = "<img src=x onerror=alert(1)>"
    client.post(reverse("accounts:profile"), profile_data(member.person, city=hostile))
    assert Person.objects.get(user=member).city == hostile
    html = client.get(reverse("accounts:profile")).content.decode()
    assert hostile not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_profile_creates_the_missing_person(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("accounts:profile")).status_code == 200
    person = Person.objects.get(user=user)
    assert person.email == user.email
    assert person.is_sympathiser
