"""Reads of tax receipts: the register, one receipt, the yearly figures, the annual batch."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import BatchStatus, Receipt, ReceiptBatch, ReceiptKind, ReceiptStatus


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


# --- Exports ------------------------------------------------------------------------------

EXPORT_CHUNK = 2000


def register_headers() -> list[str]:
    """Return the register's column titles, in French."""
    return [
        _("Numéro"),
        _("Année"),
        _("Type"),
        _("État"),
        _("Émis le"),
        _("Donateur"),
        _("E-mail"),
        _("Adresse"),
        _("Montant"),
        _("Montant en toutes lettres"),
        _("Date du don"),
        _("Début de la période"),
        _("Fin de la période"),
        _("Moyens de paiement"),
        _("Articles du CGI"),
        _("Remplace le reçu"),
        _("Annulé le"),
        _("Motif d'annulation"),
        _("Envoyé le"),
    ]


REGISTER_AMOUNT_COLUMN = 8


def _local_day(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value else None


EXPORT_FIELDS = (
    "number",
    "year",
    "kind",
    "status",
    "issued_at",
    "family_name",
    "given_name",
    "email",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "amount_cents",
    "amount_words",
    "gift_date",
    "period_start",
    "period_end",
    "payment_methods",
    "cgi_articles",
    "replaces__number",
    "cancelled_at",
    "cancel_reason",
    "emailed_at",
)


def register_rows(receipts: QuerySet[Receipt]) -> Iterator[list[Any]]:
    """Yield one row per receipt (the amount stays in cents; each format writes it its way)."""
    # Plain values, not model instances: an export of a whole year reads 100,000 rows.
    kinds = {key: str(label) for key, label in ReceiptKind.choices}
    statuses = {key: str(label) for key, label in ReceiptStatus.choices}
    rows = receipts.values_list(*EXPORT_FIELDS)
    for row in rows.iterator(chunk_size=EXPORT_CHUNK):
        r = dict(zip(EXPORT_FIELDS, row, strict=True))
        address = ", ".join(
            part
            for part in (
                r["address_line1"],
                r["address_line2"],
                f"{r['postal_code']} {r['city']}".strip(),
                r["country"] if r["country"] != "FR" else "",
            )
            if part
        )
        yield [
            r["number"],
            r["year"],
            kinds.get(r["kind"], r["kind"]),
            statuses.get(r["status"], r["status"]),
            _local_day(r["issued_at"]),
            f"{r['family_name']} {r['given_name']}".strip(),
            r["email"],
            address,
            r["amount_cents"],
            r["amount_words"],
            r["gift_date"],
            r["period_start"],
            r["period_end"],
            r["payment_methods"],
            r["cgi_articles"],
            r["replaces__number"] or "",
            _local_day(r["cancelled_at"]),
            r["cancel_reason"],
            _local_day(r["emailed_at"]),
        ]


def _csv_cell(index: int, value: Any, amount_columns: tuple[int, ...]) -> str:
    if value is None:
        return ""
    if index in amount_columns:
        euros, cents = divmod(int(value), 100)
        return f"{euros},{cents:02d}"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(
    headers: list[str], rows: Iterable[list[Any]], *, amount_columns: tuple[int, ...]
) -> Iterator[str]:
    """Yield CSV the French way (BOM, ``;``, decimal comma, DD/MM/YYYY), line by line."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(headers)
    for row in rows:
        yield writer.writerow([_csv_cell(i, v, amount_columns) for i, v in enumerate(row)])


def register_csv(receipts: QuerySet[Receipt]) -> Iterator[str]:
    """Yield the register as CSV."""
    return csv_lines(
        register_headers(), register_rows(receipts), amount_columns=(REGISTER_AMOUNT_COLUMN,)
    )


def register_xlsx(receipts: QuerySet[Receipt]) -> Any:
    """Write the register to a temporary XLSX file (write-only mode) and return it, rewound."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_("Reçus fiscaux")))
    bold = Font(bold=True)
    header = []
    for title in register_headers():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    # Plain values (not one styled cell object each): twice as fast on a whole year.
    # Amounts are numbers in euros; dates are dates (the spreadsheet shows them as dates).
    for row in register_rows(receipts):
        row[REGISTER_AMOUNT_COLUMN] = int(row[REGISTER_AMOUNT_COLUMN]) / 100
        sheet.append(row)
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (the response closes it)
    book.save(handle)
    handle.seek(0)
    return handle


def declaration_csv(year: int) -> Iterator[str]:
    """Yield the yearly declaration (CGI art. 222 bis): each issued receipt, then the totals."""
    figures = receipt_year_figures(year)
    receipts = (
        Receipt.objects.filter(year=year, status=ReceiptStatus.ISSUED)
        .order_by("sequence")
        .values_list("number", "issued_at", "family_name", "given_name", "kind", "amount_cents")
    )
    headers = [_("Numéro"), _("Émis le"), _("Donateur"), _("Type"), _("Montant")]
    kinds = {key: str(label) for key, label in ReceiptKind.choices}

    def rows() -> Iterator[list[Any]]:
        for number, issued_at, family, given, kind, amount in receipts.iterator(
            chunk_size=EXPORT_CHUNK
        ):
            yield [
                number,
                _local_day(issued_at),
                f"{family} {given}".strip(),
                kinds.get(kind, kind),
                amount,
            ]
        yield [
            _("Total %(year)d") % {"year": year},
            None,
            _("%(count)d reçus émis") % {"count": figures.receipts},
            "",
            figures.amount_cents,
        ]

    return csv_lines(headers, rows(), amount_columns=(4,))
