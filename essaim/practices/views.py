"""Pages of the practice library: index and search, sheet, writing, comments, votes, history."""

from __future__ import annotations

import difflib
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from essaim.circles.models import Circle
from essaim.circles.policies import can_see_circle

from . import services
from .forms import CommentForm, LibrarySearchForm, SheetForm
from .models import PracticeComment, PracticeRevision, PracticeSheet, PracticeTag
from .policies import (
    can_comment_sheet,
    can_create_sheet,
    can_edit_sheet,
    get_editable_sheet,
    get_sheet_for_user,
)
from .selectors import (
    has_voted,
    highlight,
    library_search,
    my_circles,
    popular_tags,
    sheet_actions,
    sheet_comments,
    sheet_revisions,
)

SHEETS_PER_PAGE = 20
# Counting every match of a broad search at 100k sheets costs more than the page itself:
# beyond this many the library says "more than 1,000" (and offers the first 50 pages).
COUNT_CAP = 1000


class CappedPaginator(Paginator):
    def __init__(self, *args: Any, known_count: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A count the search already made (its candidates): no count query then.
        self.known_count = known_count

    @cached_property
    def count(self) -> int:
        if self.known_count is not None:
            return min(self.known_count, COUNT_CAP + 1)
        sheets = cast(QuerySet[PracticeSheet], self.object_list)
        return sheets.order_by()[: COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP


REVISIONS_PER_PAGE = 30


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.history_restore_request)


def _render(
    request: HttpRequest, full: str, partial: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, partial if _is_htmx(request) else full, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            target = field if field in form.fields else None
            for text in errors:
                form.add_error(target, text)
    else:
        for text in error.messages:
            form.add_error(None, text)


@login_required
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    if data.get("q", "").strip() and not data.get("tri"):
        # Words typed and no order chosen: the list (and its select) go by relevance.
        data["tri"] = "relevance"
    form = LibrarySearchForm(data)
    query, sort = form.query(), form.sort()
    tag = request.GET.get("theme", "").strip()[:60]
    drafts = request.GET.get("etat") == "brouillons"
    circle_slug = request.GET.get("cercle", "")
    circle = None
    if circle_slug:
        circle = Circle.objects.filter(slug=circle_slug).first()
        if circle is None or not can_see_circle(request.user, circle):
            raise Http404
    search = library_search(
        user=request.user, query=query, tag=tag, circle=circle, sort=sort, drafts=drafts
    )
    paginator = CappedPaginator(search.sheets, SHEETS_PER_PAGE, known_count=search.count)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for sheet in page.object_list:
        sheet.title_marked = highlight(sheet.title, search.words)  # type: ignore[attr-defined]
        sheet.summary_marked = highlight(sheet.summary, search.words)  # type: ignore[attr-defined]
    params = {
        k: v
        for k, v in (
            ("q", query),
            ("theme", tag),
            ("cercle", circle_slug),
            ("tri", sort if sort != ("relevance" if query.strip() else "recent") else ""),
            ("etat", "brouillons" if drafts else ""),
        )
        if v
    }
    context: dict[str, Any] = {
        "form": form,
        "query": query,
        "search": search,
        "tag": tag,
        "circle": circle,
        "drafts": drafts,
        "page": page,
        "filter_query": urlencode(params),
        "active_nav": "practices",
    }
    if not _is_htmx(request):
        tags = popular_tags()
        if tag and all(t.name.lower() != tag.lower() for t in tags):
            tags.insert(0, PracticeTag(name=tag))
        context["tags"] = tags
        context["circles"] = my_circles(request.user)
        context["can_create"] = can_create_sheet(request.user)
    return _render(request, "practices/library.html", "practices/_results.html", context)


def _sheet_context(request: HttpRequest, sheet: PracticeSheet) -> dict[str, Any]:
    return {
        "sheet": sheet,
        "tags": list(sheet.tags.order_by("name")),
        "linked_actions": sheet_actions(request.user, sheet),
        "comments": sheet_comments(sheet),
        "voted": has_voted(request.user, sheet),
        "can_edit": can_edit_sheet(request.user, sheet),
        "can_comment": can_comment_sheet(request.user, sheet),
        "active_nav": "practices",
    }


@login_required
@require_GET
def sheet_detail(request: HttpRequest, slug: str) -> HttpResponse:
    sheet = get_sheet_for_user(request.user, slug)
    context = _sheet_context(request, sheet)
    context["comment_form"] = CommentForm()
    return render(request, "practices/detail.html", context)


def _sheet_form_page(
    request: HttpRequest, form: SheetForm, sheet: PracticeSheet | None
) -> HttpResponse:
    return render(
        request,
        "practices/form.html",
        {"form": form, "sheet": sheet, "active_nav": "practices"},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def sheet_create(request: HttpRequest) -> HttpResponse:
    if not can_create_sheet(request.user):
        raise PermissionDenied
    circles = my_circles(request.user)
    initial: dict[str, Any] = {}
    wanted = request.GET.get("cercle", "")
    if wanted and any(c.slug == wanted for c in circles):
        initial["circle"] = wanted
    form = SheetForm(request.POST or None, circles=circles, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sheet = services.practice_create(
                actor=request.user,
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                tags=data["tags"],
                circle=data["circle"],
                visibility=data["visibility"],
                actions=list(data.get("actions") or []),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("La fiche est enregistrée comme brouillon. Publiez-la quand elle est prête."),
            )
            return redirect(services.sheet_url(sheet))
    return _sheet_form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def sheet_edit(request: HttpRequest, slug: str) -> HttpResponse:
    sheet = get_editable_sheet(request.user, slug)
    form = SheetForm(
        request.POST or None, circles=my_circles(request.user), sheet=sheet, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["actions"] = list(data.get("actions") or [])
        try:
            sheet = services.practice_update(actor=request.user, sheet=sheet, data=data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Vos modifications sont enregistrées."))
            return redirect(services.sheet_url(sheet))
    return _sheet_form_page(request, form, sheet)


@login_required
@require_POST
def sheet_preview(request: HttpRequest) -> HttpResponse:
    """Render the Markdown being written, for the form's preview (htmx)."""
    body = request.POST.get("body", "")[:50000]
    # render_body keeps render_markdown's sanitising; it only renames heading tags.
    html = mark_safe(services.render_body(body))
    return render(request, "practices/_preview.html", {"html": html})


@login_required
@require_POST
def sheet_publish(request: HttpRequest, slug: str) -> HttpResponse:
    sheet = get_editable_sheet(request.user, slug)
    try:
        if request.POST.get("value") == "0":
            services.practice_unpublish(actor=request.user, sheet=sheet)
            messages.success(request, _("La fiche est repassée en brouillon."))
        else:
            services.practice_publish(actor=request.user, sheet=sheet)
            messages.success(request, _("La fiche est publiée."))
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect(services.sheet_url(sheet))


@login_required
@require_POST
def sheet_vote(request: HttpRequest, slug: str) -> HttpResponse:
    sheet = get_sheet_for_user(request.user, slug)
    if not can_comment_sheet(request.user, sheet):
        raise PermissionDenied
    voted, count = services.practice_vote_toggle(actor=request.user, sheet=sheet)
    if _is_htmx(request):
        sheet.useful_count = count
        response = render(request, "practices/_vote.html", {"sheet": sheet, "voted": voted})
        patch_vary_headers(response, ["HX-Request"])
        return response
    return redirect(services.sheet_url(sheet))


@login_required
@require_POST
def comment_create(request: HttpRequest, slug: str) -> HttpResponse:
    sheet = get_sheet_for_user(request.user, slug)
    if not can_comment_sheet(request.user, sheet):
        raise PermissionDenied
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = services.practice_comment_add(
                actor=request.user, sheet=sheet, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Votre commentaire est publié."))
            return redirect(f"{services.sheet_url(sheet)}#commentaire-{comment.pk}")
    context = _sheet_context(request, sheet)
    context["comment_form"] = form
    return render(request, "practices/detail.html", context, status=400)


@login_required
@require_POST
def comment_hide(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    sheet = get_editable_sheet(request.user, slug)
    comment = PracticeComment.objects.filter(sheet=sheet, pk=comment_id).first()
    if comment is None:
        raise Http404
    services.practice_comment_hide(actor=request.user, comment=comment)
    messages.success(request, _("Le commentaire est masqué."))
    return redirect(f"{services.sheet_url(sheet)}#commentaires")


def _diff_rows(old: str, new: str) -> list[tuple[str, str]]:
    """Line by line changes as (kind, text): kind is "added", "removed" or "same"."""
    rows: list[tuple[str, str]] = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        code, text = line[:2], line[2:]
        if code == "+ ":
            rows.append(("added", text))
        elif code == "- ":
            rows.append(("removed", text))
        elif code == "  ":
            rows.append(("same", text))
    return rows


def _number(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
@require_GET
def sheet_history(request: HttpRequest, slug: str) -> HttpResponse:
    sheet = get_editable_sheet(request.user, slug)
    revisions = sheet_revisions(sheet)
    page = Paginator(revisions, REVISIONS_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {"sheet": sheet, "page": page, "active_nav": "practices"}
    old_number, new_number = _number(request.GET.get("de")), _number(request.GET.get("a"))
    if old_number is not None and new_number is not None:
        pair = {r.number: r for r in revisions.filter(number__in=[old_number, new_number])}
        if old_number not in pair or new_number not in pair:
            messages.error(
                request, _("Ces versions n'existent pas : choisissez-en deux de la liste.")
            )
        else:
            old, new = pair[old_number], pair[new_number]
            context.update(
                old=old,
                new=new,
                title_rows=_diff_rows(old.title, new.title),
                summary_rows=_diff_rows(old.summary, new.summary),
                body_rows=_diff_rows(old.body, new.body),
            )
    return render(request, "practices/history.html", context)


@login_required
@require_POST
def revision_restore(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    sheet = get_editable_sheet(request.user, slug)
    revision = PracticeRevision.objects.filter(sheet=sheet, number=number).first()
    if revision is None:
        raise Http404
    services.practice_restore_revision(actor=request.user, sheet=sheet, revision=revision)
    messages.success(
        request,
        _("La version %(number)d est rétablie (enregistrée comme nouvelle version).")
        % {"number": number},
    )
    return redirect(services.sheet_url(sheet))
