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

from .models import Donation, DonationStatus, PaymentMethod, Provider

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


def _address(gift: Donation) -> str:
    parts = [gift.address_line1, gift.address_line2, f"{gift.postal_code} {gift.city}".strip()]
    if gift.country and gift.country != "FR":
        parts.append(gift.country)
    return ", ".join(p for p in parts if p)


def export_rows(gifts: QuerySet[Donation]) -> Iterator[list[Any]]:
    """Yield one row per gift (the amount stays in cents; each format writes it its way)."""
    statuses = dict(DonationStatus.choices)
    providers = dict(Provider.choices)
    methods = dict(PaymentMethod.choices)
    for gift in gifts.iterator(chunk_size=CHUNK):
        receipts = [r.number for r in gift.receipts.all()]
        reconciled = timezone.localtime(gift.reconciled_at).date() if gift.reconciled_at else None
        referrer = gift.referrer
        yield [
            gift.given_on,
            gift.code,
            gift.donor_name,
            gift.email,
            _address(gift),
            gift.amount_cents,
            gift.currency,
            str(statuses.get(gift.status, gift.status)),
            str(providers.get(gift.provider, gift.provider)),
            str(methods.get(gift.payment_method, gift.payment_method)),
            gift.provider_reference,
            gift.bank_reference,
            " ".join(receipts),
            gift.page.title if gift.page else "",
            gift.campaign.title if gift.campaign else "",
            f"{referrer.given_name} {referrer.family_name}".strip() if referrer else "",
            reconciled,
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
        cells = []
        for index, value in enumerate(row):
            if index == AMOUNT_COLUMN:
                cell = WriteOnlyCell(sheet, value=int(value) / 100)
                cell.number_format = "#,##0.00"
            elif index in DATE_COLUMNS and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "DD/MM/YYYY"
            else:
                cell = WriteOnlyCell(sheet, value=value)
            cells.append(cell)
        sheet.append(cells)
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (the response closes it)
    book.save(handle)
    handle.seek(0)
    return handle
