"""Tax receipt screens: register, detail, corrections, annual batch, yearly figures, PDF."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from essaim.accounts.models import User
from essaim.accounts.policies import require
from essaim.core.models import AuditLog

from . import receipt_selectors as selectors
from .models import Receipt, ReceiptStatus
from .receipt_forms import CancelForm, RegisterFilterForm, ReplaceForm, YearForm
from .receipts import (
    ReceiptError,
    annual_due_count,
    annual_receipts_start,
    receipt_cancel,
    receipt_pdf_read,
    receipt_replace,
    receipt_resend,
)

RECEIPTS_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: HttpRequest) -> User:
    """Return the signed-in user (every view here requires one)."""
    return cast(User, request.user)


def _filter_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _register_receipts(request: HttpRequest) -> tuple[RegisterFilterForm, Any]:
    form = RegisterFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    return form, selectors.receipt_register(**filters)


@require("receipts.manage")
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    form, receipts = _register_receipts(request)
    page = Paginator(receipts, RECEIPTS_PER_PAGE).get_page(request.GET.get("page"))
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "giving/receipts/register.html",
        {"form": form, "page": page, "query": _filter_query(request), "section": "register"},
        status=status,
    )


def _export_name(extension: str) -> str:
    return f"registre-recus-fiscaux-{timezone.localtime():%Y-%m-%d-%H%M}.{extension}"


@require("receipts.manage")
@require_GET
def register_csv(request: HttpRequest) -> HttpResponse:
    _form, receipts = _register_receipts(request)
    response = StreamingHttpResponse(
        selectors.register_csv(receipts), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    response["Cache-Control"] = "no-store"
    # Streamed, not an HttpResponse subclass; Django serves both the same way.
    return cast(HttpResponse, response)


@require("receipts.manage")
@require_GET
def register_xlsx(request: HttpRequest) -> HttpResponse:
    _form, receipts = _register_receipts(request)
    response = FileResponse(
        selectors.register_xlsx(receipts),
        as_attachment=True,
        filename=_export_name("xlsx"),
        content_type=XLSX,
    )
    response["Cache-Control"] = "no-store"
    return cast(HttpResponse, response)


def _receipt(code: str) -> Receipt:
    receipt = selectors.receipt_detail(code)
    if receipt is None:
        raise Http404
    return receipt


def _detail(
    request: HttpRequest,
    receipt: Receipt,
    *,
    cancel_form: CancelForm | None = None,
    replace_form: ReplaceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    history = AuditLog.objects.select_related("actor").filter(
        target_type="giving.receipt", target_id=str(receipt.pk)
    )
    # A cancelled receipt shows no forms: say here why a late post was refused.
    refused = [
        str(error)
        for form in (cancel_form, replace_form)
        if form is not None and receipt.status != ReceiptStatus.ISSUED
        for error in form.non_field_errors()
    ]
    return render(
        request,
        "giving/receipts/detail.html",
        {
            "receipt": receipt,
            "refused": refused,
            "gifts": sorted(receipt.donations.all(), key=lambda g: (g.given_on, g.pk)),
            "history": history.order_by("created_at", "id"),
            "replaced_by": getattr(receipt, "replaced_by", None),
            "cancel_form": cancel_form or CancelForm(),
            "replace_form": replace_form or ReplaceForm.for_receipt(receipt),
            "section": "register",
        },
        status=status,
    )


@require("receipts.manage")
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    return _detail(request, _receipt(code))


@require("receipts.manage")
@require_POST
def cancel(request: HttpRequest, code: str) -> HttpResponse:
    receipt = _receipt(code)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            receipt_cancel(
                actor=_user(request), receipt=receipt, reason=form.cleaned_data["reason"]
            )
        except ReceiptError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Le reçu n° %(number)s est annulé. Son numéro ne sera jamais réutilisé.")
                % {"number": receipt.number},
            )
            return redirect("receipts:detail", code=receipt.code)
    return _detail(request, receipt, cancel_form=form, status=400)


@require("receipts.manage")
@require_POST
def replace(request: HttpRequest, code: str) -> HttpResponse:
    receipt = _receipt(code)
    form = ReplaceForm(request.POST)
    if form.is_valid():
        try:
            new = receipt_replace(
                actor=_user(request),
                receipt=receipt,
                reason=form.cleaned_data["reason"],
                donor=form.donor(),
                cgi_articles=form.articles(),
            )
        except ReceiptError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "Le reçu n° %(old)s est annulé et remplacé par le reçu n° %(new)s, "
                    "envoyé au donateur."
                )
                % {"old": receipt.number, "new": new.number},
            )
            return redirect("receipts:detail", code=new.code)
    return _detail(request, receipt, replace_form=form, status=400)


@require("receipts.manage")
@require_POST
def resend(request: HttpRequest, code: str) -> HttpResponse:
    receipt = _receipt(code)
    if receipt.status != ReceiptStatus.ISSUED:
        messages.error(request, _("Un reçu annulé ne s'envoie plus."))
    elif not receipt.email:
        messages.error(request, _("Ce reçu n'a pas d'adresse e-mail."))
    else:
        receipt_resend(actor=_user(request), receipt=receipt)
        messages.success(
            request,
            _("Le reçu n° %(number)s part à %(email)s.")
            % {"number": receipt.number, "email": receipt.email},
        )
    return redirect("receipts:detail", code=receipt.code)


@require_GET
def receipt_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """Send a receipt's PDF to whoever holds its unguessable code (sent to the donor by e-mail)."""
    receipt = selectors.receipt_by_code(code)
    if receipt is None:
        raise Http404
    response = HttpResponse(receipt_pdf_read(receipt), content_type="application/pdf")
    disposition = "attachment" if request.GET.get("telecharger") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="recu-fiscal-{receipt.number}.pdf"'
    # A personal document: never kept by a shared cache, never indexed, no referrer leak.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _year_from(request: HttpRequest, *, back: int = 0) -> tuple[YearForm, int]:
    """Return the year asked for in the query string, else this year minus ``back``."""
    default = timezone.localdate().year - back
    form = YearForm(request.GET if "annee" in request.GET else {"annee": default})
    year = form.cleaned_data["annee"] if form.is_valid() else default
    return form, year


