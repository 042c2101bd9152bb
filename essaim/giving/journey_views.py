"""The excuses journey: public pages (list, answer, clicks) and staff pages (edit, report).

Public pages depend on the visitor's variant cookie and count visits: they are never
cached (``never_cache``), and take their language from their address like every public
page. Staff pages need ``giving.pages``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from essaim.blog import seo
from essaim.blog.public import languages, public_absolute, public_reverse, request_language
from essaim.core.http import absolute_url
from essaim.core.markdown import render_markdown
from essaim.core.selectors import organisation_get

from . import journey
from .models import Excuse, JourneyStep, Rebuttal

F = TypeVar("F", bound=Callable[..., HttpResponse])
PERMISSION = journey.PERMISSION


def _public(view: F) -> F:
    """Render a public journey page in its address's language, never from a cache."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = request_language(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        return response

    return cast(F, never_cache(wrapper))


def _crumbs(*items: tuple[str, str]) -> list[tuple[str, str]]:
    return [(_("Accueil"), public_reverse("home")), *items]


def _meta(title: str, description: str, url_name: str, **kwargs: Any) -> seo.PageMeta:
    org = organisation_get()
    return seo.PageMeta(
        title=seo.page_title(title, org.display_name),
        description=seo.truncate_description(description) or title,
        canonical=absolute_url(public_reverse(url_name, kwargs=kwargs or None)),
        alternates={
            code: public_absolute(url_name, lang=code, kwargs=kwargs or None)
            for code in languages()
        },
    )


def _excuse_or_404(slug: str) -> Excuse:
    excuse = journey.public_excuse(slug)
    if excuse is None:
        raise Http404(_("Cette excuse n'existe pas ou n'est plus proposée."))
    return excuse


def _variant(request: HttpRequest, excuse: Excuse) -> tuple[Rebuttal, dict[int, int], bool]:
    """Return the visitor's variant for an excuse, the cookie's map and whether it changed."""
    shown = journey.variants_from_request(request)
    rebuttal = journey.variant_pick(excuse.active, shown.get(excuse.pk))  # type: ignore[attr-defined]
    changed = shown.get(excuse.pk) != rebuttal.pk
    shown[excuse.pk] = rebuttal.pk
    return rebuttal, shown, changed


@_public
@require_GET
def excuses(request: HttpRequest) -> HttpResponse:
    """The journey's first page: the visitor picks their excuse."""
    settings_row = journey.journey_settings_get()
    rows = list(journey.public_excuses())
    if journey.counts_visit(request):
        journey.journey_count(step=JourneyStep.VIEW)
    own_path = public_reverse("excuses")
    crumbs = _crumbs((settings_row.title, own_path))
    context = {
        "meta": _meta(settings_row.title, settings_row.intro or settings_row.title, "excuses"),
        "public_nav": "",
        "crumbs": crumbs,
        "journey": settings_row,
        "intro_html": render_markdown(settings_row.intro) if settings_row.intro else "",
        "excuses": rows,
    }
    return render(request, "giving/journey/excuses.html", context)


@_public
@require_GET
def excuse(request: HttpRequest, slug: str) -> HttpResponse:
    """The answer to one excuse, in the visitor's variant, then the ways to act."""
    found = _excuse_or_404(slug)
    rebuttal, shown, changed = _variant(request, found)
    counted = journey.counts_visit(request)
    if counted:
        journey.journey_count(step=JourneyStep.READ, excuse=found, rebuttal=rebuttal)
    settings_row = journey.journey_settings_get()
    own_path = public_reverse("excuse", kwargs={"slug": found.slug})
    context = {
        "meta": _meta(found.label, rebuttal.text, "excuse", slug=found.slug),
        "public_nav": "",
        "crumbs": _crumbs((settings_row.title, public_reverse("excuses")), (found.label, own_path)),
        "excuse": found,
        "rebuttal": rebuttal,
        "text_html": render_markdown(rebuttal.text),
        "story": journey.rebuttal_story(rebuttal, request_language(request)),
        "give_url": public_reverse("excuse_give", kwargs={"slug": found.slug})
        + f"?variante={rebuttal.pk}",
        "volunteer_url": public_reverse("excuse_volunteer", kwargs={"slug": found.slug})
        + f"?variante={rebuttal.pk}",
        "give_label": rebuttal.give_label or _("Je donne"),
    }
    response = render(request, "giving/journey/excuse.html", context)
    if counted and changed:
        journey.variants_set(request, response, shown)
    return response


def _clicked_variant(request: HttpRequest, found: Excuse) -> Rebuttal:
    """The variant the visitor clicked from: the link's, else the cookie's, else a new pick."""
    raw = request.POST.get("variante") or request.GET.get("variante") or ""
    active = found.active  # type: ignore[attr-defined]
    if raw.isdigit():
        for rebuttal in active:
            if rebuttal.pk == int(raw):
                return rebuttal
    rebuttal, _shown, _changed = _variant(request, found)
    return rebuttal


def give_target(rebuttal: Rebuttal) -> str:
    """Where "Je donne" leads: the answer's giving page, else the default one."""
    candidates: list[tuple[str, dict[str, str] | None]] = []
    if rebuttal.giving_page is not None and rebuttal.giving_page.is_active:
        candidates.append(("give_page", {"slug": rebuttal.giving_page.slug}))
    candidates.append(("give", None))
    for name, kwargs in candidates:
        try:
            return public_reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    website = organisation_get().website_url
    return website or public_reverse("excuses")


def volunteer_target() -> str:
    """Where "Je préfère donner du temps" leads: the public actions, else the sign-up."""
    try:
        return reverse("public_actions:list")
    except NoReverseMatch:
        return public_reverse("home") + "#agir"


@_public
@require_http_methods(["GET", "POST"])
def excuse_give(request: HttpRequest, slug: str) -> HttpResponse:
    """Count a click to give, remember the answer for the gift, then go to the giving page."""
    found = _excuse_or_404(slug)
    rebuttal = _clicked_variant(request, found)
    response = HttpResponseRedirect(give_target(rebuttal))
    if journey.counts_visit(request):
        journey.journey_count(step=JourneyStep.GIVE_CLICK, excuse=found, rebuttal=rebuttal)
        journey.journey_click_set(request, response, rebuttal=rebuttal)
    response["X-Robots-Tag"] = "noindex"
    return response


@_public
@require_http_methods(["GET", "POST"])
def excuse_volunteer(request: HttpRequest, slug: str) -> HttpResponse:
    """Count a click to volunteer, then go to the public actions."""
    found = _excuse_or_404(slug)
    rebuttal = _clicked_variant(request, found)
    if journey.counts_visit(request):
        journey.journey_count(step=JourneyStep.VOLUNTEER_CLICK, excuse=found, rebuttal=rebuttal)
    response = HttpResponseRedirect(volunteer_target())
    response["X-Robots-Tag"] = "noindex"
    return response
