"""Tax receipts (reçus fiscaux, Cerfa n°11580): issue, number, cancel, replace, annual recap.

Numbers are ``<year>-<6-digit sequence>``, gapless per year: a number is taken by locking the
year's ``ReceiptCounter`` row inside the caller's transaction, so two payments confirmed at the
same instant wait for each other and a rolled-back issue gives its number back. A receipt is
never deleted; a correction cancels it and issues a replacement that names it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from num2words import num2words

from essaim.accounts.models import User
from essaim.core.models import LegalType, Organisation
from essaim.core.selectors import organisation_get
from essaim.core.services import audit_record
from essaim.people.models import Person

from .inputs import DonorInput
from .models import (
    BatchStatus,
    Donation,
    DonationStatus,
    Frequency,
    GiftForm,
    GiftNature,
    PaymentMethod,
    Receipt,
    ReceiptBatch,
    ReceiptCounter,
    ReceiptKind,
    ReceiptStatus,
)

DEFAULT_CGI_ARTICLES = "200"
# The articles a receipt may name: 200 (individuals), 238 bis (companies), 978 (IFI).
CGI_ARTICLES = ("200", "238 bis", "978")
DONOR_FIELDS = (
    "given_name",
    "family_name",
    "email",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
)


class ReceiptError(Exception):
    """A receipt operation refused, with a message the treasurer can read."""


# --- Words and snapshots ------------------------------------------------------------------


def amount_in_words(cents: int) -> str:
    """Write an amount in French words: 150 -> "un euro et cinquante centimes"."""
    euros, rest = divmod(int(cents), 100)
    parts: list[str] = []
    if euros:
        words = num2words(euros, lang="fr")
        # "un million d'euros", "deux milliards d'euros": a round million takes "de".
        unit = "d'euros" if euros % 1_000_000 == 0 else ("euro" if euros == 1 else "euros")
        parts.append(f"{words} {unit}")
    if rest or not euros:
        words = num2words(rest, lang="fr")
        unit = "centime" if rest <= 1 else "centimes"
        parts.append(f"{words} {unit}")
    return " et ".join(parts)


def number_format(year: int, sequence: int) -> str:
    """Return the printed number of a receipt: 2026, 123 -> "2026-000123"."""
    return f"{year}-{sequence:06d}"


def organisation_snapshot(organisation: Organisation) -> dict[str, Any]:
    """Return what the receipt prints of the organisation, as it is now."""
    return {
        "name": organisation.name,
        "address_line1": organisation.address_line1,
        "address_line2": organisation.address_line2,
        "postal_code": organisation.postal_code,
        "city": organisation.city,
        "purpose": organisation.purpose,
        "legal_type": organisation.legal_type,
        "legal_type_label": str(LegalType(organisation.legal_type).label)
        if organisation.legal_type in LegalType.values
        else organisation.legal_type,
        "rna_number": organisation.rna_number,
        "siren": organisation.siren,
        "signer_name": organisation.receipt_signer_name,
        "signer_role": organisation.receipt_signer_role,
        "signature": organisation.receipt_signature.name or "",
    }


def payment_methods_label(methods: Iterable[str]) -> str:
    """Return the payment methods of the gifts, labelled, in a stable order, comma-separated."""
    labels = dict(PaymentMethod.choices)
    used = set(methods)
    seen = [m for m in PaymentMethod.values if m in used]
    return ", ".join(str(labels[m]) for m in seen)


def gift_date_of(donation: Donation) -> dt.date:
    """Return the day a gift was made (the cheque's date, else the payment's day in Paris)."""
    if donation.given_on:
        return donation.given_on
    when = donation.paid_at or donation.created_at or timezone.now()
    return timezone.localdate(when)


# --- Numbering ----------------------------------------------------------------------------


def receipt_number_take(*, year: int) -> int:
    """Take the next sequence of a year (call inside a transaction; the row stays locked)."""
    if not transaction.get_connection().in_atomic_block:
        raise ReceiptError("receipt numbers are taken inside a transaction")
    # INSERT … ON CONFLICT DO NOTHING: two first receipts of a year never collide on creation.
    ReceiptCounter.objects.bulk_create([ReceiptCounter(year=year, last=0)], ignore_conflicts=True)
    counter = ReceiptCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _receipt_create(
    *,
    year: int,
    kind: str,
    person: Person,
    donor: dict[str, str],
    donations: Sequence[Donation],
    gift_date: dt.date | None,
    period: tuple[dt.date, dt.date] | None,
    cgi_articles: str,
    actor: User | None,
    replaces: Receipt | None = None,
    snapshot: dict[str, Any] | None = None,
) -> Receipt:
    sequence = receipt_number_take(year=year)
    amount = sum(d.amount_cents for d in donations)
    receipt = Receipt.objects.create(
        year=year,
        sequence=sequence,
        number=number_format(year, sequence),
        kind=kind,
        status=ReceiptStatus.ISSUED,
        person=person,
        amount_cents=amount,
        amount_words=amount_in_words(amount),
        gift_date=gift_date,
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        gift_form=GiftForm.MANUAL_DECLARATION,
        gift_nature=GiftNature.CASH,
        payment_methods=payment_methods_label(d.payment_method for d in donations),
        cgi_articles=cgi_articles,
        organisation_snapshot=snapshot
        if snapshot is not None
        else organisation_snapshot(organisation_get()),
        issued_at=timezone.now(),
        issued_by=actor if actor is not None and actor.is_authenticated else None,
        replaces=replaces,
        **donor,
    )
    # A new receipt has no links yet: insert them at once (``set`` would read them first).
    Receipt.donations.through.objects.bulk_create(
        [Receipt.donations.through(receipt_id=receipt.pk, donation_id=d.pk) for d in donations]
    )
    return receipt


def _deliver_after_commit(receipt_id: int) -> None:
    def enqueue() -> None:
        from .receipt_tasks import receipt_deliver

        receipt_deliver.enqueue(receipt_id)

    transaction.on_commit(enqueue)


def _validate_articles(cgi_articles: str) -> str:
    articles = [a.strip() for a in cgi_articles.split(",") if a.strip()]
    if not articles or any(a not in CGI_ARTICLES for a in articles):
        raise ReceiptError(_("Articles du CGI inconnus : choisissez parmi 200, 238 bis et 978."))
    return ", ".join(a for a in CGI_ARTICLES if a in articles)


# --- Services -----------------------------------------------------------------------------


def receipt_issue_for_donation(
    *, donation: Donation, actor: User | None = None, cgi_articles: str = DEFAULT_CGI_ARTICLES
) -> Receipt | None:
    """Issue the receipt of a paid one-off gift inside the caller's transaction, or return None."""
    if (
        donation.status != DonationStatus.PAID
        or not donation.wants_receipt
        or donation.frequency != Frequency.ONE_OFF
        or donation.recurring_id is not None
        or not donation.has_postal_address
    ):
        return None
    with transaction.atomic():
        # Lock the gift so two confirmations of the same payment never issue two receipts.
        locked = Donation.objects.select_for_update().get(pk=donation.pk)
        if locked.receipts.filter(status=ReceiptStatus.ISSUED).exists():
            return None
        gift_date = gift_date_of(locked)
        receipt = _receipt_create(
            year=gift_date.year,
            kind=ReceiptKind.SINGLE,
            person=locked.person,
            donor={field: getattr(locked, field) for field in DONOR_FIELDS},
            donations=[locked],
            gift_date=gift_date,
            period=None,
            cgi_articles=_validate_articles(cgi_articles),
            actor=actor,
        )
        audit_record(
            actor=actor,
            action="receipt.issue",
            target=receipt,
            details={"donation": locked.code, "amount_cents": receipt.amount_cents},
        )
        _deliver_after_commit(receipt.pk)
    return receipt


