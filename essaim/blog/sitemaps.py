"""What the public site lists for search engines: one sitemap section per kind of page.

Sections: fixed pages (home, blog, stories, about, legal notice, privacy, in each
language), published articles (except those marked noindex or first published
elsewhere, whose canonical address is not ours), categories with articles, public
stories, and public actions. Addresses are absolute, built from ``SITE_ORIGIN`` and any
path prefix, never from the request's host. A file holds at most :data:`MAX_URLS`
addresses (the sitemaps.org limit): past that, ``/sitemap.xml`` becomes an index of
``/sitemap-<section>.xml?p=N`` files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import Paginator
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.urls import reverse
from django.utils.functional import cached_property

from .models import Article, Category
from .public import languages, public_reverse

# The sitemaps.org limit of addresses per file (and of files per index).
MAX_URLS = 50_000
NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@dataclass(frozen=True)
class PageItem:
    """A fixed page in one language."""

    name: str
    language: str


class PublicSitemap(Sitemap):  # type: ignore[type-arg]
    """A section whose addresses start with ``SITE_ORIGIN`` (scheme, host; prefix in paths)."""

    @property
    def limit(self) -> int:  # type: ignore[override]
        return MAX_URLS

    @cached_property
    def paginator(self) -> Paginator:  # type: ignore[override]
        # Django builds a new paginator (and counts again) at each access.
        return Paginator(self._items(), self.limit)  # type: ignore[attr-defined]

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.SITE_ORIGIN).scheme or "https"

    def get_domain(self, site: Any = None) -> str:
        return urlsplit(settings.SITE_ORIGIN).netloc

    def latest(self) -> datetime | None:
        """Return the last change in this section (the index's <lastmod>), in one query."""
        return None


# Fixed pages (about, legal notice and privacy have a default text in every language;
# the excuses journey's first page, "Je n'aime pas donner", is seeded with seven excuses).
FIXED_PAGES = ("home", "index", "stories", "about", "legal", "privacy", "excuses")


class PageSitemap(PublicSitemap):
    changefreq = "daily"

    def items(self) -> list[PageItem]:
        return [PageItem(name, lang) for lang in languages() for name in FIXED_PAGES]

    def location(self, item: PageItem) -> str:
        return public_reverse(item.name, lang=item.language)

    def priority(self, item: PageItem) -> float | None:
        return 1.0 if item.name == "home" else None


def indexable_articles() -> QuerySet[Article]:
    """Return the published articles search engines should find here, newest first."""
    return (
        Article.objects.published()
        .filter(noindex=False, canonical_url="")
        .only("slug", "language", "published_at", "content_updated_at")
        .order_by("-published_at", "-id")
    )


# (slug, language, published_at, content_updated_at): plain rows, no model instances
# (building 50,000 Article objects was half the time of a full sitemap file).
ArticleRow = tuple[str, str, datetime | None, datetime | None]


class ArticleSitemap(PublicSitemap):
    def items(self) -> QuerySet[Any]:
        return indexable_articles().values_list(
            "slug", "language", "published_at", "content_updated_at"
        )

    def location(self, item: ArticleRow) -> str:
        # One reverse per language, not per article: 50,000 reverses take seconds.
        paths = self.__dict__.setdefault("_paths", {})
        slug, language = item[0], item[1]
        if language not in paths:
            paths[language] = public_reverse("article", lang=language, kwargs={"slug": "SLUG"})
        return str(paths[language]).replace("SLUG", slug)

    def lastmod(self, item: ArticleRow) -> datetime | None:
        return item[3] or item[2]

    def get_urls(
        self, page: int | str = 1, site: Any = None, protocol: str | None = None
    ) -> list[dict[str, Any]]:
        # Django's generic loop calls five methods per address; this section is the big one.
        origin = f"{self.get_protocol()}://{self.get_domain()}"
        rows = self.paginator.page(page).object_list
        return [
            {"location": origin + self.location(row), "lastmod": self.lastmod(row)} for row in rows
        ]

    def latest(self) -> datetime | None:
        found = indexable_articles().aggregate(
            updated=Max("content_updated_at"), published=Max("published_at")
        )
        dates = [d for d in (found["updated"], found["published"]) if d is not None]
        return max(dates, default=None)


class CategorySitemap(PublicSitemap):
    """A category's page in each language it has published articles in."""

    def items(self) -> list[tuple[Category, str]]:
        rows: list[tuple[Category, str]] = []
        for lang in languages():
            published = Article.objects.published().filter(category=OuterRef("pk"), language=lang)
            rows += [
                (category, lang)
                for category in Category.objects.filter(Exists(published)).order_by(
                    "position", "name"
                )
            ]
        return rows

    def location(self, item: tuple[Category, str]) -> str:
        category, lang = item
        return public_reverse("category", lang=lang, kwargs={"slug": category.slug})


class StorySitemap(PublicSitemap):
    def items(self) -> list[Any]:
        from .story_selectors import public_stories

        return [story for lang in languages() for story in public_stories(lang)]

    def location(self, item: Any) -> str:
        return public_reverse("story", lang=item.language, kwargs={"slug": item.slug})

    def lastmod(self, item: Any) -> datetime | None:
        return item.content_updated_at or item.published_at

    def latest(self) -> datetime | None:
        dates = [self.lastmod(item) for item in self.paginator.object_list]
        return max((d for d in dates if d is not None), default=None)


def public_actions() -> QuerySet[Any]:
    """Return the actions with a public page that is worth listing (announced, held, evaluated)."""
    from essaim.actions.models import Action, ActionStatus, ActionVisibility
    from essaim.circles.models import Visibility

    return (
        Action.objects.filter(
            visibility=ActionVisibility.PUBLIC,
            status__in=[
                ActionStatus.PREPARING,
                ActionStatus.RUNNING,
                ActionStatus.DONE,
                ActionStatus.EVALUATED,
            ],
        )
        .exclude(circle__visibility=Visibility.SECRET)
        .only("slug", "updated_at")
        .order_by("-starts_at", "-id")
    )


class ActionSitemap(PublicSitemap):
    def items(self) -> QuerySet[Any]:
        return public_actions()

    def location(self, item: Any) -> str:
        return reverse("public_actions:detail", kwargs={"slug": item.slug})

    def lastmod(self, item: Any) -> datetime | None:
        return item.updated_at  # type: ignore[no-any-return]

    def latest(self) -> datetime | None:
        return public_actions().aggregate(latest=Max("updated_at"))["latest"]  # type: ignore[no-any-return]


SECTIONS: dict[str, type[PublicSitemap]] = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "categories": CategorySitemap,
    "stories": StorySitemap,
    "actions": ActionSitemap,
}


