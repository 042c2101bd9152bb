"""Contact import: read CSV/XLSX files, check every line, and import in batches.

The flow is upload -> map columns -> validate (preview) -> confirm -> run in a
background task. Each step is a service below; the views and the task only call them.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from essaim.accounts.models import User
from essaim.core.services import audit_record

from .models import (
    IMPORT_TRANSITIONS,
    ImportFormat,
    ImportJob,
    ImportStatus,
    Person,
    Source,
    Tag,
    fold,
    person_search_text,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
SAMPLE_ROWS = 20
MAX_COLUMNS = 100
MAX_CELL = 5000

# The Person fields a column may fill, in the order the mapping form offers them.
IMPORT_FIELDS: tuple[tuple[str, Any], ...] = (
    ("given_name", gettext_lazy("Prénom")),
    ("family_name", gettext_lazy("Nom de famille")),
    ("email", gettext_lazy("Adresse e-mail")),
    ("phone", gettext_lazy("Téléphone")),
    ("address_line1", gettext_lazy("Adresse")),
    ("address_line2", gettext_lazy("Complément d'adresse")),
    ("postal_code", gettext_lazy("Code postal")),
    ("city", gettext_lazy("Ville")),
    ("roles", gettext_lazy("Rôles (adhérent, bénévole, donateur, sympathisant)")),
    ("is_member", gettext_lazy("Adhérent (oui/non)")),
    ("is_volunteer", gettext_lazy("Bénévole (oui/non)")),
    ("is_donor", gettext_lazy("Donateur (oui/non)")),
    ("is_sympathiser", gettext_lazy("Sympathisant (oui/non)")),
    ("tags", gettext_lazy("Étiquettes (séparées par des virgules)")),
    ("newsletter_consent", gettext_lazy("Accepte la lettre d'information (oui/non)")),
    ("notes", gettext_lazy("Notes internes")),
    ("source_detail", gettext_lazy("Précision sur l'origine")),
)
FIELD_LABELS = dict(IMPORT_FIELDS)
TEXT_LIMITS = {
    "given_name": 100,
    "family_name": 100,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "source_detail": 200,
    "notes": MAX_CELL,
}
BOOLEAN_FIELDS = ("is_member", "is_volunteer", "is_donor", "is_sympathiser", "newsletter_consent")
ROLE_FIELD_NAMES = ("is_member", "is_volunteer", "is_donor", "is_sympathiser")
# Fields filled on an existing person only when they are empty there.
FILLABLE_FIELDS = (
    "given_name",
    "family_name",
    "phone",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "source_detail",
    "notes",
)

# Folded header -> field: the usual French and English column titles.
HEADER_GUESSES: dict[str, str] = {}
for _field, _names in {
    "given_name": ("prenom", "prenoms", "first name", "firstname", "given name", "forename"),
    "family_name": (
        "nom",
        "nom de famille",
        "nom d'usage",
        "last name",
        "lastname",
        "surname",
        "family name",
    ),
    "email": ("e-mail", "email", "courriel", "mail", "adresse e-mail", "adresse email", "e mail"),
    "phone": (
        "telephone",
        "tel",
        "tel.",
        "portable",
        "mobile",
        "phone",
        "numero de telephone",
        "telephone portable",
    ),
    "address_line1": ("adresse", "adresse 1", "adresse postale", "rue", "address", "street"),
    "address_line2": ("complement d'adresse", "adresse 2", "complement", "address 2"),
    "postal_code": ("code postal", "cp", "postal code", "zip", "zip code", "code_postal"),
    "city": ("ville", "commune", "localite", "city", "town"),
    "roles": ("roles", "role", "statut", "qualite"),
    "is_member": ("adherent", "membre", "member"),
    "is_volunteer": ("benevole", "volunteer"),
    "is_donor": ("donateur", "donatrice", "donor"),
    "is_sympathiser": ("sympathisant", "sympathiser"),
    "tags": ("etiquettes", "etiquette", "tags", "tag", "groupes", "mots-cles"),
    "newsletter_consent": (
        "newsletter",
        "lettre d'information",
        "consentement",
        "accepte la newsletter",
        "infolettre",
    ),
    "notes": ("notes", "note", "commentaire", "commentaires", "remarques"),
    "source_detail": ("origine", "source", "provenance"),
}.items():
    for _name in _names:
        HEADER_GUESSES[_name] = _field

TRUE_WORDS = frozenset({"oui", "o", "1", "x", "vrai", "yes", "y", "true", "ok"})
FALSE_WORDS = frozenset({"non", "n", "0", "faux", "no", "false", ""})
ROLE_WORDS = {
    "adherent": "is_member",
    "adherente": "is_member",
    "membre": "is_member",
    "member": "is_member",
    "benevole": "is_volunteer",
    "volunteer": "is_volunteer",
    "donateur": "is_donor",
    "donatrice": "is_donor",
    "donor": "is_donor",
    "sympathisant": "is_sympathiser",
    "sympathisante": "is_sympathiser",
    "sympathiser": "is_sympathiser",
}
PHONE_RE = re.compile(r"^\+?[0-9 .\-()/]+$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LIST_SPLIT_RE = re.compile(r"[,;/|]")


class ImportFileError(Exception):
    """A file that cannot be imported; the message is for the user, in French."""


class ImportStateError(Exception):
    """A step asked at the wrong moment of the lifecycle; the message is for the user."""


class _ImportStopped(Exception):
    """The running import was marked failed by someone else: stop without writing."""


# --- Reading files ---------------------------------------------------------------------


@dataclass
class Inspection:
    format: str
    encoding: str
    delimiter: str
    header: list[str]
    sample: list[dict[str, Any]]


def clean_cell(value: object) -> str:
    """Turn a cell into plain text; spreadsheet numbers and dates read as people typed them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else str(value)
    elif isinstance(value, Decimal):
        text = format(value.normalize(), "f")
    elif isinstance(value, dt.datetime | dt.date):
        text = value.strftime("%d/%m/%Y")
    else:
        text = str(value)
    # PostgreSQL refuses NUL characters; other control characters are noise.
    return CONTROL_RE.sub("", text).strip()[:MAX_CELL]


