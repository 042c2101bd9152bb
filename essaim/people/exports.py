"""CSV and XLSX exports of the people directory."""

from __future__ import annotations

import csv
import tempfile
from collections import defaultdict
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


COLUMNS = (
    "id",
    "given_name",
    "family_name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "is_member",
    "is_volunteer",
    "is_donor",
    "is_sympathiser",
    "source",
    "last_contact_at",
    "newsletter_consent",
    "newsletter_consent_at",
    "created_at",
)


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


class _Formatter:
    """Turn one row of values into exported cells; translations are looked up once."""

    def __init__(self) -> None:
        self.yes, self.no = _("oui"), _("non")
        self.sources = {value: str(label) for value, label in Source.choices}
        self.zone = timezone.get_current_timezone()

    def date(self, value: datetime | None) -> str:
        return value.astimezone(self.zone).strftime("%d/%m/%Y") if value else ""

    def flag(self, value: bool) -> str:
        return self.yes if value else self.no

    def row(self, values: tuple[Any, ...], tags: list[str]) -> list[str]:
        (
            _pk,
            given_name,
            family_name,
            email,
            phone,
            address_line1,
            address_line2,
            postal_code,
            city,
            country,
            is_member,
            is_volunteer,
            is_donor,
            is_sympathiser,
            source,
            last_contact_at,
            newsletter_consent,
            newsletter_consent_at,
            created_at,
        ) = values
        cells = [
            given_name,
            family_name,
            email,
            phone,
            address_line1,
            address_line2,
            postal_code,
            city,
            country,
            self.flag(is_member),
            self.flag(is_volunteer),
            self.flag(is_donor),
            self.flag(is_sympathiser),
            ", ".join(sorted(tags, key=str.lower)),
            self.sources.get(source, source),
            self.date(last_contact_at),
            self.flag(newsletter_consent),
            self.date(newsletter_consent_at),
            self.date(created_at),
        ]
        return [neutralise(cell) for cell in cells]


def _tags_by_person(ids: list[int]) -> dict[int, list[str]]:
    through: Any = Person.tags.through
    tags: dict[int, list[str]] = defaultdict(list)
    for person_id, name in through.objects.filter(person_id__in=ids).values_list(
        "person_id", "tag__name"
    ):
        tags[person_id].append(name)
    return tags


def rows(people: QuerySet[Person]) -> Iterator[list[str]]:
    """Yield the header then one row per person, reading the database in chunks."""
    formatter = _Formatter()
    yield [neutralise(cell) for cell in header()]
    # Plain tuples and one tag query per chunk: model instances cost more than the export.
    values = people.prefetch_related(None).values_list(*COLUMNS)
    chunk: list[tuple[Any, ...]] = []
    for row in values.iterator(chunk_size=CHUNK_SIZE):
        chunk.append(row)
        if len(chunk) == CHUNK_SIZE:
            yield from _format_chunk(chunk, formatter)
            chunk = []
    if chunk:
        yield from _format_chunk(chunk, formatter)


def _format_chunk(chunk: list[tuple[Any, ...]], formatter: _Formatter) -> Iterator[list[str]]:
    tags = _tags_by_person([row[0] for row in chunk])
    for row in chunk:
        yield formatter.row(row, tags.get(row[0], []))


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
