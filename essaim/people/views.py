"""People directory pages: search, person page, edit, export, merge, erase."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from essaim.accounts.policies import can, require
from essaim.core.services import audit_record

from . import exports
from .forms import DirectoryFilterForm, MergeSearchForm, PersonForm
from .models import Person
from .selectors import person_directory, person_get, person_merge_candidates, tag_list
from .services import (
    MERGE_FILLED_FIELDS,
    MergePlan,
    person_create,
    person_erase,
    person_merge,
    person_merge_plan,
    person_update,
)

PAGE_SIZE = 50
TAG_SUGGESTIONS = 200


class CappedPaginator(Paginator):
    """Count at most ``cap`` rows: an exact COUNT over a million contacts is slow and useless."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        # Unordered and limited: the database stops as soon as it has seen cap + 1 rows.
        counted = self.object_list.order_by()[: self.cap + 1].count()  # type: ignore[attr-defined,union-attr]
        self.capped = counted > self.cap
        return int(counted)

    capped = False


def _get_person(pk: int) -> Person:
    person = person_get(pk=pk)
    if person is None:
        raise Http404
    return person


def _filters(request: HttpRequest) -> dict[str, str]:
    return DirectoryFilterForm(request.GET).filters()


def _directory_people(filters: dict[str, str]) -> QuerySet[Person]:
    return person_directory(query=filters["query"], role=filters["role"], tag=filters["tag"])


def _filter_query(filters: dict[str, str]) -> str:
    keys = {"query": "q", "role": "role", "tag": "tag"}
    return urlencode({keys[k]: v for k, v in filters.items() if v})


def _staff_name(request: HttpRequest) -> str:
    return str(request.user)