def receipt_cancel(*, actor: User | None, receipt: Receipt, reason: str) -> Receipt:
    """Cancel an issued receipt (its number is never reused) and record why."""
    reason = (reason or "").strip()
    if not reason:
        raise ReceiptError(_("Indiquez le motif de l'annulation."))
    if len(reason) > 300:
        raise ReceiptError(_("Le motif ne doit pas dépasser 300 caractères."))
    with transaction.atomic():
        locked = Receipt.objects.select_for_update().get(pk=receipt.pk)
        if locked.status != ReceiptStatus.ISSUED:
            raise ReceiptError(_("Ce reçu est déjà annulé."))
        locked.status = ReceiptStatus.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.cancelled_by = actor if actor is not None and actor.is_authenticated else None
        locked.cancel_reason = reason
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
        audit_record(
            actor=actor, action="receipt.cancel", target=locked, details={"reason": reason}
        )
    return locked


def receipt_replace(
    *,
    actor: User | None,
    receipt: Receipt,
    reason: str,
    donor: DonorInput | None = None,
    cgi_articles: str | None = None,
) -> Receipt:
    """Cancel a receipt and issue its replacement (new number, naming the old one)."""
    if donor is not None and not donor.has_postal_address:
        raise ReceiptError(_("Un reçu fiscal demande l'adresse postale complète du donateur."))
    if donor is not None and not (donor.given_name.strip() or donor.family_name.strip()):
        raise ReceiptError(_("Indiquez le nom du donateur."))
    articles = _validate_articles(
        cgi_articles if cgi_articles is not None else receipt.cgi_articles
    )
    with transaction.atomic():
        old = receipt_cancel(actor=actor, receipt=receipt, reason=reason)
        fields = (
            donor.as_fields()
            if donor is not None
            else {field: getattr(old, field) for field in DONOR_FIELDS}
        )
        period = (old.period_start, old.period_end) if old.period_start and old.period_end else None
        # A gift refunded since is left out: the replacement covers what is still given.
        gifts = list(old.donations.filter(status=DonationStatus.PAID).order_by("given_on", "pk"))
        if not gifts:
            raise ReceiptError(_("Plus aucun don payé sur ce reçu : annulez-le sans le remplacer."))
        new = _receipt_create(
            year=old.year,
            kind=old.kind,
            person=old.person,
            donor=fields,
            donations=gifts,
            gift_date=old.gift_date,
            period=period,
            cgi_articles=articles,
            actor=actor,
            replaces=old,
        )
        audit_record(
            actor=actor,
            action="receipt.replace",
            target=new,
            details={"replaces": old.number, "reason": old.cancel_reason},
        )
        _deliver_after_commit(new.pk)
    return new


