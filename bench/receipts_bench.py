"""Time tax receipt PDFs: drawing alone, and the whole annual batch through the real services.

Usage:

    # Drawing only (no database): --count receipts, half single gifts, half annual recaps
    # listing twelve monthly payments, with a signature image; one process = one core.
    .venv/bin/python bench/receipts_bench.py draw --count 2000

    # The annual batch end to end on a migrated database: --donors monthly donors with
    # twelve paid payments each in --year; `annual_receipts_run` numbers, stores every PDF
    # in private storage and builds every e-mail (PDF attached; dropped, not sent).
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/essaim_bench \
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/essaim_bench \
        .venv/bin/python bench/receipts_bench.py batch --donors 500

The batch's rows (people, gifts, receipts, the counter of --year) are deleted at the end
unless --keep is given; --year defaults to 1999, a year no real receipt uses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["ESSAIM_EMAIL_BACKEND"] = "bench.mail_backend.SerializingBackend"
os.environ.setdefault("ESSAIM_TASK_BACKEND", "immediate")
_MEDIA = tempfile.mkdtemp(prefix="essaim-receipts-bench-")
os.environ.setdefault("ESSAIM_MEDIA_ROOT", os.path.join(_MEDIA, "media"))
os.environ.setdefault("ESSAIM_PRIVATE_ROOT", os.path.join(_MEDIA, "private"))

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

# The immediate task backend logs two lines a task: not what is measured.
logging.getLogger("django_tasks").setLevel(logging.WARNING)

from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.utils import timezone  # noqa: E402

SNAPSHOT = {
    "name": "Les Abeilles Solidaires du Grand Lyon",
    "address_line1": "12 rue des Ruches",
    "address_line2": "Bâtiment B",
    "postal_code": "69001",
    "city": "Lyon",
    "purpose": "Aide alimentaire et accompagnement des familles en difficulté",
    "legal_type": "general_interest",
    "legal_type_label": "Œuvre ou organisme d'intérêt général",
    "rna_number": "W691234567",
    "siren": "123456789",
    "signer_name": "Camille Martin",
    "signer_role": "Trésorière",
    "signature": "",
}


def _signature() -> str:
    """Store a small PNG signature (as an organisation would upload) and return its name."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (300, 100), "white")
    ImageDraw.Draw(image).line([(10, 80), (90, 20), (170, 70), (290, 30)], fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return default_storage.save("organisation/signature-bench.png", ContentFile(buffer.getvalue()))


def draw(count: int) -> None:
    from essaim.giving.models import Receipt, ReceiptKind
    from essaim.giving.receipt_pdf import GiftLine, receipt_pdf_bytes
    from essaim.giving.receipts import amount_in_words

    snapshot = SNAPSHOT | {"signature": _signature()}
    now = timezone.now()
    gifts = [GiftLine(dt.date(2025, m, 5), 2000, "Prélèvement SEPA") for m in range(1, 13)]
    receipts = []
    for i in range(count):
        annual = i % 2 == 1
        amount = 24000 if annual else 1000 + i * 37
        receipts.append(
            Receipt(
                code=f"bench{i}",
                year=2025,
                sequence=i + 1,
                number=f"2025-{i + 1:06d}",
                kind=ReceiptKind.ANNUAL if annual else ReceiptKind.SINGLE,
                amount_cents=amount,
                amount_words=amount_in_words(amount),
                gift_date=None if annual else dt.date(2025, 3, 14),
                period_start=dt.date(2025, 1, 1) if annual else None,
                period_end=dt.date(2025, 12, 31) if annual else None,
                payment_methods="Prélèvement SEPA" if annual else "Carte bancaire",
                organisation_snapshot=snapshot,
                issued_at=now,
                given_name="Jeanne",
                family_name=f"Donatrice {i}",
                email=f"donatrice{i}@exemple.fr",
                address_line1=f"{i % 200 + 1} avenue de la République",
                postal_code="75011",
                city="Paris",
            )
        )
    total_bytes = 0
    start, cpu = time.perf_counter(), time.process_time()
    for receipt in receipts:
        total_bytes += len(
            receipt_pdf_bytes(receipt, gifts=gifts if receipt.kind == ReceiptKind.ANNUAL else [])
        )
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"draw: {count} PDFs in {elapsed:.2f} s wall, {cpu:.2f} s CPU = "
        f"{count / elapsed:.0f} PDFs/s wall, {count / cpu:.0f} PDFs/s per core of CPU "
        f"(mean {total_bytes / count / 1024:.1f} KiB, {cpu / count * 1000:.2f} ms CPU each)"
    )


