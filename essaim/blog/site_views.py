"""The public blog: home, article lists (index, category, tag, month) and the article page.

Every view goes through :func:`essaim.blog.public.public_view`: the page's language comes
from its address and anonymous visitors are served from the page cache, keyed by the
content it shows ("articles", "stories", "actions"; "site" for every page).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from essaim.core.http import absolute_url
from essaim.core.pagecache import page_versions
from essaim.core.selectors import organisation_get

from . import selectors as blog
from . import seo
from .models import Article, Category, Tag
from .public import languages, public_absolute, public_reverse, public_view, request_language

PAGE_SIZE = 12
HOME_ARTICLES = 6
HOME_STORIES = 3
HOME_ACTIONS = 4
RELATED_ARTICLES = 3
FIRST_YEAR = 1900


# --- Cache dependencies -----------------------------------------------------------------
# The article page shows its neighbours and related articles, so it depends on every
# article: "articles" is bumped by each service that changes one (see pagecache.py).


def home_deps(request: HttpRequest, *args: Any, **kwargs: Any) -> Iterable[str]:
    return ["articles", "stories", "actions", "giving"]


def articles_deps(request: HttpRequest, *args: Any, **kwargs: Any) -> Iterable[str]:
    return ["articles"]


# --- Shared pieces ----------------------------------------------------------------------


def _alternates(name: str, **kwargs: Any) -> dict[str, str]:
    """The same page in every language (lists exist in both)."""
    return {code: public_absolute(name, lang=code, kwargs=kwargs) for code in languages()}


def _with_page(url: str, number: int) -> str:
    return url if number <= 1 else f"{url}?page={number}"


def article_feeds(category: Category | None = None) -> list[tuple[str, str, str]]:
    """Feeds advertised in the head: the blog's, and a category's on its page."""
    feeds: list[tuple[str, str, str]] = []
    try:
        feeds.append((_("Articles (RSS)"), public_absolute("feed_rss"), "application/rss+xml"))
        feeds.append((_("Articles (Atom)"), public_absolute("feed_atom"), "application/atom+xml"))
        if category is not None:
            kwargs = {"slug": category.slug}
            feeds.append(
                (
                    _("%(name)s (RSS)") % {"name": category.name},
                    public_absolute("category_feed_rss", kwargs=kwargs),
                    "application/rss+xml",
                )
            )
            feeds.append(
                (
                    _("%(name)s (Atom)") % {"name": category.name},
                    public_absolute("category_feed_atom", kwargs=kwargs),
                    "application/atom+xml",
                )
            )
    except NoReverseMatch:
        # Feeds are served by another module; without them, advertise what exists.
        pass
    return feeds


def _crumbs(*items: tuple[str, str]) -> list[tuple[str, str]]:
    """Breadcrumb trail from the home: (label, path) pairs."""
    return [(_("Accueil"), public_reverse("home")), *items]


def _crumbs_ld(crumbs: list[tuple[str, str]]) -> dict[str, Any]:
    return seo.breadcrumbs([(label, absolute_url(path)) for label, path in crumbs])


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    try:
        number = int(raw)
    except ValueError:
        raise Http404(_("Cette page n'existe pas.")) from None
    if number < 1:
        raise Http404(_("Cette page n'existe pas."))
    return number


def _paginate(request: HttpRequest, articles: QuerySet[Article]) -> Page[Article]:
    paginator = Paginator(articles, PAGE_SIZE)
    try:
        return paginator.page(_page_number(request))
    except (EmptyPage, PageNotAnInteger):
        raise Http404(_("Cette page n'existe pas.")) from None


def _list_page(
    request: HttpRequest,
    *,
    articles: QuerySet[Article],
    heading: str,
    intro: str,
    url_name: str,
    url_kwargs: dict[str, Any],
    crumbs: list[tuple[str, str]],
    category: Category | None = None,
    empty_text: str = "",
) -> HttpResponse:
    """Render a paginated list of articles with the blog's side navigation."""
    language = request_language(request)
    org = organisation_get()
    page = _paginate(request, articles)
    base_path = public_reverse(url_name, kwargs=url_kwargs)
    number = page.number
    title = (
        heading
        if number == 1
        else _("%(title)s — page %(number)s")
        % {
            "title": heading,
            "number": number,
        }
    )
    description = seo.truncate_description(intro) or _(
        "Les articles de %(name)s : actualités, actions et témoignages."
    ) % {"name": org.display_name}
    meta = seo.PageMeta(
        title=seo.page_title(title, org.display_name),
        description=description,
        canonical=absolute_url(_with_page(base_path, number)),
        alternates={
            code: _with_page(url, number)
            for code, url in _alternates(url_name, **url_kwargs).items()
        },
        feeds=article_feeds(category),
        json_ld=[_crumbs_ld(crumbs)],
    )
    context = {
        "meta": meta,
        "public_nav": "blog",
        "heading": heading,
        "intro": intro,
        "page": page,
        "articles": page.object_list,
        "base_path": base_path,
        "previous_url": _with_page(base_path, page.previous_page_number())
        if page.has_previous()
        else "",
        "next_url": _with_page(base_path, page.next_page_number()) if page.has_next() else "",
        "crumbs": crumbs,
        **blog.blog_sidebar(language, articles_version=page_versions(request).get("articles")),
        "current_category": category,
        "empty_text": empty_text or _("Aucun article publié pour l'instant."),
    }
    return render(request, "blog/index.html", context)