def receipt_mark_emailed(*, receipt: Receipt) -> None:
    """Record that the receipt left by e-mail."""
    Receipt.objects.filter(pk=receipt.pk).update(emailed_at=timezone.now())


def receipt_resend(*, actor: User | None, receipt: Receipt) -> None:
    """Send the receipt to the donor again (in the background)."""
    audit_record(actor=actor, action="receipt.resend", target=receipt)
    _deliver_after_commit(receipt.pk)


# --- Annual recap receipts ----------------------------------------------------------------


def _on_issued_receipts(year: int) -> Any:
    """Return the ids of the gifts on an issued receipt of a year (a subquery).

    A receipt's year is its gifts' year (a gift's receipt takes the gift's year, an annual
    receipt covers one year), so looking at that year's receipts is enough. Not correlated:
    the database builds the set once instead of probing every issued receipt per gift.
    """
    return Receipt.donations.through.objects.filter(
        receipt__year=year, receipt__status=ReceiptStatus.ISSUED
    ).values("donation_id")


def annual_gifts(*, year: int) -> QuerySet[Donation]:
    """Return the paid gifts of a year that want a receipt and are on no issued receipt."""
    return (
        Donation.objects.filter(
            status=DonationStatus.PAID,
            wants_receipt=True,
            given_on__gte=dt.date(year, 1, 1),
            given_on__lte=dt.date(year, 12, 31),
        )
        .exclude(pk__in=_on_issued_receipts(year))
        .order_by()
    )


def annual_donor_ids(*, year: int) -> list[int]:
    """Return the people who are due an annual recap receipt for a year."""
    return sorted(set(annual_gifts(year=year).values_list("person_id", flat=True)))


def annual_due_count(*, year: int) -> int:
    """Return how many people are due an annual recap receipt for a year."""
    return annual_gifts(year=year).values("person_id").distinct().count()


