"""HelloAsso notifications: the body only names a gift; HelloAsso's API says what happened."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from essaim.giving.models import (
    Donation,
    DonationChange,
    DonationStatus,
    Provider,
    ProviderEvent,
    Receipt,
    ReceiptStatus,
)
from essaim.giving.providers import ProviderUnavailable
from tests.giving.factories import DonationFactory

pytestmark = pytest.mark.django_db

URL = "/paiements/webhooks/helloasso/"


@pytest.fixture(autouse=True)
def _configured(settings: Any) -> None:
    settings.HELLOASSO_CLIENT_ID = "client"
    settings.HELLOASSO_CLIENT_SECRET = "secret"
    settings.HELLOASSO_ORGANIZATION_SLUG = "mon-asso"


class Api:
    """What HelloAsso's API answers about checkout intents (set per test)."""

    def __init__(self) -> None:
        self.intents: dict[str, Any] = {}
        self.asked: list[str] = []

    def __call__(self, intent_id: str) -> dict[str, Any]:
        self.asked.append(intent_id)
        answer = self.intents[intent_id]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Api:
    fake = Api()
    monkeypatch.setattr("essaim.giving.providers.helloasso.checkout_intent", fake)
    return fake


def gift() -> Donation:
    return DonationFactory(provider=Provider.HELLOASSO, provider_reference="321", given_on=None)


def intent(donation: Donation, *states: str) -> dict[str, Any]:
    answer: dict[str, Any] = {"id": 321, "metadata": {"donation": donation.code}}
    if states:
        answer["order"] = {
            "id": 77,
            "payments": [{"id": 900 + i, "state": s} for i, s in enumerate(states)],
        }
    return answer


def notify(client: Client, body: dict[str, Any]) -> Any:
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def order_body(donation: Donation, **extra: Any) -> dict[str, Any]:
    body = {
        "eventType": "Order",
        "data": {"id": 77, "checkoutIntentId": 321, "amount": {"total": 3000}},
        "metadata": {"donation": donation.code},
    }
    body.update(extra)
    return body


def status(donation: Donation) -> str:
    return Donation.objects.get(pk=donation.pk).status


def test_paid_order_confirmed_by_the_api(client: Client, api: Api) -> None:
    donation = gift()
    api.intents["321"] = intent(donation, "Authorized")
    response = notify(client, order_body(donation))
    assert response.status_code == 200
    assert api.asked == ["321"]
    paid = Donation.objects.get(pk=donation.pk)
    assert paid.status == DonationStatus.PAID
    assert paid.provider_reference == "321"  # the intent stays the way to ask again
    record = ProviderEvent.objects.get()
    assert record.event_id == "321:paid"
    assert Receipt.objects.filter(donations=paid).exists()


def test_body_claiming_payment_is_not_trusted(client: Client, api: Api) -> None:
    donation = gift()
    api.intents["321"] = intent(donation)  # no order: nothing was paid
    body = order_body(donation)
    body["data"]["payments"] = [{"state": "Authorized"}]
    response = notify(client, body)
    assert response.status_code == 200
    assert status(donation) == DonationStatus.PENDING
    assert not ProviderEvent.objects.exists()


def test_intent_of_another_gift_is_ignored(client: Client, api: Api) -> None:
    donation = gift()
    other = intent(donation, "Authorized")
    other["metadata"] = {"donation": "someone-else"}
    api.intents["321"] = other
    notify(client, order_body(donation))
    assert status(donation) == DonationStatus.PENDING
    assert not ProviderEvent.objects.exists()


def test_unknown_gift_is_ignored_without_asking(client: Client, api: Api) -> None:
    response = notify(client, {"eventType": "Order", "data": {}, "metadata": {"donation": "x"}})
    assert response.status_code == 200
    assert api.asked == []


def test_gift_found_by_the_checkout_id(client: Client, api: Api) -> None:
    donation = gift()
    api.intents["321"] = intent(donation, "Authorized")
    notify(client, {"eventType": "Order", "data": {"checkoutIntentId": 321}})
    assert status(donation) == DonationStatus.PAID


