"""Writes of giving: starting a gift, its lifecycle, offline gifts, reconciliation, refunds.

Every status change goes through :func:`donation_transition` (the declared
DONATION_TRANSITIONS, one DonationChange row each). Paying is :func:`donation_mark_paid`:
the donor flag, the newsletter consent, the referrer's credit and the tax receipt are
written in the same transaction; the thank-you e-mail leaves after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.core.money import format_euros
from essaim.core.services import audit_record
from essaim.people.models import Person, Source

from . import providers
from .inputs import DonorInput, GiftSource
from .lifecycle import lifecycle_move
from .models import (
    DONATION_TRANSITIONS,
    Donation,
    DonationChange,
    DonationStatus,
    Frequency,
    GivingPage,
    PaymentMethod,
    Provider,
    ProviderEvent,
    RecurringGift,
)

if TYPE_CHECKING:
    from essaim.accounts.models import User
    from essaim.referrals.links import Attribution
    from essaim.referrals.models import Campaign

OFFLINE_METHODS = frozenset(
    {PaymentMethod.CHEQUE, PaymentMethod.TRANSFER, PaymentMethod.CASH, PaymentMethod.OTHER}
)


@dataclass(frozen=True)
class CheckoutStart:
    """A started gift and where to send the donor to pay it."""

    donation: Donation
    recurring: RecurringGift | None
    redirect_url: str


# --- Donors -----------------------------------------------------------------------------


def donor_person_match(
    *, donor: DonorInput, source: str = Source.WEBSITE, user: User | None = None
) -> Person:
    """Return the person with the donor's e-mail (oldest first), else a new one.

    Names are never overwritten (a couple may share an address); an empty postal address
    on the contact is completed from the form.
    """
    from essaim.people.services import person_create

    fields = donor.as_fields()
    person = None
    if user is not None and user.is_authenticated:
        # A signed-in donor gives as themselves, whatever address they typed for the receipt.
        person = Person.objects.filter(user=user, erased_at__isnull=True).first()
    if person is None:
        person = (
            Person.objects.filter(email__iexact=fields["email"], erased_at__isnull=True)
            .order_by("id")
            .first()
        )
    if person is None:
        return person_create(actor=None, data={**fields, "is_sympathiser": True, "source": source})
    if donor.has_postal_address and not person.address_line1:
        address = {
            key: fields[key]
            for key in ("address_line1", "address_line2", "postal_code", "city", "country")
        }
        # A plain update: a contact record with an old oddity must never block a gift.
        Person.objects.filter(pk=person.pk).update(**address, updated_at=timezone.now())
        person.__dict__.update(address)
    return person


# --- Starting a gift ----------------------------------------------------------------------


def _validate_start(
    *,
    donor: DonorInput,
    amount_cents: int,
    frequency: str,
    provider: str,
    page: GivingPage | None,
    wants_receipt: bool,
) -> providers.PaymentProvider:
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not isinstance(amount_cents, int) or amount_cents <= 0:
        error("amount", _("Indiquez un montant supérieur à zéro."))
    elif amount_cents > settings.ESSAIM_GIVING_MAX_CENTS:
        error(
            "amount",
            _(
                "Un don en ligne ne peut pas dépasser %(max)s : contactez-nous pour un don "
                "plus important."
            )
            % {"max": format_euros(settings.ESSAIM_GIVING_MAX_CENTS)},
        )
    elif page is not None and amount_cents < page.minimum_cents:
        error(
            "amount",
            _("Le montant minimum est de %(min)s.") % {"min": format_euros(page.minimum_cents)},
        )
    if frequency not in Frequency.values:
        error("frequency", _("Choisissez un don ponctuel ou mensuel."))
    elif page is not None and (
        (frequency == Frequency.ONE_OFF and not page.allow_one_off)
        or (frequency == Frequency.MONTHLY and not page.allow_monthly)
    ):
        error("frequency", _("Cette page ne propose pas ce type de don."))
    if page is not None and not page.is_active:
        error("__all__", _("Cette page de don n'est plus en ligne."))
    chosen = next((p for p in providers.available() if p.name == provider), None)
    if chosen is None:
        error("provider", _("Ce moyen de paiement n'est pas proposé."))
    elif frequency in Frequency.values and not chosen.supports(frequency):
        error("provider", _("Ce moyen de paiement ne permet pas les dons mensuels."))
    if not donor.given_name.strip():
        error("given_name", _("Indiquez votre prénom."))
    if not donor.family_name.strip():
        error("family_name", _("Indiquez votre nom."))
    email = donor.email.strip()
    if not email or "@" not in email:
        error("email", _("Indiquez une adresse e-mail valide."))
    if wants_receipt and not donor.has_postal_address:
        error(
            "address_line1",
            _("Le reçu fiscal exige votre adresse postale (adresse, code postal et ville)."),
        )
    if errors:
        raise ValidationError(errors)
    assert chosen is not None
    return chosen


def _source_fields(source: GiftSource) -> dict[str, Any]:
    attribution = source.attribution
    campaign = None
    if source.page is not None and source.page.campaign_id:
        campaign = source.page.campaign
    campaign = campaign or source.campaign or (attribution.campaign if attribution else None)
    fields: dict[str, Any] = {
        "page": source.page,
        "campaign": campaign,
        "excuse_id": source.excuse_id,
        "rebuttal_id": source.rebuttal_id,
    }
    if attribution is not None:
        fields.update(
            referrer=attribution.referrer,
            referral_link=attribution.link,
            invitation=attribution.invitation,
            referral_channel=attribution.channel,
            referral_at=attribution.at,
        )
    return fields


def _format_url(template: str, donation: Donation) -> str:
    return template.replace("{code}", donation.code)


def donation_start(
    *,
    donor: DonorInput,
    amount_cents: int,
    frequency: str,
    provider: str,
    idempotency_key: str,
    source: GiftSource,
    wants_receipt: bool,
    consent_news: bool,
    user: User | None = None,
    return_url: str,
    cancel_url: str,
) -> CheckoutStart:
    """Record a pending gift and open its checkout (once per idempotency key).

    ``return_url`` and ``cancel_url`` are full addresses where the provider sends the donor
    back; the text ``{code}`` in them is replaced by the gift's public code (the thank-you
    page passes ``…/merci/{code}/``). A second call with the same ``idempotency_key``
    (double click, back button, retry after the provider was down, two requests at once)
    returns the same gift and the same checkout. Raises ValidationError (French messages,
    nothing written) or providers.ProviderUnavailable (the pending gift is kept).
    """
    key = (idempotency_key or "").strip()[:64]
    if not key:
        raise ValidationError(_("Le formulaire a expiré : rechargez la page et recommencez."))
    existing = _donation_by_key(key)
    if existing is None:
        chosen = _validate_start(
            donor=donor,
            amount_cents=amount_cents,
            frequency=frequency,
            provider=provider,
            page=source.page,
            wants_receipt=wants_receipt,
        )
        try:
            existing = _donation_create(
                donor=donor,
                amount_cents=amount_cents,
                frequency=frequency,
                provider=chosen.name,
                key=key,
                source=source,
                wants_receipt=wants_receipt,
                consent_news=consent_news,
                user=user,
            )
        except IntegrityError:
            # The same form was submitted at the same moment: the other request's gift wins.
            existing = _donation_by_key(key)
            if existing is None:
                raise
    return _checkout_ensure(donation=existing, return_url=return_url, cancel_url=cancel_url)


def _donation_by_key(key: str) -> Donation | None:
    return (
        Donation.objects.select_related("recurring", "person").filter(idempotency_key=key).first()
    )


@transaction.atomic
def _donation_create(
    *,
    donor: DonorInput,
    amount_cents: int,
    frequency: str,
    provider: str,
    key: str,
    source: GiftSource,
    wants_receipt: bool,
    consent_news: bool,
    user: User | None,
) -> Donation:
    person = donor_person_match(donor=donor, user=user)
    fields = donor.as_fields()
    recurring = None
    if frequency == Frequency.MONTHLY:
        recurring = RecurringGift.objects.create(
            **fields,
            person=person,
            page=source.page,
            amount_cents=amount_cents,
            provider=provider,
            wants_receipt=wants_receipt,
        )
    donation = Donation.objects.create(
        **fields,
        **_source_fields(source),
        idempotency_key=key,
        person=person,
        recurring=recurring,
        frequency=frequency,
        amount_cents=amount_cents,
        provider=provider,
        wants_receipt=wants_receipt,
        consent_news=consent_news,
    )
    DonationChange.objects.create(
        donation=donation, from_status="", to_status=DonationStatus.PENDING, at=timezone.now()
    )
    return donation


def _checkout_ensure(*, donation: Donation, return_url: str, cancel_url: str) -> CheckoutStart:
    provider = providers.get(donation.provider)
    if provider is None:
        raise ValidationError(_("Ce moyen de paiement n'est pas proposé."))
    recurring = donation.recurring
    if donation.status not in (DonationStatus.PENDING, DonationStatus.FAILED):
        # Already paid (or refunded): a late retry lands on the thank-you page, not a new
        # payment. A failed gift may still be paid: the donor gets a checkout again.
        return CheckoutStart(
            donation=donation,
            recurring=recurring,
            redirect_url=_format_url(return_url, donation),
        )
    with transaction.atomic():
        # One checkout per gift: two requests for the same gift wait for each other here.
        locked = Donation.objects.select_for_update().get(pk=donation.pk)
        if locked.provider_reference:
            url = provider.checkout_url(
                donation=locked,
                return_url=_format_url(return_url, locked),
                cancel_url=_format_url(cancel_url, locked),
            )
            if url:
                return CheckoutStart(donation=locked, recurring=recurring, redirect_url=url)
        checkout = provider.checkout_start(
            donation=locked,
            recurring=recurring,
            return_url=_format_url(return_url, locked),
            cancel_url=_format_url(cancel_url, locked),
        )
        if checkout.reference and checkout.reference != locked.provider_reference:
            locked.provider_reference = checkout.reference
            locked.save(update_fields=["provider_reference", "updated_at"])
    return CheckoutStart(donation=locked, recurring=recurring, redirect_url=checkout.redirect_url)


# --- The lifecycle ------------------------------------------------------------------------


@transaction.atomic
def donation_transition(
    *,
    donation: Donation,
    to_status: str,
    at: datetime,
    actor: User | None = None,
    event: ProviderEvent | None = None,
    note: str = "",
    **fields: Any,
) -> Donation:
    """Move a gift along its declared lifecycle, with a history row; refuse other moves."""

    def history(locked: Donation, from_status: str) -> None:
        DonationChange.objects.create(
            donation=locked,
            from_status=from_status,
            to_status=to_status,
            at=at,
            actor=actor if actor is not None and actor.is_authenticated else None,
            event=event,
            note=note[:300],
        )

    return lifecycle_move(
        instance=donation,
        to_status=to_status,
        transitions=DONATION_TRANSITIONS,
        statuses=DonationStatus,
        refusal=_("Un don « %(from)s » ne peut pas passer à « %(to)s »."),
        fields=fields,
        history=history,
        actor_is_person=actor is not None and actor.is_authenticated,
    )


def _attribution_of(donation: Donation) -> Attribution | None:
    from essaim.referrals.links import Attribution

    if donation.referrer_id is None or donation.referral_at is None:
        return None
    return Attribution(
        referrer=donation.referrer,  # type: ignore[arg-type]
        at=donation.referral_at,
        channel=donation.referral_channel or "link",
        link=donation.referral_link,
        invitation=donation.invitation,
    )


@transaction.atomic
def donation_mark_paid(
    *,
    donation: Donation,
    at: datetime,
    provider_reference: str = "",
    payment_method: str | None = None,
    event: ProviderEvent | None = None,
    actor: User | None = None,
) -> Donation:
    """Record that a gift was paid: donor flag, consent, referral credit, receipt, thank-you."""
    locked = (
        Donation.objects.select_for_update(of=("self",))
        .select_related("person", "recurring", "referrer", "referral_link", "invitation")
        .get(pk=donation.pk)
    )
    if locked.status not in (DonationStatus.PENDING, DonationStatus.FAILED):
        return locked  # paid twice, or refunded before the payment event came: nothing to do
    # An offline gift keeps the cheque's date; an online one is given when it is paid.
    given_on = locked.given_on if locked.provider == Provider.OFFLINE else None
    fields: dict[str, Any] = {"given_on": given_on or timezone.localdate(at), "paid_at": at}
    if provider_reference:
        fields["provider_reference"] = provider_reference[:120]
    if payment_method:
        fields["payment_method"] = payment_method
    locked = donation_transition(
        donation=locked, to_status=DonationStatus.PAID, at=at, actor=actor, event=event, **fields
    )
    person = Person.objects.get(pk=locked.person_id)
    # Plain updates: a payment is recorded whatever state the contact record is in.
    changes: dict[str, Any] = {}
    if not person.is_donor:
        changes["is_donor"] = True
    if locked.consent_news and not person.newsletter_consent:
        changes.update(
            newsletter_consent=True,
            newsletter_consent_at=at,
            newsletter_consent_proof=(
                _("Formulaire de don (don %(code)s)") % {"code": locked.code[:8]}
            )[:255],
        )
    if changes:
        Person.objects.filter(pk=person.pk).update(**changes, updated_at=timezone.now())
        person.__dict__.update(changes)
    attribution = _attribution_of(locked)
    if attribution is not None:
        from essaim.referrals.links import attribution_apply
        from essaim.referrals.models import ReferralEventKind

        attribution_apply(
            attribution=attribution,
            person=person,
            kind=ReferralEventKind.GAVE,
            at=at,
            amount_cents=locked.amount_cents,
        )
    first_monthly = False
    if locked.recurring_id is not None:
        from .recurring import recurring_activate

        first_monthly = recurring_activate(recurring=locked.recurring, at=at)  # type: ignore[arg-type]
    elif locked.wants_receipt and locked.has_postal_address:
        from .receipts import receipt_issue_for_donation

        receipt_issue_for_donation(donation=locked, actor=actor)
    _after_commit_thank(locked, first_monthly=first_monthly)
    return locked


def donation_refresh(*, donation: Donation) -> Donation:
    """Ask the provider whether a pending one-off gift was paid, and record it if so.

    For the thank-you page (the donor may come back before the webhook) and the job that
    closes abandoned checkouts. Raises providers.ProviderUnavailable when it cannot tell.
    """
    if (
        donation.status != DonationStatus.PENDING
        or donation.recurring_id is not None
        or not donation.provider_reference
        or donation.provider in (Provider.DEMO, Provider.OFFLINE)
    ):
        return donation
    provider = providers.get(donation.provider)
    if provider is None:
        return donation
    status = provider.payment_status(donation=donation)
    if status.paid:
        reference = status.reference if donation.provider == Provider.STRIPE else ""
        return donation_mark_paid(
            donation=donation,
            at=timezone.now(),
            provider_reference=reference,
            payment_method=PaymentMethod.CARD,
        )
    return donation


def _after_commit_thank(donation: Donation, *, first_monthly: bool) -> None:
    donation_id = donation.pk

    def enqueue() -> None:
        from .tasks import donation_thank

        donation_thank.enqueue(donation_id, first_monthly)

    transaction.on_commit(enqueue)


@transaction.atomic
def donation_mark_failed(
    *,
    donation: Donation,
    at: datetime,
    actor: User | None = None,
    event: ProviderEvent | None = None,
    note: str = "",
) -> Donation:
    """Record that a pending gift was not paid (declined card, abandoned checkout); else no-op."""
    locked = Donation.objects.select_for_update().get(pk=donation.pk)
    if locked.status != DonationStatus.PENDING:
        return locked  # a success already recorded wins over a late failure
    return donation_transition(
        donation=locked,
        to_status=DonationStatus.FAILED,
        at=at,
        actor=actor,
        event=event,
        note=note,
    )


def _require_treasurer(actor: User | None) -> None:
    from django.core.exceptions import PermissionDenied

    from essaim.accounts.policies import can

    if actor is None or not can(actor, "giving.manage"):
        raise PermissionDenied


@transaction.atomic
def donation_record_offline(
    *,
    actor: User,
    donor: DonorInput,
    person: Person | None = None,
    amount_cents: int,
    payment_method: str,
    given_on: date,
    bank_reference: str = "",
    page: GivingPage | None = None,
    campaign: Campaign | None = None,
    wants_receipt: bool = True,
    notes: str = "",
) -> Donation:
    """Record a cheque, transfer or cash gift received by the treasurer, paid at once."""
    _require_treasurer(actor)
    errors: dict[str, list[str]] = {}
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        errors["amount"] = [_("Indiquez un montant supérieur à zéro.")]
    if payment_method not in OFFLINE_METHODS:
        errors["payment_method"] = [_("Choisissez chèque, virement, espèces ou autre.")]
    if given_on is None or given_on > timezone.localdate():
        errors["given_on"] = [_("La date du don ne peut pas être dans le futur.")]
    if not donor.given_name.strip() and not donor.family_name.strip():
        errors["family_name"] = [_("Indiquez le nom du donateur.")]
    if person is None and "@" not in donor.email:
        errors["email"] = [_("Indiquez l'adresse e-mail du donateur.")]
    if wants_receipt and not donor.has_postal_address:
        errors["address_line1"] = [
            _("Le reçu fiscal exige l'adresse postale (adresse, code postal et ville).")
        ]
    if errors:
        raise ValidationError(errors)
    if person is None:
        person = donor_person_match(donor=donor, source=Source.MANUAL)
    fields = donor.as_fields()
    if not fields["email"]:
        fields["email"] = person.email
    now = timezone.now()
    donation = Donation.objects.create(
        **fields,
        person=person,
        page=page,
        campaign=campaign or (page.campaign if page is not None else None),
        frequency=Frequency.ONE_OFF,
        amount_cents=amount_cents,
        provider=Provider.OFFLINE,
        payment_method=payment_method,
        wants_receipt=wants_receipt,
        given_on=given_on,
        bank_reference=bank_reference.strip()[:120],
        recorded_by=actor,
        notes=notes,
    )
    DonationChange.objects.create(
        donation=donation,
        from_status="",
        to_status=DonationStatus.PENDING,
        at=now,
        actor=actor,
        note=_("Don hors ligne saisi"),
    )
    donation = donation_mark_paid(donation=donation, at=now, actor=actor)
    audit_record(
        actor=actor,
        action="donation.record_offline",
        target=donation,
        details={"amount_cents": amount_cents, "payment_method": payment_method},
    )
    return donation


@transaction.atomic
def donation_reconcile(*, actor: User, donations: list[Donation] | Any) -> int:
    """Mark paid gifts as matched against the bank statement; return how many changed."""
    _require_treasurer(actor)
    ids = [d.pk for d in donations]
    now = timezone.now()
    changed = Donation.objects.filter(
        pk__in=ids, status=DonationStatus.PAID, reconciled_at__isnull=True
    ).update(reconciled_at=now, reconciled_by=actor, updated_at=now)
    if changed:
        audit_record(
            actor=actor, action="donation.reconcile", details={"ids": ids, "count": changed}
        )
    return changed


@transaction.atomic
def donation_refund(
    *,
    actor: User | None,
    donation: Donation,
    note: str,
    at: datetime | None = None,
    event: ProviderEvent | None = None,
) -> Donation:
    """Record a refund: the gift leaves the totals and its receipt is cancelled."""
    if event is None:
        _require_treasurer(actor)
        if not note.strip():
            raise ValidationError({"note": [_("Indiquez le motif du remboursement.")]})
    at = at or timezone.now()
    locked = donation_transition(
        donation=donation,
        to_status=DonationStatus.REFUNDED,
        at=at,
        actor=actor,
        event=event,
        note=note,
    )
    _receipts_cancel(locked, actor=actor, reason=note or _("Don remboursé"))
    if event is None:
        audit_record(actor=actor, action="donation.refund", target=locked, details={"note": note})
    return locked


def _receipts_cancel(donation: Donation, *, actor: User | None, reason: str) -> None:
    """Take a gift that is no longer given off its receipts.

    A receipt for this gift alone is cancelled; an annual receipt that also covers other
    gifts is cancelled and replaced by one covering the gifts still paid (new number).
    """
    from .models import ReceiptStatus

    receipts = list(donation.receipts.filter(status=ReceiptStatus.ISSUED))
    if not receipts:
        return
    from .receipts import receipt_cancel, receipt_replace

    reason = reason[:300]
    for receipt in receipts:
        still_paid = receipt.donations.filter(status=DonationStatus.PAID).exists()
        if still_paid:
            receipt_replace(actor=actor, receipt=receipt, reason=reason)
        else:
            receipt_cancel(receipt=receipt, actor=actor, reason=reason)


@transaction.atomic
def donation_fail_offline(
    *, actor: User, donation: Donation, note: str, at: datetime | None = None
) -> Donation:
    """Record a bounced cheque or a transfer that never came: the paid gift is refunded."""
    _require_treasurer(actor)
    if donation.provider != Provider.OFFLINE:
        raise ValidationError(_("Seuls les dons hors ligne se corrigent ainsi."))
    if not note.strip():
        raise ValidationError({"note": [_("Indiquez ce qui s'est passé (chèque rejeté…).")]})
    at = at or timezone.now()
    if donation.status == DonationStatus.PENDING:
        locked = donation_transition(
            donation=donation, to_status=DonationStatus.FAILED, at=at, actor=actor, note=note
        )
    else:
        # A paid gift cannot go back to failed in the lifecycle: the money went back (refunded).
        locked = donation_transition(
            donation=donation, to_status=DonationStatus.REFUNDED, at=at, actor=actor, note=note
        )
        _receipts_cancel(locked, actor=actor, reason=note)
    audit_record(actor=actor, action="donation.fail_offline", target=locked, details={"note": note})
    return locked