def _person_gifts_due(person: Person, year: int) -> list[Donation]:
    """Return one person's gifts due on their annual receipt, locked, oldest first."""
    # Read by person first (a handful of rows through the person index), then the year.
    # No ORDER BY in SQL: with one, SQLite walks the (status, given_on) index instead.
    gifts = sorted(
        (
            gift
            for gift in Donation.objects.select_for_update()
            .filter(person=person, status=DonationStatus.PAID, wants_receipt=True)
            .order_by()
            if gift.given_on is not None and gift.given_on.year == year
        ),
        key=lambda gift: (gift.given_on, gift.pk),
    )
    if not gifts:
        return []
    covered = {
        donation_id
        for donation_id, status in Receipt.donations.through.objects.filter(
            donation_id__in=[gift.pk for gift in gifts]
        ).values_list("donation_id", "receipt__status")
        if status == ReceiptStatus.ISSUED
    }
    return [gift for gift in gifts if gift.pk not in covered]


def annual_receipt_issue(
    *, person_id: int, year: int, actor: User | None, snapshot: dict[str, Any] | None = None
) -> Receipt | None:
    """Issue one person's annual recap receipt for a year, or return None when none is due."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person_id)
        gifts = _person_gifts_due(person, year)
        if not gifts:
            return None
        with_address = [g for g in gifts if g.has_postal_address]
        if not with_address:
            return None
        latest = max(with_address, key=lambda g: (g.given_on or dt.date.min, g.pk))
        receipt = _receipt_create(
            year=year,
            kind=ReceiptKind.ANNUAL,
            person=person,
            donor={field: getattr(latest, field) for field in DONOR_FIELDS},
            donations=gifts,
            gift_date=None,
            period=(dt.date(year, 1, 1), dt.date(year, 12, 31)),
            cgi_articles=DEFAULT_CGI_ARTICLES,
            actor=actor,
            snapshot=snapshot,
        )
        audit_record(
            actor=actor,
            action="receipt.issue",
            target=receipt,
            details={"annual": year, "gifts": len(gifts), "amount_cents": receipt.amount_cents},
        )
        _deliver_after_commit(receipt.pk)
    return receipt


STALE_BATCH_AFTER = dt.timedelta(hours=24)


def annual_receipts_start(*, actor: User | None, year: int) -> ReceiptBatch:
    """Start the run that issues every annual recap receipt of a year (one run at a time)."""
    today = timezone.localdate()
    if year < 2000 or year >= today.year:
        # A recap covers a whole year: the year must be over (late gifts of that year,
        # recorded afterwards, get a second run's receipt).
        raise ReceiptError(
            _("Choisissez une année terminée : les reçus annuels récapitulent une année entière.")
        )
    with transaction.atomic():
        # Serialise starts: two clicks never start two runs of the same year.
        ReceiptCounter.objects.bulk_create(
            [ReceiptCounter(year=year, last=0)], ignore_conflicts=True
        )
        ReceiptCounter.objects.select_for_update().get(year=year)
        unfinished = ReceiptBatch.objects.filter(
            year=year, status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING]
        )
        # A run whose worker died never finishes: after a day it no longer blocks a new one
        # (a new run skips every donor the old one already served).
        unfinished.filter(created_at__lt=timezone.now() - STALE_BATCH_AFTER).update(
            status=BatchStatus.FAILED,
            error=_("Interrompue (aucune fin enregistrée en 24 heures)."),
            finished_at=timezone.now(),
        )
        if unfinished.exists():
            raise ReceiptError(_("Une génération des reçus annuels de cette année est en cours."))
        batch = ReceiptBatch.objects.create(
            year=year,
            status=BatchStatus.QUEUED,
            total=len(annual_donor_ids(year=year)),
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit_record(
            actor=actor, action="receipt.annual_start", target=batch, details={"year": year}
        )

        def enqueue() -> None:
            from .receipt_tasks import annual_receipts_run

            annual_receipts_run.enqueue(batch.pk)

        transaction.on_commit(enqueue)
    return batch


ANNUAL_CHUNK = 50


def annual_receipts_run(*, batch_id: int) -> ReceiptBatch:
    """Issue the annual receipts of a batch, a chunk at a time, updating its progress."""
    batch = ReceiptBatch.objects.get(pk=batch_id)
    if batch.status not in (BatchStatus.QUEUED, BatchStatus.RUNNING):
        return batch
    actor = batch.created_by
    person_ids = annual_donor_ids(year=batch.year)
    ReceiptBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.RUNNING,
        started_at=timezone.now(),
        total=len(person_ids),
        done=0,
        issued=0,
    )
    snapshot = organisation_snapshot(organisation_get())
    done = issued = 0
    try:
        for start in range(0, len(person_ids), ANNUAL_CHUNK):
            for person_id in person_ids[start : start + ANNUAL_CHUNK]:
                if annual_receipt_issue(
                    person_id=person_id, year=batch.year, actor=actor, snapshot=snapshot
                ):
                    issued += 1
                done += 1
            ReceiptBatch.objects.filter(pk=batch.pk).update(done=done, issued=issued)
    except Exception as error:
        ReceiptBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED,
            error=str(error)[:2000],
            done=done,
            issued=issued,
            finished_at=timezone.now(),
        )
        raise
    ReceiptBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.DONE, done=done, issued=issued, finished_at=timezone.now()
    )
    batch.refresh_from_db()
    return batch


# --- PDF and e-mail -----------------------------------------------------------------------


def receipt_pdf_name(receipt: Receipt) -> str:
    return f"receipts/{receipt.year}/{receipt.number}-{receipt.code}.pdf"


def receipt_pdf_store(*, receipt: Receipt) -> str:
    """Draw the receipt's PDF into private storage (never a public address); return its name."""
    return _pdf_store(receipt)[0]


