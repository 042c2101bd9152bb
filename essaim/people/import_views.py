"""Contact import pages: upload, map columns, preview, confirm, follow progress."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from essaim.accounts.policies import require

from .import_forms import ImportConfirmForm, ImportMappingForm, ImportUploadForm
from .importing import (
    FIELD_LABELS,
    ImportFileError,
    ImportStateError,
    get_import_job_for_user,
    import_job_confirm,
    import_job_create,
    import_job_list,
    import_job_map,
    import_job_validate,
)
from .models import ImportJob, ImportStatus


def _next_step(job: ImportJob) -> HttpResponse:
    if job.status == ImportStatus.UPLOADED:
        return redirect("people:import_mapping", job_id=job.pk)
    if job.status in {ImportStatus.MAPPED, ImportStatus.VALIDATED}:
        return redirect("people:import_preview", job_id=job.pk)
    return redirect("people:import_detail", job_id=job.pk)


@require("people.import")
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                job = import_job_create(
                    actor=request.user,  # type: ignore[arg-type]
                    uploaded_file=form.cleaned_data["file"],
                    encoding=form.cleaned_data["encoding"],
                )
            except ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("people:import_mapping", job_id=job.pk)
        status = 400
    page = Paginator(import_job_list(), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "people/import_start.html",
        {"form": form, "page": page, "active_nav": "people"},
        status=status,
    )


@require("people.import")
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = get_import_job_for_user(request.user, job_id)  # type: ignore[arg-type]
    if not job.is_editable:
        return _next_step(job)
    form = ImportMappingForm(request.POST or None, job=job)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                job = import_job_map(
                    actor=request.user,  # type: ignore[arg-type]
                    job=job,
                    mapping=form.mapping(),
                    tag_name=form.cleaned_data["tag_name"],
                )
                import_job_validate(actor=request.user, job=job)  # type: ignore[arg-type]
            except (ImportStateError, ImportFileError) as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("people:import_preview", job_id=job.pk)
        status = 400
    return render(
        request,
        "people/import_mapping.html",
        {"job": job, "form": form, "active_nav": "people"},
        status=status,
    )


def _preview_context(job: ImportJob) -> dict[str, Any]:
    columns = [
        (int(index), job.header[int(index)], FIELD_LABELS[field_name])
        for index, field_name in sorted(job.mapping.items(), key=lambda item: int(item[0]))
        if field_name and int(index) < len(job.header)
    ]
    bad_lines = {error["line"] for error in job.errors}
    rows = [
        {
            "line": sample["line"],
            "cells": [(label, sample["cells"][index]) for index, _title, label in columns],
            "bad": sample["line"] in bad_lines,
        }
        for sample in job.sample_rows
    ]
    return {"job": job, "columns": columns, "rows": rows, "active_nav": "people"}


@require("people.import")
@require_http_methods(["GET"])
def import_preview(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = get_import_job_for_user(request.user, job_id)  # type: ignore[arg-type]
    if job.status != ImportStatus.VALIDATED:
        return _next_step(job) if job.status != ImportStatus.MAPPED else _mapping(job)
    context = _preview_context(job)
    context["form"] = ImportConfirmForm()
    return render(request, "people/import_preview.html", context)


def _mapping(job: ImportJob) -> HttpResponse:
    return redirect("people:import_mapping", job_id=job.pk)


@require("people.import")
@require_POST
def import_confirm(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = get_import_job_for_user(request.user, job_id)  # type: ignore[arg-type]
    form = ImportConfirmForm(request.POST)
    form.is_valid()
    try:
        job = import_job_confirm(
            actor=request.user,  # type: ignore[arg-type]
            job=job,
            skip_invalid=bool(form.cleaned_data.get("skip_invalid")),
        )
    except ImportStateError as exc:
        job.refresh_from_db()
        if job.status != ImportStatus.VALIDATED:
            return _next_step(job)
        context = _preview_context(job)
        context["form"] = form
        context["confirm_error"] = str(exc)
        return render(request, "people/import_preview.html", context, status=400)
    return redirect("people:import_detail", job_id=job.pk)


@require("people.import")
@require_http_methods(["GET"])
def import_detail(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = get_import_job_for_user(request.user, job_id)  # type: ignore[arg-type]
    if job.is_editable:
        return _next_step(job)
    context = {
        "job": job,
        "active_nav": "people",
        "poll_url": reverse("people:import_detail", kwargs={"job_id": job.pk}),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "people/_import_progress.html", context)
    return render(request, "people/import_detail.html", context)
