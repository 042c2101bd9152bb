"""What a newcomer and a staff member do, in a real Chromium, checked by axe-core on the way."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from essaim.accounts.models import User
from essaim.people.models import Person, Source
from tests.accounts.factories import RoleGrantFactory
from tests.browser.conftest import assert_accessible
from tests.conftest import make_user_for_role
from tests.people.factories import PersonFactory

PASSWORD = "Essaim-ruche-2026!"
CONFIRM_LINK = re.compile(r"https?://\S+/confirm-email/\S+")
BAD_CSV = (
    "Prénom,Nom,Courriel,CP\n"
    "Louise,Michel,louise@exemple.fr,75011\n"
    "Jean,Jaurès,pas-une-adresse,81000\n"
    "Olympe,de Gouges,olympe@exemple.fr,82000\n"
)


def expect(page):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(page)


@pytest.fixture
def _media_in_tmp(settings, tmp_path):
    # Uploaded import files must not pile up in the real var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


def test_sign_up_confirm_log_in_and_search_the_directory(page, mailoutbox):
    # Fixed cities: a random one ("Saint-Michel-…") would match the search too.
    PersonFactory(given_name="Louise", family_name="Michel", email="louise@exemple.fr", city="Lyon")
    PersonFactory(given_name="Jean", family_name="Jaurès", email="jean@exemple.fr", city="Albi")

    page.goto(reverse("core:home"))
    page.get_by_role("link", name="Créer un compte").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer un compte")
    assert_accessible(page)
    page.get_by_label("Prénom").fill("Camille")
    page.get_by_label(re.compile(r"^Nom\W*$")).fill("Durand")
    page.get_by_label("Adresse e-mail").fill("camille@exemple.org")
    page.get_by_label(re.compile(r"^Mot de passe\W*$")).fill(PASSWORD)
    page.get_by_label("Mot de passe (encore une fois)").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmez votre adresse e-mail")
    assert_accessible(page)
    assert [message.to for message in mailoutbox] == [["camille@exemple.org"]]
    link = CONFIRM_LINK.search(mailoutbox[0].body)
    assert link, mailoutbox[0].body

    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer l'adresse e-mail")
    assert_accessible(page)
    page.get_by_role("button", name="Oui, je confirme").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    user = User.objects.get(email="camille@exemple.org")
    assert user.emailaddress_set.get().verified
    assert Person.objects.get(user=user).family_name == "Durand"

    header = page.get_by_role("banner")
    header.get_by_role("button", name="Se déconnecter").click()
    expect(header.get_by_role("link", name="Se connecter")).to_be_visible()

    # A volunteer who becomes staff logs in and finds a contact.
    RoleGrantFactory(user=user, role="admin")
    header.get_by_role("link", name="Se connecter").click()
    page.locator("input[name=login]").fill("camille@exemple.org")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form").get_by_role("button", name="Se connecter").click()
    expect(header.get_by_role("button", name="Se déconnecter")).to_be_visible()

    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Personnes"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Annuaire des personnes")
    page.get_by_label("Rechercher").fill("michel")
    page.get_by_role("button", name="Chercher").click()
    results = page.locator("#resultats tbody tr")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("louise@exemple.fr")
    expect(page.locator("#result-count")).to_have_text("1 personne trouvée")
    assert_accessible(page)


@pytest.mark.usefixtures("_media_in_tmp")
def test_import_a_csv_with_one_bad_line(new_context, sign_in):
    context = new_context()
    sign_in(context, make_user_for_role("admin"))
    page = context.new_page()
    known = Person.objects.count()

    page.goto(reverse("people:import_start"))
    assert_accessible(page)
    page.get_by_label("Fichier de contacts").set_input_files(
        {"name": "contacts.csv", "mimeType": "text/csv", "buffer": BAD_CSV.encode()}
    )
    page.get_by_role("button", name="Envoyer le fichier").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("2. Associer les colonnes")
    assert_accessible(page)
    page.get_by_label("Étiquette à ajouter à toutes les personnes importées").fill("Forum 2026")
    page.get_by_role("button", name="Vérifier le fichier").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("3. Vérifier et confirmer")
    errors = page.get_by_role("region", name="1 ligne en erreur").locator("tbody tr")
    expect(errors).to_have_count(1)
    # Line 3 as the spreadsheet numbers it (the header is line 1), with the column.
    expect(errors.locator("th")).to_have_text("3")
    expect(errors).to_contain_text("Courriel")
    expect(errors).to_contain_text("Adresse e-mail invalide : « pas-une-adresse ».")
    assert_accessible(page)

    # Without choosing to skip the bad line, nothing is imported.
    page.get_by_role("button", name="Importer 2 lignes valides").click()
    expect(page.get_by_role("alert")).to_contain_text("rien n'a été importé")
    assert Person.objects.count() == known

    page.get_by_label("Ignorer les lignes en erreur").check()
    page.get_by_role("button", name="Importer 2 lignes valides").click()
    progress = page.locator("#import-progress")
    expect(progress.get_by_role("status")).to_have_text("Import terminé.")
    expect(progress.locator("progress")).to_have_attribute("value", "100")
    assert_accessible(page)
    assert sorted(Person.objects.filter(source=Source.IMPORT).values_list("email", flat=True)) == [
        "louise@exemple.fr",
        "olympe@exemple.fr",
    ]

    page.get_by_role("link", name="Voir les personnes étiquetées « Forum 2026 »").click()
    results = page.locator("#resultats tbody tr")
    expect(results).to_have_count(2)
    expect(results.filter(has_text="olympe@exemple.fr")).to_have_count(1)
    expect(results.filter(has_text="pas-une-adresse")).to_have_count(0)


def test_directory_search_works_without_javascript(new_context, sign_in):
    # Fixed cities: a random one ("Saint-Michel-…") would match the search too.
    PersonFactory(given_name="Louise", family_name="Michel", email="louise@exemple.fr", city="Lyon")
    PersonFactory(given_name="Jean", family_name="Jaurès", email="jean@exemple.fr", city="Albi")
    context = new_context(java_script_enabled=False)
    sign_in(context, make_user_for_role("coordinator"))
    page = context.new_page()

    page.goto(reverse("people:directory"))
    page.get_by_label("Rechercher").fill("jaures")
    page.get_by_role("button", name="Chercher").click()

    expect(page).to_have_url(re.compile(r"[?&]q=jaures"))
    results = page.locator("#resultats tbody tr")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("jean@exemple.fr")
