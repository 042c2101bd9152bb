"""CSV and XLSX exports of the people directory."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Person, Source

CHUNK_SIZE = 2000
# A spreadsheet runs a cell starting with one of these as a formula (CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """Return a cell text a spreadsheet will never run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _date(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y") if value else ""


def _yes(flag: bool) -> str:
    return _("oui") if flag else _("non")


def header() -> list[str]:
    return [
        _("Prénom"),
        _("Nom"),
        _("E-mail"),
        _("Téléphone"),
        _("Adresse"),
        _("Complément d'adresse"),
        _("Code postal"),
        _("Ville"),
        _("Pays"),
        _("Adhérent"),
        _("Bénévole"),
        _("Donateur"),
        _("Sympathisant"),
        _("Étiquettes"),
        _("Origine"),
        _("Dernier contact"),
        _("Lettre d'information"),
        _("Consentement le"),
        _("Fiche créée le"),
    ]


def person_row(person: Person, sources: dict[str, str]) -> list[str]:
    """Return one person's exported cells, every one of them neutralised."""
    cells = [
        person.given_name,
        person.family_name,
        person.email,
        person.phone,
        person.address_line1,
        person.address_line2,
        person.postal_code,
        person.city,
        person.country,
        _yes(person.is_member),
        _yes(person.is_volunteer),
        _yes(person.is_donor),
        _yes(person.is_sympathiser),
        ", ".join(tag.name for tag in person.tags.all()),
        sources.get(person.source, person.source),
        _date(person.last_contact_at),
        _yes(person.newsletter_consent),
        _date(person.newsletter_consent_at),
        _date(person.created_at),
    ]
    return [neutralise(cell) for cell in cells]


def rows(people: QuerySet[Person]) -> Iterator[list[str]]:
    """Yield the header then one row per person, reading the database in chunks."""
    sources = {value: str(label) for value, label in Source.choices}
    yield [neutralise(cell) for cell in header()]
    for person in people.iterator(chunk_size=CHUNK_SIZE):
        yield person_row(person, sources)


class _Echo:
    """A file-like object that hands back what is written, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(people: QuerySet[Person]) -> Iterable[bytes]:
    """Yield the CSV file as bytes: UTF-8 with a BOM and ';' so French Excel opens it."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff".encode()
    batch: list[str] = []
    for row in rows(people):
        batch.append(writer.writerow(row))
        if len(batch) >= 500:
            yield "".join(batch).encode()
            batch = []
    if batch:
        yield "".join(batch).encode()


def xlsx_file(people: QuerySet[Person]) -> IO[bytes]:
    """Write the XLSX file to a temporary file (write-only mode keeps memory flat)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Personnes")[:31])
    for row in rows(people):
        # XLSX (XML) cannot hold control characters: drop them instead of failing the export.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row])
    # FileResponse closes the file once sent; a context manager would close it too early.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return output
