"""Providers: which are offered, Stripe and HelloAsso checkouts (no network), provider outages."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import stripe
from django.core.exceptions import ValidationError

from essaim.giving import providers, services
from essaim.giving.inputs import DonorInput, GiftSource
from essaim.giving.models import Donation, DonationStatus, Frequency, Provider
from essaim.giving.providers import ProviderUnavailable
from tests.giving.factories import GivingPageFactory

pytestmark = pytest.mark.django_db

DONOR = DonorInput(
    given_name="Camille",
    family_name="Martin",
    email="camille@example.org",
    address_line1="3 rue des Lilas",
    postal_code="69001",
    city="Lyon",
)


def start(provider: str, key: str = "k1", **overrides: Any) -> services.CheckoutStart:
    options: dict[str, Any] = {
        "donor": DONOR,
        "amount_cents": 4000,
        "frequency": Frequency.ONE_OFF,
        "provider": provider,
        "idempotency_key": key,
        "source": GiftSource(page=overrides.pop("page", None) or GivingPageFactory()),
        "wants_receipt": True,
        "consent_news": False,
        "return_url": "https://asso.example/don/merci/{code}/",
        "cancel_url": "https://asso.example/don/",
    }
    options.update(overrides)
    return services.donation_start(**options)


@pytest.fixture
def stripe_on(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"


@pytest.fixture
def helloasso_on(settings: Any) -> None:
    settings.HELLOASSO_CLIENT_ID = "client"
    settings.HELLOASSO_CLIENT_SECRET = "secret"
    settings.HELLOASSO_ORGANIZATION_SLUG = "mon-asso"
    settings.HELLOASSO_API_URL = "https://api.helloasso.test"


# --- Which providers are offered --------------------------------------------------------


def names(frequency: str | None = None) -> list[str]:
    return [p.name for p in providers.available(frequency)]


def test_demo_only_when_nothing_is_configured() -> None:
    assert names() == ["demo"]
    assert providers.get("demo") is not None
    assert providers.get("paypal") is None


def test_configured_providers_replace_the_demo(stripe_on: None, helloasso_on: None) -> None:
    assert names() == ["stripe", "helloasso"]
    assert names(Frequency.MONTHLY) == ["stripe"]


def test_demo_joins_when_asked(stripe_on: None, settings: Any) -> None:
    settings.ESSAIM_GIVING_DEMO = True
    assert names() == ["stripe", "demo"]


def test_helloasso_alone_offers_no_monthly_gift(helloasso_on: None) -> None:
    assert names(Frequency.MONTHLY) == []
    with pytest.raises(ValidationError) as caught:
        start("helloasso", frequency=Frequency.MONTHLY)
    assert "mensuels" in " ".join(caught.value.messages)
    assert not Donation.objects.exists()


def test_demo_is_refused_once_a_real_provider_is_configured(stripe_on: None) -> None:
    with pytest.raises(ValidationError):
        start("demo")
    assert not Donation.objects.exists()


# --- Stripe -----------------------------------------------------------------------------


class FakeStripe:
    """Stands in for Stripe's HTTP layer: records requests, answers from a queue."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any], dict[str, str]]] = []
        self.answers: list[Any] = []

    def request(
        self, method: str, url: str, headers: Any, post_data: Any = None, **_: Any
    ) -> tuple[bytes, int, dict[str, str]]:
        raw = post_data.decode() if isinstance(post_data, bytes) else post_data or ""
        data = parse_qs(raw, keep_blank_values=True)
        self.calls.append((method, url, {k: v[0] for k, v in data.items()}, dict(headers or {})))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return json.dumps(answer).encode(), 200, {}


@pytest.fixture
def fake_stripe(monkeypatch: pytest.MonkeyPatch, stripe_on: None) -> FakeStripe:
    fake = FakeStripe()
    monkeypatch.setattr(
        stripe.RequestsClient, "request", lambda self, *a, **k: fake.request(*a, **k)
    )
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # Stripe's retry back-off
    return fake


def cs(session_id: str = "cs_test_1", status: str = "open") -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        "status": status,
    }


def test_stripe_one_off_checkout(fake_stripe: FakeStripe) -> None:
    fake_stripe.answers = [cs()]
    result = start("stripe")
    assert result.redirect_url == "https://checkout.stripe.com/c/pay/cs_test_1"
    assert result.donation.provider == Provider.STRIPE
    assert result.donation.provider_reference == "cs_test_1"
    method, url, params, headers = fake_stripe.calls[0]
    assert method == "post"
    assert url.endswith("/v1/checkout/sessions")
    assert params["mode"] == "payment"
    assert params["line_items[0][price_data][unit_amount]"] == "4000"
    assert params["line_items[0][price_data][currency]"] == "eur"
    assert params["metadata[donation]"] == result.donation.code
    assert params["payment_intent_data[metadata][donation]"] == result.donation.code
    assert params["success_url"] == f"https://asso.example/don/merci/{result.donation.code}/"
    assert params["customer_email"] == "camille@example.org"
    assert headers["Idempotency-Key"] == f"essaim-checkout-{result.donation.code}-first"