def _decode(raw: bytes, encoding_choice: str) -> tuple[str, str]:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if encoding_choice == "cp1252":
        try:
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                _("Le fichier n'est pas lisible comme un fichier Windows (Excel ancien).")
            ) from exc
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _(
                "Le fichier n'est pas en UTF-8. Dans votre tableur, enregistrez le fichier "
                "en « CSV UTF-8 », ou choisissez l'encodage « Windows (Excel ancien) » "
                "ci-dessous et envoyez-le à nouveau."
            )
        ) from exc


def _detect_delimiter(text: str) -> str:
    # Count separators on the header line only: data cells may hold commas in addresses.
    first_line = text.split("\n", 1)[0]
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    if counts[best] == 0:
        try:
            return csv.Sniffer().sniff(text[:4096], delimiters=";,\t").delimiter
        except csv.Error:
            return ","
    return best


def _csv_rows(text: str, delimiter: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield [clean_cell(cell) for cell in row]
    except csv.Error as exc:
        raise ImportFileError(
            _("Le fichier CSV est mal formé près de la ligne %(line)s.") % {"line": reader.line_num}
        ) from exc


def _xlsx_rows(stream: IO[bytes]) -> Iterator[list[str]]:
    import openpyxl

    try:
        # data_only: a formula cell gives its last computed value, never the formula.
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise ImportFileError(
            _("Le classeur Excel est illisible ou endommagé. Enregistrez-le à nouveau en .xlsx.")
        ) from exc
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [clean_cell(cell) for cell in row[: MAX_COLUMNS * 2]]
    finally:
        workbook.close()


def _sniff_format(head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return ImportFormat.XLSX
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _(
                "Ce fichier est au format Excel ancien (.xls). Ouvrez-le dans votre tableur et "
                "enregistrez-le en .xlsx ou en « CSV UTF-8 »."
            )
        )
    return ImportFormat.CSV


def _check_xlsx(stream: IO[bytes]) -> None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise ImportFileError(_("Le fichier compressé est endommagé.")) from exc
    finally:
        stream.seek(0)
    if "xl/workbook.xml" not in names:
        raise ImportFileError(
            _(
                "Ce fichier compressé n'est pas un classeur Excel (.xlsx). "
                "Envoyez un fichier CSV ou XLSX."
            )
        )


def iter_rows(
    *, stream: IO[bytes], format: str, encoding: str = "", delimiter: str = ","
) -> Iterator[list[str]]:
    """Yield every row of a stored import file, header first, as lists of text."""
    if format == ImportFormat.XLSX:
        yield from _xlsx_rows(stream)
        return
    raw = stream.read()
    text, _enc = _decode(raw, "cp1252" if encoding == "cp1252" else "auto")
    yield from _csv_rows(text, delimiter)


def _is_blank(row: list[str]) -> bool:
    return not any(row)


def inspect_file(*, stream: IO[bytes], name: str, encoding_choice: str = "auto") -> Inspection:
    """Check that a file is a readable table and return its header and first rows."""
    head = stream.read(8)
    stream.seek(0)
    if not head:
        raise ImportFileError(_("Le fichier est vide."))
    file_format = _sniff_format(head)
    encoding = ""
    delimiter = ""
    if file_format == ImportFormat.XLSX:
        _check_xlsx(stream)
        rows = _xlsx_rows(stream)
    else:
        raw = stream.read()
        text, encoding = _decode(raw, encoding_choice)
        if "\x00" in text[:65536]:
            raise ImportFileError(
                _("Ce fichier n'est pas un tableau CSV ou XLSX. Envoyez un fichier CSV ou XLSX.")
            )
        if not text.strip():
            raise ImportFileError(_("Le fichier est vide."))
        delimiter = _detect_delimiter(text)
        rows = _csv_rows(text, delimiter)
    header_row = next(rows, None)
    if header_row is not None and _is_blank(header_row):
        raise ImportFileError(
            _("La première ligne doit contenir les noms des colonnes (Prénom, Nom, E-mail…).")
        )
    if header_row is None:
        raise ImportFileError(_("Le fichier est vide."))
    # Drop trailing empty header cells (spreadsheets often carry empty columns).
    while header_row and not header_row[-1]:
        header_row.pop()
    if len(header_row) > MAX_COLUMNS:
        raise ImportFileError(
            _("Le fichier a trop de colonnes (%(count)s, au plus %(max)s).")
            % {"count": len(header_row), "max": MAX_COLUMNS}
        )
    header = [
        (cell[:100] or _("Colonne %(number)s") % {"number": index + 1})
        for index, cell in enumerate(header_row)
    ]
    if len(header) == 1 and fold(header[0]) not in HEADER_GUESSES:
        raise ImportFileError(
            _(
                "Le fichier ne semble contenir qu'une seule colonne, dont le titre n'est pas "
                "reconnu. Vérifiez qu'il s'agit bien d'un tableau de contacts avec une ligne "
                "de titres (Prénom, Nom, E-mail…) et des colonnes séparées par des virgules, "
                "des points-virgules ou des tabulations."
            )
        )
    sample: list[dict[str, Any]] = []
    for offset, row in enumerate(rows):
        if _is_blank(row):
            continue
        sample.append({"line": offset + 2, "cells": [c[:200] for c in _fit(row, len(header))]})
        if len(sample) >= SAMPLE_ROWS:
            break
    if not sample:
        raise ImportFileError(
            _("Le fichier ne contient aucune ligne de contact sous la ligne des titres.")
        )
    return Inspection(
        format=file_format, encoding=encoding, delimiter=delimiter, header=header, sample=sample
    )


def _fit(row: list[str], width: int) -> list[str]:
    if len(row) < width:
        return row + [""] * (width - len(row))
    return row[:width]


def guess_mapping(header: list[str]) -> dict[str, str]:
    """Guess the Person field of each column from its title."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for index, title in enumerate(header):
        key = fold(title).replace("_", " ").strip(" :*")
        guess = HEADER_GUESSES.get(key, "")
        if guess and guess not in used:
            used.add(guess)
            mapping[str(index)] = guess
        else:
            mapping[str(index)] = ""
    return mapping


# --- Validating lines ------------------------------------------------------------------


@dataclass
class CleanRow:
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


def _boolean(text: str) -> bool | None:
    word = fold(text)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def validate_row(line: int, row: list[str], columns: list[tuple[int, str, str]]) -> CleanRow:
    """Check one line against the mapping; columns are (index, field, column title)."""
    result = CleanRow(line=line)
    values = result.values
    for index, field_name, title in columns:
        text = row[index] if index < len(row) else ""
        if field_name in TEXT_LIMITS:
            if len(text) > TEXT_LIMITS[field_name]:
                result.errors.append(
                    (
                        title,
                        _("Texte trop long (%(length)s caractères, au plus %(max)s).")
                        % {"length": len(text), "max": TEXT_LIMITS[field_name]},
                    )
                )
            else:
                values[field_name] = text
        elif field_name == "email":
            email = text.lower()
            if email:
                try:
                    if len(email) > 254:
                        raise ValidationError("too long")
                    validate_email(email)
                except ValidationError:
                    result.errors.append(
                        (title, _("Adresse e-mail invalide : « %(value)s ».") % {"value": text})
                    )
                    continue
            values["email"] = email
        elif field_name == "phone":
            digits = sum(ch.isdigit() for ch in text)
            if text and (not PHONE_RE.match(text) or not 6 <= digits <= 15 or len(text) > 30):
                result.errors.append(
                    (
                        title,
                        _("Numéro de téléphone invalide : « %(value)s ».") % {"value": text},
                    )
                )
            else:
                values["phone"] = text
        elif field_name == "postal_code":
            code = text.replace(" ", "")
            # Spreadsheets drop the leading zero of codes such as 01000.
            if len(code) == 4 and code.isdigit():
                code = "0" + code
            if code and not (len(code) == 5 and code.isdigit()):
                result.errors.append(
                    (
                        title,
                        _("Code postal invalide : « %(value)s » (5 chiffres attendus).")
                        % {"value": text},
                    )
                )
            else:
                values["postal_code"] = code
        elif field_name in BOOLEAN_FIELDS:
            flag = _boolean(text)
            if flag is None:
                result.errors.append(
                    (
                        title,
                        _("Valeur « %(value)s » non comprise : écrivez oui ou non.")
                        % {"value": text},
                    )
                )
            elif flag:
                values[field_name] = True
        elif field_name == "roles":
            for word in LIST_SPLIT_RE.split(text):
                key = fold(word)
                if not key:
                    continue
                role_field = ROLE_WORDS.get(key) or ROLE_WORDS.get(key.rstrip("s"))
                if role_field is None:
                    result.errors.append(
                        (
                            title,
                            _(
                                "Rôle inconnu : « %(value)s ». Rôles possibles : adhérent, "
                                "bénévole, donateur, sympathisant."
                            )
                            % {"value": word.strip()},
                        )
                    )
                else:
                    values[role_field] = True
        elif field_name == "tags":
            for name in text.split(","):
                name = name.strip()
                if not name:
                    continue
                if len(name) > 60:
                    result.errors.append(
                        (
                            title,
                            _("Étiquette trop longue (au plus 60 caractères) : « %(value)s ».")
                            % {"value": name[:60] + "…"},
                        )
                    )
                elif name not in result.tags:
                    result.tags.append(name)
    if not result.errors and not (
        values.get("given_name") or values.get("family_name") or values.get("email")
    ):
        result.errors.append(("", _("Il faut au moins un nom, un prénom ou une adresse e-mail.")))
    return result


def _columns(job: ImportJob) -> list[tuple[int, str, str]]:
    return [
        (int(index), field_name, job.header[int(index)])
        for index, field_name in sorted(job.mapping.items(), key=lambda item: int(item[0]))
        if field_name and int(index) < len(job.header)
    ]


def iter_checked_rows(job: ImportJob) -> Iterator[CleanRow]:
    """Yield every non-blank data line of a job's file, checked against its mapping."""
    columns = _columns(job)
    with job.file.open("rb") as stream:
        rows = iter_rows(
            stream=stream, format=job.format, encoding=job.encoding, delimiter=job.delimiter
        )
        next(rows, None)  # the header
        for offset, row in enumerate(rows):
            if _is_blank(row):
                continue
            # Line numbers as the spreadsheet shows them: the header is line 1.
            yield validate_row(offset + 2, row, columns)


# --- Services ---------------------------------------------------------------------------


def _move(job: ImportJob, status: str) -> None:
    if status not in IMPORT_TRANSITIONS[job.status]:
        raise ImportStateError(
            _("Cet import est « %(status)s » : cette étape n'est plus possible.")
            % {"status": job.get_status_display()}
        )
    job.status = status


def import_job_create(
    *, actor: User, uploaded_file: UploadedFile, encoding: str = "auto"
) -> ImportJob:
    """Check an uploaded file and store it as a new import waiting for its column mapping."""
    max_bytes = settings.ESSAIM_IMPORT_MAX_BYTES
    size = uploaded_file.size or 0
    if size > max_bytes:
        raise ImportFileError(
            _("Le fichier est trop gros (%(size)s Mo) : %(max)s Mo au plus.")
            % {"size": formats.number_format(size / 1048576, 1), "max": max_bytes // 1048576}
        )
    name = os.path.basename(uploaded_file.name or "import")[:255] or "import"
    uploaded_file.seek(0)
    raw = uploaded_file.read()
    inspection = inspect_file(stream=io.BytesIO(raw), name=name, encoding_choice=encoding)
    job = ImportJob(
        created_by=actor,
        original_name=name,
        format=inspection.format,
        encoding=inspection.encoding,
        delimiter=inspection.delimiter,
        header=inspection.header,
        sample_rows=inspection.sample,
        mapping=guess_mapping(inspection.header),
    )
    with transaction.atomic():
        # The stored name never comes from the user: no path tricks, no clashes.
        job.file.save(f"{job.pk}.{inspection.format}", ContentFile(raw), save=False)
        job.save()
    return job


def mapping_problems(header: list[str], mapping: dict[str, str]) -> list[str]:
    """Return what is wrong with a column mapping, in French (empty when usable)."""
    problems = []
    seen: dict[str, str] = {}
    for index, field_name in mapping.items():
        if not field_name:
            continue
        if field_name not in FIELD_LABELS:
            problems.append(_("Champ inconnu : %(field)s.") % {"field": field_name})
            continue
        title = header[int(index)] if int(index) < len(header) else index
        if field_name in seen:
            problems.append(
                _(
                    "Les colonnes « %(first)s » et « %(second)s » remplissent toutes deux "
                    "« %(field)s »."
                )
                % {"first": seen[field_name], "second": title, "field": FIELD_LABELS[field_name]}
            )
        seen[field_name] = title
    if not {"given_name", "family_name", "email"} & set(seen):
        problems.append(
            _("Associez au moins une colonne au prénom, au nom de famille ou à l'adresse e-mail.")
        )
    return problems


@transaction.atomic
def import_job_map(
    *, actor: User, job: ImportJob, mapping: dict[str, str], tag_name: str = ""
) -> ImportJob:
    """Record which Person field each column fills, and the tag for everyone imported."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    _move(job, ImportStatus.MAPPED)
    clean = {str(i): mapping.get(str(i), "") or "" for i in range(len(job.header))}
    problems = mapping_problems(job.header, clean)
    if problems:
        raise ImportStateError(" ".join(problems))
    job.mapping = clean
    job.tag_name = tag_name.strip()[:60]
    job.errors = []
    job.error_count = job.error_rows = job.valid_rows = job.total_rows = 0
    job.save()
    return job


def import_job_validate(*, actor: User | None, job: ImportJob) -> ImportJob:
    """Check every line of a mapped import and record its errors."""
    job = ImportJob.objects.get(pk=job.pk)
    if job.status != ImportStatus.MAPPED:
        _move(job, ImportStatus.VALIDATED)
    total = valid = bad = error_count = 0
    errors: list[dict[str, object]] = []
    for row in iter_checked_rows(job):
        total += 1
        if not row.errors:
            valid += 1
            continue
        bad += 1
        for column, message in row.errors:
            error_count += 1
            if len(errors) < ImportJob.ERRORS_KEPT:
                errors.append({"line": row.line, "column": column, "message": message})
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        _move(locked, ImportStatus.VALIDATED)
        locked.total_rows, locked.valid_rows, locked.error_rows = total, valid, bad
        locked.error_count = error_count
        locked.errors = errors
        locked.save()
    return locked


def import_job_confirm(*, actor: User, job: ImportJob, skip_invalid: bool) -> ImportJob:
    """Queue a checked import once, however many times it is confirmed."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status in {ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.DONE}:
            # A double click or a second tab: the first confirmation already counts.
            return locked
        if locked.status != ImportStatus.VALIDATED:
            raise ImportStateError(
                _("Vérifiez d'abord le fichier (étape « Aperçu ») avant de confirmer l'import.")
            )
        if locked.error_rows and not skip_invalid:
            raise ImportStateError(
                _(
                    "Le fichier contient %(count)s ligne(s) en erreur : rien n'a été importé. "
                    "Corrigez le fichier et envoyez-le à nouveau, ou cochez « Ignorer les lignes "
                    "en erreur » pour importer seulement les lignes valides."
                )
                % {"count": locked.error_rows}
            )
        if not locked.valid_rows:
            raise ImportStateError(_("Aucune ligne valide à importer."))
        _move(locked, ImportStatus.QUEUED)
        locked.skip_invalid = skip_invalid
        locked.queued_at = timezone.now()
        locked.processed_rows = 0
        locked.save()
        audit_record(
            actor=actor,
            action="people.import",
            target=locked,
            details={"rows": locked.valid_rows, "skip_invalid": skip_invalid},
        )
    # Enqueue after commit, so that a worker finds the job already queued.
    from .tasks import run_import

    try:
        run_import.enqueue(str(locked.pk))
    except Exception:
        logger.exception("Could not enqueue import %s", locked.pk)
        import_job_fail(
            job_id=locked.pk, message=_("L'import n'a pas pu être lancé. Réessayez plus tard.")
        )
    locked.refresh_from_db()
    return locked


def import_job_fail(*, job_id: UUID | str, message: str) -> None:
    """Mark a queued or running import as failed, with the reason shown to the team."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if ImportStatus.FAILED in IMPORT_TRANSITIONS[job.status]:
            job.status = ImportStatus.FAILED
            job.failure_message = message
            job.finished_at = timezone.now()
            _forget_file(job)
            job.save()


def _match_key(given_name: str, family_name: str, email: str) -> tuple[str, str, str]:
    return (fold(email), fold(given_name), fold(family_name))


class _Batcher:
    """Write one batch of checked lines: new people, updates of known ones, tags."""

    def __init__(self, job: ImportJob, actor_email: str, tag: Tag | None) -> None:
        self.job = job
        self.tag = tag
        self.now = timezone.now()
        date = formats.date_format(timezone.localtime(self.now), "SHORT_DATE_FORMAT")
        self.proof_prefix = _("Import du fichier %(name)s") % {"name": job.original_name}
        self.proof_suffix = _("par %(email)s le %(date)s") % {"email": actor_email, "date": date}
        self.source_detail = (_("Import : %(name)s") % {"name": job.original_name})[:200]
        self.tag_ids: dict[str, int] = {}

    def proof(self, line: int) -> str:
        return (
            f"{self.proof_prefix} "
            + _("(ligne %(line)s)") % {"line": line}
            + f" {self.proof_suffix}"
        )[:255]

    def _tags(self, names: set[str]) -> dict[str, int]:
        missing = names - set(self.tag_ids)
        if missing:
            Tag.objects.bulk_create([Tag(name=name) for name in missing], ignore_conflicts=True)
            self.tag_ids.update(Tag.objects.filter(name__in=missing).values_list("name", "id"))
        return self.tag_ids

    def write(self, rows: list[CleanRow]) -> tuple[int, int]:
        emails = {row.values["email"] for row in rows if row.values.get("email")}
        existing: dict[tuple[str, str, str], Person] = {}
        if emails:
            # Emails of stored people may keep their capitals: look up both spellings.
            lookup = emails | {e.capitalize() for e in emails}
            for person in Person.objects.filter(email__in=lookup, erased_at__isnull=True).order_by(
                "id"
            ):
                key = _match_key(person.given_name, person.family_name, person.email)
                existing.setdefault(key, person)
        new_people: dict[tuple[str, str, str], tuple[Person, list[str]]] = {}
        new_list: list[tuple[Person, list[str]]] = []
        updated: dict[int, Person] = {}
        updated_fields: set[str] = set()
        existing_tags: list[tuple[int, list[str]]] = []
        for row in rows:
            v = row.values
            key = _match_key(v.get("given_name", ""), v.get("family_name", ""), v.get("email", ""))
            tags = list(row.tags)
            if self.tag is not None:
                tags.append(self.tag.name)
            known = existing.get(key) if v.get("email") else None
            if known is not None:
                updated_fields |= self._merge(known, v, row.line)
                updated[known.pk] = known
                existing_tags.append((known.pk, tags))
                continue
            pending = new_people.get(key) if v.get("email") else None
            if pending is not None:
                # The same person twice in the file: the later line completes the first.
                self._merge(pending[0], v, row.line)
                pending[1].extend(tags)
                continue
            person = Person(
                given_name=v.get("given_name", ""),
                family_name=v.get("family_name", ""),
                email=v.get("email", ""),
                phone=v.get("phone", ""),
                address_line1=v.get("address_line1", ""),
                address_line2=v.get("address_line2", ""),
                postal_code=v.get("postal_code", ""),
                city=v.get("city", ""),
                notes=v.get("notes", ""),
                source=Source.IMPORT,
                source_detail=v.get("source_detail") or self.source_detail,
                is_member=v.get("is_member", False),
                is_volunteer=v.get("is_volunteer", False),
                is_donor=v.get("is_donor", False),
                is_sympathiser=v.get("is_sympathiser", False),
                last_contact_at=None,
            )
            if not (
                person.is_member or person.is_volunteer or person.is_donor or person.is_sympathiser
            ):
                person.is_sympathiser = True
            if v.get("newsletter_consent"):
                person.newsletter_consent = True
                person.newsletter_consent_at = self.now
                person.newsletter_consent_proof = self.proof(row.line)
            person.search_text = person_search_text(
                given_name=person.given_name,
                family_name=person.family_name,
                email=person.email,
                city=person.city,
            )
            entry = (person, tags)
            new_list.append(entry)
            if person.email:
                new_people[key] = entry
        Person.objects.bulk_create([person for person, _tags in new_list], batch_size=1000)
        from essaim.referrals.tally import person_presence, tally_add

        tally_add(change for person, _tags in new_list for change in person_presence(person, 1))
        if updated_fields:
            Person.objects.bulk_update(
                list(updated.values()),
                sorted(updated_fields | {"search_text", "updated_at"}),
                batch_size=1000,
            )
        links: list[tuple[int, list[str]]] = [(p.pk, t) for p, t in new_list] + existing_tags
        names = {name for _pk, tags in links for name in tags}
        if names:
            tag_ids = self._tags(names)
            through = Person.tags.through
            Person.tags.through.objects.bulk_create(
                [
                    through(person_id=pk, tag_id=tag_ids[name])
                    for pk, tags in links
                    for name in set(tags)
                    if name in tag_ids
                ],
                ignore_conflicts=True,
                batch_size=2000,
            )
        return len(new_list), len(updated)

    def _merge(self, person: Person, values: dict[str, Any], line: int) -> set[str]:
        changed: set[str] = set()
        for name in FILLABLE_FIELDS:
            if values.get(name) and not getattr(person, name):
                setattr(person, name, values[name])
                changed.add(name)
        for name in ROLE_FIELD_NAMES:
            if values.get(name) and not getattr(person, name):
                setattr(person, name, True)
                changed.add(name)
        if values.get("newsletter_consent") and not person.newsletter_consent:
            person.newsletter_consent = True
            person.newsletter_consent_at = self.now
            person.newsletter_consent_proof = self.proof(line)
            changed |= {
                "newsletter_consent",
                "newsletter_consent_at",
                "newsletter_consent_proof",
            }
        if changed:
            person.updated_at = self.now
            person.refresh_search_text()
        return changed


def import_job_run(*, job_id: UUID | str) -> ImportJob:
    """Import a queued job's lines in batches, updating its progress after each one."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .select_related("created_by")
            .get(pk=job_id)
        )
        if job.status != ImportStatus.QUEUED:
            # Already taken by another worker, or finished: running twice would duplicate.
            return job
        _move(job, ImportStatus.RUNNING)
        job.started_at = timezone.now()
        job.processed_rows = job.created_count = job.updated_count = job.skipped_count = 0
        tag = None
        if job.tag_name:
            tag, _created = Tag.objects.get_or_create(name=job.tag_name)
            job.tag = tag
        job.save()
    actor_email = job.created_by.email if job.created_by else _("un utilisateur supprimé")
    batcher = _Batcher(job, actor_email, tag)
    processed = created = updated = skipped = 0
    batch: list[CleanRow] = []

    def flush() -> None:
        nonlocal created, updated
        with transaction.atomic():
            if batch:
                made, touched = batcher.write(batch)
                created += made
                updated += touched
            still_running = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
                processed_rows=processed,
                created_count=created,
                updated_count=updated,
                skipped_count=skipped,
                updated_at=timezone.now(),
            )
            if not still_running:
                # Declared stalled meanwhile (import_jobs_fail_stalled): its report says
                # which batches count, so this one must not be committed.
                raise _ImportStopped
        batch.clear()

    try:
        for row in iter_checked_rows(job):
            processed += 1
            if row.errors:
                if not job.skip_invalid:
                    raise ImportStateError(
                        _(
                            "La ligne %(line)s est en erreur alors que le fichier avait été "
                            "vérifié. L'import s'est arrêté ; les lignes précédentes sont "
                            "importées."
                        )
                        % {"line": row.line}
                    )
                skipped += 1
                continue
            batch.append(row)
            if len(batch) >= BATCH_SIZE:
                flush()
        flush()
    except _ImportStopped:
        return ImportJob.objects.get(pk=job.pk)
    except ImportStateError as exc:
        import_job_fail(job_id=job.pk, message=str(exc))
        return ImportJob.objects.get(pk=job.pk)
    except Exception:
        logger.exception("Import %s failed", job.pk)
        import_job_fail(
            job_id=job.pk,
            message=_(
                "L'import s'est arrêté sur une erreur inattendue après %(count)s ligne(s) "
                "importée(s). Aucune ligne n'a été importée à moitié ; prévenez "
                "l'administrateur du site."
            )
            % {"count": created + updated},
        )
        return ImportJob.objects.get(pk=job.pk)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        _move(job, ImportStatus.DONE)
        job.total_rows = processed
        job.processed_rows = processed
        job.created_count, job.updated_count, job.skipped_count = created, updated, skipped
        job.finished_at = timezone.now()
        _forget_file(job)
        job.save()
    return job


