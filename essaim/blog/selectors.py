"""Reads of the public blog: published articles, their lists, archives and neighbours.

Every function returns only what the public may see (published articles, in one
language) with the related rows a page needs already joined, so list pages cost a
fixed number of queries whatever the number of articles.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from essaim.core import pagecache

from .models import Article, Category, PublicationStatus, Tag
from .redirects import article_for_old_slug as old_slug_target

# Columns an article card needs (the body stays in the database).
CARD_DEFER = ("body", "body_html")


def published_articles(language: str) -> QuerySet[Article]:
    """Return the published articles of a language, newest first, ready for cards."""
    return (
        Article.objects.filter(status=PublicationStatus.PUBLISHED, language=language)
        .select_related("category", "cover")
        .defer(*CARD_DEFER)
        .order_by("-published_at", "-id")
    )


def latest_articles(language: str, limit: int = 6) -> list[Article]:
    """Return the newest published articles of a language."""
    return list(published_articles(language)[:limit])


def articles_in_category(category: Category, language: str) -> QuerySet[Article]:
    """Return the published articles of a category, newest first."""
    return published_articles(language).filter(category=category)


def articles_with_tag(tag: Tag, language: str) -> QuerySet[Article]:
    """Return the published articles carrying a tag, newest first."""
    return published_articles(language).filter(tags=tag)


def month_bounds(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    """Return the start and end (excluded) of a month in the site's time zone."""
    zone = timezone.get_default_timezone()
    start = datetime.datetime(year, month, 1, tzinfo=zone)
    following = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start, following


def articles_in_month(year: int, month: int, language: str) -> QuerySet[Article]:
    """Return the articles first published in a month (site's time zone), newest first."""
    start, end = month_bounds(year, month)
    return published_articles(language).filter(published_at__gte=start, published_at__lt=end)


@dataclass(frozen=True)
class ArchiveMonth:
    year: int
    month: int
    count: int

    @property
    def date(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)


def archive_months(language: str) -> list[ArchiveMonth]:
    """Return the months that have articles, newest first, with their counts (one query)."""
    zone = timezone.get_default_timezone()
    rows = (
        Article.objects.filter(
            status=PublicationStatus.PUBLISHED, language=language, published_at__isnull=False
        )
        .annotate(month=TruncMonth("published_at", tzinfo=zone))
        .values("month")
        .annotate(count=Count("id"))
        .order_by("-month")
    )
    months = []
    for row in rows:
        moment = row["month"]
        months.append(ArchiveMonth(moment.year, moment.month, row["count"]))
    return months


@dataclass(frozen=True)
class CountedLink:
    """A category or tag of the side navigation with its number of published articles."""

    pk: int
    name: str
    slug: str
    count: int


def categories_in_use(language: str) -> list[CountedLink]:
    """Return the categories that have published articles in a language, with their counts."""
    rows = (
        Article.objects.filter(
            status=PublicationStatus.PUBLISHED, language=language, category__isnull=False
        )
        .values("category_id", "category__name", "category__slug", "category__position")
        .annotate(count=Count("id"))
        .order_by("category__position", "category__name")
    )
    return [
        CountedLink(row["category_id"], row["category__name"], row["category__slug"], row["count"])
        for row in rows
    ]


def tags_in_use(language: str, limit: int = 30) -> list[CountedLink]:
    """Return the most used tags of a language's published articles, by name."""
    through = Article.tags.through
    rows = (
        through.objects.filter(
            article__status=PublicationStatus.PUBLISHED, article__language=language
        )
        .values("tag_id", "tag__name", "tag__slug")
        .annotate(count=Count("id"))
        .order_by("-count", "tag__name")[:limit]
    )
    tags = [
        CountedLink(row["tag_id"], row["tag__name"], row["tag__slug"], row["count"]) for row in rows
    ]
    return sorted(tags, key=lambda tag: tag.name.lower())


SIDEBAR_CACHE_PREFIX = "essaim:blog-sidebar:"


def blog_sidebar(language: str, *, articles_version: int | None = None) -> dict[str, Any]:
    """Return the side navigation of the blog lists: categories, tags and months with counts.

    Counting every published article takes a while on a large blog (about a second at
    50,000 articles on SQLite), so the result is kept in the cache under the version of
    "articles": computed once per change, shared by every list page and page number.
    """
    if articles_version is None:
        articles_version = pagecache.versions(["articles"])["articles"]
    key = f"{SIDEBAR_CACHE_PREFIX}{language}:{articles_version}"
    sidebar = cache.get(key)
    if sidebar is None:
        sidebar = {
            "categories": categories_in_use(language),
            "tags": tags_in_use(language),
            "months": archive_months(language),
        }
        cache.set(key, sidebar, pagecache.DEFAULT_TIMEOUT)
    return dict(sidebar)


def public_article(slug: str) -> Article | None:
    """Return the published article at this address (in any language), with what it shows."""
    return (
        Article.objects.filter(slug=slug, status=PublicationStatus.PUBLISHED)
        .select_related("category", "cover", "social_image", "translation_of")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
        )
        .first()
    )


def article_for_old_slug(slug: str) -> Article | None:
    """Return the published article that once lived at this address, if any."""
    article = old_slug_target(slug)
    if article is None or article.status != PublicationStatus.PUBLISHED:
        return None
    return article


def article_translations(article: Article) -> list[Article]:
    """Return the published versions of this article in other languages (either direction)."""
    condition = Q(translation_of=article)
    if article.translation_of_id:
        condition |= Q(pk=article.translation_of_id) | Q(translation_of=article.translation_of_id)
    # Only the translation links in SQL (their index finds the few rows at once; with the
    # status too, SQLite walks the status index over every published article).
    candidates = Article.objects.filter(condition).only("id", "slug", "language", "title", "status")
    return sorted(
        (
            other
            for other in candidates
            if other.pk != article.pk
            and other.status == PublicationStatus.PUBLISHED
            and other.language != article.language
        ),
        key=lambda other: (other.language, other.pk),
    )


def related_articles(article: Article, limit: int = 3) -> list[Article]:
    """Return up to ``limit`` other published articles of the same category and language."""
    if article.category_id is None:
        return []
    return list(
        published_articles(article.language)
        .filter(category_id=article.category_id)
        .exclude(pk=article.pk)[:limit]
    )


def neighbours(article: Article) -> tuple[Article | None, Article | None]:
    """Return the previous (older) and next (newer) published articles of the same language."""
    if article.published_at is None:
        return None, None
    base = Article.objects.filter(
        status=PublicationStatus.PUBLISHED, language=article.language
    ).only("id", "slug", "title", "published_at")
    moment = article.published_at
    # Plain ranges, so each is one step along the (status, language, published_at) index;
    # an article published at the very same microsecond is simply not a neighbour.
    older = base.filter(published_at__lt=moment).order_by("-published_at", "-id").first()
    newer = base.filter(published_at__gt=moment).order_by("published_at", "id").first()
    return older, newer


def upcoming_public_actions(limit: int = 4) -> list[Any]:
    """Return the next public actions still to come (announced or running), soonest first."""
    from essaim.actions.models import Action, ActionStatus, ActionVisibility
    from essaim.circles.models import Visibility

    actions = (
        Action.objects.filter(
            visibility=ActionVisibility.PUBLIC,
            status__in=(ActionStatus.PREPARING, ActionStatus.RUNNING),
            ends_at__gt=timezone.now(),
        )
        # A secret circle's actions have no public page (essaim.actions.public_views).
        .exclude(circle__visibility=Visibility.SECRET)
        .select_related("circle")
        .order_by("starts_at", "id")
    )
    return list(actions[:limit])
