"""Stripe webhooks: signatures, each event once, every event kind, any order of arrival."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from essaim.giving.models import (
    Donation,
    DonationChange,
    DonationStatus,
    Frequency,
    Provider,
    ProviderEvent,
    Receipt,
    ReceiptStatus,
    RecurringGift,
    RecurringStatus,
)
from essaim.giving.webhooks import stripe_signature_valid
from tests.giving.factories import DonationFactory, RecurringGiftFactory

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_secret"
URL = "/paiements/webhooks/stripe/"


@pytest.fixture(autouse=True)
def _stripe_keys(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = SECRET


def sign(payload: bytes, *, secret: str = SECRET, at: int | None = None) -> str:
    timestamp = str(at if at is not None else int(time.time()))
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


_counter = iter(range(10**6))


def event(
    kind: str, obj: dict[str, Any], *, event_id: str = "", created: int = 0
) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{next(_counter)}",
        "type": kind,
        "created": created or int(time.time()),
        "data": {"object": obj},
    }


def post(client: Client, body: dict[str, Any], **sign_options: Any) -> Any:
    payload = json.dumps(body).encode()
    return client.post(
        URL,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, **sign_options),
    )


def stripe_gift(**fields: Any) -> Donation:
    options = {"provider": Provider.STRIPE, "provider_reference": "cs_test_1", "given_on": None}
    options.update(fields)
    return DonationFactory(**options)


def session(donation: Donation, **fields: Any) -> dict[str, Any]:
    obj = {
        "id": donation.provider_reference,
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "status": "complete",
        "payment_intent": "pi_1",
        "client_reference_id": donation.code,
        "metadata": {"donation": donation.code},
    }
    obj.update(fields)
    return obj


def charge(**fields: Any) -> dict[str, Any]:
    obj = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "refunded": True}
    obj.update(fields)
    return obj


def status(donation: Donation) -> str:
    return Donation.objects.get(pk=donation.pk).status


# --- Signatures ------------------------------------------------------------------------


def test_signature_check_accepts_the_right_secret_only() -> None:
    payload = b'{"id": "evt"}'
    now = int(time.time())
    assert stripe_signature_valid(payload, sign(payload, at=now), SECRET, now=now)
    assert not stripe_signature_valid(payload, sign(payload, secret="other", at=now), SECRET)
    assert not stripe_signature_valid(payload + b" ", sign(payload, at=now), SECRET, now=now)
    assert not stripe_signature_valid(payload, sign(payload, at=now - 301), SECRET, now=now)
    assert stripe_signature_valid(payload, sign(payload, at=now - 299), SECRET, now=now)
    assert not stripe_signature_valid(payload, "", SECRET)
    assert not stripe_signature_valid(payload, "t=abc,v1=00", SECRET)
    assert not stripe_signature_valid(payload, sign(payload, at=now), "", now=now)


def test_forged_signature_gets_400_and_stores_nothing(client: Client) -> None:
    donation = stripe_gift()
    body = event("checkout.session.completed", session(donation))
    response = post(client, body, secret="whsec_forged")
    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()
    assert status(donation) == DonationStatus.PENDING


def test_stale_signature_gets_400(client: Client) -> None:
    donation = stripe_gift()
    response = post(
        client, event("checkout.session.completed", session(donation)), at=int(time.time()) - 600
    )
    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()


def test_unsigned_or_malformed_bodies_get_400(client: Client) -> None:
    assert client.post(URL, data=b"{}", content_type="application/json").status_code == 400
    payload = b"not json"
    response = client.post(
        URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
    )
    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()


def test_get_is_refused(client: Client) -> None:
    assert client.get(URL).status_code == 405


# --- One-off gifts -----------------------------------------------------------------------


def test_completed_session_pays_the_gift(client: Client) -> None:
    donation = stripe_gift()
    response = post(client, event("checkout.session.completed", session(donation)))
    assert response.status_code == 200
    paid = Donation.objects.get(pk=donation.pk)
    assert paid.status == DonationStatus.PAID
    assert paid.provider_reference == "pi_1"
    record = ProviderEvent.objects.get()
    assert record.processed_at is not None
    assert record.outcome == "paid"
    assert paid.changes.filter(to_status=DonationStatus.PAID, event=record).exists()
    assert Receipt.objects.filter(donations=paid).count() == 1


def test_replayed_event_changes_nothing(client: Client) -> None:
    donation = stripe_gift()
    body = event("checkout.session.completed", session(donation), event_id="evt_same")
    assert post(client, body).status_code == 200
    response = post(client, body)
    assert response.status_code == 200
    assert response.content == b"replay"
    assert ProviderEvent.objects.count() == 1
    assert DonationChange.objects.filter(to_status=DonationStatus.PAID).count() == 1
    assert Receipt.objects.count() == 1


def test_a_second_event_for_the_same_payment_pays_nothing_more(client: Client) -> None:
    donation = stripe_gift()
    post(client, event("checkout.session.completed", session(donation)))
    post(client, event("checkout.session.async_payment_succeeded", session(donation)))
    assert DonationChange.objects.filter(to_status=DonationStatus.PAID).count() == 1
    assert Receipt.objects.count() == 1


def test_unpaid_completed_session_waits_for_the_bank(client: Client) -> None:
    donation = stripe_gift()
    post(client, event("checkout.session.completed", session(donation, payment_status="unpaid")))
    assert status(donation) == DonationStatus.PENDING
    post(client, event("checkout.session.async_payment_succeeded", session(donation)))
    assert status(donation) == DonationStatus.PAID


def test_async_failure_fails_the_gift(client: Client) -> None:
    donation = stripe_gift()
    post(client, event("checkout.session.async_payment_failed", session(donation)))
    assert status(donation) == DonationStatus.FAILED


def test_expired_after_completed_changes_nothing(client: Client) -> None:
    donation = stripe_gift()
    post(client, event("checkout.session.completed", session(donation)))
    post(client, event("checkout.session.expired", session(donation, status="expired")))
    assert status(donation) == DonationStatus.PAID


def test_expired_session_fails_then_late_payment_wins(client: Client) -> None:
    donation = stripe_gift()
    post(client, event("checkout.session.expired", session(donation, status="expired")))
    assert status(donation) == DonationStatus.FAILED
    post(client, event("checkout.session.async_payment_succeeded", session(donation)))
    assert status(donation) == DonationStatus.PAID


def test_unknown_gift_is_stored_and_ignored(client: Client) -> None:
    body = event("checkout.session.completed", {"id": "cs_x", "metadata": {"donation": "nope"}})
    response = post(client, body)
    assert response.status_code == 200
    assert ProviderEvent.objects.get().outcome.startswith("ignored")


def test_unused_event_type_is_ignored(client: Client) -> None:
    assert post(client, event("customer.created", {"id": "cus_1"})).status_code == 200
    assert ProviderEvent.objects.get().outcome == "ignored: event type not used"


# --- Refunds and disputes --------------------------------------------------------------


def test_refund_after_payment_cancels_the_receipt(client: Client) -> None:
    donation = stripe_gift()
    post(client, event("checkout.session.completed", session(donation)))
    post(client, event("charge.refunded", charge()))
    assert status(donation) == DonationStatus.REFUNDED
    assert Receipt.objects.get(donations=donation).status == ReceiptStatus.CANCELLED


def test_refund_before_the_payment_event_waits_then_applies(client: Client) -> None:
    donation = stripe_gift()
    now = int(time.time())
    post(
        client, event("charge.refunded", charge(metadata={"donation": donation.code}), created=now)
    )
    waiting = ProviderEvent.objects.get(kind="charge.refunded")
    assert waiting.outcome == f"deferred:{donation.code}"
    assert waiting.processed_at is None
    assert status(donation) == DonationStatus.PENDING
    post(client, event("checkout.session.completed", session(donation), created=now - 5))
    assert status(donation) == DonationStatus.REFUNDED
    waiting.refresh_from_db()
    assert waiting.processed_at is not None
    assert waiting.outcome == "refunded"
    kinds = list(donation.changes.values_list("to_status", flat=True))
    assert kinds == [DonationStatus.PAID, DonationStatus.REFUNDED]


def test_refund_of_an_unknown_payment_waits_by_its_reference(client: Client) -> None:
    donation = stripe_gift()
    post(client, event("charge.refunded", charge(payment_intent="pi_later")))
    assert ProviderEvent.objects.get().outcome == "deferred:pi_later"
    post(client, event("checkout.session.completed", session(donation, payment_intent="pi_later")))
    assert status(donation) == DonationStatus.REFUNDED


def test_payment_event_after_the_refund_changes_nothing(client: Client) -> None:
    donation = stripe_gift()
    post(client, event("checkout.session.completed", session(donation)))
    post(client, event("charge.refunded", charge()))
    post(client, event("checkout.session.async_payment_succeeded", session(donation)))
    assert status(donation) == DonationStatus.REFUNDED
    assert DonationChange.objects.filter(to_status=DonationStatus.PAID).count() == 1


def test_partial_refund_keeps_the_gift_paid(client: Client) -> None:
    donation = stripe_gift()
    post(client, event("checkout.session.completed", session(donation)))
    post(client, event("charge.refunded", charge(refunded=False, amount_refunded=100)))
    assert status(donation) == DonationStatus.PAID
    assert "partial" in ProviderEvent.objects.get(kind="charge.refunded").outcome


def dispute(**fields: Any) -> dict[str, Any]:
    obj = {"id": "dp_1", "object": "dispute", "charge": "ch_1", "payment_intent": "pi_1"}
    obj.update(fields)
    return obj


def test_dispute_won_returns_to_paid(client: Client) -> None:
    donation = stripe_gift()
    post(client, event("checkout.session.completed", session(donation)))
    post(client, event("charge.dispute.created", dispute(status="needs_response")))
    assert status(donation) == DonationStatus.DISPUTED
    post(client, event("charge.dispute.closed", dispute(status="won")))
    assert status(donation) == DonationStatus.PAID
    assert Receipt.objects.get(donations=donation).status == ReceiptStatus.ISSUED


def test_dispute_lost_refunds_and_cancels_the_receipt(client: Client) -> None:
    donation = stripe_gift()
    post(client, event("checkout.session.completed", session(donation)))
    post(client, event("charge.dispute.created", dispute(status="needs_response")))
    post(client, event("charge.dispute.closed", dispute(status="lost")))
    assert status(donation) == DonationStatus.REFUNDED
    assert Receipt.objects.get(donations=donation).status == ReceiptStatus.CANCELLED


def test_dispute_before_payment_waits(client: Client) -> None:
    donation = stripe_gift()
    post(client, event("charge.dispute.created", dispute()))
    assert status(donation) == DonationStatus.PENDING
    post(client, event("checkout.session.completed", session(donation)))
    assert status(donation) == DonationStatus.DISPUTED


def test_dispute_on_a_refunded_gift_is_ignored(client: Client) -> None:
    donation = stripe_gift()
    post(client, event("checkout.session.completed", session(donation)))
    post(client, event("charge.refunded", charge()))
    response = post(client, event("charge.dispute.created", dispute()))
    assert response.status_code == 200
    assert status(donation) == DonationStatus.REFUNDED


# --- Monthly gifts ---------------------------------------------------------------------


def monthly_gift() -> tuple[RecurringGift, Donation]:
    recurring = RecurringGiftFactory(
        provider=Provider.STRIPE, status=RecurringStatus.PENDING, next_payment_on=None
    )
    first = stripe_gift(
        person=recurring.person, recurring=recurring, frequency=Frequency.MONTHLY, amount_cents=2000
    )
    return recurring, first


def invoice(recurring: RecurringGift, invoice_id: str, **fields: Any) -> dict[str, Any]:
    obj = {
        "id": invoice_id,
        "object": "invoice",
        "subscription": "sub_1",
        "amount_paid": 2000,
        "payment_intent": f"pi_{invoice_id}",
        "subscription_details": {"metadata": {"recurring": recurring.code}},
    }
    obj.update(fields)
    return obj


def test_monthly_checkout_links_the_subscription_and_invoices_pay_each_month(
    client: Client,
) -> None:
    recurring, first = monthly_gift()
    post(
        client,
        event(
            "checkout.session.completed",
            session(first, mode="subscription", subscription="sub_1", payment_intent=None),
        ),
    )
    assert RecurringGift.objects.get(pk=recurring.pk).provider_reference == "sub_1"
    assert status(first) == DonationStatus.PENDING  # paid by the invoice, not the session
    post(client, event("invoice.paid", invoice(recurring, "in_1")))
    assert status(first) == DonationStatus.PAID
    assert RecurringGift.objects.get(pk=recurring.pk).status == RecurringStatus.ACTIVE
    post(client, event("invoice.paid", invoice(recurring, "in_2")))
    post(client, event("invoice.paid", invoice(recurring, "in_2")))  # another delivery, new id
    payments = Donation.objects.filter(recurring=recurring, status=DonationStatus.PAID)
    assert payments.count() == 2
    assert not Receipt.objects.exists()  # monthly gifts get the annual receipt


def test_invoice_before_the_session_event_still_finds_the_schedule(client: Client) -> None:
    recurring, first = monthly_gift()
    post(client, event("invoice.paid", invoice(recurring, "in_1")))
    assert status(first) == DonationStatus.PAID
    assert RecurringGift.objects.get(pk=recurring.pk).provider_reference == "sub_1"


def test_first_invoice_failing_fails_the_first_gift(client: Client) -> None:
    recurring, first = monthly_gift()
    post(client, event("invoice.payment_failed", invoice(recurring, "in_1", amount_paid=0)))
    assert status(first) == DonationStatus.FAILED


def test_refund_of_a_monthly_payment(client: Client) -> None:
    recurring, _first = monthly_gift()
    post(client, event("invoice.paid", invoice(recurring, "in_1")))
    post(client, event("invoice.paid", invoice(recurring, "in_2")))
    post(client, event("charge.refunded", charge(payment_intent="pi_in_2")))
    second = Donation.objects.get(recurring=recurring, provider_reference="pi_in_2")
    assert second.status == DonationStatus.REFUNDED
    assert Donation.objects.filter(recurring=recurring, status=DonationStatus.PAID).count() == 1


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("customer.subscription.deleted", RecurringStatus.CANCELLED),
        ("customer.subscription.paused", RecurringStatus.PAUSED),
    ],
)
def test_subscription_changes_made_at_stripe(client: Client, kind: str, expected: str) -> None:
    recurring = RecurringGiftFactory(provider=Provider.STRIPE, provider_reference="sub_9")
    post(client, event(kind, {"id": "sub_9", "object": "subscription", "metadata": {}}))
    assert RecurringGift.objects.get(pk=recurring.pk).status == expected
    assert recurring.changes.filter(to_status=expected).exists()


def test_subscription_resumed_at_stripe(client: Client) -> None:
    recurring = RecurringGiftFactory(
        provider=Provider.STRIPE, provider_reference="sub_9", status=RecurringStatus.PAUSED
    )
    post(client, event("customer.subscription.resumed", {"id": "sub_9", "metadata": {}}))
    assert RecurringGift.objects.get(pk=recurring.pk).status == RecurringStatus.ACTIVE


def test_subscription_deleted_twice_is_harmless(client: Client) -> None:
    recurring = RecurringGiftFactory(provider=Provider.STRIPE, provider_reference="sub_9")
    post(client, event("customer.subscription.deleted", {"id": "sub_9"}))
    post(client, event("customer.subscription.deleted", {"id": "sub_9"}))
    assert recurring.changes.count() == 1


def test_webhook_url_name() -> None:
    assert reverse("payments:stripe_webhook") == URL


def test_pause_and_resume_from_the_dashboard_arrive_as_updates(client: Client) -> None:
    recurring = RecurringGiftFactory(provider=Provider.STRIPE, provider_reference="sub_9")
    now = int(time.time())
    paused = {"id": "sub_9", "status": "active", "pause_collection": {"behavior": "void"}}
    post(client, event("customer.subscription.updated", paused, created=now))
    assert RecurringGift.objects.get(pk=recurring.pk).status == RecurringStatus.PAUSED
    resumed = {"id": "sub_9", "status": "active", "pause_collection": None}
    post(client, event("customer.subscription.updated", resumed, created=now + 60))
    assert RecurringGift.objects.get(pk=recurring.pk).status == RecurringStatus.ACTIVE
    # An older update delivered late changes nothing.
    post(client, event("customer.subscription.updated", paused, created=now + 30))
    assert RecurringGift.objects.get(pk=recurring.pk).status == RecurringStatus.ACTIVE


def test_invoice_of_newer_api_versions_names_its_payment_in_a_list(client: Client) -> None:
    recurring, first = monthly_gift()
    newer = invoice(recurring, "in_7", payment_intent=None, subscription=None)
    newer["subscription_details"] = None
    newer["parent"] = {
        "subscription_details": {"subscription": "sub_1", "metadata": {"recurring": recurring.code}}
    }
    newer["payments"] = {"data": [{"payment": {"payment_intent": "pi_new"}}]}
    post(client, event("invoice.paid", newer))
    paid = Donation.objects.get(pk=first.pk)
    assert paid.status == DonationStatus.PAID
    assert paid.provider_reference == "pi_new"
    assert RecurringGift.objects.get(pk=recurring.pk).provider_reference == "sub_1"
    post(client, event("charge.refunded", charge(payment_intent="pi_new")))
    assert status(first) == DonationStatus.REFUNDED


def test_expiry_of_a_replaced_session_does_not_fail_the_gift(client: Client) -> None:
    donation = stripe_gift(provider_reference="cs_test_2")  # cs_test_1 expired, replaced
    post(client, event("checkout.session.expired", session(donation, id="cs_test_1")))
    assert status(donation) == DonationStatus.PENDING
    post(client, event("checkout.session.expired", session(donation, id="cs_test_2")))
    assert status(donation) == DonationStatus.FAILED


def test_subscription_of_a_gift_stopped_before_payment_is_cancelled_at_stripe(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from essaim.giving.providers import StripeProvider

    recurring, first = monthly_gift()
    RecurringGift.objects.filter(pk=recurring.pk).update(status=RecurringStatus.CANCELLED)
    cancelled: list[str] = []
    monkeypatch.setattr(
        StripeProvider,
        "schedule_cancel",
        lambda self, recurring: cancelled.append(recurring.provider_reference),
    )
    post(
        client,
        event(
            "checkout.session.completed",
            session(first, mode="subscription", subscription="sub_late", payment_intent=None),
        ),
    )
    assert cancelled == ["sub_late"]
    assert RecurringGift.objects.get(pk=recurring.pk).status == RecurringStatus.CANCELLED
