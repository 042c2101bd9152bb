"""Reads of tax receipts: the register, one receipt, the yearly figures, the annual batch."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from .models import BatchStatus, Receipt, ReceiptBatch, ReceiptStatus


def receipt_by_code(code: str) -> Receipt | None:
    """Return the receipt an unguessable code names, with what its PDF prints, or None."""
    return (
        Receipt.objects.select_related("replaces", "person")
        .prefetch_related("donations")
        .filter(code=code)
        .first()
    )


def receipt_detail(code: str) -> Receipt | None:
    """Return one receipt with its gifts, replacement links and authors, or None."""
    return (
        Receipt.objects.select_related(
            "replaces", "replaced_by", "person", "issued_by", "cancelled_by"
        )
        .prefetch_related("donations")
        .filter(code=code)
        .first()
    )


def receipt_register(
    *, year: int | None = None, status: str = "", search: str = ""
) -> QuerySet[Receipt]:
    """Return receipts newest first, filtered by year, status and a name, e-mail or number."""
    receipts = Receipt.objects.select_related("replaces").order_by("-year", "-sequence")
    if year:
        receipts = receipts.filter(year=year)
    if status in ReceiptStatus.values:
        receipts = receipts.filter(status=status)
    search = search.strip()
    if search:
        receipts = receipts.filter(
            Q(number__icontains=search)
            | Q(family_name__icontains=search)
            | Q(given_name__icontains=search)
            | Q(email__icontains=search)
        )
    return receipts


def receipt_years() -> list[int]:
    """Return the years that have receipts, newest first."""
    return list(Receipt.objects.order_by("-year").values_list("year", flat=True).distinct())


@dataclass(frozen=True)
class YearFigures:
    year: int
    receipts: int
    amount_cents: int
    single: int
    annual: int
    cancelled: int


def receipt_year_figures(year: int) -> YearFigures:
    """Return what the organisation declares for a year (CGI art. 222 bis): issued receipts only."""
    issued = Q(status=ReceiptStatus.ISSUED)
    row = Receipt.objects.filter(year=year).aggregate(
        receipts=Count("id", filter=issued),
        amount=Sum("amount_cents", filter=issued),
        single=Count("id", filter=issued & Q(kind="single")),
        annual=Count("id", filter=issued & Q(kind="annual")),
        cancelled=Count("id", filter=Q(status=ReceiptStatus.CANCELLED)),
    )
    return YearFigures(
        year=year,
        receipts=row["receipts"] or 0,
        amount_cents=row["amount"] or 0,
        single=row["single"] or 0,
        annual=row["annual"] or 0,
        cancelled=row["cancelled"] or 0,
    )


def receipt_batch_current(year: int | None = None) -> ReceiptBatch | None:
    """Return the latest annual batch (of a year when given)."""
    batches = ReceiptBatch.objects.select_related("created_by")
    if year:
        batches = batches.filter(year=year)
    return batches.order_by("-created_at", "-id").first()


def receipt_batches() -> QuerySet[ReceiptBatch]:
    """Return the annual batches, newest first."""
    return ReceiptBatch.objects.select_related("created_by").order_by("-created_at", "-id")


def batch_is_running(batch: ReceiptBatch | None) -> bool:
    return batch is not None and batch.status in (BatchStatus.QUEUED, BatchStatus.RUNNING)
