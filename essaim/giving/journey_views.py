"""The excuses journey: public pages (list, answer, clicks) and staff pages (edit, report).

Public pages depend on the visitor's variant cookie and count visits: they are never
cached (``never_cache``), and take their language from their address like every public
page. Staff pages need ``giving.pages``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from essaim.accounts.policies import require
from essaim.blog import seo
from essaim.blog.public import languages, public_absolute, public_reverse, request_language
from essaim.blog.selectors import upcoming_public_actions
from essaim.core.http import absolute_url
from essaim.core.markdown import render_markdown
from essaim.core.selectors import organisation_get

from . import journey, journey_stats
from .journey_forms import (
    ExcuseForm,
    JourneySettingsForm,
    RebuttalForm,
    ReportPeriodForm,
    rebuttal_initial,
)
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


def _variant(visitor: journey.JourneyVisitor, excuse: Excuse) -> Rebuttal:
    """Return the visitor's variant for an excuse (picked and noted if new)."""
    active = excuse.active  # type: ignore[attr-defined]
    rebuttal = journey.variant_pick(active, visitor.variants.get(excuse.pk))
    visitor.show(excuse.pk, rebuttal.pk)
    return rebuttal


def _count_once(
    request: HttpRequest,
    visitor: journey.JourneyVisitor,
    *,
    step: str,
    excuse: Excuse | None = None,
    rebuttal: Rebuttal | None = None,
) -> bool:
    """Count a step once a day per browser (reloads and double clicks are not new people)."""
    if not journey.counts_visit(request):
        return False
    key = step if rebuttal is None else f"{step}:{rebuttal.pk}"
    if visitor.first_today(key):
        journey.journey_count(step=step, excuse=excuse, rebuttal=rebuttal)
    return True


@_public
@require_GET
def excuses(request: HttpRequest) -> HttpResponse:
    """The journey's first page: the visitor picks their excuse."""
    settings_row = journey.journey_settings_get()
    rows = list(journey.public_excuses())
    visitor = journey.visitor_from_request(request)
    counted = _count_once(request, visitor, step=JourneyStep.VIEW)
    intro_html = render_markdown(settings_row.intro) if settings_row.intro else ""
    own_path = public_reverse("excuses")
    crumbs = _crumbs((settings_row.title, own_path))
    context = {
        "meta": _meta(settings_row.title, str(intro_html) or settings_row.title, "excuses"),
        "public_nav": "",
        "crumbs": crumbs,
        "journey": settings_row,
        "intro_html": intro_html,
        "excuses": rows,
    }
    response = render(request, "giving/journey/excuses.html", context)
    if counted:
        journey.visitor_save(request, response, visitor)
    return response


def _answer_context(request: HttpRequest, found: Excuse, rebuttal: Rebuttal) -> dict[str, Any]:
    settings_row = journey.journey_settings_get()
    text_html = render_markdown(rebuttal.text)
    own_path = public_reverse("excuse", kwargs={"slug": found.slug})
    return {
        "meta": _meta(found.label, str(text_html), "excuse", slug=found.slug),
        "public_nav": "",
        "crumbs": _crumbs((settings_row.title, public_reverse("excuses")), (found.label, own_path)),
        "excuse": found,
        "rebuttal": rebuttal,
        "text_html": text_html,
        "story": journey.rebuttal_story(rebuttal, request_language(request)),
        "give_url": public_reverse("excuse_give", kwargs={"slug": found.slug})
        + f"?variante={rebuttal.pk}",
        "volunteer_url": public_reverse("excuse_volunteer", kwargs={"slug": found.slug})
        + f"?variante={rebuttal.pk}",
        "give_label": rebuttal.give_label or _("Je donne"),
    }


@_public
@require_GET
def excuse(request: HttpRequest, slug: str) -> HttpResponse:
    """The answer to one excuse, in the visitor's variant, then the ways to act."""
    found = _excuse_or_404(slug)
    visitor = journey.visitor_from_request(request)
    rebuttal = _variant(visitor, found)
    counted = _count_once(request, visitor, step=JourneyStep.READ, excuse=found, rebuttal=rebuttal)
    context = _answer_context(request, found, rebuttal)
    response = render(request, "giving/journey/excuse.html", context)
    if counted:  # crawlers get no cookie
        journey.visitor_save(request, response, visitor)
    return response


def _clicked_variant(
    visitor: journey.JourneyVisitor, request: HttpRequest, found: Excuse
) -> Rebuttal:
    """The variant the visitor clicked from: the link's, else the cookie's, else a new pick."""
    raw = request.POST.get("variante") or request.GET.get("variante") or ""
    active = found.active  # type: ignore[attr-defined]
    if raw.isdigit():
        for rebuttal in active:
            if rebuttal.pk == int(raw):
                visitor.show(found.pk, rebuttal.pk)
                return rebuttal
    return _variant(visitor, found)


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
        pass
    # The public home lists the actions to come (#agir) when there are some.
    if upcoming_public_actions(1):
        return public_reverse("home") + "#agir"
    return reverse("account_signup")