def test_stripe_monthly_checkout_is_a_subscription(fake_stripe: FakeStripe) -> None:
    fake_stripe.answers = [cs()]
    result = start("stripe", frequency=Frequency.MONTHLY)
    params = fake_stripe.calls[0][2]
    assert params["mode"] == "subscription"
    assert params["line_items[0][price_data][recurring][interval]"] == "month"
    assert result.recurring is not None
    assert params["subscription_data[metadata][recurring]"] == result.recurring.code


def test_stripe_retry_with_the_same_key_reuses_the_open_session(fake_stripe: FakeStripe) -> None:
    fake_stripe.answers = [cs(), cs()]
    first = start("stripe")
    second = start("stripe")
    assert second.donation.pk == first.donation.pk
    assert second.redirect_url == first.redirect_url
    assert [call[0] for call in fake_stripe.calls] == ["post", "get"]
    assert Donation.objects.count() == 1


def test_stripe_expired_session_is_replaced_with_a_new_key(fake_stripe: FakeStripe) -> None:
    fake_stripe.answers = [cs(), cs(status="expired"), cs("cs_test_2")]
    first = start("stripe")
    second = start("stripe")
    assert second.donation.pk == first.donation.pk
    assert second.redirect_url.endswith("cs_test_2")
    assert [call[0] for call in fake_stripe.calls] == ["post", "get", "post"]
    keys = [call[3]["Idempotency-Key"] for call in fake_stripe.calls if call[0] == "post"]
    assert keys == [
        f"essaim-checkout-{first.donation.code}-first",
        f"essaim-checkout-{first.donation.code}-cs_test_1",
    ]
    assert Donation.objects.get().provider_reference == "cs_test_2"


def test_stripe_down_keeps_the_pending_gift_and_the_retry_reuses_it(
    fake_stripe: FakeStripe,
) -> None:
    down = stripe.APIConnectionError("connection refused")
    fake_stripe.answers = [down, down, down, down]
    with pytest.raises(ProviderUnavailable) as caught:
        start("stripe")
    assert "ne répond pas" in caught.value.message
    pending = Donation.objects.get()
    assert pending.status == DonationStatus.PENDING
    assert pending.provider_reference == ""
    fake_stripe.answers = [cs()]
    again = start("stripe")
    assert again.donation.pk == pending.pk
    assert again.redirect_url.endswith("cs_test_1")
    assert Donation.objects.count() == 1


def test_stripe_pause_resume_cancel_call_the_api(fake_stripe: FakeStripe) -> None:
    from essaim.giving.models import RecurringStatus
    from essaim.giving.recurring import recurring_cancel, recurring_pause, recurring_resume
    from tests.giving.factories import RecurringGiftFactory

    recurring = RecurringGiftFactory(provider=Provider.STRIPE, provider_reference="sub_1")
    sub = {"id": "sub_1", "object": "subscription"}
    fake_stripe.answers = [sub, sub, sub]
    recurring_pause(recurring=recurring, by_donor=True)
    recurring_resume(recurring=recurring, by_donor=True)
    recurring_cancel(recurring=recurring, by_donor=True)
    (m1, u1, p1, _h1), (_m2, _u2, p2, _h2), (m3, u3, _p3, _h3) = fake_stripe.calls
    assert (m1, p1["pause_collection[behavior]"]) == ("post", "void")
    assert u1.endswith("/v1/subscriptions/sub_1")
    assert p2["pause_collection"] == ""
    assert m3 == "delete" and u3.endswith("/v1/subscriptions/sub_1")
    recurring.refresh_from_db()
    assert recurring.status == RecurringStatus.CANCELLED


def test_stripe_down_leaves_the_schedule_unchanged(fake_stripe: FakeStripe) -> None:
    from essaim.giving.models import RecurringStatus
    from essaim.giving.recurring import recurring_pause
    from tests.giving.factories import RecurringGiftFactory

    recurring = RecurringGiftFactory(provider=Provider.STRIPE, provider_reference="sub_1")
    down = stripe.APIConnectionError("down")
    fake_stripe.answers = [down, down, down]
    with pytest.raises(ProviderUnavailable):
        recurring_pause(recurring=recurring, by_donor=True)
    recurring.refresh_from_db()
    assert recurring.status == RecurringStatus.ACTIVE
    assert not recurring.changes.exists()


