"""Evaluation pages: the debrief, its files, the feedback survey and volunteer hours."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from essaim.accounts.policies import can
from essaim.circles.models import Circle
from essaim.circles.policies import coordinated_circle_ids, is_circle_admin, is_circle_member
from essaim.core.money import format_euros
from essaim.core.selectors import organisation_get

from . import evaluation
from . import hours as hours_export_lib
from .debrief_forms import (
    DebriefFileForm,
    DebriefForm,
    HoursFilterForm,
    LessonForm,
    MinutesForm,
    SurveyForm,
)
from .evaluation_selectors import (
    action_hours_total,
    action_signups_hours,
    debrief_file_get,
    debrief_files,
    debrief_get,
    feedback_summary,
    hours_grouped,
    hours_row,
    hours_signups,
    hours_total,
    objective_results,
)
from .models import Action, ActionStatus, DebriefFile, Feedback, MissionSignup, Objective
from .policies import can_manage_action, get_action_for_user, get_managed_action

HOURS_PER_PAGE = 50
FILE_TYPES = {
    "application/pdf": gettext_lazy("Document PDF"),
    "image/jpeg": gettext_lazy("Image JPEG"),
    "image/png": gettext_lazy("Image PNG"),
    "image/webp": gettext_lazy("Image WebP"),
    **{
        content_type: gettext_lazy("Document bureautique")
        for content_type in evaluation.OFFICE_TYPES.values()
    },
}


def can_read_debrief(user: Any, action: Action) -> bool:
    """The debrief is for the action's organisers and the members of its circle."""
    return can_manage_action(user, action) or is_circle_member(user, action.circle)


def _readable_action(request: HttpRequest, slug: str) -> Action:
    action = get_action_for_user(request.user, slug)
    if not can_read_debrief(request.user, action):
        raise PermissionDenied
    return action


def _debrief_url(action: Action, anchor: str = "") -> str:
    url = reverse("actions:debrief", kwargs={"slug": action.slug})
    return f"{url}#{anchor}" if anchor else url


def _lesson_lines(text: str) -> list[tuple[int, str]]:
    return [
        (index, line.strip(" -*•\t"))
        for index, line in enumerate(text.splitlines())
        if line.strip(" -*•\t")
    ]


# --- debrief -------------------------------------------------------------------------