def _forget_file(job: ImportJob) -> None:
    # The file holds personal data: once the import is over, keep only its report.
    if job.file:
        name = job.file.name
        job.file.name = ""
        transaction.on_commit(lambda: job.file.storage.delete(name))


# --- Reads -----------------------------------------------------------------------------


def import_job_list() -> Any:
    """Return past imports, newest first, with their author."""
    return ImportJob.objects.select_related("created_by").defer(
        "sample_rows", "errors", "header", "mapping"
    )


def get_import_job_for_user(user: User, job_id: UUID) -> ImportJob:
    """Return an import the user may see, or raise 404."""
    from django.shortcuts import get_object_or_404

    # Imports are team work: every holder of people.import (checked by the view) sees them.
    return get_object_or_404(ImportJob.objects.select_related("created_by", "tag"), pk=job_id)


# --- Housekeeping (run by `manage.py import_housekeeping`) -----------------------------

ABANDONED_AFTER = dt.timedelta(days=7)
STALLED_AFTER = dt.timedelta(hours=1)
# Imports the team has not confirmed yet: their file waits on disk for the next step.
UNCONFIRMED_STATUSES = (ImportStatus.UPLOADED, ImportStatus.MAPPED, ImportStatus.VALIDATED)
ACTIVE_STATUSES = (ImportStatus.QUEUED, ImportStatus.RUNNING)


