"""Essaim under a path prefix of the institutional site (ESSAIM_SITE_URL=https://asso.example/participer).

Django URLs, static and media files, canonical and absolute addresses carry the prefix
exactly once. The reverse proxy strips the prefix from the path (docs/deploy.md), so the
requests below are made without it, as Django receives them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import clear_script_prefix, get_script_prefix, reverse, set_script_prefix

from essaim.blog.public import public_absolute, public_reverse
from essaim.core.http import absolute_url
from essaim.core.markdown import is_local_image, render_markdown
from tests.blog.factories import ArticleFactory, BlogImageFactory, CategoryFactory

pytestmark = pytest.mark.django_db

ORIGIN = "https://asso.example"
PREFIX = "/participer"


@pytest.fixture
def prefixed() -> Iterator[None]:
    previous = get_script_prefix()
    with override_settings(
        FORCE_SCRIPT_NAME=PREFIX,
        SITE_ORIGIN=ORIGIN,
        SITE_URL=ORIGIN + PREFIX,
        SITE_PATH_PREFIX=PREFIX,
        STATIC_URL=f"{PREFIX}/static/",
        MEDIA_URL=f"{PREFIX}/media/",
        ALLOWED_HOSTS=["asso.example", "testserver"],
    ):
        set_script_prefix(PREFIX + "/")
        try:
            yield
        finally:
            clear_script_prefix()
            set_script_prefix(previous)


def addresses(html: str) -> list[str]:
    return re.findall(r'(?:href|src|content)="([^"]*)"', html)


def test_reverse_and_absolute_urls_carry_the_prefix_once(prefixed: None) -> None:
    assert reverse("blog:index") == "/participer/blog/"
    assert public_reverse("index", lang="en") == "/participer/en/blog/"
    assert public_absolute("home") == "https://asso.example/participer/"
    assert absolute_url(reverse("blog:index")) == "https://asso.example/participer/blog/"
    assert absolute_url("https://ailleurs.example/x") == "https://ailleurs.example/x"


def test_public_pages_under_the_prefix(prefixed: None, client: Client) -> None:
    category = CategoryFactory(slug="actualites", name="Actualités")
    cover = BlogImageFactory()
    ArticleFactory(slug="bonjour", title="Bonjour", category=category, cover=cover)
    for path in ("/", "/en/", "/blog/", "/blog/bonjour/", "/blog/categorie/actualites/"):
        response = client.get(path, HTTP_HOST="asso.example")
        assert response.status_code == 200, path
        html = response.content.decode()
        for address in addresses(html):
            assert "/participer/participer" not in address, (path, address)
            if address.startswith("/") and not address.startswith("//"):
                assert address.startswith(PREFIX + "/"), (path, address)
            if address.startswith(ORIGIN):
                assert address.startswith(ORIGIN + PREFIX + "/"), (path, address)
        assert f'href="{PREFIX}/static/essaim/essaim.css"' in html
    html = client.get("/blog/bonjour/", HTTP_HOST="asso.example").content.decode()
    assert '<link rel="canonical" href="https://asso.example/participer/blog/bonjour/">' in html
    assert f'src="{PREFIX}/media/blog/' in html
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    posting = next(item for item in map(json.loads, blocks) if item["@type"] == "BlogPosting")
    assert posting["url"] == "https://asso.example/participer/blog/bonjour/"
    assert posting["image"][0].startswith("https://asso.example/participer/media/blog/")
    crumbs = next(item for item in map(json.loads, blocks) if item["@type"] == "BreadcrumbList")
    assert [item["item"] for item in crumbs["itemListElement"]][:2] == [
        "https://asso.example/participer/",
        "https://asso.example/participer/blog/",
    ]


def test_redirects_keep_the_prefix(prefixed: None, client: Client) -> None:
    ArticleFactory(slug="in-english", language="en")
    response = client.get("/blog/in-english/")
    assert response.status_code == 301
    assert response["Location"] == "/participer/en/blog/in-english/"
    login = client.get("/redaction/")
    assert login.status_code == 302
    assert login["Location"].startswith("/participer/compte/")


def test_cached_pages_differ_with_and_without_prefix(client: Client, settings: Any) -> None:
    # The same path served at the root and under a prefix must not share a cached page.
    settings.SITE_ORIGIN = ORIGIN
    root = client.get("/blog/").content.decode()
    assert 'href="/blog/"' in root
    previous = get_script_prefix()
    with override_settings(FORCE_SCRIPT_NAME=PREFIX, STATIC_URL=f"{PREFIX}/static/"):
        set_script_prefix(PREFIX + "/")
        try:
            response = client.get("/blog/")
        finally:
            set_script_prefix(previous)
    assert response["X-Essaim-Cache"] == "miss"
    assert 'href="/participer/blog/"' in response.content.decode()


def test_markdown_images_from_the_prefixed_media_are_local(prefixed: None) -> None:
    assert is_local_image("/participer/media/blog/2026/11/photo.jpg")
    assert is_local_image("/media/blog/2026/11/photo.jpg")
    assert not is_local_image("/participer/participer/media/photo.jpg")
    assert not is_local_image("/participer/media/../secret.txt")
    assert not is_local_image("/autre/media/photo.jpg")
    html = render_markdown("![Un chat](/participer/media/blog/chat.jpg)")
    assert '<img src="/participer/media/blog/chat.jpg" alt="Un chat">' in html