# --- Pages -----------------------------------------------------------------------------


def _has_giving_page() -> bool:
    from essaim.giving.selectors import giving_page_default_exists

    return giving_page_default_exists()


@public_view(home_deps, daily=True)
def home(request: HttpRequest) -> HttpResponse:
    """The public home: the association, latest articles and stories, actions to join."""
    language = request_language(request)
    org = organisation_get()
    articles = blog.latest_articles(language, HOME_ARTICLES)
    stories: list[Any] = []
    try:
        from .story_selectors import public_stories
    except ImportError:  # stories arrive with their own module
        pass
    else:
        stories = list(public_stories(language, limit=HOME_STORIES))
    actions = blog.upcoming_public_actions(HOME_ACTIONS)
    description = org.tagline or seo.truncate_description(org.purpose)
    if not description:
        description = _("Le site de %(name)s : nos articles, nos récits et nos actions.") % {
            "name": org.name
        }
    meta = seo.PageMeta(
        title=seo.page_title(org.tagline and f"{org.name} — {org.tagline}", org.name),
        description=seo.truncate_description(description),
        canonical=public_absolute("home"),
        alternates=_alternates("home"),
        image=absolute_url(org.logo.url) if org.logo else "",
        image_alt=org.name if org.logo else "",
        feeds=article_feeds(),
        json_ld=[seo.organisation(org)],
    )
    context = {
        "meta": meta,
        "public_nav": "home",
        "articles": articles,
        "stories": stories,
        "actions": actions,
        # "Soutenir l'association" leads to /don/: the default giving page, else the
        # institutional site (essaim.giving.public_views.give redirects there).
        "has_giving_page": _has_giving_page(),
    }
    response = render(request, "blog/home.html", context)
    if actions:
        # An action leaves the home when it ends, without any service being called.
        soonest_end = min(action.ends_at for action in actions)
        response.page_cache_until = soonest_end  # type: ignore[attr-defined]
    return response


@public_view(articles_deps)
def index(request: HttpRequest) -> HttpResponse:
    """All published articles of the page's language, newest first, 12 a page."""
    language = request_language(request)
    blog_path = public_reverse("index")
    return _list_page(
        request,
        articles=blog.published_articles(language),
        heading=_("Blog"),
        intro=_("Nos actualités, nos actions et ce que nous en apprenons."),
        url_name="index",
        url_kwargs={},
        crumbs=_crumbs((_("Blog"), blog_path)),
    )


@public_view(articles_deps)
def category(request: HttpRequest, slug: str) -> HttpResponse:
    """The published articles of one category."""
    language = request_language(request)
    current = get_object_or_404(Category, slug=slug)
    path = public_reverse("category", kwargs={"slug": slug})
    return _list_page(
        request,
        articles=blog.articles_in_category(current, language),
        heading=current.name,
        intro=current.description,
        url_name="category",
        url_kwargs={"slug": slug},
        crumbs=_crumbs((_("Blog"), public_reverse("index")), (current.name, path)),
        category=current,
        empty_text=_("Aucun article publié dans cette catégorie pour l'instant."),
    )


@public_view(articles_deps)
def tag(request: HttpRequest, slug: str) -> HttpResponse:
    """The published articles carrying one tag."""
    language = request_language(request)
    current = get_object_or_404(Tag, slug=slug)
    heading = _("Étiquette : %(name)s") % {"name": current.name}
    path = public_reverse("tag", kwargs={"slug": slug})
    return _list_page(
        request,
        articles=blog.articles_with_tag(current, language),
        heading=heading,
        intro="",
        url_name="tag",
        url_kwargs={"slug": slug},
        crumbs=_crumbs((_("Blog"), public_reverse("index")), (heading, path)),
        empty_text=_("Aucun article publié avec cette étiquette pour l'instant."),
    )