@login_required
@require_GET
def debrief_detail(request: HttpRequest, slug: str) -> HttpResponse:
    action = _readable_action(request, slug)
    can_manage = can_manage_action(request.user, action)
    debrief = debrief_get(action)
    rate = organisation_get().volunteer_hourly_rate_cents
    files = list(debrief_files(action))
    for item in files:
        item.type_label = FILE_TYPES.get(item.content_type, item.content_type)  # type: ignore[attr-defined]
    context = {
        "action": action,
        "debrief": debrief,
        "results": objective_results(action),
        "files": files,
        "feedback": feedback_summary(action),
        "hours": action_hours_total(action, rate),
        "rate": rate,
        "can_manage": can_manage,
        "can_edit": can_manage and action.status in evaluation.EVALUABLE,
        "evaluable": action.status in evaluation.EVALUABLE,
        "lesson_blocks": [
            (
                "what_worked",
                _("Ce qui a marché"),
                _lesson_lines(debrief.what_worked) if debrief else [],
            ),
            (
                "to_improve",
                _("Ce qui est à améliorer"),
                _lesson_lines(debrief.to_improve) if debrief else [],
            ),
        ],
        "file_form": DebriefFileForm(),
    }
    return render(request, "actions/debrief/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def debrief_edit(request: HttpRequest, slug: str) -> HttpResponse:
    action = get_managed_action(request.user, slug)
    if action.status not in evaluation.EVALUABLE:
        messages.error(
            request,
            _("Le bilan s'écrit une fois l'action terminée (elle est « %(status)s »).")
            % {"status": ActionStatus(action.status).label},
        )
        return redirect(_debrief_url(action))
    debrief = debrief_get(action)
    objectives = list(Objective.objects.filter(action=action).order_by("position", "id"))
    initial = (
        {
            "what_worked": debrief.what_worked,
            "to_improve": debrief.to_improve,
            "notes": debrief.notes,
        }
        if debrief
        else {}
    )
    form = DebriefForm(request.POST or None, initial=initial, objectives=objectives)
    if request.method == "POST" and form.is_valid():
        try:
            evaluation.debrief_update(
                actor=request.user,
                action=action,
                what_worked=form.cleaned_data["what_worked"],
                to_improve=form.cleaned_data["to_improve"],
                notes=form.cleaned_data["notes"],
                achieved=form.achieved(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Le bilan est enregistré."))
            return redirect(_debrief_url(action))
    return render(request, "actions/debrief/edit.html", {"action": action, "form": form})


@login_required
@require_POST
def debrief_file_add(request: HttpRequest, slug: str) -> HttpResponse:
    action = get_managed_action(request.user, slug)
    form = DebriefFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            stored = evaluation.debrief_file_add(
                actor=request.user, action=action, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(
                request, _("« %(name)s » est joint au bilan.") % {"name": stored.original_name}
            )
    else:
        for problem in form.errors.get("file", []):
            messages.error(request, str(problem))
    return redirect(_debrief_url(action, "fichiers"))


def _file_of(action: Action, file_id: int) -> DebriefFile:
    try:
        return debrief_file_get(action, file_id)
    except DebriefFile.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def debrief_file_download(request: HttpRequest, slug: str, file_id: int) -> FileResponse:
    action = _readable_action(request, slug)
    stored = _file_of(action, file_id)
    is_image = stored.content_type.startswith("image/")
    response = FileResponse(
        stored.file.open("rb"),
        content_type=stored.content_type,
        as_attachment=not is_image,
        filename=stored.original_name,
    )
    # Even a crafted file cannot run as a page of this site.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def debrief_file_delete(request: HttpRequest, slug: str, file_id: int) -> HttpResponse:
    action = get_managed_action(request.user, slug)
    stored = _file_of(action, file_id)
    evaluation.debrief_file_delete(actor=request.user, debrief_file=stored)
    messages.success(
        request, _("« %(name)s » est retiré du bilan.") % {"name": stored.original_name}
    )
    return redirect(_debrief_url(action, "fichiers"))


@login_required
@require_POST
def debrief_lesson(request: HttpRequest, slug: str) -> HttpResponse:
    """One click: a lesson of the debrief becomes a draft practice sheet linked to the action."""
    from essaim.practices.services import practice_draft_from_lesson

    action = get_managed_action(request.user, slug)
    debrief = debrief_get(action)
    form = LessonForm(request.POST)
    if debrief is None or not form.is_valid():
        messages.error(request, _("Choisissez une leçon du bilan à transformer en fiche pratique."))
        return redirect(_debrief_url(action, "lecons"))
    lines = dict(_lesson_lines(getattr(debrief, form.cleaned_data["section"])))
    line = form.cleaned_data.get("line")
    lesson = "\n".join(lines.values()) if line is None else lines.get(line, "")
    if not lesson:
        messages.error(request, _("Cette leçon est vide ou a changé : rechargez le bilan."))
        return redirect(_debrief_url(action, "lecons"))
    title = form.cleaned_data.get("title") or lesson.splitlines()[0]
    try:
        sheet = practice_draft_from_lesson(
            actor=request.user, action=action, title=title[:200], lesson=lesson
        )
    except (ValidationError, PermissionDenied) as error:
        text = error.messages[0] if isinstance(error, ValidationError) else ""
        messages.error(request, text or _("La fiche pratique n'a pas pu être créée."))
        return redirect(_debrief_url(action, "lecons"))
    messages.success(
        request,
        _("La fiche pratique « %(title)s » est créée en brouillon : relisez-la puis publiez-la.")
        % {"title": sheet.title},
    )
    return redirect("practices:edit", slug=sheet.slug)


# --- volunteer hours of one action ---------------------------------------------------


@login_required
@require_GET
def action_hours(request: HttpRequest, slug: str) -> HttpResponse:
    action = get_managed_action(request.user, slug)
    rate = organisation_get().volunteer_hourly_rate_cents
    rows = action_signups_hours(action)
    for row in rows:
        row.form = MinutesForm(  # type: ignore[attr-defined]
            initial={"hours": row.minutes // 60, "minutes": row.minutes % 60},
            prefix=f"s{row.signup.pk}",
        )
    context = {
        "action": action,
        "rows": rows,
        "total": action_hours_total(action, rate),
        "rate": rate,
    }
    return render(request, "actions/debrief/action_hours.html", context)


@login_required
@require_POST
def hours_edit(request: HttpRequest, slug: str, signup_id: int) -> HttpResponse:
    action = get_managed_action(request.user, slug)
    signup = (
        MissionSignup.objects.select_related("mission", "person")
        .filter(pk=signup_id, mission__action=action)
        .first()
    )
    if signup is None:
        raise Http404
    form = MinutesForm(request.POST, prefix=f"s{signup.pk}")
    back = reverse("actions:action_hours", kwargs={"slug": action.slug}) + f"#signup-{signup.pk}"
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, f"{signup.person} : {text}")
        return HttpResponseRedirect(back)
    try:
        evaluation.signup_minutes_update(
            actor=request.user, signup=signup, minutes=form.cleaned_data["total"]
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, f"{signup.person} : {text}")
    else:
        messages.success(
            request,
            _("Le temps de %(person)s est enregistré.") % {"person": signup.person},
        )
    return HttpResponseRedirect(back)


# --- feedback survey (no login: the signed code is the key) --------------------------


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, code: str) -> HttpResponse:
    decoded = evaluation.survey_read(code)
    action = (
        Action.objects.select_related("circle").filter(pk=decoded[0]).first() if decoded else None
    )
    if decoded is None or action is None or action.status not in evaluation.EVALUABLE:
        return render(request, "actions/debrief/survey_invalid.html", status=404)
    person_id = decoded[1]
    answered = Feedback.objects.filter(action=action, person_id=person_id).exists()
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and not answered and form.is_valid():
        try:
            saved = evaluation.feedback_submit(
                action=action,
                person_id=person_id,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(
                request,
                "actions/debrief/survey.html",
                {"action": action, "thanks": True, "duplicate": saved is None},
            )
    response = render(
        request,
        "actions/debrief/survey.html",
        {"action": action, "form": form, "answered": answered},
    )
    response["Referrer-Policy"] = "no-referrer"  # the code is in the address
    return response


# --- volunteer hours report ----------------------------------------------------------


def _hours_scope(request: HttpRequest) -> tuple[list[Circle], set[int] | None]:
    """Circles the user may report on (admins: all, None) or 403."""
    user = request.user
    if is_circle_admin(user):
        return list(Circle.objects.order_by("name").only("pk", "name", "slug")), None
    ids = coordinated_circle_ids(user)
    if not ids:
        raise PermissionDenied
    return list(Circle.objects.filter(pk__in=ids).order_by("name").only("pk", "name", "slug")), ids


def _hours_selection(request: HttpRequest) -> dict[str, Any]:
    circles, allowed = _hours_scope(request)
    form = HoursFilterForm(request.GET or None, circles=[(c.slug, c.name) for c in circles])
    year, circle_slug, group = form.values()
    circle_ids: set[int] | None = allowed
    chosen = next((c for c in circles if c.slug == circle_slug), None)
    if chosen is not None:
        circle_ids = {chosen.pk}
    signups = hours_signups(year=year, circle_ids=circle_ids)
    return {
        "form": form,
        "year": year,
        "group": group,
        "circle": chosen,
        "signups": signups,
        "rate": organisation_get().volunteer_hourly_rate_cents,
        "query": urlencode({"year": year, "circle": chosen.slug if chosen else "", "group": group}),
    }


@login_required
@require_GET
def hours_report(request: HttpRequest) -> HttpResponse:
    selection = _hours_selection(request)
    group, rate = selection["group"], selection["rate"]
    page = Paginator(hours_grouped(selection["signups"], group), HOURS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    page.object_list = [hours_row(values, group, rate) for values in page.object_list]
    context = {
        **selection,
        "page": page,
        "total": hours_total(selection["signups"], rate),
        "rate_text": format_euros(rate),
        "groups": [
            ("person", _("Par personne")),
            ("circle", _("Par cercle")),
            ("action", _("Par action")),
        ],
    }
    return render(request, "actions/debrief/hours_report.html", context)


@login_required
@require_GET
def hours_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    if fmt not in ("csv", "xlsx"):
        raise Http404
    selection = _hours_selection(request)
    group, rate = selection["group"], selection["rate"]
    rows = hours_export_lib.rows(
        grouped=hours_grouped(selection["signups"], group),
        total=hours_total(selection["signups"], rate),
        group=group,
        rate=rate,
        with_email=can(request.user, "people.export"),
    )
    stamp = timezone.localdate().isoformat()
    name = f"heures-benevoles-{selection['year']}-{group}-{stamp}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            hours_export_lib.csv_chunks(rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    return FileResponse(
        hours_export_lib.xlsx_file(rows),
        as_attachment=True,
        filename=f"{name}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
