"""Provider webhooks: verified, stored once, applied whatever order they arrive in.

Stripe signs its deliveries (``Stripe-Signature``: HMAC-SHA256 of ``timestamp.body`` with
the endpoint's secret, 5 minutes of tolerance); a forged or stale one gets 400 and nothing
is stored. HelloAsso does not sign its notifications: their body only names a gift, and
what happens is what HelloAsso's API answers about it.

Each event is stored once (ProviderEvent is unique per provider and event id): a replay
answers 200 and changes nothing. An event that cannot apply yet (a refund or a dispute
arriving before the payment) is kept with the outcome ``deferred:<key>`` and applied just
after the payment it waits for. Late events that no longer apply (an ``expired`` after a
``completed``, a failure after a success) change nothing, by the lifecycle's own rules.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import (
    Donation,
    DonationStatus,
    PaymentMethod,
    Provider,
    ProviderEvent,
    RecurringGift,
    RecurringStatus,
)
from .providers import ProviderUnavailable
from .recurring import recurring_payment_record, recurring_record_status
from .services import (
    donation_mark_failed,
    donation_mark_paid,
    donation_refund,
    donation_transition,
)

logger = logging.getLogger(__name__)

STRIPE_TOLERANCE = 300  # seconds
DEFERRED = "deferred:"


# --- Storing each event once ------------------------------------------------------------


def event_process(
    *,
    provider: str,
    event_id: str,
    kind: str,
    occurred_at: datetime | None,
    payload: dict[str, Any],
    apply: Callable[[ProviderEvent], str],
) -> str:
    """Store an event once and apply it in the same transaction; return its outcome.

    A replay (same provider and id) returns ``"replay"``. If applying fails, nothing is
    stored and the provider's retry will try again.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = ProviderEvent.objects.create(
                    provider=provider,
                    event_id=event_id[:200],
                    kind=kind[:100],
                    occurred_at=occurred_at,
                    payload=payload,
                )
        except IntegrityError:
            return "replay"
        outcome = _apply_safely(record, apply)
        _finish(record, outcome)
    return outcome


def _apply_safely(record: ProviderEvent, apply: Callable[[ProviderEvent], str]) -> str:
    try:
        with transaction.atomic():
            return apply(record)
    except ValidationError as error:
        # A move the lifecycle forbids (a dispute on a refunded gift…): recorded, not retried.
        return f"ignored: {'; '.join(error.messages)}"[:300]


def _finish(record: ProviderEvent, outcome: str) -> None:
    record.outcome = outcome[:300]
    record.processed_at = None if outcome.startswith(DEFERRED) else timezone.now()
    record.save(update_fields=["outcome", "processed_at"])


def _replay_deferred(
    provider: str, keys: Iterable[str], apply: Callable[[ProviderEvent], str]
) -> None:
    """Apply the events that waited for a payment now recorded (oldest first)."""
    outcomes = {f"{DEFERRED}{key}" for key in keys if key}
    if not outcomes:
        return
    waiting = ProviderEvent.objects.filter(
        provider=provider, processed_at__isnull=True, outcome__in=outcomes
    ).order_by("occurred_at", "id")
    for record in waiting:
        _finish(record, _apply_safely(record, apply))


# --- Stripe -----------------------------------------------------------------------------


