"""Treasurer screens under /tresorerie/: figures, gifts, offline gifts, reconciliation, exports."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from essaim.accounts.policies import require
from essaim.core.money import format_euros
from essaim.people.models import Person
from essaim.people.selectors import person_directory
from essaim.referrals.charts import bar_chart

from . import exports, treasury
from . import services as giving_services
from .models import Donation, ReceiptStatus
from .treasury_forms import GiftFilterForm, NoteForm, OfflineGiftForm, ReconcileFilterForm

GIFTS_PER_PAGE = 50
RECONCILE_PER_PAGE = 100
PERSON_MATCHES = 10


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for text in errors:
                form.add_error(field if field in form.fields else None, text)
    else:
        for text in error.messages:
            form.add_error(None, text)


@require("giving.manage")
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("annee", today.year))
    except ValueError:
        year = today.year
    if not 2000 <= year <= today.year + 1:
        raise Http404
    month_names = [str(MONTHS[m]) for m in range(1, 13)]
    figures = treasury.year_figures_cached(
        year, month_names=month_names, fresh=request.GET.get("recalculer") == "1"
    )
    chart = bar_chart(
        title=_("Dons reçus par mois en %(year)s (euros)") % {"year": year},
        desc=_("Total des dons payés, mois par mois ; le tableau à côté donne les chiffres."),
        labels=[name[:3] for name in month_names],
        values=[row.total_cents / 100 for row in figures.months],
    )
    return render(
        request,
        "giving/treasury/dashboard.html",
        {"figures": figures, "chart": chart, "active_nav": "treasury"},
    )


def _filter_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require("giving.manage")
@require_GET
def gift_list(request: HttpRequest) -> HttpResponse:
    form = GiftFilterForm(request.GET or None)
    filters = form.filters() if request.GET else treasury.GiftFilters()
    gifts = treasury.donations_filtered(filters)
    page = Paginator(gifts, GIFTS_PER_PAGE).get_page(request.GET.get("page"))
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "giving/treasury/gifts.html",
        {
            "form": form,
            "page": page,
            "query": _filter_query(request),
            "active_nav": "treasury",
        },
        status=status,
    )


def _gift(code: str) -> Donation:
    gift = treasury.donation_for_treasurer(code)
    if gift is None:
        raise Http404
    return gift


@require("giving.manage")
@require_GET
def gift_detail(request: HttpRequest, code: str) -> HttpResponse:
    gift = _gift(code)
    return render(
        request,
        "giving/treasury/gift.html",
        {"gift": gift, "note_form": NoteForm(), "active_nav": "treasury"},
    )


def _gift_action(request: HttpRequest, code: str, *, fail: bool) -> HttpResponse:
    gift = _gift(code)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            if fail:
                giving_services.donation_fail_offline(
                    actor=request.user,  # type: ignore[arg-type]
                    donation=gift,
                    note=form.cleaned_data["note"],
                )
            else:
                giving_services.donation_refund(
                    actor=request.user,  # type: ignore[arg-type]
                    donation=gift,
                    note=form.cleaned_data["note"],
                )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Don marqué comme impayé (chèque rejeté ou virement jamais reçu).")
                if fail
                else _("Don marqué comme remboursé ; son reçu fiscal est annulé."),
            )
            return redirect("treasury:gift", code=gift.code)
    return render(
        request,
        "giving/treasury/gift.html",
        {"gift": gift, "note_form": form, "active_nav": "treasury"},
        status=400,
    )


@require("giving.manage")
@require_POST
def gift_refund(request: HttpRequest, code: str) -> HttpResponse:
    return _gift_action(request, code, fail=False)


@require("giving.manage")
@require_POST
def gift_fail(request: HttpRequest, code: str) -> HttpResponse:
    return _gift_action(request, code, fail=True)


@require("giving.manage")
@require_http_methods(["GET", "POST"])
def offline_new(request: HttpRequest) -> HttpResponse:
    search = (request.GET.get("q") or "").strip()[:100]
    matches: list[Person] = []
    if search:
        matches = list(person_directory(query=search)[:PERSON_MATCHES])
    picked: Person | None = None
    if request.GET.get("personne"):
        try:
            picked = Person.objects.filter(
                pk=int(request.GET["personne"]), erased_at__isnull=True
            ).first()
        except ValueError:
            picked = None
    form = OfflineGiftForm(request.POST or None, person=picked)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    gift = giving_services.donation_record_offline(
                        actor=request.user,  # type: ignore[arg-type]
                        donor=form.donor(),
                        person=data.get("person"),
                        amount_cents=data["amount"],
                        payment_method=data["payment_method"],
                        given_on=data["given_on"],
                        bank_reference=data.get("bank_reference") or "",
                        page=data.get("page"),
                        campaign=data.get("campaign"),
                        wants_receipt=bool(data.get("wants_receipt")),
                        notes=data.get("notes") or "",
                    )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                receipt = gift.receipts.filter(status=ReceiptStatus.ISSUED).first()
                text = _("Don de %(amount)s enregistré pour %(name)s.") % {
                    "amount": format_euros(gift.amount_cents),
                    "name": gift.donor_name,
                }
                if receipt is not None:
                    text += " " + _("Reçu fiscal n° %(number)s émis.") % {"number": receipt.number}
                elif gift.wants_receipt:
                    text += " " + _("Aucun reçu fiscal n'a pu être émis.")
                messages.success(request, text)
                return redirect("treasury:gift", code=gift.code)
        status = 400
    return render(
        request,
        "giving/treasury/offline.html",
        {
            "form": form,
            "search": search,
            "matches": matches,
            "picked": picked,
            "active_nav": "treasury",
        },
        status=status,
    )


def _selected_ids(request: HttpRequest) -> list[int]:
    ids = []
    for value in request.POST.getlist("gift")[:RECONCILE_PER_PAGE]:
        try:
            ids.append(int(value))
        except ValueError:
            continue
    return ids


@require("giving.manage")
@require_http_methods(["GET", "POST"])
def reconcile(request: HttpRequest) -> HttpResponse:
    filter_form = ReconcileFilterForm(request.GET or None)
    data = filter_form.cleaned_data if filter_form.is_valid() else {}
    gifts = treasury.donations_to_reconcile(
        method=data.get("method") or "", start=data.get("start"), end=data.get("end")
    )
    page = Paginator(gifts, RECONCILE_PER_PAGE).get_page(request.GET.get("page"))
    selected: list[int] = []
    selection: tuple[int, int] | None = None
    status = 400 if filter_form.is_bound and not filter_form.is_valid() else 200
    if request.method == "POST":
        selected = _selected_ids(request)
        if request.POST.get("do") == "total":
            selection = treasury.donations_sum(selected)
        elif not selected:
            messages.error(request, _("Cochez au moins un don à rapprocher."))
            status = 400
        else:
            chosen = list(Donation.objects.filter(pk__in=selected))
            _count, total = treasury.donations_sum(selected)
            changed = giving_services.donation_reconcile(
                actor=request.user,  # type: ignore[arg-type]
                donations=chosen,
            )
            messages.success(
                request,
                _("%(count)s don(s) marqué(s) comme rapproché(s), pour %(total)s.")
                % {"count": changed, "total": format_euros(total)},
            )
            url = reverse("treasury:reconcile")
            query = _filter_query(request)
            return redirect(f"{url}?{query}" if query else url)
    return render(
        request,
        "giving/treasury/reconcile.html",
        {
            "filter_form": filter_form,
            "page": page,
            "query": _filter_query(request),
            "selected": set(selected),
            "selection": selection,
            "page_total": sum(g.amount_cents for g in page.object_list),
            "recent": treasury.donations_recently_reconciled(),
            "active_nav": "treasury",
        },
        status=status,
    )


@require("giving.manage")
@require_POST
def reconcile_total(request: HttpRequest) -> HttpResponse:
    count, total = treasury.donations_sum(_selected_ids(request))
    return render(request, "giving/treasury/_selection_total.html", {"selection": (count, total)})


@require("giving.manage")
@require_POST
def reconcile_undo(request: HttpRequest, code: str) -> HttpResponse:
    gift = get_object_or_404(Donation, code=code)
    if treasury.donation_reconcile_undo(actor=request.user, donation=gift):  # type: ignore[arg-type]
        messages.success(
            request,
            _("Le rapprochement du don de %(name)s (%(amount)s) est annulé.")
            % {"name": gift.donor_name, "amount": format_euros(gift.amount_cents)},
        )
    return redirect("treasury:reconcile")


def _export_gifts(request: HttpRequest) -> Any:
    form = GiftFilterForm(request.GET or None)
    filters = form.filters() if request.GET else treasury.GiftFilters()
    return treasury.donations_filtered(filters)


def _export_name(extension: str) -> str:
    return f"dons-{timezone.localtime():%Y-%m-%d-%H%M}.{extension}"


@require("giving.manage")
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    response = StreamingHttpResponse(
        exports.csv_stream(_export_gifts(request)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    # `require` is typed for HttpResponse; a streamed response is served the same way.
    return cast(HttpResponse, response)


@require("giving.manage")
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    handle = exports.xlsx_file(_export_gifts(request))
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=_export_name("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return cast(HttpResponse, response)
