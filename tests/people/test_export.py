"""CSV and XLSX exports: content, filters, formula neutralisation, audit, query counts."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from essaim.core.models import AuditLog
from essaim.people.exports import neutralise
from tests.people.factories import PersonFactory, TagFactory

pytestmark = pytest.mark.django_db

CSV_URL = reverse("people:export_csv")
XLSX_URL = reverse("people:export_xlsx")
HOSTILE = ["=cmd|' /C calc'!A0", "@SUM(1+1)", "+33 1 23", "-2+3", "\tTAB", "\rCR"]


@pytest.fixture
def exporter(client, login_as):
    client.force_login(login_as("treasurer"))
    return client


def _csv_rows(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf"), "French Excel needs the UTF-8 BOM"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def _xlsx_rows(response) -> list[list[str]]:
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return [
        [cell if cell is not None else "" for cell in row]
        for row in sheet.iter_rows(values_only=True)
    ]


@pytest.mark.parametrize("value", HOSTILE)
def test_neutralise_prefixes_formula_triggers(value):
    assert neutralise(value) == "'" + value
    assert neutralise("Lyon") == "Lyon"
    assert neutralise(None) == ""


def test_csv_export_content_and_headers(exporter):
    person = PersonFactory(
        given_name="Hélène",
        family_name="Zérah",
        email="helene@exemple.fr",
        city="Nîmes",
        is_member=True,
    )
    person.tags.add(TagFactory(name="Collecte"), TagFactory(name="Lyon"))
    response = exporter.get(CSV_URL, {"q": "helene"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="personnes-')
    rows = _csv_rows(response)
    assert rows[0][:3] == ["Prénom", "Nom", "E-mail"]
    assert len(rows) == 2
    assert rows[1][:3] == ["Hélène", "Zérah", "helene@exemple.fr"]
    assert rows[1][rows[0].index("Ville")] == "Nîmes"
    assert rows[1][rows[0].index("Adhérent")] == "oui"
    assert rows[1][rows[0].index("Étiquettes")] == "Collecte, Lyon"


def test_csv_formula_injection_is_neutralised(exporter):
    PersonFactory(given_name=HOSTILE[0], family_name=HOSTILE[1], city='=HYPERLINK("x")')
    rows = _csv_rows(exporter.get(CSV_URL, {"q": "sum"}))
    assert len(rows) == 2
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
    assert rows[1][1] == "'@SUM(1+1)"
    assert rows[1][rows[0].index("Ville")] == '\'=HYPERLINK("x")'
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_xlsx_formula_injection_is_neutralised(exporter):
    PersonFactory(given_name=HOSTILE[0], family_name=HOSTILE[1], city="Lille\x07")
    response = exporter.get(XLSX_URL, {"q": "sum"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows = _xlsx_rows(response)
    assert rows[0][0] == "Prénom"
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
    assert rows[1][1] == "'@SUM(1+1)"
    assert rows[1][rows[0].index("Ville")] == "Lille"  # control character dropped, not a crash
    assert not any(str(c).startswith(("=", "+", "-", "@")) for row in rows for c in row)


def test_exports_follow_filters_and_skip_erased(exporter):
    PersonFactory(family_name="Adhérente", is_member=True, is_sympathiser=False)
    PersonFactory(family_name="Sympathisant")
    PersonFactory(family_name="Effacée", is_member=True, erased_at=timezone.now())
    csv_names = [row[1] for row in _csv_rows(exporter.get(CSV_URL, {"role": "member"}))[1:]]
    xlsx_names = [row[1] for row in _xlsx_rows(exporter.get(XLSX_URL, {"role": "member"}))[1:]]
    # The staff member's own person is a member too.
    assert "Adhérente" in csv_names and "Sympathisant" not in csv_names
    assert "Effacée" not in csv_names and "Personne effacée" not in csv_names
    assert csv_names == xlsx_names


def test_export_is_audited_with_filters_and_count(exporter):
    PersonFactory(family_name="Zérah", given_name="Hélène")
    PersonFactory(family_name="Martin")
    exporter.get(CSV_URL, {"q": "helene", "role": ""})
    exporter.get(XLSX_URL)
    rows = list(AuditLog.objects.filter(action="people.export").order_by("id"))
    assert [r.details["format"] for r in rows] == ["csv", "xlsx"]
    assert rows[0].details["filters"] == {"query": "helene"}
    assert rows[0].details["count"] == 1
    assert rows[1].details["count"] == 3  # two contacts and the treasurer's own person
    assert rows[0].actor is not None


def test_coordinator_export_refused_and_not_audited(client, login_as):
    client.force_login(login_as("coordinator"))
    assert client.get(CSV_URL).status_code == 403
    assert not AuditLog.objects.filter(action="people.export").exists()


def _people(count: int) -> None:
    tags = [TagFactory(name=f"tag{i}") for i in range(3)]
    for index in range(count):
        PersonFactory().tags.add(*tags[: index % 3 + 1])


@pytest.mark.parametrize("rows", [5, 30])
def test_export_query_count_is_constant(exporter, django_assert_num_queries, rows):
    _people(rows)
    exporter.get(reverse("people:directory"))  # warm the session and organisation cache
    # session, user, roles, count, audit row; then one chunk of people and its tags
    with django_assert_num_queries(7):
        assert len(_csv_rows(exporter.get(CSV_URL, {"q": "exemple.fr"}))) == rows + 1
    with django_assert_num_queries(7):
        assert len(_xlsx_rows(exporter.get(XLSX_URL, {"q": "exemple.fr"}))) == rows + 1
