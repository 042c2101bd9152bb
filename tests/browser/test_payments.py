"""The demo checkout in a real Chromium: axe finds nothing, phones do not scroll sideways."""

from __future__ import annotations

from essaim.giving import services
from essaim.giving.inputs import DonorInput, GiftSource
from essaim.giving.models import Donation, DonationStatus, Frequency
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll
from tests.giving.factories import GivingPageFactory


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def _start(frequency: str, origin: str) -> services.CheckoutStart:
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
        idempotency_key=f"browser-{frequency}",
        source=GiftSource(page=GivingPageFactory()),
        wants_receipt=True,
        consent_news=False,
        return_url=f"{origin}/don/merci/{{code}}/",
        cancel_url=f"{origin}/don/",
    )


def test_demo_checkout_is_accessible_and_pays(page, live_server, settings):
    settings.SITE_ORIGIN = live_server.url
    result = _start(Frequency.MONTHLY, live_server.url)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(result.redirect_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Paiement de démonstration")
    expect(page.get_by_text("Démonstration : aucun paiement réel.")).to_be_visible()
    expect(page.get_by_text("25\u00a0€ par mois")).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_scroll(page, 360)
    page.get_by_role("button", name="Payer").click()
    page.wait_for_load_state()
    assert Donation.objects.get().status == DonationStatus.PAID
    # Back to the checkout of a paid gift: no buttons, a way back.
    page.goto(result.redirect_url)
    expect(page.get_by_role("button", name="Payer")).to_have_count(0)
    assert_accessible(page)