@require("people.view")
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET)
    filters = form.filters()
    people = _directory_people(filters)
    paginator = CappedPaginator(people, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "paginator": paginator,
        "filters": filters,
        "filter_query": _filter_query(filters),
        "filtered": any(filters.values()),
        "can_export": can(request.user, "people.export"),
        "can_edit": can(request.user, "people.edit"),
        "can_import": can(request.user, "people.import"),
        "active_nav": "people",
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        response = render(request, "people/_results.html", context)
    else:
        context["tag_suggestions"] = list(
            tag_list().values_list("name", flat=True)[:TAG_SUGGESTIONS]
        )
        response = render(request, "people/directory.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require("people.view")
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _get_person(pk)
    context = {
        "person": person,
        "tags": list(person.tags.all()),
        "can_edit": can(request.user, "people.edit") and not person.erased_at,
        "can_merge": can(request.user, "people.merge") and not person.erased_at,
        "can_erase": can(request.user, "people.erase") and not person.erased_at,
        "show_admin_link": request.user.is_staff,  # type: ignore[union-attr]
        "active_nav": "people",
    }
    return render(request, "people/detail.html", context)


def _form_context(form: PersonForm, **extra: Any) -> dict[str, Any]:
    return {
        "form": form,
        "tag_suggestions": list(tag_list().values_list("name", flat=True)[:TAG_SUGGESTIONS]),
        "active_nav": "people",
        **extra,
    }


def _consent_proof(request: HttpRequest) -> str:
    return _("Modifié par %(staff)s dans l'annuaire") % {"staff": _staff_name(request)}


@require("people.edit")
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = person_create(
            actor=request.user,  # type: ignore[arg-type]
            data=form.person_data(),
            newsletter_consent=form.cleaned_data["newsletter_consent"],
            consent_proof=_consent_proof(request),
            tag_names=form.cleaned_data["tag_names"],
        )
        messages.success(request, _("La fiche de %(name)s est créée.") % {"name": person})
        return redirect("people:detail", pk=person.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "people/person_form.html", _form_context(form), status=status)


@require("people.edit")
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _get_person(pk)
    if person.erased_at:
        messages.error(request, _("Cette fiche a été effacée : elle ne peut plus être modifiée."))
        return redirect("people:detail", pk=person.pk)
    # The form validates a copy, so a refused edit leaves the page's heading untouched.
    editable = _get_person(pk)
    form = PersonForm(request.POST or None, instance=editable)
    if request.method == "POST" and form.is_valid():
        person_update(
            actor=request.user,  # type: ignore[arg-type]
            person=editable,
            data=form.person_data(),
            newsletter_consent=form.cleaned_data["newsletter_consent"],
            consent_proof=_consent_proof(request),
            tag_names=form.cleaned_data["tag_names"],
        )
        messages.success(request, _("Les modifications sont enregistrées."))
        return redirect("people:detail", pk=person.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "people/person_form.html", _form_context(form, person=person), status=status
    )


def _export_people(request: HttpRequest, fmt: str) -> tuple[Any, int, str]:
    filters = _filters(request)
    people = _directory_people(filters)
    count = people.order_by().count()
    audit_record(
        actor=request.user,  # type: ignore[arg-type]
        action="people.export",
        details={"format": fmt, "filters": {k: v for k, v in filters.items() if v}, "count": count},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return people, count, f"personnes-{stamp}.{fmt}"


@require("people.export")
def export_csv(request: HttpRequest) -> HttpResponse:
    people, _count, filename = _export_people(request, "csv")
    response = StreamingHttpResponse(
        exports.csv_chunks(people), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    # Streamed, not an HttpResponse subclass; Django serves both the same way.
    return cast(HttpResponse, response)


@require("people.export")
def export_xlsx(request: HttpRequest) -> HttpResponse:
    people, _count, filename = _export_people(request, "xlsx")
    response = FileResponse(
        exports.xlsx_file(people),
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Cache-Control"] = "no-store"
    return cast(HttpResponse, response)


@require("people.merge")
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    keep = _get_person(pk)
    if keep.erased_at:
        messages.error(request, _("Cette fiche a été effacée : elle ne peut pas être fusionnée."))
        return redirect("people:detail", pk=keep.pk)
    search = MergeSearchForm(request.GET)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    raw_duplicate = request.POST.get("duplicate") or request.GET.get("duplicate") or ""
    duplicate = None
    if raw_duplicate:
        duplicate = person_get(pk=int(raw_duplicate)) if raw_duplicate.isdigit() else None
        if duplicate is None:
            messages.error(request, _("Le doublon choisi n'existe pas ou plus."))
    status = 200
    if request.method == "POST" and duplicate is not None:
        try:
            person_merge(actor=request.user, keep=keep, duplicate=duplicate)  # type: ignore[arg-type]
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
            status = 400
        else:
            messages.success(
                request,
                _("La fiche « %(duplicate)s » a été fusionnée dans celle-ci.")
                % {"duplicate": duplicate},
            )
            return redirect("people:detail", pk=keep.pk)
    elif request.method == "POST":
        status = 400
    likely, found = person_merge_candidates(person=keep, query=query)
    plan = person_merge_plan(keep=keep, duplicate=duplicate) if duplicate else None
    context = {
        "person": keep,
        "search": search,
        "query": query,
        "likely": likely,
        "found": found,
        "duplicate": duplicate,
        "plan": plan,
        "preview": _merge_preview(keep, duplicate, plan) if duplicate and plan else [],
        "active_nav": "people",
    }
    return render(request, "people/merge.html", context, status=status)


def _merge_preview(
    keep: Person, duplicate: Person, plan: MergePlan
) -> list[tuple[str, Any, Any, Any]]:
    """Return (label, kept value, duplicate value, merged value) rows for the preview table."""
    rows: list[tuple[str, Any, Any, Any]] = []
    for name in (*MERGE_FILLED_FIELDS, "notes"):
        label = str(getattr(Person._meta.get_field(name), "verbose_name", name)).capitalize()
        rows.append((label, getattr(keep, name), getattr(duplicate, name), plan.values[name]))
    rows.append(
        (
            _("Rôles"),
            ", ".join(keep.role_labels),
            ", ".join(duplicate.role_labels),
            ", ".join(
                label
                for field, label in (
                    ("is_member", _("Adhérent")),
                    ("is_volunteer", _("Bénévole")),
                    ("is_donor", _("Donateur")),
                    ("is_sympathiser", _("Sympathisant")),
                )
                if plan.values[field]
            ),
        )
    )
    rows.append(
        (
            _("Étiquettes"),
            ", ".join(t.name for t in keep.tags.all()),
            ", ".join(t.name for t in duplicate.tags.all()),
            ", ".join(plan.tag_names),
        )
    )
    rows.append(
        (
            _("Lettre d'information"),
            _consent_text(keep.newsletter_consent, keep.newsletter_consent_proof),
            _consent_text(duplicate.newsletter_consent, duplicate.newsletter_consent_proof),
            _consent_text(
                plan.values["newsletter_consent"], plan.values["newsletter_consent_proof"]
            ),
        )
    )
    keep_account = keep.user.email if keep.user else ""
    duplicate_account = duplicate.user.email if duplicate.user else ""
    rows.append((_("Compte"), keep_account, duplicate_account, keep_account or duplicate_account))
    rows.append(
        (
            _("Fiche créée le"),
            _day(keep.created_at),
            _day(duplicate.created_at),
            _day(plan.values["created_at"]),
        )
    )
    return rows


def _day(moment: Any) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT") if moment else ""


def _consent_text(consent: bool, proof: str) -> str:
    if not consent:
        return _("non")
    return _("oui (%(proof)s)") % {"proof": proof} if proof else _("oui, sans preuve")


@require("people.erase")
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    person = _get_person(pk)
    if person.erased_at:
        messages.info(request, _("Cette fiche est déjà effacée."))
        return redirect("people:detail", pk=person.pk)
    status = 200
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            messages.error(
                request,
                _("Cochez la case de confirmation : l'effacement est définitif."),
            )
            status = 400
        else:
            try:
                person_erase(actor=request.user, person=person)  # type: ignore[arg-type]
            except ValidationError as error:
                for text in error.messages:
                    messages.error(request, text)
                status = 400
            else:
                messages.success(
                    request, _("Les données personnelles de cette fiche sont effacées.")
                )
                return redirect("people:detail", pk=person.pk)
    return render(
        request, "people/erase.html", {"person": person, "active_nav": "people"}, status=status
    )
