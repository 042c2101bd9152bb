"""RSS 2.0 and Atom feeds: the latest articles (all, or of one category) and stories.

Every link is absolute (scheme, host and any path prefix) and in the feed's language,
which comes from its address like every public page (``/blog/flux.rss`` in French,
``/en/blog/flux.rss`` in English). Items carry what the W3C Feed Validation Service asks
for: a permanent ``guid`` (RSS), ``id``, ``updated`` and an ``author`` (Atom), the summary
as description and the full text as ``content:encoded`` / Atom ``content``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import feedgenerator
from django.utils.translation import gettext as _

from essaim.core.selectors import organisation_get

from .models import Article, Category, Story
from .public import public_absolute, public_view, request_language

ITEMS = 20
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
# Site-relative addresses in rendered HTML: src="/media/…", href="/blog/…", and each
# candidate of a srcset. Feed readers show the text away from the site: they need the host.
_RELATIVE_ATTR = re.compile(r'(\s(?:src|href)=")(/(?!/))')
_SRCSET = re.compile(r'(\ssrcset=")([^"]*)(")')


def absolute_html(html: str) -> str:
    """Prefix the site's origin to the site-relative addresses of rendered HTML."""
    origin = settings.SITE_ORIGIN
    html = _RELATIVE_ATTR.sub(lambda m: f"{m.group(1)}{origin}{m.group(2)}", html)

    def srcset(match: re.Match[str]) -> str:
        candidates = [c.strip() for c in match.group(2).split(",")]
        fixed = [
            f"{origin}{c}" if c.startswith("/") and not c.startswith("//") else c
            for c in candidates
        ]
        return f"{match.group(1)}{', '.join(fixed)}{match.group(3)}"

    return _SRCSET.sub(srcset, html)


class RssWithContent(feedgenerator.Rss201rev2Feed):
    """RSS 2.0 whose items also carry the full text (``content:encoded``)."""

    def rss_attributes(self) -> dict[str, str]:
        return {**super().rss_attributes(), "xmlns:content": CONTENT_NS}

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("content_html"):
            handler.addQuickElement("content:encoded", item["content_html"])


class AtomWithContent(feedgenerator.Atom1Feed):
    """Atom whose entries also carry the full text (``<content type="html">``)."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("content_html"):
            handler.addQuickElement("content", item["content_html"], {"type": "html"})


class PublicFeed(Feed):
    """What the article and story feeds share: language, absolute links, 20 items."""

    feed_type: type[feedgenerator.SyndicationFeed] = RssWithContent
    # The public page this feed mirrors, and this feed's own URL name.
    page_name = "index"
    feed_name = "feed_rss"
    language = "fr"

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.language = request_language(request)
        self.url_kwargs = kwargs
        self.organisation = organisation_get()
        return super().__call__(request, *args, **kwargs)

    def link(self, obj: Any = None) -> str:
        return public_absolute(self.page_name, lang=self.language, kwargs=self.page_kwargs(obj))

    def feed_url(self, obj: Any = None) -> str:
        return public_absolute(self.feed_name, lang=self.language, kwargs=self.url_kwargs)

    def page_kwargs(self, obj: Any) -> dict[str, Any]:
        return {}

    def author_name(self, obj: Any = None) -> str:
        return self.organisation.display_name

    def feed_copyright(self, obj: Any = None) -> str:
        return self.organisation.name

    def item_guid_is_permalink(self, item: Any) -> bool:
        return True

    def item_pubdate(self, item: Any) -> datetime | None:
        return item.published_at or item.created_at

    def item_updateddate(self, item: Any) -> datetime | None:
        return item.content_updated_at or item.published_at or item.created_at

    def item_title(self, item: Any) -> str:
        return str(item.title)

    def item_description(self, item: Any) -> str:
        return str(item.summary or item.title)


class ArticleFeed(PublicFeed):
    """The latest published articles in the feed's language."""

    def title(self, obj: Any = None) -> str:
        return _("%(name)s — le blog") % {"name": self.organisation.display_name}

    def description(self, obj: Any = None) -> str:
        return self.organisation.tagline or _("Les derniers articles de %(name)s.") % {
            "name": self.organisation.display_name
        }

    def articles(self) -> QuerySet[Article]:
        return (
            Article.objects.published()
            .filter(language=self.language)
            .select_related("category")
            .prefetch_related("tags")
            .order_by("-published_at", "-id")
        )

    def items(self, obj: Any = None) -> list[Article]:
        return list(self.articles()[:ITEMS])

    def item_link(self, item: Article) -> str:
        return public_absolute("article", lang=self.language, kwargs={"slug": item.slug})

    def item_author_name(self, item: Article) -> str:
        return item.author_name or self.organisation.display_name

    def item_categories(self, item: Article) -> list[str]:
        names = [item.category.name] if item.category else []
        return names + [tag.name for tag in item.tags.all()]

    def item_extra_kwargs(self, item: Article) -> dict[str, Any]:
        return {"content_html": absolute_html(item.body_html)}