def _duration_text(duration: dt.timedelta) -> str:
    seconds = int(duration.total_seconds())
    if seconds >= 86400 and seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(count)s jour", "%(count)s jours", days) % {"count": days}
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(count)s heure", "%(count)s heures", hours) % {"count": hours}
    minutes = max(1, seconds // 60)
    return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}


def import_jobs_purge_abandoned(*, older_than: dt.timedelta = ABANDONED_AFTER) -> int:
    """Delete the file of imports left unconfirmed for too long, and mark them failed."""
    cutoff = timezone.now() - older_than
    message = _(
        "Import abandonné : le fichier a été supprimé au bout de %(duration)s sans "
        "confirmation. Rien n'a été importé ; pour importer ces contacts, envoyez à nouveau "
        "le fichier."
    ) % {"duration": _duration_text(older_than)}
    candidates = list(
        ImportJob.objects.filter(
            status__in=UNCONFIRMED_STATUSES, updated_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    purged = 0
    for pk in candidates:
        # One job at a time, checked again under lock: someone may be working on it now.
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().filter(pk=pk).first()
            if job is None or job.status not in UNCONFIRMED_STATUSES or job.updated_at >= cutoff:
                continue
            _move(job, ImportStatus.FAILED)
            job.failure_message = message
            job.finished_at = timezone.now()
            # The sample lines are personal data from the file too.
            job.sample_rows = []
            job.errors = []
            _forget_file(job)
            job.save()
            purged += 1
    return purged


def _stalled_message(job: ImportJob, stalled_for: dt.timedelta) -> str:
    duration = _duration_text(stalled_for)
    if job.status == ImportStatus.QUEUED:
        return _(
            "L'import n'a jamais démarré : le traitement en arrière-plan n'a pas répondu "
            "pendant plus de %(duration)s. Rien n'a été importé. Envoyez à nouveau le fichier "
            "pour relancer l'import ; si cela se reproduit, prévenez l'administrateur du site."
        ) % {"duration": duration}
    stopped = _(
        "L'import s'est interrompu : le traitement en arrière-plan s'est arrêté et rien n'a "
        "avancé depuis plus de %(duration)s."
    ) % {"duration": duration}
    count = job.created_count + job.updated_count
    if not count:
        return (
            stopped
            + " "
            + _(
                "Aucune personne n'a été importée. Envoyez à nouveau le fichier pour relancer "
                "l'import."
            )
        )
    # Each batch commits on its own (import_job_run): finished batches stay, none is half done.
    return (
        stopped
        + " "
        + ngettext(
            "Les %(processed)s premières lignes ont été traitées : %(count)s personne créée ou "
            "mise à jour reste dans l'annuaire.",
            "Les %(processed)s premières lignes ont été traitées : %(count)s personnes créées "
            "ou mises à jour restent dans l'annuaire.",
            count,
        )
        % {"processed": job.processed_rows, "count": count}
        + " "
        + _(
            "Pour importer le reste, envoyez à nouveau le fichier : les personnes déjà "
            "importées qui ont une adresse e-mail seront reconnues et complétées, sans "
            "doublon ; retirez du fichier les lignes déjà traitées pour ne pas créer deux "
            "fois celles qui n'en ont pas."
        )
    )


def import_jobs_fail_stalled(*, stalled_for: dt.timedelta = STALLED_AFTER) -> int:
    """Mark failed the queued or running imports whose progress has not moved for too long."""
    cutoff = timezone.now() - stalled_for
    # A running import touches updated_at after every batch (import_job_run).
    candidates = list(
        ImportJob.objects.filter(status__in=ACTIVE_STATUSES, updated_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    failed = 0
    for pk in candidates:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().filter(pk=pk).first()
            if job is None or job.status not in ACTIVE_STATUSES or job.updated_at >= cutoff:
                continue
            message = _stalled_message(job, stalled_for)
            _move(job, ImportStatus.FAILED)
            job.failure_message = message
            job.finished_at = timezone.now()
            _forget_file(job)
            job.save()
            failed += 1
    return failed
