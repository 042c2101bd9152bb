"""The tax receipt screens are valid HTML (Nu HTML Checker), with data and with form errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from essaim.giving.models import BatchStatus, ReceiptBatch
from essaim.giving.receipts import annual_receipt_issue, receipt_replace
from tests.blog.test_html_validity import _validator, assert_valid_html
from tests.giving.factories import PaidDonationFactory, RecurringGiftFactory, issued_receipt

pytestmark = pytest.mark.django_db


def _pages() -> dict[str, str]:
    single = issued_receipt(given_on=dt.date(2025, 3, 3))
    replaced = issued_receipt(given_on=dt.date(2025, 4, 4))
    new = receipt_replace(actor=None, receipt=replaced, reason="Nom corrigé")
    schedule = RecurringGiftFactory()
    for month in (1, 2, 3):
        PaidDonationFactory(
            person=schedule.person,
            recurring=schedule,
            frequency="monthly",
            given_on=dt.date(2025, month, 5),
        )
    annual = annual_receipt_issue(person_id=schedule.person_id, year=2025, actor=None)
    assert annual is not None
    ReceiptBatch.objects.create(year=2025, status=BatchStatus.RUNNING, total=10, done=3)
    return {
        "register": reverse("receipts:register"),
        "register filtered": reverse("receipts:register") + "?annee=2025&etat=issued&q=a",
        "single": reverse("receipts:detail", kwargs={"code": single.code}),
        "cancelled": reverse("receipts:detail", kwargs={"code": replaced.code}),
        "replacement": reverse("receipts:detail", kwargs={"code": new.code}),
        "annual receipt": reverse("receipts:detail", kwargs={"code": annual.code}),
        "annual run": reverse("receipts:annual") + "?annee=2025",
        "declaration": reverse("receipts:declaration") + "?annee=2025",
    }


def test_receipt_pages_are_valid_html(client: Client, login_as: Any, tmp_path: Any) -> None:
    _validator()  # skips (or fails on CI) before any work when the validator is missing
    client.force_login(login_as("treasurer"))
    files: dict[str, str] = {}
    for number, (label, path) in enumerate(_pages().items()):
        response = client.get(path)
        assert response.status_code == 200, f"{label} ({path}) answered {response.status_code}"
        target = tmp_path / f"page-{number:02d}.html"
        target.write_bytes(response.content)
        files[target.name] = f"{label} {path}"
    # Pages refused with form errors.
    code = issued_receipt().code
    for name, url, data in (
        ("replace errors", reverse("receipts:replace", kwargs={"code": code}), {"reason": ""}),
        ("annual errors", reverse("receipts:annual"), {"annee": "abc"}),
    ):
        response = client.post(url, data)
        assert response.status_code == 400
        (tmp_path / f"{name.replace(' ', '-')}.html").write_bytes(response.content)
        files[f"{name.replace(' ', '-')}.html"] = name
    assert_valid_html(tmp_path, files)
