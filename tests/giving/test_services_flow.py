"""The whole way of a gift: a shared giving link, the form, the demo checkout, the credit."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from essaim.giving.models import Donation, DonationStatus, Receipt
from essaim.referrals.models import GoalKind, LinkGoal, ReferralEvent, ReferralEventKind
from essaim.referrals.selectors import campaigns_progress
from tests.giving.factories import GivingPageFactory
from tests.referrals.factories import CampaignFactory, ReferralLinkFactory

pytestmark = pytest.mark.django_db


def test_a_gift_through_a_shared_giving_link_credits_the_sharer(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    today = timezone.localdate()
    campaign = CampaignFactory(goal_kind=GoalKind.DONORS, starts_on=today, ends_on=today, target=2)
    GivingPageFactory(is_default=True, minimum_cents=500)
    link = ReferralLinkFactory(goal=LinkGoal.GIVE, campaign=campaign)

    # The visitor follows the shared link and lands on the giving page.
    visit = client.get(f"/r/{link.code}/")
    assert visit.status_code == 302
    assert visit["Location"] == "/don/"
    form = client.get("/don/").content.decode()
    key = re.search(r'name="key" value="([^"]+)"', form)
    assert key is not None
    response = client.post(
        "/don/",
        {
            "key": key.group(1),
            "frequency": "one_off",
            "amount": "",
            "free_amount": "50",
            "given_name": "Inès",
            "family_name": "Garnier",
            "email": "ines@exemple.fr",
            "wants_receipt": "on",
            "address_line1": "8 rue Neuve",
            "postal_code": "44000",
            "city": "Nantes",
            "provider": "demo",
        },
    )
    assert response.status_code == 303
    checkout = urlsplit(response["Location"])

    # The demo checkout: pay.
    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(f"{checkout.path}?{checkout.query}", {"outcome": "pay"})
    assert paid.status_code == 302
    assert "/don/merci/" in paid["Location"]

    donation = Donation.objects.get()
    assert donation.status == DonationStatus.PAID
    assert (donation.referrer, donation.referral_link, donation.campaign) == (
        link.owner,
        link,
        campaign,
    )
    event = ReferralEvent.objects.get(kind=ReferralEventKind.GAVE)
    assert (event.referrer, event.amount_cents, event.campaign) == (link.owner, 5000, campaign)
    assert donation.person.referred_by == link.owner
    assert donation.person.is_donor
    assert Receipt.objects.filter(donations=donation).exists()
    assert any("Merci pour votre don" in message.subject for message in mail.outbox)
    (progress,) = campaigns_progress([campaign])
    assert (progress.count, progress.via_links, progress.percent) == (1, 1, 50)
