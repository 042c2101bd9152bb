"""CSV and XLSX exports of volunteer hours ("valorisation du bénévolat")."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.people.exports import _Echo, neutralise

from .evaluation_selectors import HoursRow, hours_row

Cell = str | int | float


def header(group: str, *, with_email: bool = True) -> list[str]:
    first = {
        "person": [_("Personne"), _("E-mail")] if with_email else [_("Personne")],
        "circle": [_("Cercle")],
        "action": [_("Action"), _("Cercle"), _("Date")],
    }[group]
    return [
        *first,
        _("Missions"),
        _("Heures (décimales)"),
        _("Heures"),
        _("Valorisation (€)"),
    ]


def _figures(row: HoursRow) -> list[Cell]:
    return [row.signups, round(row.minutes / 60, 2), row.hours, round(row.value_cents / 100, 2)]


def rows(
    *, grouped: QuerySet[Any], total: HoursRow, group: str, rate: int, with_email: bool = True
) -> Iterator[list[Cell]]:
    """Yield the header, one row per person, circle or action, then the total.

    E-mail addresses go only to those who may export the directory (``people.export``).
    """
    yield list(header(group, with_email=with_email))
    zone = timezone.get_current_timezone()
    for values in grouped.iterator(chunk_size=2000):
        row = hours_row(values, group, rate)
        if group == "person":
            first: list[Cell] = [row.label, row.extra["email"]] if with_email else [row.label]
        elif group == "circle":
            first = [row.label]
        else:
            starts = row.extra["starts_at"]
            first = [
                row.label,
                row.extra["circle"],
                starts.astimezone(zone).strftime("%d/%m/%Y") if starts else "",
            ]
        yield [*first, *_figures(row)]
    padding: list[Cell] = [""] * {"person": int(with_email), "circle": 0, "action": 2}[group]
    yield [_("Total"), *padding, *_figures(total)]


def _text(cell: Cell) -> str:
    if isinstance(cell, float):
        return f"{cell:.2f}".replace(".", ",")
    return neutralise(cell)


def csv_chunks(lines: Iterable[list[Cell]]) -> Iterator[bytes]:
    """Yield the CSV as bytes: UTF-8 with a BOM and ';' so French Excel opens it."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff".encode()
    batch: list[str] = []
    for line in lines:
        batch.append(writer.writerow([_text(cell) for cell in line]))
        if len(batch) >= 500:
            yield "".join(batch).encode()
            batch = []
    if batch:
        yield "".join(batch).encode()


def xlsx_file(lines: Iterable[list[Cell]]) -> IO[bytes]:
    """Write the XLSX to a temporary file; numbers stay numbers, texts are neutralised."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Heures bénévoles")[:31])
    for line in lines:
        sheet.append(
            [
                cell
                if isinstance(cell, int | float)
                else ILLEGAL_CHARACTERS_RE.sub("", neutralise(cell))
                for cell in line
            ]
        )
    output = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return output
