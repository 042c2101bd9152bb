"""Sitemap (sitemaps.org XSD, one file or an index past the limit) and robots.txt."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse, set_script_prefix
from django.utils import timezone
from lxml import etree

from essaim.actions.models import ActionStatus, ActionVisibility
from essaim.blog import sitemaps
from essaim.blog.models import PublicationStatus
from essaim.core.pagecache import bump
from essaim.core.selectors import organisation_get
from tests.access import EVERYONE, ROLES, Route, assert_access
from tests.actions.conftest import make_action
from tests.blog.factories import (
    ArticleFactory,
    CategoryFactory,
    StoryConsentFactory,
    StoryFactory,
)
from tests.circles.conftest import build_world

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "schemas"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
ORIGIN = "https://asso.example"

ROUTES = [
    Route("seo:robots", EVERYONE),
    Route("seo:sitemap", EVERYONE),
    Route("seo:sitemap_section", EVERYONE, kwargs=lambda: {"section": "pages"}),
]


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_access(client: Client, login_as: Any, route: Route, role: str) -> None:
    assert_access(client, route, role, login_as)


@pytest.fixture(autouse=True)
def _origin(settings: Any) -> None:
    settings.SITE_ORIGIN = ORIGIN


def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def _valid(content: bytes, schema: str) -> etree._Element:
    root = etree.fromstring(content)
    validator = _schema(schema)
    assert validator.validate(root), validator.error_log
    return root


def _locations(root: etree._Element) -> list[str]:
    return [loc.text for loc in root.iterfind(".//s:loc", NS)]


def _paths(locations: list[str]) -> set[str]:
    assert all(loc.startswith(ORIGIN + "/") for loc in locations), locations
    return {
        urlsplit(loc).path + (f"?{urlsplit(loc).query}" if urlsplit(loc).query else "")
        for loc in locations
    }


def _content() -> dict[str, Any]:
    category = CategoryFactory(slug="actualites", name="Actualités")
    CategoryFactory(slug="vide", name="Sans article")
    story = StoryFactory(slug="amina")
    StoryConsentFactory(story=story)
    hidden_story = StoryFactory(slug="expire")
    StoryConsentFactory(story=hidden_story, valid_until=timezone.localdate() - dt.timedelta(days=2))
    return {
        "article": ArticleFactory(slug="collecte", category=category),
        "english": ArticleFactory(slug="food-drive", language="en", category=category),
        "hidden": [
            ArticleFactory(slug="brouillon", status=PublicationStatus.DRAFT),
            ArticleFactory(slug="programme", status=PublicationStatus.SCHEDULED),
            ArticleFactory(slug="depublie", status=PublicationStatus.UNPUBLISHED),
            ArticleFactory(slug="cache", noindex=True),
            ArticleFactory(slug="ailleurs", canonical_url="https://presse.example/article"),
        ],
        "story": story,
    }


EXPECTED_PAGES = {
    "/",
    "/blog/",
    "/recits/",
    "/a-propos/",
    "/mentions-legales/",
    "/confidentialite/",
    "/je-n-aime-pas-donner/",
    "/en/",
    "/en/blog/",
    "/en/recits/",
    "/en/a-propos/",
    "/en/mentions-legales/",
    "/en/confidentialite/",
    "/en/je-n-aime-pas-donner/",
}


def test_one_valid_file_lists_every_public_page(client: Client) -> None:
    _content()
    response = client.get(reverse("seo:sitemap"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = _valid(response.content, "sitemap.xsd")
    assert root.tag == f"{{{NS['s']}}}urlset"
    assert _paths(_locations(root)) == EXPECTED_PAGES | {
        "/blog/collecte/",
        "/en/blog/food-drive/",
        "/blog/categorie/actualites/",
        "/en/blog/categorie/actualites/",
        "/recits/amina/",
    }


def test_articles_carry_their_last_change(client: Client) -> None:
    article = _content()["article"]
    changed = timezone.now() - dt.timedelta(minutes=3)
    article.content_updated_at = changed
    article.save()
    root = _valid(client.get(reverse("seo:sitemap")).content, "sitemap.xsd")
    for url in root.iterfind("s:url", NS):
        if url.findtext("s:loc", namespaces=NS).endswith("/blog/collecte/"):
            lastmod = dt.datetime.fromisoformat(url.findtext("s:lastmod", namespaces=NS))
            assert abs(lastmod - changed) < dt.timedelta(seconds=1)
            break
    else:
        pytest.fail("the article is not in the sitemap")


def test_public_actions_are_listed_others_not(client: Client) -> None:
    world = build_world()
    public = make_action(world, title="Collecte publique", visibility=ActionVisibility.PUBLIC)
    done = make_action(
        world,
        title="Collecte passée",
        visibility=ActionVisibility.PUBLIC,
        status=ActionStatus.DONE,
        days=-3,
    )
    make_action(world, title="Brouillon", visibility=ActionVisibility.PUBLIC, status="draft")
    make_action(world, title="Du cercle", visibility=ActionVisibility.CIRCLE)
    make_action(world, title="Secrète", circle="secret", visibility=ActionVisibility.PUBLIC)
    root = _valid(client.get(reverse("seo:sitemap")).content, "sitemap.xsd")
    actions = {p for p in _paths(_locations(root)) if p.startswith("/agir/")}
    assert actions == {f"/agir/{public.slug}/", f"/agir/{done.slug}/"}


def test_past_the_limit_the_sitemap_is_a_valid_index(client: Client, monkeypatch: Any) -> None:
    for number in range(7):
        ArticleFactory(slug=f"article-{number}")
    monkeypatch.setattr(sitemaps, "MAX_URLS", 5)
    response = client.get(reverse("seo:sitemap"))
    root = _valid(response.content, "siteindex.xsd")
    assert root.tag == f"{{{NS['s']}}}sitemapindex"
    files = _paths(_locations(root))
    assert files == {
        "/sitemap-pages.xml",
        "/sitemap-pages.xml?p=2",
        "/sitemap-pages.xml?p=3",
        "/sitemap-articles.xml",
        "/sitemap-articles.xml?p=2",
    }
    article_lastmod = [
        s.findtext("s:lastmod", namespaces=NS)
        for s in root.iterfind("s:sitemap", NS)
        if "articles" in s.findtext("s:loc", namespaces=NS)
    ]
    assert all(article_lastmod)
    listed: list[str] = []
    for path in sorted(files):
        section = client.get(path)
        assert section.status_code == 200, path
        urls = _locations(_valid(section.content, "sitemap.xsd"))
        assert len(urls) <= 5
        listed += urls
    assert len(listed) == len(set(listed))
    assert {f"/blog/article-{n}/" for n in range(7)} <= _paths(listed)


def test_small_site_fits_one_file_at_the_limit(client: Client, monkeypatch: Any) -> None:
    monkeypatch.setattr(sitemaps, "MAX_URLS", len(EXPECTED_PAGES))
    root = _valid(client.get(reverse("seo:sitemap")).content, "sitemap.xsd")
    assert len(_locations(root)) == len(EXPECTED_PAGES)


@pytest.mark.parametrize(
    "path",
    [
        "/sitemap-nothing.xml",
        "/sitemap-pages.xml?p=2",
        "/sitemap-pages.xml?p=x",
        "/sitemap-pages.xml?p=0",
        "/sitemap-stories.xml",
    ],
)
def test_wrong_section_or_page_is_404(client: Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_sitemap_is_cached_until_content_changes(client: Client) -> None:
    ArticleFactory(slug="premier")
    url = reverse("seo:sitemap")
    assert client.get(url)["X-Essaim-Cache"] == "miss"
    ArticleFactory(slug="second")
    cached = client.get(url)
    assert cached["X-Essaim-Cache"] == "hit" and b"/blog/second/" not in cached.content
    bump("articles")
    assert b"/blog/second/" in client.get(url).content


@pytest.mark.parametrize("count", [2, 20])
def test_sitemap_query_count_is_constant(
    client: Client, django_assert_num_queries: Any, count: int
) -> None:
    category = CategoryFactory(slug="actualites")
    for number in range(count):
        ArticleFactory(slug=f"n-{number}", category=category)
        StoryConsentFactory(story=StoryFactory(slug=f"r-{number}"))
    organisation_get()
    # Cache versions; articles (count, list); categories and stories (one query per
    # language each); actions (count; with none, no list).
    with django_assert_num_queries(8):
        assert client.get(reverse("seo:sitemap")).status_code == 200


def test_robots_points_to_the_sitemap_and_closes_private_areas(client: Client) -> None:
    response = client.get(reverse("seo:robots"))
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert f"Sitemap: {ORIGIN}/sitemap.xml" in lines
    for area in (
        "/redaction/",
        "/compte/",
        "/django-admin/",
        "/api/",
        "/personnes/",
        "/cercles/",
        "/fil/",
    ):
        assert f"Disallow: {area}" in lines
    assert "Disallow: /" not in lines
    assert not any(line == "Disallow: /blog/" or line == "Disallow: /agir/" for line in lines)


def test_robots_and_sitemap_under_a_path_prefix(client: Client, settings: Any) -> None:
    ArticleFactory(slug="prefixe")
    settings.FORCE_SCRIPT_NAME = "/participer"
    set_script_prefix("/participer/")
    try:
        robots = client.get("/robots.txt").content.decode().splitlines()
        sitemap = client.get("/sitemap.xml").content
    finally:
        set_script_prefix("/")
    assert f"Sitemap: {ORIGIN}/participer/sitemap.xml" in robots
    assert "Disallow: /participer/redaction/" in robots
    locations = _locations(_valid(sitemap, "sitemap.xsd"))
    assert f"{ORIGIN}/participer/blog/prefixe/" in locations
    assert all(loc.startswith(f"{ORIGIN}/participer/") for loc in locations)
