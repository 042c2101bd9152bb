"""robots.txt and the sitemaps, at the root of the site (or of its path prefix)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from essaim.core.http import absolute_url
from essaim.core.pagecache import cached_page

from . import sitemaps

# Areas for members and staff: nothing there is for search engines (they are behind a
# login anyway; this spares crawlers the redirects). The public site, /agir/ (public
# actions) and static files stay open.
PRIVATE_AREAS = (
    "/redaction/",
    "/compte/",
    "/django-admin/",
    "/api/",
    "/personnes/",
    "/cercles/",
    "/fil/",
    "/actions/",
    "/pratiques/",
    "/i18n/",
    "/agir/confirmer/",
    "/agir/annuler/",
)
XML = "application/xml; charset=utf-8"


def _sitemap_deps(request: HttpRequest, **kwargs: Any) -> list[str]:
    return ["articles", "stories", "actions"]


@require_safe
def robots(request: HttpRequest) -> HttpResponse:
    """Tell crawlers where the sitemap is and which areas are private."""
    prefix = reverse("seo:robots").removesuffix("robots.txt").rstrip("/")
    lines = ["User-agent: *"]
    lines += [f"Disallow: {prefix}{area}" for area in PRIVATE_AREAS]
    lines += ["Allow: /", "", f"Sitemap: {absolute_url(reverse('seo:sitemap'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


# Stories leave the site the day a consent expires: the cache key holds the date.
@require_safe
@cached_page(_sitemap_deps, daily=True)
def sitemap(request: HttpRequest) -> HttpResponse:
    """The sitemap: every public address, or an index of sections past 50,000 addresses."""
    _kind, document = sitemaps.sitemap_document()
    response = HttpResponse(document, content_type=XML)
    response["X-Robots-Tag"] = "noindex, noodp, noarchive"
    return response


@require_safe
@cached_page(_sitemap_deps, daily=True)
def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    """One page (``?p=N``, from 1) of one section of the sitemap index."""
    raw = request.GET.get("p", "1")
    if not raw.isdigit():
        raise Http404("Numéro de page invalide.")
    document = sitemaps.section_document(section, int(raw))
    if document is None:
        raise Http404("Cette partie du plan du site n'existe pas.")
    response = HttpResponse(document, content_type=XML)
    response["X-Robots-Tag"] = "noindex, noodp, noarchive"
    return response