def batch(donors: int, year: int, keep: bool) -> None:
    from django.db import connection, transaction

    from bench.mail_backend import SerializingBackend
    from essaim.core.models import Organisation
    from essaim.giving.models import (
        Donation,
        DonationStatus,
        Frequency,
        PaymentMethod,
        Provider,
        Receipt,
        ReceiptBatch,
        ReceiptCounter,
        RecurringGift,
        RecurringStatus,
    )
    from essaim.giving.receipts import annual_receipts_run
    from essaim.people.models import Person

    organisation, _ = Organisation.objects.get_or_create(pk=Organisation.SINGLETON_PK)
    if ReceiptCounter.objects.filter(year=year).exists() or Receipt.objects.filter(year=year):
        sys.exit(f"{year} already has receipts in this database: choose another --year")
    print(f"database: {connection.vendor}, donors: {donors}, year: {year}")
    tag = f"bench-receipts-{year}"
    start = time.perf_counter()
    with transaction.atomic():
        people = Person.objects.bulk_create(
            [
                Person(
                    given_name="Jeanne",
                    family_name=f"Donatrice {i}",
                    email=f"{tag}-{i}@exemple.fr",
                    is_donor=True,
                )
                for i in range(donors)
            ]
        )
        donor = {
            "given_name": "Jeanne",
            "address_line1": "1 avenue de la République",
            "postal_code": "75011",
            "city": "Paris",
        }
        schedules = RecurringGift.objects.bulk_create(
            [
                RecurringGift(
                    person=p,
                    family_name=p.family_name,
                    email=p.email,
                    amount_cents=2000,
                    provider=Provider.DEMO,
                    provider_reference=tag,
                    status=RecurringStatus.ACTIVE,
                    **donor,
                )
                for p in people
            ]
        )
        paid_at = timezone.now()
        Donation.objects.bulk_create(
            [
                Donation(
                    person=s.person,
                    recurring=s,
                    frequency=Frequency.MONTHLY,
                    family_name=s.family_name,
                    email=s.email,
                    amount_cents=2000,
                    status=DonationStatus.PAID,
                    provider=Provider.DEMO,
                    provider_reference=tag,
                    payment_method=PaymentMethod.SEPA_DEBIT,
                    given_on=dt.date(year, month, 5),
                    paid_at=paid_at,
                    **donor,
                )
                for s in schedules
                for month in range(1, 13)
            ],
            batch_size=2000,
        )
    print(f"setup: {donors} donors x 12 payments in {time.perf_counter() - start:.1f} s")
    job = ReceiptBatch.objects.create(year=year)
    # A running worker has its URLs loaded already: load them before the clock starts.
    from django.urls import reverse

    reverse("receipts:pdf", kwargs={"code": "warm"})
    start, cpu = time.perf_counter(), time.process_time()
    result = annual_receipts_run(batch_id=job.pk)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"batch: {result.issued} annual receipts (numbered, PDF stored, e-mail built) in "
        f"{elapsed:.2f} s wall ({result.issued / elapsed:.0f}/s), {cpu:.2f} s CPU of this "
        f"process ({result.issued / cpu:.0f}/s per core; the database's own CPU not counted); "
        f"{SerializingBackend.sent_bytes / 1e6:.1f} MB of e-mail"
    )
    if not keep:
        with transaction.atomic():
            receipts = Receipt.objects.filter(year=year)
            Receipt.donations.through.objects.filter(receipt__in=receipts).delete()
            receipts._raw_delete(receipts.db)  # receipts are protected: a benchmark's own only
            ReceiptCounter.objects.filter(year=year).delete()
            ReceiptBatch.objects.filter(year=year).delete()
            Donation.objects.filter(provider_reference=tag).delete()
            RecurringGift.objects.filter(provider_reference=tag).delete()
            Person.objects.filter(email__startswith=tag).delete()
    del organisation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    draw_parser = sub.add_parser("draw")
    draw_parser.add_argument("--count", type=int, default=2000)
    batch_parser = sub.add_parser("batch")
    batch_parser.add_argument("--donors", type=int, default=500)
    batch_parser.add_argument("--year", type=int, default=1999)
    batch_parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if args.mode == "draw":
        draw(args.count)
    else:
        batch(args.donors, args.year, args.keep)


if __name__ == "__main__":
    main()