class CategoryFeed(ArticleFeed):
    """The latest published articles of one category."""

    page_name = "category"

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Category:
        return get_object_or_404(Category, slug=kwargs["slug"])

    def page_kwargs(self, obj: Category) -> dict[str, Any]:
        return {"slug": obj.slug}

    def title(self, obj: Any = None) -> str:
        return _("%(name)s — %(category)s") % {
            "name": self.organisation.display_name,
            "category": obj.name,
        }

    def description(self, obj: Any = None) -> str:
        return obj.description or _("Les derniers articles de la catégorie « %(category)s ».") % {
            "category": obj.name
        }

    def items(self, obj: Any = None) -> list[Article]:
        return list(self.articles().filter(category=obj)[:ITEMS])


class StoryFeed(PublicFeed):
    """The latest public stories in the feed's language (consents valid today)."""

    page_name = "stories"

    def title(self, obj: Any = None) -> str:
        return _("%(name)s — les récits") % {"name": self.organisation.display_name}

    def description(self, obj: Any = None) -> str:
        return _("Les histoires des personnes que %(name)s accompagne.") % {
            "name": self.organisation.display_name
        }

    def items(self, obj: Any = None) -> list[Story]:
        from .story_selectors import public_stories

        return list(public_stories(language=self.language)[:ITEMS])

    def item_link(self, item: Story) -> str:
        return public_absolute("story", lang=self.language, kwargs={"slug": item.slug})

    def item_author_name(self, item: Story) -> str:
        return self.organisation.display_name

    def item_extra_kwargs(self, item: Story) -> dict[str, Any]:
        parts = (item.situation_html, item.what_happened_html, item.what_changed_html)
        return {"content_html": absolute_html("\n".join(part for part in parts if part))}


def _articles(request: HttpRequest, **kwargs: Any) -> list[str]:
    return ["articles"]


def _stories(request: HttpRequest, **kwargs: Any) -> list[str]:
    return ["stories"]


def _view(
    feed: type[PublicFeed],
    name: str,
    *,
    atom: bool = False,
    deps: Any = _articles,
    daily: bool = False,
) -> Any:
    """Make the cached view of a feed in one format, named ``name`` in the URLs."""
    attributes = {"feed_name": name, "feed_type": AtomWithContent if atom else RssWithContent}
    feed_class = type(f"{feed.__name__}_{name}", (feed,), attributes)

    @public_view(deps, daily=daily)
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return feed_class()(request, **kwargs)

    view.__name__ = view.__qualname__ = name
    return view


articles_rss = _view(ArticleFeed, "feed_rss")
articles_atom = _view(ArticleFeed, "feed_atom", atom=True)
category_rss = _view(CategoryFeed, "category_feed_rss")
category_atom = _view(CategoryFeed, "category_feed_atom", atom=True)
# Stories leave the public site the day a consent expires: the cache key holds the date.
stories_rss = _view(StoryFeed, "stories_feed_rss", deps=_stories, daily=True)
stories_atom = _view(StoryFeed, "stories_feed_atom", atom=True, deps=_stories, daily=True)
