"""Giving pages management under /collecte/pages/: list, create, edit, take offline."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from essaim.accounts.policies import can, require

from . import pages as page_services
from .models import GivingPage
from .page_forms import GivingPageForm, amount_formset

PAGES_PER_PAGE = 30


def _nav(request: HttpRequest) -> str:
    # Treasurers reach the pages from "Trésorerie"; communication from "Collecte".
    return "treasury" if can(request.user, "giving.manage") else "giving_pages"  # type: ignore[arg-type]


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for text in errors:
                form.add_error(field if field in form.fields else None, text)
    else:
        for text in error.messages:
            form.add_error(None, text)


@require("giving.pages")
@require_GET
def page_list(request: HttpRequest) -> HttpResponse:
    pages = Paginator(page_services.giving_pages_all(), PAGES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "giving/pages/list.html", {"page": pages, "active_nav": _nav(request)})


def _edit(request: HttpRequest, page: GivingPage | None) -> HttpResponse:
    amounts = list(page.amounts.all()) if page is not None else []
    data = request.POST if request.method == "POST" else None
    form = GivingPageForm(data, instance=page)
    if page is None and data is None:
        form.initial.setdefault("minimum_cents", 500)
    formset = amount_formset(data, amounts)
    status = 200
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            rows = formset.rows()
            try:
                if page is None:
                    saved = page_services.giving_page_create(
                        actor=request.user, data=form.cleaned_data, amounts=rows
                    )
                else:
                    saved = page_services.giving_page_update(
                        actor=request.user, page=page, data=form.cleaned_data, amounts=rows
                    )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Page de don créée.") if page is None else _("Page de don enregistrée."),
                )
                return redirect("giving_pages:edit", slug=saved.slug)
        status = 400
    return render(
        request,
        "giving/pages/form.html",
        {"form": form, "formset": formset, "giving_page": page, "active_nav": _nav(request)},
        status=status,
    )


@require("giving.pages")
@require_http_methods(["GET", "POST"])
def page_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@require("giving.pages")
@require_http_methods(["GET", "POST"])
def page_edit(request: HttpRequest, slug: str) -> HttpResponse:
    page = get_object_or_404(page_services.giving_pages_all(), slug=slug)
    return _edit(request, page)


@require("giving.pages")
@require_POST
def page_deactivate(request: HttpRequest, slug: str) -> HttpResponse:
    page = get_object_or_404(GivingPage, slug=slug)
    page_services.giving_page_deactivate(actor=request.user, page=page)
    messages.success(
        request,
        _("La page « %(title)s » est hors ligne ; ses dons restent enregistrés.")
        % {"title": page.title},
    )
    return redirect("giving_pages:list")
