"""Gift exports for accounting software: CSV the French way, and XLSX.

The CSV is UTF-8 with a byte-order mark, ``;``-separated, with a decimal comma and dates as
DD/MM/YYYY (what French accounting tools import). The XLSX keeps numbers as numbers and
dates as dates. Both read the gifts in chunks and stream them: a large year never sits
whole in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Donation, DonationStatus, PaymentMethod, Provider, Receipt

CHUNK = 2000


def export_headers() -> list[str]:
    """Return the column titles, in French."""
    return [
        _("Date"),
        _("Code"),
        _("Donateur"),
        _("E-mail"),
        _("Adresse"),
        _("Montant"),
        _("Devise"),
        _("État"),
        _("Prestataire"),
        _("Moyen de paiement"),
        _("Référence prestataire"),
        _("Référence bancaire"),
        _("Numéro de reçu"),
        _("Page de don"),
        _("Campagne"),
        _("Apporté par"),
        _("Rapproché le"),
    ]


FIELDS = (
    "pk",
    "given_on",
    "code",
    "given_name",
    "family_name",
    "email",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "amount_cents",
    "currency",
    "status",
    "provider",
    "payment_method",
    "provider_reference",
    "bank_reference",
    "page__title",
    "campaign__title",
    "referrer__given_name",
    "referrer__family_name",
    "reconciled_at",
)


def _address(row: dict[str, Any]) -> str:
    town = f"{row['postal_code']} {row['city']}".strip()
    parts = [row["address_line1"], row["address_line2"], town]
    if row["country"] and row["country"] != "FR":
        parts.append(row["country"])
    return ", ".join(p for p in parts if p)


def _receipt_numbers(ids: list[int]) -> dict[int, list[str]]:
    links = (
        Receipt.donations.through.objects.filter(donation_id__in=ids)
        .order_by("receipt__issued_at", "receipt_id")
        .values_list("donation_id", "receipt__number")
    )
    numbers: dict[int, list[str]] = {}
    for donation_id, number in links:
        numbers.setdefault(donation_id, []).append(number)
    return numbers


def _chunks(gifts: QuerySet[Donation]) -> Iterator[list[dict[str, Any]]]:
    # Plain values, not model instances: several times faster on a big year.
    chunk: list[dict[str, Any]] = []
    for row in gifts.prefetch_related(None).values(*FIELDS).iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def export_rows(gifts: QuerySet[Donation]) -> Iterator[list[Any]]:
    """Yield one row per gift (the amount stays in cents; each format writes it its way)."""
    statuses = {key: str(label) for key, label in DonationStatus.choices}
    providers = {key: str(label) for key, label in Provider.choices}
    methods = {key: str(label) for key, label in PaymentMethod.choices}
    for chunk in _chunks(gifts):
        receipts = _receipt_numbers([row["pk"] for row in chunk])
        for row in chunk:
            reconciled = row["reconciled_at"]
            referrer = f"{row['referrer__given_name'] or ''} {row['referrer__family_name'] or ''}"
            yield [
                row["given_on"],
                row["code"],
                f"{row['given_name']} {row['family_name']}".strip(),
                row["email"],
                _address(row),
                row["amount_cents"],
                row["currency"],
                statuses.get(row["status"], row["status"]),
                providers.get(row["provider"], row["provider"]),
                methods.get(row["payment_method"], row["payment_method"]),
                row["provider_reference"],
                row["bank_reference"],
                " ".join(receipts.get(row["pk"], [])),
                row["page__title"] or "",
                row["campaign__title"] or "",
                referrer.strip(),
                timezone.localtime(reconciled).date() if reconciled else None,
            ]


AMOUNT_COLUMN = 5
DATE_COLUMNS = (0, 16)


def _csv_cell(index: int, value: Any) -> str:
    if value is None:
        return ""
    if index == AMOUNT_COLUMN:
        euros, cents = divmod(int(value), 100)
        return f"{euros},{cents:02d}"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(gifts: QuerySet[Donation]) -> Iterable[str]:
    """Yield the CSV text line by line, starting with the byte-order mark and the titles."""
    writer = csv.writer(_Echo(), delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(export_headers())
    for row in export_rows(gifts):
        yield writer.writerow([_csv_cell(i, v) for i, v in enumerate(row)])


def xlsx_file(gifts: QuerySet[Donation]) -> Any:
    """Write the workbook to a temporary file (write-only mode) and return it, rewound."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Dons"))
    bold = Font(bold=True)
    header = []
    for title in export_headers():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in export_rows(gifts):
        # Plain values for text (fast); styled cells only for the amount and the dates.
        cells: list[Any] = list(row)
        amount = WriteOnlyCell(sheet, value=int(row[AMOUNT_COLUMN]) / 100)
        amount.number_format = "#,##0.00"
        cells[AMOUNT_COLUMN] = amount
        for index in DATE_COLUMNS:
            if row[index] is not None:
                day = WriteOnlyCell(sheet, value=row[index])
                day.number_format = "DD/MM/YYYY"
                cells[index] = day
        sheet.append(cells)
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (the response closes it)
    book.save(handle)
    handle.seek(0)
    return handle