@_public
@require_http_methods(["GET", "POST"])
def excuse_give(request: HttpRequest, slug: str) -> HttpResponse:
    """Count a click to give, remember the answer for the gift, then go to the giving page."""
    found = _excuse_or_404(slug)
    visitor = journey.visitor_from_request(request)
    rebuttal = _clicked_variant(visitor, request, found)
    response = HttpResponseRedirect(give_target(rebuttal))
    step = JourneyStep.GIVE_CLICK
    if _count_once(request, visitor, step=step, excuse=found, rebuttal=rebuttal):
        journey.journey_click_set(request, response, rebuttal=rebuttal)
        journey.visitor_save(request, response, visitor)
    response["X-Robots-Tag"] = "noindex"
    return response


@_public
@require_http_methods(["GET", "POST"])
def excuse_volunteer(request: HttpRequest, slug: str) -> HttpResponse:
    """Count a click to volunteer, then go to the public actions."""
    found = _excuse_or_404(slug)
    visitor = journey.visitor_from_request(request)
    rebuttal = _clicked_variant(visitor, request, found)
    response = HttpResponseRedirect(volunteer_target())
    step = JourneyStep.VOLUNTEER_CLICK
    if _count_once(request, visitor, step=step, excuse=found, rebuttal=rebuttal):
        journey.visitor_save(request, response, visitor)
    response["X-Robots-Tag"] = "noindex"
    return response


# --- Staff pages -----------------------------------------------------------------------------


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, texts in error.message_dict.items():
            for text in texts:
                form.add_error(name if name in form.fields else None, text)
    else:
        for text in error.messages:
            form.add_error(None, text)


def _staff_excuse_or_404(pk: int) -> Excuse:
    found = journey.staff_excuse(pk)
    if found is None:
        raise Http404(_("Cette excuse n'existe pas."))
    return found


def _rebuttal_or_404(pk: int) -> Rebuttal:
    found = Rebuttal.objects.select_related("excuse", "giving_page", "story").filter(pk=pk).first()
    if found is None:
        raise Http404(_("Cette réponse n'existe pas."))
    return found


def _wants_active(request: HttpRequest) -> bool:
    return request.POST.get("active") == "1"


def _staff_list(request: HttpRequest, **extra: Any) -> HttpResponse:
    context = {
        "journey": journey.journey_settings_get(),
        "excuses": list(journey.staff_excuses()),
        "public_url": public_reverse("excuses"),
        **extra,
    }
    return render(request, "giving/journey/staff_list.html", context)


@require(PERMISSION)
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    """The excuses in their public order, with their variants and the buttons to arrange them."""
    return _staff_list(request)


