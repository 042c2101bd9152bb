"""The story page: its parts, call to action, share links, head tags; the staff detail page."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from essaim.blog.models import CallToAction, ImageRights
from essaim.core.http import absolute_url
from essaim.core.models import Organisation
from essaim.core.selectors import organisation_get
from tests.blog.factories import BlogImageFactory, StoryConsentFactory, StoryFactory
from tests.conftest import make_user_for_role

pytestmark = pytest.mark.django_db


def _page(client: Client, story: Any, namespace: str = "blog") -> str:
    response = client.get(reverse(f"{namespace}:story", kwargs={"slug": story.slug}))
    assert response.status_code == 200
    return response.content.decode()


def _json_ld(page: str) -> list[dict[str, Any]]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    return [json.loads(block) for block in blocks]


def test_story_page_shows_the_five_parts_and_its_head(client: Client) -> None:
    story = StoryConsentFactory(
        story__title="Amina trouve sa place",
        story__subject="Amina, 34 ans",
        story__meta_description="Une histoire de quartier.",
    ).story
    page = _page(client, story)
    for heading in ("La situation", "Ce qui s'est passé", "Ce qui a changé"):
        assert f">{heading}</h2>" in page, heading
    assert "Amina, 34 ans" in page
    assert story.what_changed in page
    url = absolute_url(reverse("blog:story", kwargs={"slug": story.slug}))
    assert f'<link rel="canonical" href="{url}">' in page
    assert '<meta name="description" content="Une histoire de quartier.">' in page
    kinds = {item["@type"] for item in _json_ld(page)}
    assert kinds == {"Article", "BreadcrumbList"}
    article = next(item for item in _json_ld(page) if item["@type"] == "Article")
    assert article["headline"] == "Amina trouve sa place"
    assert article["about"] == "Amina, 34 ans" and article["url"] == url
    assert "datePublished" in article and "noindex" not in page


def test_share_links_carry_the_absolute_address(client: Client) -> None:
    story = StoryConsentFactory(story__call_to_action=CallToAction.SHARE).story
    page = _page(client, story)
    url = quote(absolute_url(reverse("blog:story", kwargs={"slug": story.slug})), safe="")
    for prefix in (
        "mailto:?subject=",
        f"https://www.facebook.com/sharer/sharer.php?u={url}",
        f"https://www.linkedin.com/sharing/share-offsite/?url={url}",
        "https://x.com/intent/post?text=",
        "https://wa.me/?text=",
    ):
        assert prefix in page, prefix
    assert url in page
    assert "<script src" not in page.split("</head>")[1]  # no third-party script


def test_volunteer_call_leads_to_actions_and_sign_up(client: Client) -> None:
    story = StoryConsentFactory(
        story__call_to_action=CallToAction.VOLUNTEER,
        story__call_to_action_text="Rejoignez les bénévoles du samedi",
    ).story
    page = _page(client, story)
    assert "Rejoignez les bénévoles du samedi" in page
    assert f'href="{reverse("blog:home")}#agir"' in page
    assert f'href="{reverse("account_signup")}"' in page


def test_give_call_needs_a_giving_page_or_the_organisation_website(client: Client) -> None:
    from essaim.giving.models import GivingPage

    GivingPage.objects.all().delete()  # the page seeded by giving/0003
    story = StoryConsentFactory(story__call_to_action=CallToAction.GIVE).story
    assert "Faire un don" not in _page(client, story)
    Organisation.objects.filter(pk=organisation_get().pk).update(
        website_url="https://amis-quartier.fr/don"
    )
    cache.clear()
    page = _page(client, story)
    assert "Faire un don" in page
    assert 'href="https://amis-quartier.fr/don"' in page
    # Once Essaim takes gifts, the call leads to its default giving page.
    GivingPage.objects.create(title="Soutenir", slug="soutenir", is_default=True)
    cache.clear()
    assert f'href="{reverse("blog:give")}" rel="noopener">Faire un don' in _page(client, story)


def test_no_picture_at_all_when_someone_refused_photos(client: Client) -> None:
    cover = BlogImageFactory(alt_text="Portrait d'Amina")
    social = BlogImageFactory(alt_text="Amina au marché")
    story = StoryFactory(cover=cover, social_image=social)
    StoryConsentFactory(story=story, image_rights=ImageRights.PHOTO)
    StoryConsentFactory(story=story, featured_name="Lina", image_rights=ImageRights.NONE)
    page = _page(client, story)
    assert "og:image" not in page
    assert "Portrait d" not in page and "Amina au marché" not in page
    assert "summary_large_image" not in page


def test_english_story_at_its_english_address(client: Client) -> None:
    story = StoryConsentFactory(story__language="en", story__title="Amina's story").story
    page = _page(client, story, "blog_en")
    assert '<html lang="en"' in page
    assert "/en/recits/" in page


@pytest.mark.parametrize("n", [1, 8])
def test_staff_detail_queries_do_not_grow_with_consents(
    client: Client, django_assert_num_queries: Any, n: int
) -> None:
    client.force_login(make_user_for_role("communication"))
    story = StoryFactory(cover=BlogImageFactory())
    for index in range(n):
        StoryConsentFactory(story=story, featured_name=f"Personne {index}")
    url = reverse("site_admin:story_detail", kwargs={"story_id": story.pk})
    client.get(url)
    with django_assert_num_queries(7):
        response = client.get(url)
    assert response.content.decode().count("consent-active") == n


def test_edit_form_keeps_the_slug_when_left_empty_and_rerenders(client: Client) -> None:
    client.force_login(make_user_for_role("communication"))
    story = StoryConsentFactory(story__slug="amina").story
    url = reverse("site_admin:story_edit", kwargs={"story_id": story.pk})
    form = client.get(url).content.decode()
    assert 'value="amina"' in form
    data = {
        "subject": story.subject,
        "title": story.title,
        "slug": "",
        "situation": story.situation,
        "what_happened": story.what_happened,
        "what_changed": "Elle **coordonne** l'équipe.",
        "call_to_action": "share",
        "language": "fr",
    }
    assert client.post(url, data).status_code == 302
    story.refresh_from_db()
    assert story.slug == "amina"
    assert "<strong>coordonne</strong>" in story.what_changed_html
    assert story.call_to_action == "share"
    # The public page shows the change at once (the cache key moved).
    assert "<strong>coordonne</strong>" in _page(client.__class__(), story)


def test_a_consent_that_hides_a_published_story_is_pointed_out(client: Client) -> None:
    client.force_login(make_user_for_role("communication"))
    story = StoryConsentFactory().story
    url = reverse("site_admin:consent_add", kwargs={"story_id": story.pk})
    data = {
        "featured_name": "Paul",
        "given_by": "Paul",
        "given_on": "2026-01-05",
        "uses": ["giving"],
        "image_rights": "none",
    }
    page = client.post(url, data, follow=True).content.decode()
    assert "le récit publié n&#x27;est plus visible" in page
    assert "Publié mais invisible sur le site" in page
    public = client.__class__().get(reverse("blog:story", kwargs={"slug": story.slug}))
    assert public.status_code == 404
