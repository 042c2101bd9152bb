"""Role matrix of the public blog pages, in French (/) and English (/en/).

Published content: every role gets 200. Drafts, scheduled and unpublished articles: 404
for every role on the public address (the staff preview is a separate writing URL).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from essaim.blog.models import PublicationStatus
from tests.access import EVERYONE, ROLES, Route, assert_access
from tests.blog.factories import ArticleFactory, CategoryFactory, TagFactory

pytestmark = pytest.mark.django_db

LANGUAGE_OF = {"blog": "fr", "blog_en": "en"}


def _article(namespace: str) -> Any:
    def kwargs() -> dict[str, Any]:
        return {"slug": ArticleFactory(language=LANGUAGE_OF[namespace]).slug}

    return kwargs


def _category(namespace: str) -> Any:
    def kwargs() -> dict[str, Any]:
        category = CategoryFactory(slug="actualites", name="Actualités")
        ArticleFactory(language=LANGUAGE_OF[namespace], category=category)
        return {"slug": category.slug}

    return kwargs


def _tag(namespace: str) -> Any:
    def kwargs() -> dict[str, Any]:
        tag = TagFactory(slug="quartier", name="quartier")
        ArticleFactory(language=LANGUAGE_OF[namespace], tags=[tag])
        return {"slug": tag.slug}

    return kwargs


def _archive(namespace: str) -> Any:
    def kwargs() -> dict[str, Any]:
        article = ArticleFactory(language=LANGUAGE_OF[namespace])
        moment = timezone.localtime(article.published_at)
        return {"year": moment.year, "month": moment.month}

    return kwargs


ROUTES = [
    route
    for namespace in ("blog", "blog_en")
    for route in (
        Route(f"{namespace}:home", EVERYONE),
        Route(f"{namespace}:index", EVERYONE),
        Route(f"{namespace}:index", EVERYONE, query="page=1"),
        Route(f"{namespace}:category", EVERYONE, kwargs=_category(namespace)),
        Route(f"{namespace}:tag", EVERYONE, kwargs=_tag(namespace)),
        Route(f"{namespace}:archive", EVERYONE, kwargs=_archive(namespace)),
        Route(f"{namespace}:article", EVERYONE, kwargs=_article(namespace)),
    )
]


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_access(client: Client, login_as: Any, route: Route, role: str) -> None:
    assert_access(client, route, role, login_as)


HIDDEN = (PublicationStatus.DRAFT, PublicationStatus.SCHEDULED, PublicationStatus.UNPUBLISHED)


@pytest.mark.parametrize("namespace", ["blog", "blog_en"])
@pytest.mark.parametrize("status", HIDDEN)
@pytest.mark.parametrize("role", ROLES)
def test_unpublished_articles_are_404_for_everyone(
    client: Client, login_as: Any, namespace: str, status: str, role: str
) -> None:
    category = CategoryFactory(slug="cachee", name="Cachée")
    tag = TagFactory(slug="secrete", name="secrète")
    hidden = ArticleFactory(
        status=status,
        language=LANGUAGE_OF[namespace],
        title="Texte pas encore prêt",
        category=category,
        tags=[tag],
    )
    user = login_as(role)
    if user is not None:
        client.force_login(user)
    response = client.get(reverse(f"{namespace}:article", kwargs={"slug": hidden.slug}))
    assert response.status_code == 404
    # Nor does it leak through a list.
    for url in (
        reverse(f"{namespace}:home"),
        reverse(f"{namespace}:index"),
        reverse(f"{namespace}:category", kwargs={"slug": category.slug}),
        reverse(f"{namespace}:tag", kwargs={"slug": tag.slug}),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "Texte pas encore prêt" not in page.content.decode(), url


@pytest.mark.parametrize("namespace", ["blog", "blog_en"])
def test_unknown_category_tag_and_bad_archive_are_404(client: Client, namespace: str) -> None:
    for name, kwargs in (
        ("category", {"slug": "inconnue"}),
        ("tag", {"slug": "inconnue"}),
        ("archive", {"year": 2026, "month": 13}),
        ("archive", {"year": 2026, "month": 0}),
        ("archive", {"year": 12, "month": 5}),
        ("article", {"slug": "jamais-ecrit"}),
    ):
        response = client.get(reverse(f"{namespace}:{name}", kwargs=kwargs))
        assert response.status_code == 404, (name, kwargs)
