"""RSS 2.0 and Atom feeds: structure the W3C validator asks for, content, language, cache."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse, set_script_prefix
from django.utils import timezone
from lxml import etree

from essaim.blog.models import PublicationStatus
from essaim.core.pagecache import bump
from essaim.core.selectors import organisation_get
from tests.access import EVERYONE, ROLES, Route, assert_access
from tests.blog.factories import (
    ArticleFactory,
    CategoryFactory,
    StoryConsentFactory,
    StoryFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _category() -> dict[str, Any]:
    return {"slug": CategoryFactory(slug="actualites", name="Actualités").slug}


ROUTES = [
    Route(f"{namespace}:{name}", EVERYONE, kwargs=kwargs)
    for namespace in ("blog", "blog_en")
    for name, kwargs in (
        ("feed_rss", None),
        ("feed_atom", None),
        ("category_feed_rss", _category),
        ("category_feed_atom", _category),
        ("stories_feed_rss", None),
        ("stories_feed_atom", None),
    )
]


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_access(client: Client, login_as: Any, route: Route, role: str) -> None:
    assert_access(client, route, role, login_as)


def _get(client: Client, url: str) -> etree._Element:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return etree.fromstring(response.content)


def _rss_items(client: Client, url: str) -> tuple[etree._Element, list[etree._Element]]:
    root = _get(client, url)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    return channel, channel.findall("item")


def _atom_entries(client: Client, url: str) -> tuple[etree._Element, list[etree._Element]]:
    root = _get(client, url)
    assert root.tag == f"{ATOM}feed"
    return root, root.findall(f"{ATOM}entry")


def _article_set() -> dict[str, Any]:
    category = CategoryFactory(slug="actualites", name="Actualités")
    tag = TagFactory(slug="benevolat", name="bénévolat")
    published = ArticleFactory(
        title="La collecte de printemps",
        slug="la-collecte-de-printemps",
        category=category,
        tags=[tag],
        author_name="Léa Martin",
        body="Nous avons **collecté** 2 tonnes.",
    )
    return {
        "published": published,
        "draft": ArticleFactory(slug="brouillon", status=PublicationStatus.DRAFT),
        "scheduled": ArticleFactory(slug="programme", status=PublicationStatus.SCHEDULED),
        "unpublished": ArticleFactory(slug="depublie", status=PublicationStatus.UNPUBLISHED),
        "english": ArticleFactory(slug="spring-food-drive", language="en", title="Food drive"),
        "category": category,
    }


def test_rss_items_carry_what_validators_ask_for(client: Client) -> None:
    data = _article_set()
    channel, items = _rss_items(client, reverse("blog:feed_rss"))
    assert channel.findtext("language") == "fr"
    assert channel.findtext("link") == "http://testserver/blog/" or channel.findtext(
        "link"
    ).endswith("/blog/")
    self_link = channel.find(f"{ATOM}link")
    assert self_link is not None and self_link.get("rel") == "self"
    assert self_link.get("href", "").startswith("http") and self_link.get("href", "").endswith(
        "/blog/flux.rss"
    )
    assert [item.findtext("title") for item in items] == ["La collecte de printemps"]
    item = items[0]
    link = item.findtext("link")
    assert link.startswith("http") and link.endswith("/blog/la-collecte-de-printemps/")
    guid = item.find("guid")
    assert guid is not None and guid.text == link
    assert guid.get("isPermaLink", "true") == "true"
    published = parsedate_to_datetime(item.findtext("pubDate"))
    assert abs(published - data["published"].published_at) < dt.timedelta(seconds=1)
    assert item.findtext(f"{DC}creator") == "Léa Martin"
    assert sorted(c.text for c in item.findall("category")) == ["Actualités", "bénévolat"]
    assert item.findtext("description") == data["published"].summary
    assert "<strong>collecté</strong>" in item.findtext(f"{CONTENT}encoded")


def test_atom_entries_carry_id_updated_and_author(client: Client) -> None:
    data = _article_set()
    later = timezone.now() - dt.timedelta(minutes=5)
    data["published"].content_updated_at = later
    data["published"].save()
    feed, entries = _atom_entries(client, reverse("blog:feed_atom"))
    assert feed.get(XML_LANG) == "fr"
    assert feed.findtext(f"{ATOM}id")
    assert dt.datetime.fromisoformat(feed.findtext(f"{ATOM}updated"))
    assert any(
        link.get("rel") == "self" and link.get("href", "").endswith("/blog/flux.atom")
        for link in feed.findall(f"{ATOM}link")
    )
    assert len(entries) == 1
    entry = entries[0]
    assert entry.findtext(f"{ATOM}title") == "La collecte de printemps"
    assert entry.findtext(f"{ATOM}id", "").endswith("/blog/la-collecte-de-printemps/")
    updated = dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
    assert abs(updated - later) < dt.timedelta(seconds=1)
    assert dt.datetime.fromisoformat(entry.findtext(f"{ATOM}published"))
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Léa Martin"
    link = entry.find(f"{ATOM}link")
    assert link is not None and link.get("href", "").startswith("http")
    assert entry.findtext(f"{ATOM}summary") == data["published"].summary
    content = entry.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html"
    assert "<strong>collecté</strong>" in (content.text or "")


def test_feed_language_comes_from_the_address(client: Client) -> None:
    _article_set()
    channel, items = _rss_items(client, reverse("blog_en:feed_rss"))
    assert channel.findtext("language") == "en"
    assert [item.findtext("title") for item in items] == ["Food drive"]
    assert items[0].findtext("link").endswith("/en/blog/spring-food-drive/")
    feed, entries = _atom_entries(client, reverse("blog_en:feed_atom"))
    assert feed.get(XML_LANG) == "en"
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Food drive"]


def test_no_draft_scheduled_or_unpublished_article_in_any_feed(client: Client) -> None:
    data = _article_set()
    hidden = {data[k].slug for k in ("draft", "scheduled", "unpublished")}
    for name in ("feed_rss", "feed_atom"):
        for namespace in ("blog", "blog_en"):
            text = client.get(reverse(f"{namespace}:{name}")).content.decode()
            assert not any(f"/{slug}/" in text for slug in hidden), (namespace, name)


def test_twenty_items_newest_first(client: Client) -> None:
    now = timezone.now()
    for number in range(25):
        ArticleFactory(
            slug=f"a-{number:02d}",
            title=f"A {number:02d}",
            published_at=now - dt.timedelta(hours=number + 1),
        )
    _channel, items = _rss_items(client, reverse("blog:feed_rss"))
    assert [item.findtext("title") for item in items] == [f"A {n:02d}" for n in range(20)]
    _feed, entries = _atom_entries(client, reverse("blog:feed_atom"))
    assert len(entries) == 20


def test_category_feed_lists_only_its_category(client: Client) -> None:
    data = _article_set()
    ArticleFactory(slug="autre", title="Ailleurs", category=CategoryFactory(slug="autre"))
    url = reverse("blog:category_feed_rss", kwargs={"slug": "actualites"})
    channel, items = _rss_items(client, url)
    assert "Actualités" in channel.findtext("title")
    assert channel.findtext("link").endswith("/blog/categorie/actualites/")
    assert [item.findtext("title") for item in items] == [data["published"].title]
    feed, entries = _atom_entries(
        client, reverse("blog:category_feed_atom", kwargs={"slug": "actualites"})
    )
    assert len(entries) == 1
    assert any(
        link.get("href", "").endswith("/blog/categorie/actualites/flux.atom")
        for link in feed.findall(f"{ATOM}link")
    )


def test_unknown_category_feed_is_404(client: Client) -> None:
    assert client.get(reverse("blog:category_feed_rss", kwargs={"slug": "rien"})).status_code == 404


def test_stories_feed_lists_only_stories_with_valid_consents(client: Client) -> None:
    shown = StoryConsentFactory(story=StoryFactory(title="Amina", slug="amina")).story
    StoryFactory(title="Sans consentement", slug="sans-consentement")
    expired = StoryFactory(title="Expiré", slug="expire")
    StoryConsentFactory(story=expired, valid_until=timezone.localdate() - dt.timedelta(days=1))
    StoryConsentFactory(
        story=StoryFactory(title="Brouillon", slug="brouillon", status=PublicationStatus.DRAFT)
    )
    channel, items = _rss_items(client, reverse("blog:stories_feed_rss"))
    assert channel.findtext("link").endswith("/recits/")
    assert [item.findtext("title") for item in items] == ["Amina"]
    item = items[0]
    assert item.findtext("guid") == item.findtext("link")
    assert item.findtext("link").endswith("/recits/amina/")
    assert shown.what_changed in item.findtext(f"{CONTENT}encoded")
    _feed, entries = _atom_entries(client, reverse("blog:stories_feed_atom"))
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Amina"]
    assert entries[0].findtext(f"{ATOM}author/{ATOM}name") == organisation_get().display_name


def test_feeds_are_advertised_with_their_mime_types(client: Client) -> None:
    _article_set()
    rss = client.get(reverse("blog:feed_rss"))
    atom = client.get(reverse("blog:feed_atom"))
    assert rss["Content-Type"].startswith("application/rss+xml")
    assert atom["Content-Type"].startswith("application/atom+xml")


def test_links_hold_the_origin_and_path_prefix(client: Client, settings: Any) -> None:
    ArticleFactory(slug="prefixe", title="Sous un préfixe")
    settings.SITE_ORIGIN = "https://asso.example"
    settings.FORCE_SCRIPT_NAME = "/participer"
    # What the WSGI handler does for each request (the test client does not).
    set_script_prefix("/participer/")
    try:
        channel, items = _rss_items(client, "/blog/flux.rss")
    finally:
        set_script_prefix("/")
    assert channel.findtext("link") == "https://asso.example/participer/blog/"
    assert items[0].findtext("link") == "https://asso.example/participer/blog/prefixe/"
    assert channel.find(f"{ATOM}link").get("href") == (
        "https://asso.example/participer/blog/flux.rss"
    )


def test_feed_is_served_from_the_page_cache_until_articles_change(client: Client) -> None:
    ArticleFactory(slug="premier", title="Premier")
    url = reverse("blog:feed_rss")
    assert client.get(url)["X-Essaim-Cache"] == "miss"
    ArticleFactory(slug="second", title="Second")
    cached = client.get(url)
    assert cached["X-Essaim-Cache"] == "hit"
    assert b"Second" not in cached.content
    # What the publishing service does in its transaction.
    bump("articles")
    fresh = client.get(url)
    assert fresh["X-Essaim-Cache"] == "miss"
    assert b"Second" in fresh.content


@pytest.mark.parametrize("count", [2, 20])
def test_feed_query_count_is_constant(
    client: Client, django_assert_num_queries: Any, count: int
) -> None:
    category = CategoryFactory(slug="actualites")
    tags = [TagFactory(slug=f"t{n}") for n in range(3)]
    for number in range(count):
        ArticleFactory(slug=f"n-{number}", category=category, tags=tags)
    organisation_get()
    # Page-cache versions, the articles with their category, their tags.
    with django_assert_num_queries(3):
        assert client.get(reverse("blog:feed_rss")).status_code == 200
    with django_assert_num_queries(4):  # + the category
        url = reverse("blog:category_feed_atom", kwargs={"slug": "actualites"})
        assert client.get(url).status_code == 200


def test_feeds_and_sitemap_follow_the_publishing_services_through_the_cache(
    client: Client, writer: Any
) -> None:
    """Draft, scheduled, published, unpublished: every step shows at once, nothing stale."""
    from essaim.blog import services

    def shown() -> tuple[bool, bool, bool]:
        rss = client.get(reverse("blog:feed_rss")).content.decode()
        atom = client.get(reverse("blog:feed_atom")).content.decode()
        sitemap = client.get(reverse("seo:sitemap")).content.decode()
        path = "/blog/la-fete-des-voisins/"
        return (path in rss, path in atom, path in sitemap)

    assert shown() == (False, False, False)  # the three pages are now cached
    article = services.article_create(
        actor=writer,
        data={"title": "La fête des voisins", "summary": "Rendez-vous le 12.", "body": "Venez !"},
    )
    assert shown() == (False, False, False)
    when = timezone.now() + dt.timedelta(hours=2)
    article = services.article_schedule(actor=writer, article=article, publish_at=when)
    assert shown() == (False, False, False)
    assert services.articles_publish_due(now=when + dt.timedelta(minutes=1)) == 1
    assert shown() == (True, True, True)
    article.refresh_from_db()
    services.article_update(actor=writer, article=article, data={"noindex": True})
    # Still announced to subscribers, no longer offered to search engines.
    assert shown() == (True, True, False)
    services.article_unpublish(actor=writer, article=article, reason="Date changée")
    assert shown() == (False, False, False)


def test_full_text_links_and_pictures_are_absolute(client: Client, settings: Any) -> None:
    from tests.blog.factories import BlogImageFactory

    settings.SITE_ORIGIN = "https://asso.example"
    image = BlogImageFactory()
    body = f"Voir [l'autre article](/blog/autre/).\n\n![Des bénévoles]({image.file.url})"
    ArticleFactory(slug="images", title="Images", body=body)
    _channel, items = _rss_items(client, reverse("blog:feed_rss"))
    html = items[0].findtext(f"{CONTENT}encoded")
    assert 'href="https://asso.example/blog/autre/"' in html
    assert f'src="https://asso.example{image.file.url}"' in html
    assert 'src="/' not in html and 'href="/' not in html and 'srcset="/' not in html
    _feed, entries = _atom_entries(client, reverse("blog:feed_atom"))
    assert f"https://asso.example{image.file.url}" in entries[0].findtext(f"{ATOM}content")


def test_absolute_html_rewrites_every_srcset_candidate(settings: Any) -> None:
    from essaim.blog.feeds import absolute_html

    settings.SITE_ORIGIN = "https://asso.example"
    html = (
        '<source srcset="/media/a-400.webp 400w, /media/a-800.webp 800w">'
        '<a href="https://ailleurs.example/x">x</a><img src="//cdn.example/i.png" alt="">'
    )
    assert absolute_html(html) == (
        '<source srcset="https://asso.example/media/a-400.webp 400w, '
        'https://asso.example/media/a-800.webp 800w">'
        '<a href="https://ailleurs.example/x">x</a><img src="//cdn.example/i.png" alt="">'
    )
