"""The person page, adding and editing a person, tags and bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from essaim.people.forms import clean_phone
from essaim.people.models import Person, Tag
from tests.accounts.factories import UserFactory
from tests.people.factories import PersonFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, login_as):
    user = login_as("communication")
    client.force_login(user)
    client.user = user
    return client


def _form_data(**overrides: str) -> dict[str, str]:
    data = {
        "given_name": "Camille",
        "family_name": "Durand",
        "email": "Camille.Durand@Exemple.fr",
        "phone": "+33 6 12 34 56 78",
        "address_line1": "3 rue de la Paix",
        "postal_code": "69001",
        "city": "Lyon",
        "country": "fr",
        "is_volunteer": "on",
        "source": "event",
        "source_detail": "Forum des associations",
        "last_contact_at": "2025-01-15",
        "notes": "Disponible le samedi.",
        "tag_names": "Lyon, collecte 2025,  Lyon ",
        "newsletter_consent": "on",
    }
    data.update(overrides)
    return data


def _snapshot(person: Person) -> dict:
    person.refresh_from_db()
    values = {f.name: getattr(person, f.name) for f in Person._meta.concrete_fields}
    values["tags"] = sorted(t.name for t in person.tags.all())
    return values


def test_detail_shows_everything(client, login_as):
    client.force_login(login_as("treasurer"))
    user = UserFactory(email="compte@exemple.fr")
    person = PersonFactory(
        given_name="Hélène",
        family_name="Zérah",
        phone="06 12 34 56 78",
        address_line1="1 place Bellecour",
        is_member=True,
        is_donor=True,
        source="referral",
        source_detail="Par Paul",
        last_contact_at=timezone.now(),
        newsletter_consent=True,
        newsletter_consent_at=timezone.now(),
        newsletter_consent_proof="Formulaire du site, case cochée",
        notes="Préfère être appelée le soir.",
        user=user,
    )
    person.tags.add(TagFactory(name="Grands donateurs"))
    body = client.get(reverse("people:detail", kwargs={"pk": person.pk})).content.decode()
    for expected in (
        "Hélène",
        "Zérah",
        "06 12 34 56 78",
        "1 place Bellecour",
        "Adhérent",
        "Donateur",
        "Parrainage",
        "Par Paul",
        "Grands donateurs",
        "Formulaire du site, case cochée",
        "Préfère être appelée le soir.",
        "compte@exemple.fr",
    ):
        assert expected in body, expected
    # The treasurer reads but may not edit, merge or erase.
    assert reverse("people:edit", kwargs={"pk": person.pk}) not in body
    assert reverse("people:erase", kwargs={"pk": person.pk}) not in body


def test_erased_person_shows_as_erased(client, login_as):
    client.force_login(login_as("admin"))
    person = PersonFactory(
        family_name="Personne effacée", given_name="", email="", erased_at=timezone.now()
    )
    body = client.get(reverse("people:detail", kwargs={"pk": person.pk})).content.decode()
    assert "Fiche effacée" in body
    assert reverse("people:edit", kwargs={"pk": person.pk}) not in body
    response = client.get(reverse("people:edit", kwargs={"pk": person.pk}))
    assert response.status_code == 302


def test_create_person_with_tags_and_consent(editor):
    TagFactory(name="Lyon")
    response = editor.post(reverse("people:create"), _form_data())
    person = Person.objects.get(email="camille.durand@exemple.fr")
    assert response.status_code == 302
    assert response["Location"] == reverse("people:detail", kwargs={"pk": person.pk})
    assert person.email == "camille.durand@exemple.fr"
    assert person.phone == "06 12 34 56 78"
    assert person.country == "FR"
    assert person.is_volunteer and not person.is_member
    assert person.last_contact_at.date().isoformat() == "2025-01-15"
    assert sorted((t.name for t in person.tags.all()), key=str.lower) == ["collecte 2025", "Lyon"]
    assert Tag.objects.filter(name__iexact="lyon").count() == 1
    assert person.newsletter_consent and person.newsletter_consent_at is not None
    assert person.newsletter_consent_proof == f"Modifié par {editor.user.email} dans l'annuaire"
    assert "camille" in person.search_text


def test_edit_person_changes_details_tags_and_consent(editor):
    person = PersonFactory(given_name="Jean", family_name="Valjean", newsletter_consent=False)
    person.tags.add(TagFactory(name="Ancienne"))
    url = reverse("people:edit", kwargs={"pk": person.pk})
    form_page = editor.get(url).content.decode()
    assert 'list="tag-suggestions"' in form_page and '<option value="Ancienne">' in form_page
    assert 'value="Ancienne"' in form_page
    response = editor.post(url, _form_data(given_name="Jeanne", tag_names="Nouvelle"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.given_name == "Jeanne"
    assert [t.name for t in person.tags.all()] == ["Nouvelle"]
    assert person.newsletter_consent
    assert "Modifié par" in person.newsletter_consent_proof
    # Withdrawing consent is recorded with its own date and proof.
    editor.post(url, _form_data(newsletter_consent=""))
    person.refresh_from_db()
    assert not person.newsletter_consent
    assert person.newsletter_consent_at is not None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "pas-une-adresse"}, "email", "courriel valide"),
        ({"given_name": "", "family_name": "", "email": ""}, None, "au moins un nom"),
        ({"postal_code": "6900"}, "postal_code", "5 chiffres"),
        ({"postal_code": "ABCDE"}, "postal_code", "5 chiffres"),
        ({"phone": "appelez-moi"}, "phone", "caractères inattendus"),
        ({"phone": "12"}, "phone", "nombre de chiffres"),
        ({"family_name": "x" * 101}, "family_name", "100 caractères"),
        ({"notes": "ok", "city": "y" * 101}, "city", "100 caractères"),
        ({"tag_names": "a" * 61}, "tag_names", "trop longue"),
        ({"tag_names": ",".join(f"t{i}" for i in range(31))}, "tag_names", "au plus 30"),
        ({"country": "France"}, "country", "2 caractères"),
        ({"last_contact_at": "2999-01-01"}, "last_contact_at", "future"),
        ({"last_contact_at": "hier"}, "last_contact_at", "date valide"),
        ({"source": "piratage"}, "source", "choix valide"),
    ],
)
def test_bad_input_changes_nothing(editor, overrides, field, message):
    person = PersonFactory(given_name="Jean", family_name="Valjean", postal_code="75001")
    person.tags.add(TagFactory(name="Avant"))
    before = _snapshot(person)
    tags_before = Tag.objects.count()
    response = editor.post(
        reverse("people:edit", kwargs={"pk": person.pk}), _form_data(**overrides)
    )
    assert response.status_code == 400
    form = response.context["form"]
    errors = form.errors[field] if field else form.non_field_errors()
    assert any(message in str(error) for error in errors), errors
    assert "La fiche n'a pas été enregistrée" in response.content.decode()
    assert _snapshot(person) == before
    assert Tag.objects.count() == tags_before
    # The page heading still shows the stored name, not the refused input.
    assert "Modifier la fiche de Jean Valjean" in response.content.decode()


def test_create_with_bad_input_creates_nothing(editor):
    count = Person.objects.count()
    response = editor.post(reverse("people:create"), _form_data(email="@@", tag_names="Neuve"))
    assert response.status_code == 400
    assert Person.objects.count() == count
    assert not Tag.objects.filter(name="Neuve").exists()


def test_foreign_postal_code_is_accepted(editor):
    editor.post(
        reverse("people:create"), _form_data(country="BE", postal_code="1000", city="Bruxelles")
    )
    assert Person.objects.get(city="Bruxelles").postal_code == "1000"


def test_hostile_html_is_stored_and_escaped(editor):
    hostile = '<script>alert("x")</script>'
    editor.post(
        reverse("people:create"), _form_data(family_name=hostile, notes=hostile, tag_names=hostile)
    )
    person = Person.objects.get(family_name=hostile)
    assert person.notes == hostile
    body = editor.get(reverse("people:detail", kwargs={"pk": person.pk})).content.decode()
    assert hostile not in body
    assert "&lt;script&gt;" in body


def test_sql_looking_search_is_harmless(client, login_as):
    client.force_login(login_as("coordinator"))
    PersonFactory(family_name="O'Brien")
    response = client.get(
        reverse("people:directory"), {"q": "' OR 1=1; DROP TABLE people_person; --"}
    )
    assert response.status_code == 200
    assert Person.objects.filter(family_name="O'Brien").exists()
    assert [
        p.family_name
        for p in client.get(reverse("people:directory"), {"q": "o'brien"}).context["page"]
    ] == ["O'Brien"]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("0612345678", "06 12 34 56 78"),
        ("+33 6 12 34 56 78", "06 12 34 56 78"),
        ("0033 1.23.45.67.89", "01 23 45 67 89"),
        ("06-12-34-56-78", "06 12 34 56 78"),
        ("+32 2 123 45 67", "+3221234567"),
        ("", ""),
    ],
)
def test_phone_cleaning(raw, clean):
    assert clean_phone(raw) == clean


def test_django_admin_lists_and_searches_people(client):
    superuser = UserFactory(email="technique@exemple.org", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    PersonFactory(given_name="Hélène", family_name="Zérah")
    TagFactory(name="Presse")
    response = client.get(reverse("admin:people_person_changelist"), {"q": "helene"})
    assert response.status_code == 200
    assert "Zérah" in response.content.decode()
    assert client.get(reverse("admin:people_tag_changelist"), {"q": "pre"}).status_code == 200
    # Read-mostly: no adding or deleting people there, merge and erasure have their own pages.
    assert client.get(reverse("admin:people_person_add")).status_code == 403