@require("receipts.manage")
@require_http_methods(["GET", "POST"])
def annual(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = YearForm(request.POST)
        if form.is_valid():
            year = form.cleaned_data["annee"]
            try:
                annual_receipts_start(actor=_user(request), year=year)
            except ReceiptError as error:
                form.add_error("annee", str(error))
            else:
                messages.success(
                    request,
                    _("La génération des reçus annuels %(year)d a commencé.") % {"year": year},
                )
                return redirect(f"{reverse('receipts:annual')}?annee={year}")
        year = form.cleaned_data.get("annee") if form.is_valid() else None
        status = 400
    else:
        # Annual receipts are for a finished year: last year unless another is asked for.
        form, year = _year_from(request, back=1)
        status = 400 if form.errors else 200
    batch = selectors.receipt_batch_current(year) if year else None
    htmx = bool(request.headers.get("HX-Request")) and request.method == "GET"
    context = {
        "form": form,
        "year": year,
        "batch": batch,
        "running": selectors.batch_is_running(batch),
        # Counted on the full page only: the fragment is asked for every 2 seconds.
        "due": annual_due_count(year=year) if year and not htmx else 0,
        "batches": selectors.receipt_batches()[:20],
        "section": "annual",
    }
    if htmx:
        return render(request, "giving/receipts/_batch_progress.html", context, status=status)
    return render(request, "giving/receipts/annual.html", context, status=status)


@require("receipts.manage")
@require_GET
def declaration(request: HttpRequest) -> HttpResponse:
    form, year = _year_from(request)
    return render(
        request,
        "giving/receipts/declaration.html",
        {
            "form": form,
            "figures": selectors.receipt_year_figures(year),
            "years": selectors.receipt_years(),
            "section": "declaration",
        },
        status=400 if form.errors else 200,
    )


@require("receipts.manage")
@require_GET
def declaration_csv(request: HttpRequest) -> HttpResponse:
    form, year = _year_from(request)
    if form.errors:
        raise Http404
    response = StreamingHttpResponse(
        selectors.declaration_csv(year), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="declaration-dons-{year}-art-222-bis.csv"'
    )
    response["Cache-Control"] = "no-store"
    return cast(HttpResponse, response)