def _date(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def urlset_xml(urls: Iterable[dict[str, Any]]) -> str:
    """Serialise addresses (Django's ``Sitemap.get_urls`` rows) as a sitemaps.org <urlset>."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{NS}">']
    for url in urls:
        parts = [f"<url><loc>{escape(url['location'])}</loc>"]
        if url.get("lastmod"):
            parts.append(f"<lastmod>{_date(url['lastmod'])}</lastmod>")
        if url.get("changefreq"):
            parts.append(f"<changefreq>{url['changefreq']}</changefreq>")
        if url.get("priority"):
            parts.append(f"<priority>{float(url['priority']):.1f}</priority>")
        parts.append("</url>")
        lines.append("".join(parts))
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def index_xml(entries: Iterable[tuple[str, datetime | None]]) -> str:
    """Serialise (address, last change) pairs as a sitemaps.org <sitemapindex>."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{NS}">']
    for location, lastmod in entries:
        last = f"<lastmod>{_date(lastmod)}</lastmod>" if lastmod else ""
        lines.append(f"<sitemap><loc>{escape(location)}</loc>{last}</sitemap>")
    lines.append("</sitemapindex>")
    return "\n".join(lines) + "\n"


def sitemap_document() -> tuple[str, str]:
    """Return ("urlset" or "index", XML) for /sitemap.xml: one file while everything fits."""
    from essaim.core.http import absolute_url

    sections = {name: cls() for name, cls in SECTIONS.items()}
    counts = {name: section.paginator.count for name, section in sections.items()}
    if sum(counts.values()) <= MAX_URLS:
        urls = [url for section in sections.values() for url in section.get_urls(page=1)]
        return "urlset", urlset_xml(urls)
    entries: list[tuple[str, datetime | None]] = []
    for name, section in sections.items():
        if not counts[name]:
            continue
        location = absolute_url(reverse("seo:sitemap_section", kwargs={"section": name}))
        latest = section.latest()
        for page in section.paginator.page_range:
            entries.append((location if page == 1 else f"{location}?p={page}", latest))
    return "index", index_xml(entries)


def section_document(name: str, page: int) -> str | None:
    """Return the XML of one page of a section, or None when there is no such page."""
    cls = SECTIONS.get(name)
    if cls is None:
        return None
    section = cls()
    if page < 1 or page > section.paginator.num_pages or not section.paginator.count:
        return None
    return urlset_xml(section.get_urls(page=page))


__all__ = [
    "MAX_URLS",
    "SECTIONS",
    "index_xml",
    "section_document",
    "sitemap_document",
    "urlset_xml",
]
