"""Staff pages of the blog: dashboard, writing, preview, images, categories, versions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from essaim.accounts.policies import require

from .models import Article, PublicationStatus

ARTICLES_PER_PAGE = 30


def _reverse_or_empty(name: str) -> str:
    """Return a URL of another part of the site once it exists, else an empty string."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _base_context(**extra: Any) -> dict[str, Any]:
    return {"active_nav": "writing", **extra}


@require("blog.write")
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("etat", "")
    if status not in PublicationStatus.values:
        status = ""
    query = request.GET.get("q", "").strip()[:100]
    articles = Article.objects.select_related("category", "author").order_by("-updated_at", "-id")
    if status:
        articles = articles.filter(status=status)
    if query:
        articles = articles.filter(title__icontains=query)
    page = Paginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    params = urlencode({k: v for k, v in (("etat", status), ("q", query)) if v})
    tabs = [("", _("Tous"))] + [(value, label) for value, label in PublicationStatus.choices]
    context = _base_context(
        page=page,
        status=status,
        query=query,
        params=params,
        tabs=tabs,
        stories_url=_reverse_or_empty("site_admin:story_list"),
        pages_url=_reverse_or_empty("site_admin:page_list"),
    )
    return render(request, "blog/writing/dashboard.html", context)
