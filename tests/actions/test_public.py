"""The public page of an action: sign-up without an account, confirmed by email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from essaim.actions.models import Action, Registration, RegistrationSource, RegistrationStatus
from essaim.people.models import Person
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _form(**data):
    return {
        "given_name": "Léa",
        "family_name": "Martin",
        "email": "lea.martin@exemple.org",
        "phone": "",
        "website": "",
        **data,
    }


def _url(action):
    return reverse("public_actions:detail", kwargs={"slug": action.slug})


def test_public_page_has_seo_and_open_graph(client, action_world):
    action = action_world.actions["public"]
    Action.objects.filter(pk=action.pk).update(
        summary="Une maraude ouverte à tous", city="Lyon", place_name="Place Bellecour"
    )
    response = client.get(_url(action))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Action publique ·" in html
    assert '<meta name="description" content="Une maraude ouverte à tous">' in html
    assert '<meta property="og:title" content="Action publique">' in html
    assert f'<meta property="og:url" content="http://testserver{_url(action)}">' in html
    assert "Place Bellecour" in html
    assert 'name="website"' in html  # the honeypot is there, out of sight


@pytest.mark.parametrize("key", ["circle", "members", "draft", "secret"])
def test_only_public_actions_have_a_public_page(client, action_world, key):
    assert client.get(_url(action_world.actions[key])).status_code == 404


def _confirm_link(message) -> str:
    match = re.search(r"http://[^\s]+/agir/confirmer/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1)


def test_sign_up_confirm_and_cancel(client, action_world, django_capture_on_commit_callbacks):
    action = action_world.actions["public"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(action), _form(newsletter_consent="on", phone="0600000000"))
    assert response.status_code == 302
    assert response["Location"] == reverse("public_actions:thanks", kwargs={"slug": action.slug})
    registration = Registration.objects.get(action=action)
    assert registration.status == RegistrationStatus.PENDING
    assert registration.source == RegistrationSource.PUBLIC
    person = registration.person
    assert (person.given_name, person.family_name, person.phone) == ("Léa", "Martin", "0600000000")
    assert person.newsletter_consent and "Formulaire public" in person.newsletter_consent_proof
    action.refresh_from_db()
    assert action.registered_count == 0  # a place is taken once the address is confirmed
    assert len(mail.outbox) == 1
    code = _confirm_link(mail.outbox[0])
    assert code == registration.code
    assert f"/agir/annuler/{code}/" in mail.outbox[0].body
    confirm_url = reverse("public_actions:confirm", kwargs={"code": code})
    # Opening the link (or a mail scanner fetching it) does not confirm by itself.
    assert "Je confirme mon inscription" in client.get(confirm_url).content.decode()
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.PENDING
    client.post(confirm_url)
    registration.refresh_from_db()
    action.refresh_from_db()
    assert registration.status == RegistrationStatus.CONFIRMED
    assert action.registered_count == 1
    client.post(reverse("public_actions:cancel", kwargs={"code": code}))
    registration.refresh_from_db()
    action.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED
    assert action.registered_count == 0


def test_existing_person_is_matched_and_names_kept(client, action_world):
    existing = PersonFactory(given_name="Léa", family_name="Martin-Durand", email="LEA@exemple.org")
    action = action_world.actions["public"]
    client.post(_url(action), _form(email="lea@exemple.org", given_name="L", family_name="X"))
    registration = Registration.objects.get(action=action)
    assert registration.person_id == existing.pk
    existing.refresh_from_db()
    assert (existing.given_name, existing.family_name) == ("Léa", "Martin-Durand")
    assert Person.objects.filter(email__iexact="lea@exemple.org").count() == 1


def test_honeypot_stores_nothing(client, action_world):
    action = action_world.actions["public"]
    people = Person.objects.count()
    response = client.post(_url(action), _form(website="http://spam.example"))
    assert response.status_code == 302
    assert not Registration.objects.exists()
    assert Person.objects.count() == people
    assert not mail.outbox


def test_rate_limit_per_address(client, action_world):
    action = action_world.actions["public"]
    for number in range(5):
        response = client.post(_url(action), _form(email=f"p{number}@exemple.org"))
        assert response.status_code == 302
    response = client.post(_url(action), _form(email="p6@exemple.org"))
    assert response.status_code == 429
    assert "Réessayez dans quelques minutes" in response.content.decode()
    assert Registration.objects.count() == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "pas-une-adresse"}, "Cette adresse e-mail ne semble pas valide."),
        ({"given_name": ""}, "Ce champ est obligatoire."),
    ],
)
def test_bad_input_is_explained_and_stores_nothing(client, action_world, data, message):
    action = action_world.actions["public"]
    people = Person.objects.count()
    response = client.post(_url(action), _form(**data))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Registration.objects.exists()
    assert Person.objects.count() == people


def test_full_public_action(client, action_world):
    action = action_world.actions["public"]
    Action.objects.filter(pk=action.pk).update(capacity=1, registered_count=1)
    response = client.get(_url(action))
    assert "Cette action est complète" in response.content.decode()
    response = client.post(_url(action), _form())
    assert response.status_code == 400
    assert "complète" in response.content.decode()
    assert not Registration.objects.exists()


def test_confirming_when_full_is_refused(client, action_world):
    action = action_world.actions["public"]
    client.post(_url(action), _form())
    registration = Registration.objects.get()
    Action.objects.filter(pk=action.pk).update(capacity=1, registered_count=1)
    url = reverse("public_actions:confirm", kwargs={"code": registration.code})
    response = client.post(url, follow=True)
    assert "complète" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.PENDING


def test_forged_codes_are_404(client, action_world):
    for name in ("public_actions:confirm", "public_actions:cancel"):
        assert client.get(reverse(name, kwargs={"code": "invente"})).status_code == 404


def test_signing_up_again_when_confirmed_only_sends_a_reminder(
    client, action_world, django_capture_on_commit_callbacks
):
    action = action_world.actions["public"]
    client.post(_url(action), _form())
    registration = Registration.objects.get()
    client.post(reverse("public_actions:confirm", kwargs={"code": registration.code}))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(action), _form())
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CONFIRMED
    assert "déjà inscrit" in mail.outbox[0].body
    action.refresh_from_db()
    assert action.registered_count == 1


def test_cover_image_is_shared_as_open_graph_image(client, action_world):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "orange").save(buffer, "PNG")
    action = action_world.actions["public"]
    action.cover = SimpleUploadedFile("couverture.png", buffer.getvalue(), "image/png")
    action.cover_alt = "Des bénévoles souriants"
    action.save()
    html = client.get(_url(action)).content.decode()
    assert f'<meta property="og:image" content="http://testserver{action.cover.url}">' in html
    assert 'alt="Des bénévoles souriants"' in html
    assert 'name="twitter:card" content="summary_large_image"' in html


def test_public_page_links_the_action_giving_page_when_one_is_online(client, action_world):
    from tests.giving.factories import GivingPageFactory

    action = action_world.actions["public"]
    assert "Faire un don pour cette action" not in client.get(_url(action)).content.decode()
    page = GivingPageFactory(title="Pour la maraude", slug="pour-la-maraude", action=action)
    html = client.get(_url(action)).content.decode()
    assert "Faire un don pour cette action" in html
    assert 'href="/don/pour-la-maraude/"' in html
    page.is_active = False
    page.save()
    assert "Faire un don pour cette action" not in client.get(_url(action)).content.decode()