def stripe_signature_valid(
    payload: bytes,
    header: str,
    secret: str,
    *,
    now: float | None = None,
    tolerance: int = STRIPE_TOLERANCE,
) -> bool:
    """Check a Stripe-Signature header: HMAC-SHA256 of ``t.payload``, within the tolerance."""
    if not secret or not header:
        return False
    timestamp, signatures = None, []
    for part in header.split(","):
        key, _sep, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not timestamp.isdigit() or not signatures:
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        return False
    signed = timestamp.encode() + b"." + payload
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, signature) for signature in signatures)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Receive a Stripe event: verify its signature, store it once, apply it."""
    payload = request.body
    if not stripe_signature_valid(
        payload, request.headers.get("Stripe-Signature", ""), settings.STRIPE_WEBHOOK_SECRET
    ):
        return HttpResponse("invalid signature", status=400, content_type="text/plain")
    try:
        event = json.loads(payload)
        event_id, kind = str(event["id"]), str(event["type"])
        obj = event["data"]["object"]
        if not isinstance(obj, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return HttpResponse("invalid payload", status=400, content_type="text/plain")
    created = event.get("created")
    occurred_at = datetime.fromtimestamp(created, tz=UTC) if isinstance(created, int) else None
    outcome = event_process(
        provider=Provider.STRIPE,
        event_id=event_id,
        kind=kind,
        occurred_at=occurred_at,
        payload=event,
        apply=stripe_event_apply,
    )
    return HttpResponse(outcome, status=200, content_type="text/plain")


def _meta(obj: dict[str, Any], *paths: tuple[str | int, ...]) -> str:
    """Return the first non-empty value found at one of the nested key (or index) paths."""
    for path in paths:
        value: Any = obj
        for key in path:
            if isinstance(key, int):
                value = value[key] if isinstance(value, list) and len(value) > key else None
            else:
                value = value.get(key) if isinstance(value, dict) else None
        if value and isinstance(value, str | int):
            return str(value)
    return ""


def _donation_by_code(code: str) -> Donation | None:
    if not code:
        return None
    return Donation.objects.filter(code=code, provider=Provider.STRIPE).first()


def _donation_by_references(*references: str) -> Donation | None:
    wanted = [r for r in references if r]
    if not wanted:
        return None
    return (
        Donation.objects.filter(provider=Provider.STRIPE, provider_reference__in=wanted)
        .order_by("id")
        .first()
    )


def _recurring_for(obj: dict[str, Any], subscription_id: str) -> RecurringGift | None:
    code = _meta(
        obj,
        ("metadata", "recurring"),
        ("subscription_details", "metadata", "recurring"),
        ("parent", "subscription_details", "metadata", "recurring"),
    )
    if not code:
        lines = (obj.get("lines") or {}).get("data") or []
        for line in lines if isinstance(lines, list) else []:
            code = _meta(line, ("metadata", "recurring"))
            if code:
                break
    query = Q(code=code) if code else Q(pk__in=[])
    if subscription_id:
        query |= Q(provider_reference=subscription_id)
    return RecurringGift.objects.filter(query, provider=Provider.STRIPE).first()


def _subscription_of_invoice(obj: dict[str, Any]) -> str:
    value = obj.get("subscription")
    if isinstance(value, dict):
        value = value.get("id")
    return str(value or "") or _meta(obj, ("parent", "subscription_details", "subscription"))


def _event_time(record: ProviderEvent) -> datetime:
    return record.occurred_at or timezone.now()


def _stripe_paid(record: ProviderEvent, donation: Donation, reference: str) -> str:
    donation_mark_paid(
        donation=donation,
        at=_event_time(record),
        provider_reference=reference,
        payment_method=PaymentMethod.CARD,
        event=record,
    )
    _replay_deferred(
        Provider.STRIPE, [donation.code, reference, donation.provider_reference], stripe_event_apply
    )
    return "paid"


def _session_apply(record: ProviderEvent, kind: str, session: dict[str, Any]) -> str:
    code = _meta(session, ("metadata", "donation"), ("client_reference_id",))
    donation = _donation_by_code(code) or _donation_by_references(str(session.get("id") or ""))
    if donation is None:
        return "ignored: unknown gift"
    if kind == "checkout.session.expired" and donation.provider_reference not in (
        "",
        str(session.get("id") or ""),
    ):
        return "ignored: a newer checkout replaced this one"
    if kind in ("checkout.session.expired", "checkout.session.async_payment_failed"):
        donation_mark_failed(
            donation=donation,
            at=_event_time(record),
            event=record,
            note="Session Stripe expirée" if kind.endswith("expired") else "Paiement refusé",
        )
        return "failed"
    if session.get("mode") == "subscription":
        subscription = str(session.get("subscription") or "")
        recurring = donation.recurring
        if recurring is not None and subscription and not recurring.provider_reference:
            RecurringGift.objects.filter(pk=recurring.pk).update(provider_reference=subscription)
            recurring.provider_reference = subscription
            if recurring.status == RecurringStatus.CANCELLED:
                # Stopped here before the donor finished paying: stop it at Stripe too.
                from .providers import StripeProvider

                StripeProvider().schedule_cancel(recurring=recurring)
                return "subscription cancelled (monthly gift stopped before payment)"
        # The payment itself is recorded from invoice.paid (every month, the first one too).
        return "subscription linked"
    if kind == "checkout.session.completed" and session.get("payment_status") not in (
        "paid",
        "no_payment_required",
    ):
        return "awaiting payment"  # a bank debit: async_payment_succeeded will follow
    reference = str(session.get("payment_intent") or session.get("id") or "")
    return _stripe_paid(record, donation, reference)


def _invoice_paid(record: ProviderEvent, invoice: dict[str, Any]) -> str:
    subscription = _subscription_of_invoice(invoice)
    recurring = _recurring_for(invoice, subscription)
    if recurring is None:
        return "ignored: unknown monthly gift"
    amount = invoice.get("amount_paid")
    if not isinstance(amount, int) or amount <= 0:
        return "ignored: nothing paid"
    if subscription and not recurring.provider_reference:
        RecurringGift.objects.filter(pk=recurring.pk).update(provider_reference=subscription)
        recurring.provider_reference = subscription
    invoice_id = str(invoice.get("id") or "")
    # Older API versions name the payment on the invoice; newer ones in its payments list.
    reference = (
        _meta(
            invoice,
            ("payment_intent",),
            ("charge",),
            ("payments", "data", 0, "payment", "payment_intent"),
        )
        or invoice_id
    )
    donation = recurring_payment_record(
        recurring=recurring,
        key=f"stripe:{invoice_id}",
        at=_event_time(record),
        amount_cents=amount,
        provider_reference=reference,
        payment_method=PaymentMethod.CARD,
        event=record,
    )
    _replay_deferred(Provider.STRIPE, [donation.code, reference, invoice_id], stripe_event_apply)
    return "monthly payment recorded"


def _invoice_failed(record: ProviderEvent, invoice: dict[str, Any]) -> str:
    recurring = _recurring_for(invoice, _subscription_of_invoice(invoice))
    if recurring is None:
        return "ignored: unknown monthly gift"
    first = recurring.payments.filter(status=DonationStatus.PENDING).order_by("id").first()
    if first is not None and not recurring.payments.filter(status=DonationStatus.PAID).exists():
        donation_mark_failed(
            donation=first, at=_event_time(record), event=record, note="Prélèvement refusé"
        )
    # Stripe tries again on its own schedule; it ends the subscription if every try fails.
    return "monthly payment failed"


def _charge_target(obj: dict[str, Any]) -> tuple[Donation | None, list[str]]:
    keys = [
        _meta(obj, ("payment_intent",)),
        _meta(obj, ("charge",)),
        _meta(obj, ("invoice",)),
        str(obj.get("id") or "") if str(obj.get("id") or "").startswith("ch_") else "",
    ]
    code = _meta(obj, ("metadata", "donation"))
    donation = _donation_by_code(code) or _donation_by_references(*keys)
    return donation, [k for k in [code, *keys] if k]


def _defer(keys: list[str], donation: Donation | None) -> str:
    key = donation.code if donation is not None else (keys[0] if keys else "")
    return f"{DEFERRED}{key}" if key else "ignored: unknown gift"


def _charge_refunded(record: ProviderEvent, charge: dict[str, Any]) -> str:
    donation, keys = _charge_target(charge)
    if donation is None or donation.status in (DonationStatus.PENDING, DonationStatus.FAILED):
        return _defer(keys, donation)  # the payment event has not come yet
    if not charge.get("refunded"):
        return "partial refund: recorded at Stripe only, the gift stays paid"
    if donation.status == DonationStatus.REFUNDED:
        return "already refunded"
    donation_refund(
        actor=None,
        donation=donation,
        note="Remboursé chez Stripe",
        at=_event_time(record),
        event=record,
    )
    return "refunded"


def _dispute(record: ProviderEvent, kind: str, dispute: dict[str, Any]) -> str:
    donation, keys = _charge_target(dispute)
    if donation is None or donation.status in (DonationStatus.PENDING, DonationStatus.FAILED):
        return _defer(keys, donation)
    at = _event_time(record)
    if kind == "charge.dispute.created":
        if donation.status != DonationStatus.PAID:
            return f"ignored: gift {donation.status}"
        donation_transition(
            donation=donation,
            to_status=DonationStatus.DISPUTED,
            at=at,
            event=record,
            note="Paiement contesté",
        )
        return "disputed"
    if donation.status != DonationStatus.DISPUTED:
        return f"ignored: gift {donation.status}"
    if dispute.get("status") == "lost":
        donation_refund(
            actor=None, donation=donation, note="Contestation perdue", at=at, event=record
        )
        return "dispute lost"
    donation_transition(
        donation=donation,
        to_status=DonationStatus.PAID,
        at=at,
        event=record,
        note="Contestation gagnée",
    )
    return "dispute won"


SUBSCRIPTION_STATUS = {
    "customer.subscription.deleted": RecurringStatus.CANCELLED,
    "customer.subscription.paused": RecurringStatus.PAUSED,
    "customer.subscription.resumed": RecurringStatus.ACTIVE,
    "customer.subscription.updated": "",  # read from the subscription itself
}


def _updated_status(subscription: dict[str, Any]) -> str:
    # Pausing or resuming collection from Stripe's dashboard arrives as an update.
    if subscription.get("status") == "canceled":
        return RecurringStatus.CANCELLED
    if subscription.get("pause_collection"):
        return RecurringStatus.PAUSED
    if subscription.get("status") == "active":
        return RecurringStatus.ACTIVE
    return ""


def _subscription(record: ProviderEvent, kind: str, subscription: dict[str, Any]) -> str:
    recurring = _recurring_for(subscription, str(subscription.get("id") or ""))
    if recurring is None:
        return "ignored: unknown monthly gift"
    to_status = SUBSCRIPTION_STATUS[kind] or _updated_status(subscription)
    if not to_status:
        return "ignored: nothing to change"
    latest = recurring.changes.order_by("-at").values_list("at", flat=True).first()
    if latest is not None and record.occurred_at is not None and record.occurred_at < latest:
        return "ignored: older than the last change"  # deliveries out of order
    if to_status == RecurringStatus.ACTIVE and recurring.status == RecurringStatus.PENDING:
        return "ignored: not started yet"
    recurring_record_status(
        recurring=recurring, to_status=to_status, at=_event_time(record), note="Stripe"
    )
    return f"monthly gift {to_status}"


def stripe_event_apply(record: ProviderEvent) -> str:
    """Apply one stored Stripe event to its gift or monthly gift; return what happened."""
    kind = record.kind
    obj = (record.payload.get("data") or {}).get("object") or {}
    if kind.startswith("checkout.session."):
        return _session_apply(record, kind, obj)
    if kind == "invoice.paid":
        return _invoice_paid(record, obj)
    if kind == "invoice.payment_failed":
        return _invoice_failed(record, obj)
    if kind == "charge.refunded":
        return _charge_refunded(record, obj)
    if kind in ("charge.dispute.created", "charge.dispute.closed"):
        return _dispute(record, kind, obj)
    if kind in SUBSCRIPTION_STATUS:
        return _subscription(record, kind, obj)
    return "ignored: event type not used"


# --- HelloAsso ----------------------------------------------------------------------------


def _helloasso_candidate(body: dict[str, Any]) -> Donation | None:
    """Find the gift a notification names (by our code, else by the checkout's id)."""
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    assert isinstance(data, dict)
    code = _meta(body, ("metadata", "donation")) or _meta(data, ("metadata", "donation"))
    if code:
        return Donation.objects.filter(code=code, provider=Provider.HELLOASSO).first()
    intent_id = _meta(data, ("checkoutIntentId",), ("order", "checkoutIntentId"))
    if intent_id.isdigit():
        return Donation.objects.filter(
            provider=Provider.HELLOASSO, provider_reference=intent_id
        ).first()
    return None


def helloasso_state(intent: dict[str, Any]) -> str:
    """Return paid, refunded, disputed, failed or pending from the API's own answer."""
    from .providers.helloasso import (
        DISPUTED_STATES,
        FAILED_STATES,
        PAID_STATES,
        REFUNDED_STATES,
        order_payments,
    )

    states = {str(p.get("state")) for p in order_payments(intent)}
    if states & REFUNDED_STATES:
        return "refunded"
    if states & DISPUTED_STATES:
        return "disputed"
    if states & PAID_STATES:
        return "paid"
    if states and states <= FAILED_STATES:
        return "failed"
    return "pending"


def helloasso_apply(donation: Donation, state: str, record: ProviderEvent) -> str:
    """Bring a gift to the state HelloAsso's API reports."""
    at = _event_time(record)
    current = Donation.objects.get(pk=donation.pk)
    if state == "failed":
        donation_mark_failed(donation=current, at=at, event=record, note="Refusé par HelloAsso")
        return "failed"
    if current.status in (DonationStatus.PENDING, DonationStatus.FAILED):
        # Refunded or contested says the money was taken first: the history shows both steps.
        current = donation_mark_paid(
            donation=current, at=at, payment_method=PaymentMethod.CARD, event=record
        )
    if state == "refunded" and current.status in (DonationStatus.PAID, DonationStatus.DISPUTED):
        donation_refund(
            actor=None, donation=current, note="Remboursé par HelloAsso", at=at, event=record
        )
        return "refunded"
    if state == "disputed" and current.status == DonationStatus.PAID:
        donation_transition(
            donation=current,
            to_status=DonationStatus.DISPUTED,
            at=at,
            event=record,
            note="Paiement contesté",
        )
        return "disputed"
    if state == "paid" and current.status == DonationStatus.DISPUTED:
        donation_transition(
            donation=current, to_status=DonationStatus.PAID, at=at, event=record, note="HelloAsso"
        )
    return state


@csrf_exempt
@require_POST
def helloasso_webhook(request: HttpRequest) -> HttpResponse:
    """Receive a HelloAsso notification: ask the API what really happened, then apply it."""
    from .providers.helloasso import HelloAssoProvider, checkout_intent

    if not HelloAssoProvider().is_configured():
        return HttpResponse("not configured", status=400, content_type="text/plain")
    try:
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise TypeError
    except (ValueError, TypeError):
        return HttpResponse("invalid payload", status=400, content_type="text/plain")
    donation = _helloasso_candidate(body)
    if donation is None or not donation.provider_reference.isdigit():
        return HttpResponse("ignored", status=200, content_type="text/plain")
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    named = _meta(data or {}, ("checkoutIntentId",), ("order", "checkoutIntentId"))
    # The gift's current checkout, and an older one the notification names (a retry after
    # HelloAsso's page expired opens a new checkout; the old one may still have been paid).
    intent_ids = [donation.provider_reference]
    if named.isdigit() and named != donation.provider_reference:
        intent_ids.append(named)
    intent_id, intent, state = "", {}, "pending"
    for candidate in intent_ids:
        try:
            answer = checkout_intent(candidate)
        except ProviderUnavailable:
            # HelloAsso is down: a 503 asks it to notify again; nothing was stored.
            return HttpResponse("provider unavailable", status=503, content_type="text/plain")
        owner = _meta(answer, ("metadata", "donation"))
        if owner != donation.code and (owner or candidate != donation.provider_reference):
            continue  # the API says this checkout is not this gift's
        intent_id, intent, state = candidate, answer, helloasso_state(answer)
        if state != "pending":
            break
    if state == "pending":
        return HttpResponse("pending", status=200, content_type="text/plain")
    outcome = event_process(
        provider=Provider.HELLOASSO,
        # What the API confirmed, not what the body claimed: a forged body cannot take an id.
        event_id=f"{intent_id}:{state}",
        kind=str(body.get("eventType") or "")[:100],
        occurred_at=timezone.now(),
        payload={"notification": body, "api": intent},
        apply=lambda record: helloasso_apply(donation, state, record),
    )
    return HttpResponse(outcome, status=200, content_type="text/plain")
