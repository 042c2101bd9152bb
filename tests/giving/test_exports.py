"""Gift exports: CSV the French way (BOM, semicolons, decimal comma) and XLSX numbers."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from essaim.giving import exports, treasury
from essaim.giving.receipts import receipt_issue_for_donation
from tests.giving.factories import OfflineDonationFactory, PaidDonationFactory
from tests.people.factories import PersonFactory
from tests.referrals.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _csv(response: Any) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def test_csv_is_what_french_accounting_tools_import(client: Any, login_as: Any) -> None:
    client.force_login(login_as("treasurer"))
    gift = OfflineDonationFactory(
        amount_cents=123456,
        given_on=dt.date(2025, 3, 9),
        family_name="Point-Virgule; et « guillemets »",
        campaign=CampaignFactory(title="Hiver"),
        referrer=PersonFactory(given_name="Rita", family_name="Relais"),
        reconciled_at=timezone.now(),
    )
    receipt = receipt_issue_for_donation(donation=gift, actor=None)
    assert receipt is not None
    response = client.get(reverse("treasury:export_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = _csv(response)
    assert text.startswith("\ufeffDate;Code;Donateur;")
    lines = text.split("\r\n")
    assert len(lines) == 3 and lines[2] == ""
    row = lines[1]
    assert row.startswith(f"09/03/2025;{gift.code};")
    assert ";1234,56;EUR;Payé;" in row
    assert '"' in row  # the name with a semicolon is quoted
    assert gift.bank_reference in row and "Hiver" in row and "Rita Relais" in row
    assert f";{receipt.number};" in row
    assert "1 rue de la Paix, 75002 Paris" in row


def test_csv_uses_the_list_filters(client: Any, login_as: Any) -> None:
    client.force_login(login_as("admin"))
    OfflineDonationFactory(family_name="Gardé")
    PaidDonationFactory(family_name="Écarté")
    text = _csv(client.get(reverse("treasury:export_csv"), {"provider": "offline"}))
    assert "Gardé" in text and "Écarté" not in text


def test_xlsx_keeps_numbers_and_dates(client: Any, login_as: Any) -> None:
    from openpyxl import load_workbook

    client.force_login(login_as("treasurer"))
    OfflineDonationFactory(amount_cents=4550, given_on=dt.date(2025, 6, 1))
    response = client.get(reverse("treasury:export_xlsx"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Date" and rows[0][5] == "Montant"
    assert rows[1][5] == 45.5
    assert rows[1][0].date() == dt.date(2025, 6, 1)


def test_export_reads_in_chunks_with_constant_queries(django_assert_num_queries: Any) -> None:
    for _ in range(3):
        PaidDonationFactory()
    gifts = treasury.donations_filtered(treasury.GiftFilters())
    with django_assert_num_queries(2):  # the gifts, then their receipts (one chunk)
        rows = list(exports.export_rows(gifts))
    assert len(rows) == 3
