"""Tax receipts: issue for a paid gift, numbering, words, PDF mentions, cancel and replace."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.db import transaction
from pypdf import PdfReader

from essaim.core.models import Organisation
from essaim.giving.inputs import DonorInput
from essaim.giving.models import (
    DonationStatus,
    Frequency,
    PaymentMethod,
    Receipt,
    ReceiptCounter,
    ReceiptStatus,
)
from essaim.giving.receipt_pdf import receipt_pdf_bytes
from essaim.giving.receipts import (
    ReceiptError,
    amount_in_words,
    receipt_cancel,
    receipt_issue_for_donation,
    receipt_pdf_read,
    receipt_replace,
)
from essaim.people.models import private_storage
from tests.giving.factories import (
    DonationFactory,
    OfflineDonationFactory,
    PaidDonationFactory,
    RecurringGiftFactory,
)

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def organisation() -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(pk=Organisation.SINGLETON_PK)
    organisation.name = "Les Abeilles Solidaires"
    organisation.address_line1 = "12 rue des Ruches"
    organisation.postal_code = "69001"
    organisation.city = "Lyon"
    organisation.purpose = "Aide alimentaire aux familles"
    organisation.rna_number = "W691234567"
    organisation.receipt_signer_name = "Camille Martin"
    organisation.receipt_signer_role = "Trésorière"
    organisation.save()
    from django.core.cache import cache

    cache.clear()
    return organisation


@pytest.mark.parametrize(
    ("cents", "words"),
    [
        (12345, "cent vingt-trois euros et quarante-cinq centimes"),
        (100, "un euro"),
        (1, "un centime"),
        (8000, "quatre-vingts euros"),
        (2121, "vingt et un euros et vingt et un centimes"),
        (100_000_000, "un million d'euros"),
        (20_000, "deux cents euros"),
        (150, "un euro et cinquante centimes"),
    ],
)
def test_amount_in_french_words(cents: int, words: str) -> None:
    assert amount_in_words(cents) == words


def test_a_paid_gift_gets_a_numbered_receipt_with_every_mention(
    organisation: Organisation, django_capture_on_commit_callbacks
) -> None:
    gift = PaidDonationFactory(amount_cents=12345, given_on=dt.date(2026, 3, 14))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        receipt = receipt_issue_for_donation(donation=gift)
    assert receipt is not None
    assert receipt.number == "2026-000001"
    assert receipt.amount_cents == 12345
    assert receipt.amount_words == "cent vingt-trois euros et quarante-cinq centimes"
    assert receipt.gift_date == dt.date(2026, 3, 14)
    assert receipt.payment_methods == "Carte bancaire"
    assert receipt.cgi_articles == "200"
    assert receipt.organisation_snapshot["name"] == "Les Abeilles Solidaires"
    assert receipt.organisation_snapshot["legal_type_label"]
    assert list(receipt.donations.all()) == [gift]
    # Delivered after commit: the PDF is in private storage and the donor got it by e-mail.
    receipt.refresh_from_db()
    assert receipt.pdf.name and private_storage().exists(receipt.pdf.name)
    assert receipt.emailed_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [gift.email]
    assert "2026-000001" in message.subject
    assert message.attachments[0][2] == "application/pdf"
    assert message.alternatives and "text/html" in message.alternatives[0][1]
    text = pdf_text(receipt_pdf_read(receipt))
    for mention in (
        "2026-000001",
        "Les Abeilles Solidaires",
        "12 rue des Ruches",
        "69001 Lyon",
        "Aide alimentaire aux familles",
        "intérêt général",
        gift.family_name,
        "1 rue de la Paix",
        "75002 Paris",
        "123,45 €",
        "cent vingt-trois euros et quarante-cinq centimes",
        "14/03/2026",
        "Déclaration de don manuel",
        "Numéraire",
        "Carte bancaire",
        "certifie sur l'honneur",
        "article 200 du code général des impôts",
        "Camille Martin",
        "Trésorière",
    ):
        assert mention in text, mention


def test_numbers_follow_each_other_per_year(organisation: Organisation) -> None:
    numbers = []
    for day in (dt.date(2026, 1, 2), dt.date(2026, 5, 1), dt.date(2025, 12, 31)):
        with transaction.atomic():
            receipt = receipt_issue_for_donation(donation=PaidDonationFactory(given_on=day))
        assert receipt is not None
        numbers.append(receipt.number)
    assert numbers == ["2026-000001", "2026-000002", "2025-000001"]
    assert ReceiptCounter.objects.get(year=2026).last == 2


def test_a_rolled_back_issue_gives_its_number_back(organisation: Organisation) -> None:
    gift = PaidDonationFactory(given_on=dt.date(2026, 2, 1))
    with pytest.raises(RuntimeError), transaction.atomic():
        receipt_issue_for_donation(donation=gift)
        raise RuntimeError
    assert not Receipt.objects.exists()
    with transaction.atomic():
        receipt = receipt_issue_for_donation(donation=gift)
    assert receipt is not None and receipt.number == "2026-000001"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status": DonationStatus.PENDING},
        {"status": DonationStatus.FAILED},
        {"wants_receipt": False},
        {"address_line1": ""},
        {"city": ""},
        {"frequency": Frequency.MONTHLY},
    ],
)
def test_no_receipt_when_none_is_due(organisation: Organisation, kwargs: dict) -> None:
    gift = DonationFactory(**({"status": DonationStatus.PAID} | kwargs))
    assert receipt_issue_for_donation(donation=gift) is None
    assert not Receipt.objects.exists()


def test_a_monthly_payment_gets_no_single_receipt(organisation: Organisation) -> None:
    schedule = RecurringGiftFactory()
    gift = PaidDonationFactory(recurring=schedule, person=schedule.person)
    assert receipt_issue_for_donation(donation=gift) is None


def test_one_gift_one_receipt(organisation: Organisation) -> None:
    gift = PaidDonationFactory()
    assert receipt_issue_for_donation(donation=gift) is not None
    assert receipt_issue_for_donation(donation=gift) is None
    assert Receipt.objects.count() == 1


def test_offline_cheque_receipt_names_the_cheque(organisation: Organisation) -> None:
    gift = OfflineDonationFactory(given_on=dt.date(2026, 6, 30))
    receipt = receipt_issue_for_donation(donation=gift)
    assert receipt is not None and receipt.payment_methods == "Chèque"
    assert receipt.gift_date == dt.date(2026, 6, 30)


def test_cancel_needs_a_reason_and_keeps_the_number(organisation: Organisation) -> None:
    receipt = receipt_issue_for_donation(donation=PaidDonationFactory())
    assert receipt is not None
    with pytest.raises(ReceiptError, match="motif"):
        receipt_cancel(actor=None, receipt=receipt, reason="  ")
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.ISSUED
    cancelled = receipt_cancel(actor=None, receipt=receipt, reason="Don remboursé")
    assert cancelled.status == ReceiptStatus.CANCELLED
    assert cancelled.cancel_reason == "Don remboursé"
    with pytest.raises(ReceiptError):
        receipt_cancel(actor=None, receipt=cancelled, reason="encore")
    # The receipt row is protected: deleting the gift's donor is refused.
    assert Receipt.objects.filter(number=receipt.number).exists()


def test_replace_issues_a_new_number_naming_the_old(
    organisation: Organisation, django_capture_on_commit_callbacks
) -> None:
    gift = PaidDonationFactory(amount_cents=5000, given_on=dt.date(2026, 4, 2))
    old = receipt_issue_for_donation(donation=gift)
    assert old is not None
    mail.outbox.clear()
    donor = DonorInput(
        given_name="Jeanne",
        family_name="Dupont-Corrigée",
        email="jeanne@example.org",
        address_line1="3 place Bellecour",
        postal_code="69002",
        city="Lyon",
    )
    with django_capture_on_commit_callbacks(execute=True):
        new = receipt_replace(actor=None, receipt=old, reason="Nom mal orthographié", donor=donor)
    old.refresh_from_db()
    assert old.status == ReceiptStatus.CANCELLED
    assert new.replaces == old
    assert new.number == "2026-000002"
    assert new.family_name == "Dupont-Corrigée"
    assert new.amount_cents == 5000 and list(new.donations.all()) == [gift]
    text = pdf_text(receipt_pdf_read(new))
    assert "annule et remplace le reçu n° 2026-000001" in text
    assert "Dupont-Corrigée" in text and "3 place Bellecour" in text
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["jeanne@example.org"]


def test_replace_refuses_a_donor_without_address_and_changes_nothing(
    organisation: Organisation,
) -> None:
    old = receipt_issue_for_donation(donation=PaidDonationFactory())
    assert old is not None
    donor = DonorInput(given_name="A", family_name="B", email="a@b.fr")
    with pytest.raises(ReceiptError, match="adresse"):
        receipt_replace(actor=None, receipt=old, reason="adresse", donor=donor)
    old.refresh_from_db()
    assert old.status == ReceiptStatus.ISSUED
    assert Receipt.objects.count() == 1


def test_replace_can_name_other_articles(organisation: Organisation) -> None:
    old = receipt_issue_for_donation(donation=PaidDonationFactory())
    assert old is not None
    with pytest.raises(ReceiptError):
        receipt_replace(actor=None, receipt=old, reason="x", cgi_articles="999")
    new = receipt_replace(
        actor=None, receipt=old, reason="Don d'une entreprise", cgi_articles="238 bis"
    )
    assert new.cgi_articles == "238 bis"
    assert "article 238 bis du code général des impôts" in pdf_text(receipt_pdf_read(new))


def test_pdf_draws_words_and_no_unsupported_spaces(organisation: Organisation) -> None:
    gift = PaidDonationFactory(amount_cents=123456789, payment_method=PaymentMethod.TRANSFER)
    receipt = receipt_issue_for_donation(donation=gift)
    assert receipt is not None
    text = pdf_text(receipt_pdf_bytes(receipt))
    assert "1 234 567,89 €" in text
    assert "Virement" in text


def test_replace_leaves_out_a_gift_refunded_since(organisation: Organisation) -> None:
    from essaim.giving.receipts import annual_receipt_issue

    schedule = RecurringGiftFactory()
    gifts = [
        PaidDonationFactory(
            person=schedule.person,
            recurring=schedule,
            frequency=Frequency.MONTHLY,
            amount_cents=1000,
            given_on=dt.date(2025, month, 1),
        )
        for month in (1, 2, 3)
    ]
    annual = annual_receipt_issue(person_id=schedule.person_id, year=2025, actor=None)
    assert annual is not None and annual.amount_cents == 3000
    gifts[1].status = DonationStatus.REFUNDED
    gifts[1].save()
    new = receipt_replace(actor=None, receipt=annual, reason="Prélèvement de février remboursé")
    assert new.amount_cents == 2000 and new.amount_words == "vingt euros"
    assert set(new.donations.all()) == {gifts[0], gifts[2]}
    assert (new.period_start, new.period_end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    for gift in (gifts[0], gifts[2]):
        gift.status = DonationStatus.REFUNDED
        gift.save()
    with pytest.raises(ReceiptError, match="annulez-le sans le remplacer"):
        receipt_replace(actor=None, receipt=new, reason="Tout remboursé")
    new.refresh_from_db()
    assert new.status == ReceiptStatus.ISSUED


def test_a_batch_stuck_for_a_day_no_longer_blocks_a_new_run(organisation: Organisation) -> None:
    from django.utils import timezone

    from essaim.giving.models import BatchStatus, ReceiptBatch
    from essaim.giving.receipts import annual_receipts_start

    stuck = ReceiptBatch.objects.create(year=2025, status=BatchStatus.RUNNING)
    with pytest.raises(ReceiptError, match="en cours"):
        annual_receipts_start(actor=None, year=2025)
    ReceiptBatch.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    batch = annual_receipts_start(actor=None, year=2025)
    stuck.refresh_from_db()
    assert stuck.status == BatchStatus.FAILED and "24 heures" in stuck.error
    assert batch.pk != stuck.pk


def test_the_signature_image_is_drawn(organisation: Organisation) -> None:
    from django.core.cache import cache
    from django.core.files.base import ContentFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "white").save(buffer, format="PNG")
    organisation.receipt_signature.save("signature.png", ContentFile(buffer.getvalue()))
    cache.clear()
    receipt = receipt_issue_for_donation(donation=PaidDonationFactory())
    assert receipt is not None
    assert receipt.organisation_snapshot["signature"] == organisation.receipt_signature.name
    page = PdfReader(io.BytesIO(receipt_pdf_bytes(receipt))).pages[0]
    images = list(page.images)
    assert len(images) == 1 and images[0].image.size == (120, 40)
    # Without a signature, no image.
    organisation.receipt_signature = ""
    organisation.save()
    cache.clear()
    plain = receipt_issue_for_donation(donation=PaidDonationFactory())
    assert plain is not None
    assert list(PdfReader(io.BytesIO(receipt_pdf_bytes(plain))).pages[0].images) == []


def test_the_e_mail_links_the_donor_space(
    organisation: Organisation, django_capture_on_commit_callbacks
) -> None:
    gift = PaidDonationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        receipt = receipt_issue_for_donation(donation=gift)
    assert receipt is not None
    body = mail.outbox[0].body
    assert f"/recus/{receipt.code}/pdf/" in body
    assert "/mes-dons/" in body
    html = mail.outbox[0].alternatives[0][0]
    assert "/mes-dons/" in html and f"/recus/{receipt.code}/pdf/" in html


def test_a_cancelled_receipt_s_pdf_says_so(organisation: Organisation) -> None:
    receipt = receipt_issue_for_donation(donation=PaidDonationFactory())
    assert receipt is not None
    receipt_pdf_read(receipt)  # stored while it was valid
    cancelled = receipt_cancel(actor=None, receipt=receipt, reason="Don remboursé")
    text = pdf_text(receipt_pdf_read(cancelled))
    assert "REÇU ANNULÉ" in text and "Don remboursé" in text


def test_annual_receipts_only_for_a_finished_year(organisation: Organisation) -> None:
    from django.utils import timezone

    from essaim.giving.models import ReceiptBatch
    from essaim.giving.receipts import annual_receipts_start

    with pytest.raises(ReceiptError, match="année terminée"):
        annual_receipts_start(actor=None, year=timezone.localdate().year)
    assert not ReceiptBatch.objects.exists()
