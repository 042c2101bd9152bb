"""Tax receipt screens: register and exports, detail and corrections, annual run, declaration."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from essaim.giving.models import BatchStatus, Receipt, ReceiptBatch, ReceiptKind, ReceiptStatus
from essaim.giving.receipts import receipt_cancel, receipt_replace
from tests.giving.factories import PaidDonationFactory, RecurringGiftFactory, issued_receipt

pytestmark = pytest.mark.django_db


@pytest.fixture
def treasurer(client: Any, login_as: Any) -> Any:
    client.force_login(login_as("treasurer"))
    return client


def _csv(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


# --- Register -----------------------------------------------------------------------------


def test_register_queries_do_not_grow_with_rows(
    treasurer: Any, django_assert_num_queries: Any
) -> None:
    for _ in range(3):
        issued_receipt()
    url = reverse("receipts:register")
    treasurer.get(url)  # warm the session and organisation caches
    with django_assert_num_queries(6) as few:
        assert treasurer.get(url).status_code == 200
    for _ in range(30):
        replaced = issued_receipt()
    receipt_replace(actor=None, receipt=replaced, reason="Nom corrigé")
    with django_assert_num_queries(len(few.captured_queries)):
        response = treasurer.get(url)
    assert response.status_code == 200
    assert response.content.count(b'href="/recus/') >= 34


def test_register_filters_by_year_status_and_name(treasurer: Any) -> None:
    old = issued_receipt(given_on=dt.date(2025, 6, 1), family_name="Ancien")
    kept = issued_receipt(given_on=dt.date(2026, 2, 1), family_name="Zébulon")
    cancelled = issued_receipt(given_on=dt.date(2026, 3, 1), family_name="Annulé")
    receipt_cancel(actor=None, receipt=cancelled, reason="Erreur")
    response = treasurer.get(reverse("receipts:register"), {"annee": "2026", "etat": "issued"})
    page = response.content.decode()
    assert kept.number in page and old.number not in page and cancelled.number not in page
    response = treasurer.get(reverse("receipts:register"), {"q": "zébulon"})
    assert kept.number in response.content.decode()
    assert old.number not in response.content.decode()
    response = treasurer.get(reverse("receipts:register"), {"q": old.number})
    assert old.number in response.content.decode()


@pytest.mark.parametrize("year", ["deux-mille", "1850", "99999"])
def test_register_bad_year_gets_a_french_message(treasurer: Any, year: str) -> None:
    issued_receipt()
    response = treasurer.get(reverse("receipts:register"), {"annee": year})
    assert response.status_code == 400
    assert "année" in response.content.decode()


def test_register_csv_and_xlsx_exports(treasurer: Any) -> None:
    receipt = issued_receipt(amount_cents=12345, given_on=dt.date(2026, 3, 14))
    rows = _csv(treasurer.get(reverse("receipts:register_csv")))
    assert rows[0][0] == "Numéro"
    assert rows[1][0] == receipt.number
    assert "123,45" in rows[1]
    assert "14/03/2026" in rows[1]
    assert "cent vingt-trois euros et quarante-cinq centimes" in rows[1]
    response = treasurer.get(reverse("receipts:register_xlsx"))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    values = list(book.active.iter_rows(values_only=True))
    assert values[1][0] == receipt.number and values[1][8] == 123.45


def test_register_export_follows_the_filters(treasurer: Any) -> None:
    kept = issued_receipt(given_on=dt.date(2026, 1, 5))
    other = issued_receipt(given_on=dt.date(2025, 1, 5))
    rows = _csv(treasurer.get(reverse("receipts:register_csv"), {"annee": "2026"}))
    numbers = [row[0] for row in rows[1:]]
    assert kept.number in numbers and other.number not in numbers


# --- Detail, corrections, resend, PDF -------------------------------------------------------


def test_detail_shows_mentions_gifts_and_forms(treasurer: Any) -> None:
    receipt = issued_receipt(amount_cents=5000)
    page = treasurer.get(reverse("receipts:detail", kwargs={"code": receipt.code})).content.decode()
    for text in (receipt.number, "cinquante euros", "Déclaration de don manuel", "Numéraire"):
        assert text in page
    assert reverse("treasury:gift", kwargs={"code": receipt.donations.get().code}) in page
    assert "Annuler ce reçu" in page and "Renvoyer le reçu" in page


def test_cancel_without_reason_changes_nothing(treasurer: Any) -> None:
    receipt = issued_receipt()
    url = reverse("receipts:cancel", kwargs={"code": receipt.code})
    response = treasurer.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Ce champ est obligatoire" in response.content.decode()
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.ISSUED


def test_cancel_twice_says_so(treasurer: Any) -> None:
    receipt = issued_receipt()
    url = reverse("receipts:cancel", kwargs={"code": receipt.code})
    assert treasurer.post(url, {"reason": "Remboursé"}).status_code == 302
    response = treasurer.post(url, {"reason": "Encore"})
    assert response.status_code == 400
    assert "déjà annulé" in response.content.decode()
    receipt.refresh_from_db()
    assert receipt.cancel_reason == "Remboursé"


def _replace_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "reason": "Adresse corrigée",
        "given_name": "Jeanne",
        "family_name": "Dupont",
        "email": "jeanne@exemple.org",
        "address_line1": "2 rue Neuve",
        "postal_code": "69003",
        "city": "Lyon",
        "country": "FR",
        "cgi_articles": "200",
    }
    return data | overrides


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"address_line1": ""}, "Ce champ est obligatoire"),
        ({"email": "pas-une-adresse"}, "adresse de courriel valide"),
        ({"country": "F1"}, "deux lettres"),
        ({"cgi_articles": "999"}, "Sélectionnez un choix valide"),
        ({"reason": ""}, "Ce champ est obligatoire"),
    ],
)
def test_replace_with_bad_input_changes_nothing(
    treasurer: Any, overrides: dict[str, Any], message: str
) -> None:
    receipt = issued_receipt()
    url = reverse("receipts:replace", kwargs={"code": receipt.code})
    response = treasurer.post(url, _replace_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.ISSUED
    assert Receipt.objects.count() == 1


def test_replace_cancels_and_issues_a_new_numbered_receipt(
    treasurer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    receipt = issued_receipt(given_on=dt.date(2026, 5, 5))
    url = reverse("receipts:replace", kwargs={"code": receipt.code})
    with django_capture_on_commit_callbacks(execute=True):
        response = treasurer.post(url, _replace_data(cgi_articles="200, 978"))
    new = Receipt.objects.get(replaces=receipt)
    assert response["Location"] == reverse("receipts:detail", kwargs={"code": new.code})
    assert new.number == "2026-000002" and new.city == "Lyon"
    assert new.cgi_articles == "200, 978"
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.CANCELLED and receipt.cancel_reason == "Adresse corrigée"
    assert mail.outbox[-1].to == ["jeanne@exemple.org"]
    page = treasurer.get(reverse("receipts:detail", kwargs={"code": receipt.code})).content
    assert new.number.encode() in page


def test_resend_mails_the_pdf_again(
    treasurer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    receipt = issued_receipt()
    with django_capture_on_commit_callbacks(execute=True):
        response = treasurer.post(reverse("receipts:resend", kwargs={"code": receipt.code}))
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments
    receipt.refresh_from_db()
    assert receipt.emailed_at is not None


def test_a_cancelled_receipt_is_not_resent(
    treasurer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    receipt = issued_receipt()
    receipt_cancel(actor=None, receipt=receipt, reason="Erreur")
    with django_capture_on_commit_callbacks(execute=True):
        treasurer.post(reverse("receipts:resend", kwargs={"code": receipt.code}))
    assert mail.outbox == []


def test_pdf_by_code_for_anyone_and_private(client: Any) -> None:
    receipt = issued_receipt(amount_cents=2500)
    response = client.get(reverse("receipts:pdf", kwargs={"code": receipt.code}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert receipt.number in text and "vingt-cinq euros" in text


def test_a_wrong_code_is_404_and_a_donor_cannot_reach_another_donor_s_receipt(
    client: Any, login_as: Any
) -> None:
    mine = issued_receipt()
    theirs = issued_receipt()
    donor = login_as("member")
    client.force_login(donor)
    assert (
        client.get(reverse("receipts:pdf", kwargs={"code": theirs.code[:-1] + "x"})).status_code
        == 404
    )
    assert client.get(reverse("receipts:pdf", kwargs={"code": str(theirs.pk)})).status_code == 404
    assert client.get(reverse("receipts:pdf", kwargs={"code": theirs.number})).status_code == 404
    # The staff pages are closed to donors, whatever the code.
    assert client.get(reverse("receipts:detail", kwargs={"code": theirs.code})).status_code == 403
    assert client.get(reverse("receipts:detail", kwargs={"code": mine.code})).status_code == 403
    # Codes are long and random: nothing guessable from the number or the id.
    assert len(theirs.code) >= 32 and theirs.number not in theirs.code


# --- Annual recap receipts ------------------------------------------------------------------


def _monthly_donor(year: int, months: int = 3, amount: int = 2000) -> Any:
    schedule = RecurringGiftFactory(amount_cents=amount)
    for month in range(1, months + 1):
        PaidDonationFactory(
            person=schedule.person,
            recurring=schedule,
            frequency="monthly",
            amount_cents=amount,
            given_on=dt.date(year, month, 5),
            payment_method="sepa_debit",
        )
    return schedule


def test_annual_run_issues_one_recap_per_donor_with_progress(
    treasurer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = _monthly_donor(2025, months=3)
    second = _monthly_donor(2025, months=12, amount=1000)
    single = issued_receipt(given_on=dt.date(2025, 4, 4))  # already has its own receipt
    PaidDonationFactory(given_on=dt.date(2025, 7, 7), wants_receipt=False)
    no_address = _monthly_donor(2025, months=2)
    no_address.person.donations.update(address_line1="")
    with django_capture_on_commit_callbacks(execute=True):
        response = treasurer.post(reverse("receipts:annual"), {"annee": "2025"})
    assert response.status_code == 302
    batch = ReceiptBatch.objects.get(year=2025)
    assert batch.status == BatchStatus.DONE
    assert (batch.total, batch.done, batch.issued) == (3, 3, 2)
    annual = {r.person_id: r for r in Receipt.objects.filter(kind=ReceiptKind.ANNUAL)}
    assert set(annual) == {first.person_id, second.person_id}
    recap = annual[second.person_id]
    assert recap.amount_cents == 12000 and recap.amount_words == "cent vingt euros"
    assert (recap.period_start, recap.period_end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert recap.payment_methods == "Prélèvement SEPA"
    assert recap.donations.count() == 12
    assert recap.pdf.name  # drawn and e-mailed in the background
    assert Receipt.objects.filter(person=single.person).count() == 1
    text = "\n".join(
        p.extract_text()
        for p in PdfReader(
            io.BytesIO(treasurer.get(reverse("receipts:pdf", kwargs={"code": recap.code})).content)
        ).pages
    )
    assert "du 01/01/2025 au 31/12/2025" in text and "05/12/2025" in text
    # Progress: the full page and the htmx fragment both say it.
    page = treasurer.get(reverse("receipts:annual"), {"annee": "2025"}).content.decode()
    assert "<progress" in page and "3 donateurs traités sur 3, 2 reçus émis" in page
    fragment = treasurer.get(
        reverse("receipts:annual"), {"annee": "2025"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert fragment.startswith('<div id="batch-progress"') and "<html" not in fragment
    # A second run finds nothing more to issue.
    with django_capture_on_commit_callbacks(execute=True):
        treasurer.post(reverse("receipts:annual"), {"annee": "2025"})
    assert Receipt.objects.filter(kind=ReceiptKind.ANNUAL).count() == 2


def test_a_running_batch_polls_and_blocks_a_second_start(treasurer: Any) -> None:
    ReceiptBatch.objects.create(year=2025, status=BatchStatus.RUNNING, total=10, done=4)
    page = treasurer.get(reverse("receipts:annual"), {"annee": "2025"}).content.decode()
    assert 'data-hx-trigger="every 2s"' in page and "Mettre à jour" in page
    assert 'value="4"' in page
    response = treasurer.post(reverse("receipts:annual"), {"annee": "2025"})
    assert response.status_code == 400
    assert "en cours" in response.content.decode()
    assert ReceiptBatch.objects.count() == 1


@pytest.mark.parametrize("year", ["", "abc", "1999", "2999"])
def test_annual_bad_year_changes_nothing(treasurer: Any, year: str) -> None:
    response = treasurer.post(reverse("receipts:annual"), {"annee": year})
    assert response.status_code == 400
    assert (
        "année" in response.content.decode().lower() or "obligatoire" in response.content.decode()
    )
    assert not ReceiptBatch.objects.exists()


# --- Yearly declaration (CGI art. 222 bis) ------------------------------------------------


def test_declaration_counts_issued_receipts_once(treasurer: Any) -> None:
    kept = issued_receipt(amount_cents=10000, given_on=dt.date(2026, 1, 10))
    corrected = issued_receipt(amount_cents=5000, given_on=dt.date(2026, 2, 10))
    receipt_replace(actor=None, receipt=corrected, reason="Nom corrigé")
    refunded = issued_receipt(amount_cents=7000, given_on=dt.date(2026, 3, 10))
    receipt_cancel(actor=None, receipt=refunded, reason="Remboursé")
    issued_receipt(amount_cents=999, given_on=dt.date(2025, 3, 10))
    page = treasurer.get(reverse("receipts:declaration"), {"annee": "2026"}).content.decode()
    assert "150 €" in page.replace("\u202f", " ").replace("\u00a0", " ")
    assert "<dd><strong>2</strong></dd>" in page
    rows = _csv(treasurer.get(reverse("receipts:declaration_csv"), {"annee": "2026"}))
    numbers = [row[0] for row in rows[1:-1]]
    assert kept.number in numbers and refunded.number not in numbers and len(numbers) == 2
    assert rows[-1][0] == "Total 2026" and rows[-1][-1] == "150,00"
    assert "2 reçus émis" in rows[-1][2]


def test_declaration_bad_year(treasurer: Any) -> None:
    response = treasurer.get(reverse("receipts:declaration"), {"annee": "vingt"})
    assert response.status_code == 400
    assert "Indiquez une année en chiffres" in response.content.decode()
    assert treasurer.get(reverse("receipts:declaration_csv"), {"annee": "vingt"}).status_code == 404


def test_detail_and_annual_pages_queries_do_not_grow(
    treasurer: Any, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from essaim.giving.receipts import annual_receipt_issue

    small = annual_receipt_issue(
        person_id=_monthly_donor(2025, months=1).person_id, year=2025, actor=None
    )
    big = annual_receipt_issue(
        person_id=_monthly_donor(2025, months=12).person_id, year=2025, actor=None
    )
    assert small is not None and big is not None
    treasurer.get(reverse("receipts:detail", kwargs={"code": small.code}))  # warm caches
    with CaptureQueriesContext(connection) as one_gift:
        treasurer.get(reverse("receipts:detail", kwargs={"code": small.code}))
    with django_assert_num_queries(len(one_gift.captured_queries)):
        treasurer.get(reverse("receipts:detail", kwargs={"code": big.code}))
    annual = reverse("receipts:annual") + "?annee=2025"
    from essaim.accounts.models import User

    author = User.objects.first()  # the page shows who started each run
    ReceiptBatch.objects.create(year=2024, status=BatchStatus.DONE, created_by=author)
    with CaptureQueriesContext(connection) as one_batch:
        treasurer.get(annual)
    for year in (2020, 2021, 2022, 2023):
        ReceiptBatch.objects.create(year=year, status=BatchStatus.DONE, created_by=author)
    with django_assert_num_queries(len(one_batch.captured_queries)):
        treasurer.get(annual)
