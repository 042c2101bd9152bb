"""The demo checkout page: labelled as such, pays or fails the gift, sends the donor back."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from essaim.giving import services
from essaim.giving.inputs import DonorInput, GiftSource
from essaim.giving.models import Donation, DonationStatus, Frequency, RecurringStatus
from tests.giving.factories import GivingPageFactory

pytestmark = pytest.mark.django_db


def start(frequency: str = Frequency.ONE_OFF) -> services.CheckoutStart:
    return services.donation_start(
        donor=DonorInput(
            given_name="Sam",
            family_name="Petit",
            email="sam@example.org",
            address_line1="2 rue Haute",
            postal_code="31000",
            city="Toulouse",
        ),
        amount_cents=2500,
        frequency=frequency,
        provider="demo",
        idempotency_key=f"demo-{frequency}",
        source=GiftSource(page=GivingPageFactory()),
        wants_receipt=True,
        consent_news=False,
        return_url="http://testserver/don/merci/{code}/",
        cancel_url="http://testserver/don/?annule=1",
    )


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_page_says_no_real_payment(client: Client) -> None:
    result = start()
    response = client.get(path_of(result.redirect_url))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Démonstration : aucun paiement réel" in text
    assert "Payer" in text and "Annuler / échec" in text
    assert "25" in text and "€" in text
    assert 'name="csrfmiddlewaretoken"' in text


def test_pay_marks_paid_and_returns_to_the_thank_you_page(client: Client) -> None:
    result = start()
    response = client.post(path_of(result.redirect_url), {"outcome": "pay"})
    assert response.status_code == 302
    assert response["Location"] == f"http://testserver/don/merci/{result.donation.code}/"
    assert Donation.objects.get(pk=result.donation.pk).status == DonationStatus.PAID
    # A second click (back button) pays nothing more.
    again = client.post(path_of(result.redirect_url), {"outcome": "pay"})
    assert again.status_code == 302
    assert Donation.objects.get(pk=result.donation.pk).changes.count() == 2


def test_cancel_fails_and_returns_to_the_form(client: Client) -> None:
    result = start()
    response = client.post(path_of(result.redirect_url), {"outcome": "fail"})
    assert response["Location"] == "http://testserver/don/?annule=1"
    assert Donation.objects.get(pk=result.donation.pk).status == DonationStatus.FAILED


def test_monthly_demo_gift_starts_its_schedule(client: Client) -> None:
    result = start(Frequency.MONTHLY)
    page = client.get(path_of(result.redirect_url)).content.decode()
    assert "par mois" in page
    client.post(path_of(result.redirect_url), {"outcome": "pay"})
    assert result.recurring is not None
    result.recurring.refresh_from_db()
    assert result.recurring.status == RecurringStatus.ACTIVE


def test_forged_return_address_is_not_followed(client: Client) -> None:
    result = start()
    url = f"/paiements/demo/{result.donation.code}/?retour=forged"
    response = client.post(url, {"outcome": "pay"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/merci/{result.donation.code}/")
    assert "evil" not in response["Location"]


def test_other_host_in_signed_return_is_not_followed(client: Client, settings: Any) -> None:
    from essaim.giving.providers.demo import DemoProvider

    result = start()
    url = DemoProvider().checkout_url(
        donation=result.donation, return_url="https://evil.example/", cancel_url=""
    )
    assert url is not None
    response = client.post(path_of(url), {"outcome": "pay"})
    assert not response["Location"].startswith("https://evil.example")


def test_demo_page_and_thank_you_email_are_valid_html(
    client: Client, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:

    from django.core import mail

    from tests.blog.test_html_validity import _validator, assert_valid_html

    _validator()  # skips (or fails on CI) before any work when the validator is missing
    result = start(Frequency.MONTHLY)
    (tmp_path / "open.html").write_bytes(client.get(path_of(result.redirect_url)).content)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path_of(result.redirect_url), {"outcome": "pay"})
    (tmp_path / "paid.html").write_bytes(client.get(path_of(result.redirect_url)).content)
    html = next(m for m in mail.outbox if "mensuel" in m.subject).alternatives[0][0]
    (tmp_path / "email.html").write_text(str(html))
    files = {
        "open.html": "demo checkout",
        "paid.html": "demo checkout, paid",
        "email.html": "e-mail",
    }
    assert_valid_html(tmp_path, files)


def test_demo_checkout_closes_once_a_real_provider_is_configured(
    client: Client, settings: Any
) -> None:
    result = start()
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    assert client.get(path_of(result.redirect_url)).status_code == 404
    assert client.post(path_of(result.redirect_url), {"outcome": "pay"}).status_code == 404
    assert Donation.objects.get(pk=result.donation.pk).status == DonationStatus.PENDING
    settings.ESSAIM_GIVING_DEMO = True
    assert client.get(path_of(result.redirect_url)).status_code == 200