# --- HelloAsso --------------------------------------------------------------------------


class FakeHelloAsso:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.answers: list[Any] = []

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        self.calls.append((method, url, kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        return response


@pytest.fixture
def fake_helloasso(monkeypatch: pytest.MonkeyPatch, helloasso_on: None) -> FakeHelloAsso:
    fake = FakeHelloAsso()
    monkeypatch.setattr("essaim.giving.providers.helloasso.requests.request", fake.request)
    return fake


TOKEN = (200, {"access_token": "tok", "expires_in": 1800})
INTENT = (200, {"id": 321, "redirectUrl": "https://www.helloasso.test/checkout/321"})


def test_helloasso_checkout(fake_helloasso: FakeHelloAsso) -> None:
    fake_helloasso.answers = [TOKEN, INTENT]
    result = start("helloasso")
    assert result.redirect_url == "https://www.helloasso.test/checkout/321"
    assert result.donation.provider_reference == "321"
    (m1, u1, k1), (m2, u2, k2) = fake_helloasso.calls
    assert (m1, u1) == ("POST", "https://api.helloasso.test/oauth2/token")
    assert k1["data"]["grant_type"] == "client_credentials"
    assert (m2, u2) == (
        "POST",
        "https://api.helloasso.test/v5/organizations/mon-asso/checkout-intents",
    )
    assert k2["headers"]["Authorization"] == "Bearer tok"
    assert k2["timeout"] == 10
    body = k2["json"]
    assert body["totalAmount"] == body["initialAmount"] == 4000
    assert body["containsDonation"] is True
    assert body["metadata"] == {"donation": result.donation.code}
    assert body["payer"]["country"] == "FRA"
    assert body["returnUrl"] == f"https://asso.example/don/merci/{result.donation.code}/"


def test_helloasso_token_is_kept_between_calls(fake_helloasso: FakeHelloAsso) -> None:
    fake_helloasso.answers = [TOKEN, INTENT, INTENT]
    start("helloasso", key="a")
    start("helloasso", key="b")
    assert [url.rsplit("/", 1)[-1] for _m, url, _k in fake_helloasso.calls] == [
        "token",
        "checkout-intents",
        "checkout-intents",
    ]


@pytest.mark.parametrize(
    "failure",
    [
        requests.ConnectionError("refused"),
        requests.Timeout("slow"),
        (503, {"message": "maintenance"}),
        (500, {}),
    ],
)
def test_helloasso_down_keeps_the_gift_and_the_retry_reuses_it(
    fake_helloasso: FakeHelloAsso, failure: Any
) -> None:
    fake_helloasso.answers = [TOKEN, failure]
    with pytest.raises(ProviderUnavailable) as caught:
        start("helloasso")
    assert "ne répond pas" in caught.value.message
    pending = Donation.objects.get()
    assert pending.status == DonationStatus.PENDING
    fake_helloasso.answers = [INTENT]
    again = start("helloasso")
    assert again.donation.pk == pending.pk
    assert again.redirect_url.endswith("/321")
    assert Donation.objects.count() == 1


def test_helloasso_refusal_is_explained(fake_helloasso: FakeHelloAsso) -> None:
    fake_helloasso.answers = [TOKEN, (400, {"errors": [{"message": "bad zip"}]})]
    with pytest.raises(ProviderUnavailable) as caught:
        start("helloasso")
    assert "HelloAsso a refusé" in caught.value.message


def test_helloasso_retry_reuses_the_open_intent(fake_helloasso: FakeHelloAsso) -> None:
    fake_helloasso.answers = [
        TOKEN,
        INTENT,
        (200, {"id": 321, "redirectUrl": "https://www.helloasso.test/checkout/321"}),
    ]
    first = start("helloasso")
    second = start("helloasso")
    assert second.donation.pk == first.donation.pk
    assert second.redirect_url == first.redirect_url
    assert fake_helloasso.calls[-1][0] == "GET"
    assert fake_helloasso.calls[-1][1].endswith("/checkout-intents/321")


def test_helloasso_retry_after_the_page_expired_opens_a_new_checkout(
    fake_helloasso: FakeHelloAsso,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    fake_helloasso.answers = [TOKEN, INTENT]
    first = start("helloasso")
    Donation.objects.filter(pk=first.donation.pk).update(
        updated_at=timezone.now() - timedelta(minutes=20)
    )
    fake_helloasso.answers = [(200, {"id": 654, "redirectUrl": "https://www.helloasso.test/c/654"})]
    second = start("helloasso")
    assert second.donation.pk == first.donation.pk
    assert second.redirect_url.endswith("/654")
    assert Donation.objects.get(pk=first.donation.pk).provider_reference == "654"