@require(PERMISSION)
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    """Edit the public page's title and introduction."""
    row = journey.journey_settings_get()
    form = JourneySettingsForm(request.POST or None, instance=row)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                journey.journey_settings_update(
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    intro=form.cleaned_data["intro"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Page « Je n'aime pas donner » enregistrée."))
                return redirect("journey_admin:list")
    return render(request, "giving/journey/settings_form.html", {"form": form}, status=status)


@require(PERMISSION)
@require_http_methods(["GET", "POST"])
def excuse_create(request: HttpRequest) -> HttpResponse:
    """Add an excuse."""
    form = ExcuseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = journey.excuse_create(
                    actor=request.user,
                    label=form.cleaned_data["label"],
                    slug=form.cleaned_data.get("slug") or "",
                    is_active=form.cleaned_data["is_active"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request, _("Excuse ajoutée. Écrivez maintenant sa réponse (variante A).")
                )
                return redirect("journey_admin:rebuttal_create", pk=created.pk)
    return render(
        request, "giving/journey/excuse_form.html", {"form": form, "excuse": None}, status=status
    )


@require(PERMISSION)
@require_http_methods(["GET", "POST"])
def excuse_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an excuse's wording, address or visibility."""
    found = _staff_excuse_or_404(pk)
    form = ExcuseForm(request.POST or None, instance=found)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                journey.excuse_update(
                    actor=request.user,
                    excuse=found,
                    label=form.cleaned_data["label"],
                    slug=form.cleaned_data.get("slug") or "",
                    is_active=form.cleaned_data["is_active"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Excuse enregistrée."))
                return redirect("journey_admin:list")
    return render(
        request, "giving/journey/excuse_form.html", {"form": form, "excuse": found}, status=status
    )


@require(PERMISSION)
@require_POST
def excuse_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an excuse one place up or down."""
    found = _staff_excuse_or_404(pk)
    direction = request.POST.get("sens", "")
    try:
        journey.excuse_move(actor=request.user, excuse=found, direction=direction)
    except ValidationError as error:
        if request.headers.get("HX-Request"):
            return _staff_list(request, move_status=" ".join(error.messages))
        messages.error(request, " ".join(error.messages))
        return redirect("journey_admin:list")
    if request.headers.get("HX-Request"):
        # The list is swapped in place: focus stays on the moved excuse's button, and its
        # new place is announced (a status message outside the list).
        order = list(Excuse.objects.order_by("position", "id").values_list("pk", flat=True))
        return _staff_list(
            request,
            moved=found.pk,
            moved_direction=direction,
            move_status=_("« %(label)s » est maintenant en position %(n)s sur %(total)s.")
            % {"label": found.label, "n": order.index(found.pk) + 1, "total": len(order)},
        )
    return redirect(reverse("journey_admin:list") + f"#excuse-{found.pk}")


@require(PERMISSION)
@require_POST
def excuse_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Show or hide an excuse."""
    found = _staff_excuse_or_404(pk)
    active = _wants_active(request)
    journey.excuse_set_active(actor=request.user, excuse=found, is_active=active)
    if active:
        messages.success(request, _("« %(label)s » est affichée.") % {"label": found.label})
    else:
        messages.success(request, _("« %(label)s » est masquée.") % {"label": found.label})
    return redirect(reverse("journey_admin:list") + f"#excuse-{found.pk}")


def _next_variant_name(found: Excuse) -> str:
    taken = {rebuttal.name.upper() for rebuttal in found.rebuttals.all()}
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if letter not in taken:
            return letter
    return ""


@require(PERMISSION)
@require_http_methods(["GET", "POST"])
def rebuttal_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a variant of an excuse's answer."""
    found = _staff_excuse_or_404(pk)
    form = RebuttalForm(
        request.POST or None, initial={"name": _next_variant_name(found), "is_active": True}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = journey.rebuttal_create(
                    actor=request.user, excuse=found, data=form.to_input()
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Variante %(name)s ajoutée.") % {"name": created.name})
                return redirect(reverse("journey_admin:list") + f"#excuse-{found.pk}")
    context = {"form": form, "excuse": found, "rebuttal": None}
    return render(request, "giving/journey/rebuttal_form.html", context, status=status)


@require(PERMISSION)
@require_http_methods(["GET", "POST"])
def rebuttal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a variant of an answer."""
    found = _rebuttal_or_404(pk)
    form = RebuttalForm(request.POST or None, initial=rebuttal_initial(found))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                journey.rebuttal_update(actor=request.user, rebuttal=found, data=form.to_input())
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request, _("Variante %(name)s enregistrée.") % {"name": found.name}
                )
                return redirect(reverse("journey_admin:list") + f"#excuse-{found.excuse_id}")
    context = {"form": form, "excuse": found.excuse, "rebuttal": found}
    return render(request, "giving/journey/rebuttal_form.html", context, status=status)


@require(PERMISSION)
@require_POST
def rebuttal_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Start or stop showing a variant."""
    found = _rebuttal_or_404(pk)
    active = _wants_active(request)
    journey.rebuttal_set_active(actor=request.user, rebuttal=found, is_active=active)
    if active:
        messages.success(request, _("Variante %(name)s montrée.") % {"name": found.name})
    else:
        messages.success(request, _("Variante %(name)s retirée.") % {"name": found.name})
    return redirect(reverse("journey_admin:list") + f"#excuse-{found.excuse_id}")


@require(PERMISSION)
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """Views, reads, clicks, gifts and the winning variant per excuse for a period."""
    start, end = ReportPeriodForm.default_period()
    given = "start" in request.GET or "end" in request.GET
    form = ReportPeriodForm(request.GET if given else None, initial={"start": start, "end": end})
    status = 200
    result = None
    if given and not form.is_valid():
        status = 400
    else:
        if given:
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        result = journey_stats.journey_report(start=start, end=end)
    context = {
        "form": form,
        "report": result,
        "funnel": journey_stats.funnel(result) if result is not None else "",
        "min_reads": journey_stats.MIN_READS,
    }
    return render(request, "giving/journey/report.html", context, status=status)


@require(PERMISSION)
@require_GET
def rebuttal_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a variant as visitors would see it (even withdrawn or hidden), counting nothing."""
    found = _rebuttal_or_404(pk)
    context = _answer_context(request, found.excuse, found)
    context["preview"] = True
    context["meta"].noindex = True
    # The buttons lead where they would, without counting a click.
    context["give_url"] = give_target(found)
    context["volunteer_url"] = volunteer_target()
    response = render(request, "giving/journey/excuse.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@require(PERMISSION)
@require_GET
def report_csv(request: HttpRequest) -> HttpResponse:
    """The report of a period as a CSV file (one line per excuse and variant)."""
    start, end = ReportPeriodForm.default_period()
    if "start" in request.GET or "end" in request.GET:
        form = ReportPeriodForm(request.GET)
        if not form.is_valid():
            return report(request)  # the page, with the period's errors (400)
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    result = journey_stats.journey_report(start=start, end=end)
    response = HttpResponse(
        journey_stats.report_csv(result), content_type="text/csv; charset=utf-8"
    )
    name = f"parcours-excuses-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
