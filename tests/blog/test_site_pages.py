"""Fixed pages (about, legal notice, privacy): defaults from the organisation, staff texts."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from essaim.blog.models import SitePage
from essaim.blog.site_pages import site_page_reset, site_page_save
from essaim.core.models import AuditLog, Organisation
from essaim.core.pagecache import versions
from essaim.core.selectors import organisation_get
from tests.conftest import make_user_for_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation() -> Organisation:
    org = organisation_get()
    Organisation.objects.filter(pk=org.pk).update(
        name="Les Amis du Quartier",
        address_line1="12 rue des Lilas",
        postal_code="69003",
        city="Lyon",
        rna_number="W691234567",
        siren="123456789",
        contact_email="contact@amis-quartier.fr",
        receipt_signer_name="Claire Martin",
        receipt_signer_role="présidente",
        website_url="https://amis-quartier.fr",
    )
    from django.core.cache import cache

    cache.clear()
    return organisation_get()


def _text(client: Client, name: str) -> str:
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def test_default_legal_notice_comes_from_the_organisation(
    client: Client, organisation: Organisation
) -> None:
    page = _text(client, "blog:legal")
    for expected in (
        "Les Amis du Quartier",
        "12 rue des Lilas, 69003 Lyon",
        "W691234567",
        "123456789",
        "contact@amis-quartier.fr",
        "Claire Martin, présidente",
        "hébergé par l'association elle-même",
    ):
        assert expected in page, expected
    assert f'<link rel="canonical" href="{settings.SITE_ORIGIN}/mentions-legales/">' in page


def test_hosting_provider_setting_is_named(
    client: Client, organisation: Organisation, settings: Any
) -> None:
    settings.ESSAIM_HOSTING_PROVIDER = "OVH SAS, 2 rue Kellermann, 59100 Roubaix"
    page = _text(client, "blog:legal")
    assert "OVH SAS, 2 rue Kellermann, 59100 Roubaix" in page
    assert "elle-même" not in page


def test_legal_notice_without_signer_names_the_legal_representative(client: Client) -> None:
    page = _text(client, "blog:legal")
    assert "représentant légal" in page
    assert "non renseigné" in page  # no address yet


def test_default_privacy_page_lists_cookies_rights_and_contact(
    client: Client, organisation: Organisation
) -> None:
    page = _text(client, "blog:privacy")
    for expected in ("sessionid", "csrftoken", "django_language", "publicité", "CNIL"):
        assert expected in page, expected
    assert "mailto:contact@amis-quartier.fr" in page


def test_default_about_page_and_its_json_ld(client: Client, organisation: Organisation) -> None:
    page = _text(client, "blog:about")
    assert "Les Amis du Quartier" in page
    assert '"@type":"NGO"' in page
    assert 'hreflang="en"' in page


def test_english_default_page_exists_and_is_marked_english(client: Client) -> None:
    page = _text(client, "blog_en:privacy")
    assert '<html lang="en"' in page
    assert 'lang="en"' in page


def test_staff_text_replaces_the_default_and_bumps_the_site(
    client: Client, organisation: Organisation
) -> None:
    writer = make_user_for_role("communication")
    url = reverse("blog:about")
    assert "Nous rejoindre" in client.get(url).content.decode()
    assert client.get(url)["X-Essaim-Cache"] == "hit"
    before = versions(["site"])["site"]
    site_page_save(
        actor=writer,
        kind="about",
        language="fr",
        title="Qui sommes-nous ?",
        body="Nous sommes **trente** voisins. <script>alert(1)</script>",
        meta_description="Trente voisins qui s'entraident.",
    )
    assert versions(["site"])["site"] == before + 1
    page = client.get(url).content.decode()
    assert "Qui sommes-nous ?" in page
    assert "<strong>trente</strong>" in page
    assert "<script>alert" not in page
    assert 'content="Trente voisins qui s&#x27;entraident."' in page
    assert "Nous rejoindre" not in page
    # The English page keeps its own default.
    assert "Qui sommes-nous" not in client.get(reverse("blog_en:about")).content.decode()
    assert AuditLog.objects.filter(action="site_page.create").count() == 1
    site_page_save(actor=writer, kind="about", language="fr", title="Nous", body="Texte")
    assert SitePage.objects.count() == 1
    assert AuditLog.objects.filter(action="site_page.update").count() == 1
    assert site_page_reset(actor=writer, kind="about", language="fr")
    assert "Nous rejoindre" in client.get(url).content.decode()


def test_edit_page_prefills_the_default_previews_and_saves(client: Client) -> None:
    client.force_login(make_user_for_role("communication"))
    url = reverse("site_admin:page_edit", kwargs={"kind": "privacy", "language": "fr"})
    form = client.get(url).content.decode()
    assert "Le texte ci-dessous est celui qu'Essaim propose" in form
    assert "sessionid" in form
    preview = client.post(url, {"title": "Vie privée", "body": "## Nos cookies", "preview": "1"})
    assert preview.status_code == 200
    assert "<h2>Nos cookies</h2>" in preview.content.decode()
    assert not SitePage.objects.exists()
    saved = client.post(url, {"title": "Vie privée", "body": "## Nos cookies"})
    assert saved.status_code == 302
    page = SitePage.objects.get()
    assert (page.kind, page.language, page.title) == ("privacy", "fr", "Vie privée")
    listing = client.get(reverse("site_admin:page_list")).content.decode()
    assert "écrit par l'équipe" in listing


def test_bad_input_changes_nothing(client: Client) -> None:
    client.force_login(make_user_for_role("admin"))
    url = reverse("site_admin:page_edit", kwargs={"kind": "legal", "language": "fr"})
    response = client.post(url, {"title": "", "body": "   "})
    assert response.status_code == 200
    assert "Ce champ est obligatoire" in response.content.decode()
    hostile = "![](https://pisteur.example/p.gif)"
    response = client.post(url, {"title": "Mentions", "body": hostile})
    assert response.status_code == 200
    assert "texte alternatif" in response.content.decode()
    assert not SitePage.objects.exists()


def test_page_list_query_count(client: Client, django_assert_num_queries: Any) -> None:
    writer = make_user_for_role("communication")
    client.force_login(writer)
    client.get(reverse("site_admin:page_list"))
    with django_assert_num_queries(5):
        client.get(reverse("site_admin:page_list"))
    for kind in ("about", "legal", "privacy"):
        for language in ("fr", "en"):
            site_page_save(actor=writer, kind=kind, language=language, title="T", body="B")
    with django_assert_num_queries(5):
        response = client.get(reverse("site_admin:page_list"))
    assert response.content.decode().count("écrit par l") == 6