@public_view(articles_deps)
def archive(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """The articles first published in one month."""
    if not 1 <= month <= 12 or not FIRST_YEAR <= year <= timezone.localdate().year + 1:
        raise Http404(_("Cette page n'existe pas."))
    language = request_language(request)
    heading = formats.date_format(datetime.date(year, month, 1), "F Y").capitalize()
    kwargs = {"year": year, "month": month}
    path = public_reverse("archive", kwargs=kwargs)
    return _list_page(
        request,
        articles=blog.articles_in_month(year, month, language),
        heading=heading,
        intro="",
        url_name="archive",
        url_kwargs=kwargs,
        crumbs=_crumbs((_("Blog"), public_reverse("index")), (heading, path)),
        empty_text=_("Aucun article publié ce mois-là."),
    )


@public_view(articles_deps)
def article(request: HttpRequest, slug: str) -> HttpResponse:
    """A published article; former addresses and the other language's address redirect."""
    language = request_language(request)
    found = blog.public_article(slug)
    if found is None:
        moved = blog.article_for_old_slug(slug)
        if moved is None:
            raise Http404(_("Cet article n'existe pas ou n'est pas publié."))
        return HttpResponsePermanentRedirect(
            public_reverse("article", lang=moved.language, kwargs={"slug": moved.slug})
        )
    if found.language != language:
        return HttpResponsePermanentRedirect(
            public_reverse("article", lang=found.language, kwargs={"slug": found.slug})
        )
    return render(request, "blog/article.html", article_context(found))


def _updated_after(article: Article) -> datetime.datetime | None:
    """The last change, when it came on a later day than the publication (worth saying)."""
    changed, published = article.content_updated_at, article.published_at
    if changed is None or published is None:
        return None
    if timezone.localdate(changed) <= timezone.localdate(published):
        return None
    return changed


def article_context(article: Article, *, preview: bool = False) -> dict[str, Any]:
    """Everything templates/blog/article.html shows (also used by the staff preview)."""
    from .images import image_url_for_social, social_image_size

    org = organisation_get()
    own_path = public_reverse("article", lang=article.language, kwargs={"slug": article.slug})
    own_url = absolute_url(own_path)
    canonical = article.canonical_url or own_url
    description = seo.truncate_description(
        article.meta_description or article.summary or article.body_html
    )
    picture = article.social_image or article.cover
    image = image_url_for_social(picture)
    width, height = social_image_size(picture)
    translations = [] if preview else blog.article_translations(article)
    alternates: dict[str, str] = {}
    if translations:
        alternates[article.language] = own_url
        for other in translations:
            alternates.setdefault(
                other.language,
                public_absolute("article", lang=other.language, kwargs={"slug": other.slug}),
            )
    trail = [(_("Blog"), public_reverse("index"))]
    section = article.category
    if section is not None:
        trail.append((section.name, public_reverse("category", kwargs={"slug": section.slug})))
    trail.append((article.title, own_path))
    crumbs = _crumbs(*trail)
    meta = seo.PageMeta(
        title=article.seo_title or seo.page_title(article.title, org.display_name),
        description=description,
        canonical=canonical,
        alternates=alternates,
        image=image,
        image_alt=picture.alt_text if picture is not None and image else "",
        image_width=width if image else 0,
        image_height=height if image else 0,
        og_type="article",
        noindex=article.noindex or preview,
        published=article.published_at,
        modified=article.content_updated_at or article.published_at,
        author=article.author_name,
        feeds=article_feeds(),
        json_ld=[
            seo.blog_posting(
                article=article, url=canonical, description=description, image=image, org=org
            ),
            _crumbs_ld(crumbs),
        ],
    )
    older, newer = (None, None) if preview else blog.neighbours(article)
    return {
        "meta": meta,
        "public_nav": "blog",
        "article": article,
        "tags": list(article.tags.all()),
        "crumbs": crumbs,
        "related": [] if preview else blog.related_articles(article, RELATED_ARTICLES),
        "older": older,
        "newer": newer,
        "share_url": canonical,
        "updated": _updated_after(article),
        "preview": preview,
    }