def _pdf_store(receipt: Receipt) -> tuple[str, bytes]:
    from essaim.people.models import private_storage

    from .receipt_pdf import receipt_pdf_bytes

    storage = private_storage()
    content = receipt_pdf_bytes(receipt)
    name = receipt_pdf_name(receipt)
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(content))
    # The field only records the name: the file lives in private storage, read by the views.
    Receipt.objects.filter(pk=receipt.pk).update(pdf=saved)
    receipt.pdf.name = saved
    return saved, content


def receipt_pdf_read(receipt: Receipt) -> bytes:
    """Return the stored PDF of a receipt, drawing it first when missing."""
    from essaim.people.models import private_storage

    if receipt.status == ReceiptStatus.CANCELLED:
        # The stored copy is the one the donor got; a cancelled receipt shows it is cancelled.
        from .receipt_pdf import receipt_pdf_bytes

        return receipt_pdf_bytes(receipt)
    storage = private_storage()
    name = receipt.pdf.name
    if not name or not storage.exists(name):
        name = receipt_pdf_store(receipt=receipt)
    with storage.open(name, "rb") as handle:
        return bytes(handle.read())


def receipt_email(receipt: Receipt, pdf: bytes) -> EmailMultiAlternatives:
    """Build the e-mail that sends the donor their receipt, PDF attached (text and HTML)."""
    from django.urls import reverse

    from essaim.core.http import absolute_url

    from .donor_links import donor_space_url

    organisation = organisation_get()
    person = receipt.person
    context = {
        "receipt": receipt,
        "organisation": organisation,
        "pdf_url": absolute_url(reverse("receipts:pdf", kwargs={"code": receipt.code})),
        # Their gifts and receipts, without an account (only while the e-mail still matches).
        "donor_url": donor_space_url(person)
        if person.email and person.email.lower() == receipt.email.lower()
        else "",
    }
    subject = _("Votre reçu fiscal n° %(number)s") % {"number": receipt.number}
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("giving/receipts/emails/receipt.txt", context),
        to=[receipt.email],
    )
    email.attach_alternative(
        render_to_string("giving/receipts/emails/receipt.html", context), "text/html"
    )
    email.attach(f"recu-fiscal-{receipt.number}.pdf", pdf, "application/pdf")
    return email


def receipt_deliver(*, receipt_id: int) -> bool:
    """Draw a receipt's PDF and e-mail it to the donor; return whether it left."""
    receipt = (
        Receipt.objects.select_related("replaces", "person")
        .prefetch_related("donations")
        .filter(pk=receipt_id)
        .first()
    )
    if receipt is None or receipt.status != ReceiptStatus.ISSUED:
        return False
    _name, pdf = _pdf_store(receipt)
    if not receipt.email:
        return False
    receipt_email(receipt, pdf).send()
    receipt_mark_emailed(receipt=receipt)
    return True
