"""Gift lifecycle services: starting a gift (idempotent), paying, failing, offline, refunds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from essaim.giving import services
from essaim.giving.inputs import DonorInput, GiftSource
from essaim.giving.models import (
    Donation,
    DonationChange,
    DonationStatus,
    Frequency,
    PaymentMethod,
    Provider,
    Receipt,
    ReceiptStatus,
    RecurringGift,
    RecurringStatus,
)
from essaim.people.models import Person
from essaim.referrals.links import Attribution
from essaim.referrals.models import Channel, ReferralEvent, ReferralEventKind
from tests.giving.factories import DonationFactory, GivingPageFactory, PaidDonationFactory
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db

DONOR = DonorInput(
    given_name="Camille",
    family_name="Martin",
    email="Camille.Martin@example.org",
    address_line1="3 rue des Lilas",
    postal_code="69001",
    city="Lyon",
)


FRENCH_WORDS = ("Indiquez", "montant", "proposé", "Choisissez", "reçu", "formulaire", "dépasser")


def start(**overrides: Any) -> services.CheckoutStart:
    page = overrides.pop("page", None) or GivingPageFactory()
    options: dict[str, Any] = {
        "donor": DONOR,
        "amount_cents": 5000,
        "frequency": Frequency.ONE_OFF,
        "provider": "demo",
        "idempotency_key": "key-1",
        "source": GiftSource(page=page),
        "wants_receipt": True,
        "consent_news": False,
        "return_url": "https://example.org/merci/{code}/",
        "cancel_url": "https://example.org/don/?annule={code}",
    }
    options.update(overrides)
    return services.donation_start(**options)


def test_start_creates_a_pending_gift_and_a_person_and_a_demo_checkout() -> None:
    result = start()
    donation = result.donation
    assert donation.status == DonationStatus.PENDING
    assert donation.amount_cents == 5000
    assert donation.email == "camille.martin@example.org"
    assert donation.person.email == "camille.martin@example.org"
    assert donation.person.address_line1 == "3 rue des Lilas"
    assert not donation.person.is_donor
    assert result.recurring is None
    assert f"/paiements/demo/{donation.code}/" in result.redirect_url
    assert donation.changes.get().to_status == DonationStatus.PENDING


def test_start_reuses_the_person_with_the_same_email() -> None:
    person = PersonFactory(email="camille.martin@example.org", given_name="Cam")
    result = start()
    assert result.donation.person == person
    assert Person.objects.get(pk=person.pk).given_name == "Cam"  # names never overwritten


def test_same_key_twice_gives_one_gift_and_the_same_checkout() -> None:
    page = GivingPageFactory()
    first = start(page=page)
    second = start(page=page)
    assert first.donation.pk == second.donation.pk
    assert first.redirect_url == second.redirect_url
    assert Donation.objects.count() == 1


def test_same_key_after_payment_goes_to_the_thank_you_page() -> None:
    page = GivingPageFactory()
    first = start(page=page)
    services.donation_mark_paid(donation=first.donation, at=timezone.now())
    again = start(page=page)
    assert again.donation.pk == first.donation.pk
    assert again.redirect_url == f"https://example.org/merci/{first.donation.code}/"


def test_monthly_start_creates_a_pending_schedule() -> None:
    result = start(frequency=Frequency.MONTHLY, wants_receipt=False)
    assert result.recurring is not None
    assert result.recurring.status == RecurringStatus.PENDING
    assert result.donation.recurring == result.recurring
    assert result.donation.frequency == Frequency.MONTHLY


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_cents": 0}, "amount"),
        ({"amount_cents": -5}, "amount"),
        ({"amount_cents": 50}, "amount"),  # under the page's minimum (1 €)
        ({"amount_cents": 10**9}, "amount"),
        ({"frequency": "weekly"}, "frequency"),
        ({"provider": "paypal"}, "provider"),
        ({"provider": "stripe"}, "provider"),  # not configured
        ({"donor": DonorInput(given_name="A", family_name="B", email="a@b.fr")}, "address_line1"),
        ({"donor": DonorInput(given_name="", family_name="B", email="a@b.fr")}, "given_name"),
        ({"donor": DonorInput(given_name="A", family_name="B", email="nope")}, "email"),
        ({"idempotency_key": ""}, "__all__"),
    ],
)
def test_bad_input_is_refused_in_french_and_writes_nothing(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        start(**overrides)
    messages = caught.value.message_dict if hasattr(caught.value, "error_dict") else {}
    if field != "__all__":
        assert field in messages, caught.value
    assert any(
        word in " ".join(caught.value.messages)
        for word in (
            "Indiquez",
            "montant",
            "proposé",
            "Choisissez",
            "reçu",
            "formulaire",
            "dépasser",
        )
    )
    assert Donation.objects.count() == 0
    assert RecurringGift.objects.count() == 0
    assert Person.objects.count() == 0


def test_a_page_without_monthly_gifts_refuses_them() -> None:
    page = GivingPageFactory(allow_monthly=False)
    with pytest.raises(ValidationError):
        start(page=page, frequency=Frequency.MONTHLY)
    assert Donation.objects.count() == 0


def test_an_inactive_page_refuses_gifts() -> None:
    with pytest.raises(ValidationError):
        start(page=GivingPageFactory(is_active=False))
    assert Donation.objects.count() == 0


def test_paying_sets_donor_consent_receipt_and_thank_you(
    django_capture_on_commit_callbacks: Any,
) -> None:
    donation = start(consent_news=True).donation
    with django_capture_on_commit_callbacks(execute=True):
        paid = services.donation_mark_paid(
            donation=donation, at=timezone.now(), provider_reference="ref_1"
        )
    assert paid.status == DonationStatus.PAID
    assert paid.given_on == timezone.localdate()
    assert paid.provider_reference == "ref_1"
    person = Person.objects.get(pk=donation.person_id)
    assert person.is_donor
    assert person.newsletter_consent
    receipt = Receipt.objects.get(donations=paid)
    assert receipt.status == ReceiptStatus.ISSUED
    subjects = [message.subject for message in mail.outbox]
    assert any("Merci pour votre don de 50\xa0€" in subject for subject in subjects)
    thank_you = next(m for m in mail.outbox if "Merci pour votre don" in m.subject)
    assert "/mes-dons/lien/" in thank_you.body
    assert "réduction d'impôt de 33\xa0€" in thank_you.body
    assert thank_you.alternatives


def test_paying_twice_changes_nothing(django_capture_on_commit_callbacks: Any) -> None:
    donation = start().donation
    with django_capture_on_commit_callbacks(execute=True):
        services.donation_mark_paid(donation=donation, at=timezone.now())
    count = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        services.donation_mark_paid(donation=donation, at=timezone.now())
    assert len(mail.outbox) == count
    assert Receipt.objects.count() == 1
    assert DonationChange.objects.filter(to_status=DonationStatus.PAID).count() == 1


def test_paying_credits_the_referrer_with_the_amount() -> None:
    referrer = PersonFactory()
    attribution = Attribution(referrer=referrer, at=timezone.now(), channel=Channel.QR)
    donation = start(source=GiftSource(page=GivingPageFactory(), attribution=attribution)).donation
    assert donation.referrer == referrer
    assert donation.referral_channel == Channel.QR
    services.donation_mark_paid(donation=donation, at=timezone.now())
    event = ReferralEvent.objects.get(kind=ReferralEventKind.GAVE)
    assert event.referrer == referrer
    assert event.amount_cents == 5000
    assert Person.objects.get(pk=donation.person_id).referred_by == referrer


def test_page_campaign_is_recorded() -> None:
    from tests.referrals.factories import CampaignFactory

    campaign = CampaignFactory()
    donation = start(page=GivingPageFactory(campaign=campaign)).donation
    assert donation.campaign == campaign


def test_failed_then_late_success_wins() -> None:
    donation = start().donation
    services.donation_mark_failed(donation=donation, at=timezone.now())
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.FAILED
    services.donation_mark_paid(donation=donation, at=timezone.now())
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.PAID


def test_a_failure_after_payment_is_ignored() -> None:
    donation = PaidDonationFactory()
    services.donation_mark_failed(donation=donation, at=timezone.now())
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.PAID


def test_forbidden_transition_is_refused_with_a_history_unchanged() -> None:
    donation = DonationFactory()
    with pytest.raises(ValidationError) as caught:
        services.donation_transition(
            donation=donation, to_status=DonationStatus.REFUNDED, at=timezone.now()
        )
    assert "ne peut pas passer" in caught.value.messages[0]
    assert not DonationChange.objects.filter(donation=donation).exists()


def test_offline_gift_by_the_treasurer(
    login_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    treasurer = login_as("treasurer")
    given_on = timezone.localdate() - timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        donation = services.donation_record_offline(
            actor=treasurer,
            donor=DONOR,
            amount_cents=12000,
            payment_method=PaymentMethod.CHEQUE,
            given_on=given_on,
            bank_reference="CHQ 0012",
        )
    assert donation.status == DonationStatus.PAID
    assert donation.provider == Provider.OFFLINE
    assert donation.given_on == given_on  # the cheque's date, not today
    assert donation.recorded_by == treasurer
    assert donation.changes.filter(to_status=DonationStatus.PAID, actor=treasurer).exists()
    assert Receipt.objects.filter(donations=donation).exists()
    from essaim.core.models import AuditLog

    assert AuditLog.objects.filter(action="donation.record_offline").exists()


@pytest.mark.parametrize("role", ["member", "communication", "coordinator"])
def test_offline_gift_is_refused_to_others(login_as: Any, role: str) -> None:
    with pytest.raises(PermissionDenied):
        services.donation_record_offline(
            actor=login_as(role),
            donor=DONOR,
            amount_cents=1000,
            payment_method=PaymentMethod.CASH,
            given_on=timezone.localdate(),
        )
    assert Donation.objects.count() == 0


def test_offline_gift_bad_input(login_as: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        services.donation_record_offline(
            actor=login_as("treasurer"),
            donor=DONOR,
            amount_cents=0,
            payment_method=PaymentMethod.CARD,
            given_on=timezone.localdate() + timedelta(days=2),
        )
    assert set(caught.value.message_dict) == {"amount", "payment_method", "given_on"}
    assert Donation.objects.count() == 0


def test_reconcile_counts_each_gift_once(login_as: Any) -> None:
    treasurer = login_as("treasurer")
    gifts = [PaidDonationFactory(), PaidDonationFactory(), DonationFactory()]
    assert services.donation_reconcile(actor=treasurer, donations=gifts) == 2
    assert services.donation_reconcile(actor=treasurer, donations=gifts) == 0


def test_refund_cancels_the_receipt(login_as: Any) -> None:
    treasurer = login_as("treasurer")
    donation = start().donation
    services.donation_mark_paid(donation=donation, at=timezone.now())
    with pytest.raises(ValidationError):
        services.donation_refund(actor=treasurer, donation=donation, note=" ")
    refunded = services.donation_refund(
        actor=treasurer, donation=donation, note="Erreur de montant"
    )
    assert refunded.status == DonationStatus.REFUNDED
    assert Receipt.objects.get(donations=donation).status == ReceiptStatus.CANCELLED


def test_refunding_a_payment_on_an_annual_receipt_replaces_the_receipt(login_as: Any) -> None:
    import datetime as dt

    from essaim.giving.receipts import annual_receipt_issue
    from tests.giving.factories import RecurringGiftFactory

    treasurer = login_as("treasurer")
    schedule = RecurringGiftFactory()
    payments = [
        PaidDonationFactory(
            person=schedule.person,
            recurring=schedule,
            frequency="monthly",
            amount_cents=2000,
            given_on=dt.date(2025, month, 5),
        )
        for month in (1, 2, 3)
    ]
    annual = annual_receipt_issue(person_id=schedule.person_id, year=2025, actor=None)
    assert annual is not None and annual.amount_cents == 6000
    services.donation_refund(actor=treasurer, donation=payments[1], note="Prélèvement contesté")
    annual.refresh_from_db()
    assert annual.status == ReceiptStatus.CANCELLED
    # A new number covers the two payments still given; the refunded one is left out.
    replacement = Receipt.objects.get(replaces=annual)
    assert replacement.status == ReceiptStatus.ISSUED
    assert replacement.amount_cents == 4000
    assert set(replacement.donations.all()) == {payments[0], payments[2]}
    assert replacement.number != annual.number
    # Refunding the other two: the last receipt is cancelled, nothing replaces it.
    services.donation_refund(actor=treasurer, donation=payments[0], note="Erreur")
    last = Receipt.objects.get(replaces=replacement)
    assert set(last.donations.all()) == {payments[2]}
    services.donation_refund(actor=treasurer, donation=payments[2], note="Erreur")
    last.refresh_from_db()
    assert last.status == ReceiptStatus.CANCELLED
    assert not Receipt.objects.filter(replaces=last).exists()
    assert not Receipt.objects.filter(status=ReceiptStatus.ISSUED).exists()


def test_bounced_cheque(login_as: Any) -> None:
    treasurer = login_as("treasurer")
    donation = services.donation_record_offline(
        actor=treasurer,
        donor=DONOR,
        amount_cents=4000,
        payment_method=PaymentMethod.CHEQUE,
        given_on=timezone.localdate(),
    )
    bounced = services.donation_fail_offline(
        actor=treasurer, donation=donation, note="Sans provision"
    )
    assert bounced.status == DonationStatus.REFUNDED
    assert Receipt.objects.get(donations=donation).status == ReceiptStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.donation_fail_offline(actor=treasurer, donation=PaidDonationFactory(), note="x")


def test_donor_campaigns_count_paid_gifts(django_assert_num_queries: Any) -> None:
    from essaim.referrals.models import GoalKind
    from essaim.referrals.selectors import campaigns_progress
    from tests.giving.factories import RecurringGiftFactory
    from tests.referrals.factories import CampaignFactory

    today = timezone.localdate()
    donors = CampaignFactory(
        goal_kind=GoalKind.DONORS, starts_on=today - timedelta(days=5), ends_on=today, target=4
    )
    monthly = CampaignFactory(
        goal_kind=GoalKind.MONTHLY_DONORS, starts_on=today, ends_on=today, target=10
    )
    first = PaidDonationFactory(campaign=donors)
    PaidDonationFactory(person=first.person)  # the same donor twice counts once
    PaidDonationFactory()
    DonationFactory()  # pending: not a donor yet
    old = PaidDonationFactory()
    Donation.objects.filter(pk=old.pk).update(paid_at=timezone.now() - timedelta(days=30))
    schedule = RecurringGiftFactory()
    PaidDonationFactory(
        person=schedule.person, recurring=schedule, frequency=Frequency.MONTHLY, campaign=monthly
    )
    with django_assert_num_queries(1):
        by_campaign = {p.campaign.pk: p for p in campaigns_progress([donors, monthly])}
    assert (by_campaign[donors.pk].count, by_campaign[donors.pk].via_links) == (3, 1)
    assert by_campaign[donors.pk].percent == 75
    assert (by_campaign[monthly.pk].count, by_campaign[monthly.pk].via_links) == (1, 1)


def test_signed_in_donor_gives_as_themselves(login_as: Any) -> None:
    user = login_as("member")
    result = start(user=user)
    assert result.donation.person == user.person
    assert result.donation.email == "camille.martin@example.org"  # as typed, for the receipt


def test_a_contact_record_that_fails_validation_never_blocks_a_payment() -> None:
    donation = start(consent_news=True).donation
    # An old record with a value the form would refuse today.
    Person.objects.filter(pk=donation.person_id).update(email="not-an-email")
    services.donation_mark_paid(donation=donation, at=timezone.now())
    person = Person.objects.get(pk=donation.person_id)
    assert person.is_donor and person.newsletter_consent
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.PAID


def test_same_key_after_a_failed_payment_offers_the_checkout_again() -> None:
    page = GivingPageFactory()
    first = start(page=page)
    services.donation_mark_failed(donation=first.donation, at=timezone.now())
    again = start(page=page)
    assert again.donation.pk == first.donation.pk
    assert "/paiements/demo/" in again.redirect_url