def test_repeated_notification_changes_nothing(client: Client, api: Api) -> None:
    donation = gift()
    api.intents["321"] = intent(donation, "Authorized")
    notify(client, order_body(donation))
    response = notify(client, {**order_body(donation), "eventType": "Payment"})
    assert response.content == b"replay"
    assert DonationChange.objects.filter(to_status=DonationStatus.PAID).count() == 1
    assert Receipt.objects.count() == 1


def test_refund_reported_by_the_api(client: Client, api: Api) -> None:
    donation = gift()
    api.intents["321"] = intent(donation, "Authorized")
    notify(client, order_body(donation))
    api.intents["321"] = intent(donation, "Refunded")
    notify(
        client,
        {"eventType": "Payment", "data": {"id": 900}, "metadata": {"donation": donation.code}},
    )
    assert status(donation) == DonationStatus.REFUNDED
    assert Receipt.objects.get(donations=donation).status == ReceiptStatus.CANCELLED


def test_refund_seen_before_the_payment_records_both(client: Client, api: Api) -> None:
    donation = gift()
    api.intents["321"] = intent(donation, "Refunded")
    notify(client, order_body(donation))
    assert status(donation) == DonationStatus.REFUNDED
    steps = list(Donation.objects.get(pk=donation.pk).changes.values_list("to_status", flat=True))
    assert steps == [DonationStatus.PAID, DonationStatus.REFUNDED]
    # The payment notification arriving late changes nothing.
    api.intents["321"] = intent(donation, "Refunded")
    notify(client, order_body(donation))
    assert status(donation) == DonationStatus.REFUNDED


def test_refused_payment_fails_the_gift(client: Client, api: Api) -> None:
    donation = gift()
    api.intents["321"] = intent(donation, "Refused")
    notify(client, order_body(donation))
    assert status(donation) == DonationStatus.FAILED


def test_contested_payment(client: Client, api: Api) -> None:
    donation = gift()
    api.intents["321"] = intent(donation, "Authorized")
    notify(client, order_body(donation))
    api.intents["321"] = intent(donation, "Contested")
    notify(client, order_body(donation))
    assert status(donation) == DonationStatus.DISPUTED


def test_api_down_answers_503_and_stores_nothing(client: Client, api: Api) -> None:
    donation = gift()
    api.intents["321"] = ProviderUnavailable()
    response = notify(client, order_body(donation))
    assert response.status_code == 503
    assert not ProviderEvent.objects.exists()
    assert status(donation) == DonationStatus.PENDING
    api.intents["321"] = intent(donation, "Authorized")
    assert notify(client, order_body(donation)).status_code == 200
    assert status(donation) == DonationStatus.PAID


def test_not_configured_or_malformed(client: Client, settings: Any) -> None:
    assert client.post(URL, data="nope", content_type="application/json").status_code == 400
    settings.HELLOASSO_CLIENT_ID = ""
    assert notify(client, {"eventType": "Order"}).status_code == 400
    assert client.get(URL).status_code == 405


def test_payment_of_an_older_checkout_of_the_same_gift(client: Client, api: Api) -> None:
    donation = gift()  # its current checkout is 321, the donor paid an older one (111)
    api.intents["321"] = intent(donation)
    older = intent(donation, "Authorized")
    older["id"] = 111
    api.intents["111"] = older
    notify(
        client,
        {
            "eventType": "Order",
            "data": {"checkoutIntentId": 111},
            "metadata": {"donation": donation.code},
        },
    )
    assert status(donation) == DonationStatus.PAID
    assert ProviderEvent.objects.get().event_id == "111:paid"


def test_older_checkout_of_another_gift_is_ignored(client: Client, api: Api) -> None:
    donation = gift()
    api.intents["321"] = intent(donation)
    stranger = intent(donation, "Authorized")
    stranger["metadata"] = {"donation": "another-gift"}
    api.intents["111"] = stranger
    notify(
        client,
        {
            "eventType": "Order",
            "data": {"checkoutIntentId": 111},
            "metadata": {"donation": donation.code},
        },
    )
    assert status(donation) == DonationStatus.PENDING
    assert not ProviderEvent.objects.exists()
