"""Monthly gifts: activation, pause/resume/stop, Essaim's own charging, abandoned checkouts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from essaim.feed.scheduling import JOBS
from essaim.giving import services
from essaim.giving.inputs import DonorInput, GiftSource
from essaim.giving.models import (
    Donation,
    DonationStatus,
    Frequency,
    Provider,
    Receipt,
    RecurringGift,
    RecurringStatus,
)
from essaim.giving.recurring import (
    add_month,
    donations_expire_abandoned,
    recurring_cancel,
    recurring_charge_due,
    recurring_pause,
    recurring_resume,
)
from tests.giving.factories import DonationFactory, GivingPageFactory, RecurringGiftFactory

pytestmark = pytest.mark.django_db


def monthly_start(key: str = "m1") -> services.CheckoutStart:
    return services.donation_start(
        donor=DonorInput(
            given_name="Lou",
            family_name="Bernard",
            email="lou@example.org",
            address_line1="1 place Bellecour",
            postal_code="69002",
            city="Lyon",
        ),
        amount_cents=1500,
        frequency=Frequency.MONTHLY,
        provider="demo",
        idempotency_key=key,
        source=GiftSource(page=GivingPageFactory()),
        wants_receipt=True,
        consent_news=False,
        return_url="https://asso.example/merci/{code}/",
        cancel_url="https://asso.example/don/",
    )


def test_add_month_keeps_the_day_or_takes_the_last_one() -> None:
    assert add_month(date(2026, 1, 15)) == date(2026, 2, 15)
    assert add_month(date(2026, 1, 31)) == date(2026, 2, 28)
    assert add_month(date(2026, 12, 5)) == date(2027, 1, 5)
    assert add_month(date(2026, 2, 28), anchor_day=31) == date(2026, 3, 31)


def test_first_payment_activates_and_sends_the_confirmation(
    django_capture_on_commit_callbacks: Any,
) -> None:
    result = monthly_start()
    assert result.recurring is not None
    with django_capture_on_commit_callbacks(execute=True):
        services.donation_mark_paid(donation=result.donation, at=timezone.now())
    recurring = RecurringGift.objects.get(pk=result.recurring.pk)
    assert recurring.status == RecurringStatus.ACTIVE
    assert recurring.started_at is not None
    assert recurring.next_payment_on == add_month(timezone.localdate())
    assert recurring.changes.filter(to_status=RecurringStatus.ACTIVE).exists()
    assert not Receipt.objects.exists()  # monthly gifts: one annual receipt
    message = mail.outbox[-1]
    assert "est en place" in message.subject
    assert "/mes-dons/mensuel/" in message.body
    assert "début d'année" in message.body


def test_charge_job_pays_each_due_month_once(django_capture_on_commit_callbacks: Any) -> None:
    today = timezone.localdate()
    recurring = RecurringGiftFactory(next_payment_on=today)
    with django_capture_on_commit_callbacks(execute=True):
        assert recurring_charge_due(today=today) == 1
    assert recurring_charge_due(today=today) == 0
    payment = Donation.objects.get(recurring=recurring)
    assert payment.status == DonationStatus.PAID
    assert payment.frequency == Frequency.MONTHLY
    assert payment.amount_cents == recurring.amount_cents
    recurring.refresh_from_db()
    assert recurring.next_payment_on == add_month(today, recurring.started_at.day)  # type: ignore[union-attr]
    assert "a bien été reçu" in mail.outbox[-1].subject
    assert "/mes-dons/mensuel/" in mail.outbox[-1].body


def test_charge_job_skips_paused_cancelled_future_and_stripe_schedules() -> None:
    today = timezone.localdate()
    RecurringGiftFactory(next_payment_on=today, status=RecurringStatus.PAUSED)
    RecurringGiftFactory(next_payment_on=today, status=RecurringStatus.CANCELLED)
    RecurringGiftFactory(next_payment_on=today + timedelta(days=1))
    RecurringGiftFactory(next_payment_on=today, provider=Provider.STRIPE)
    assert recurring_charge_due(today=today) == 0
    assert not Donation.objects.exists()


def test_charge_job_after_a_missed_run_charges_one_month_at_a_time() -> None:
    today = timezone.localdate()
    recurring = RecurringGiftFactory(next_payment_on=today - timedelta(days=3))
    assert recurring_charge_due(today=today) == 1
    assert Donation.objects.filter(recurring=recurring).count() == 1


def test_job_is_registered() -> None:
    assert "giving_recurring_charge" in JOBS
    assert "giving_abandoned_checkouts" in JOBS


def test_donor_pauses_resumes_and_stops() -> None:
    recurring = RecurringGiftFactory(next_payment_on=timezone.localdate() - timedelta(days=40))
    recurring_pause(recurring=recurring, by_donor=True)
    recurring.refresh_from_db()
    assert recurring.status == RecurringStatus.PAUSED
    assert recurring_charge_due() == 0
    recurring_resume(recurring=recurring, by_donor=True)
    recurring.refresh_from_db()
    assert recurring.status == RecurringStatus.ACTIVE
    assert recurring.next_payment_on == timezone.localdate()  # no catching up on paused months
    recurring_cancel(recurring=recurring, by_donor=True)
    recurring.refresh_from_db()
    assert recurring.status == RecurringStatus.CANCELLED
    assert recurring.next_payment_on is None
    steps = list(recurring.changes.values_list("to_status", "by_donor"))
    assert steps == [
        (RecurringStatus.PAUSED, True),
        (RecurringStatus.ACTIVE, True),
        (RecurringStatus.CANCELLED, True),
    ]
    with pytest.raises(ValidationError) as caught:
        recurring_resume(recurring=recurring, by_donor=True)
    assert "Arrêté" in caught.value.messages[0]


def test_pausing_twice_is_one_change() -> None:
    recurring = RecurringGiftFactory()
    recurring_pause(recurring=recurring, by_donor=True)
    recurring_pause(recurring=recurring, by_donor=True)
    assert recurring.changes.count() == 1


@pytest.mark.parametrize("role", ["anonymous", "member", "communication", "coordinator"])
def test_only_the_donor_or_the_treasurer_change_a_schedule(login_as: Any, role: str) -> None:
    recurring = RecurringGiftFactory()
    with pytest.raises(PermissionDenied):
        recurring_pause(recurring=recurring, actor=login_as(role))
    assert RecurringGift.objects.get(pk=recurring.pk).status == RecurringStatus.ACTIVE


def test_treasurer_stops_a_schedule(login_as: Any) -> None:
    treasurer = login_as("treasurer")
    recurring = RecurringGiftFactory()
    recurring_cancel(recurring=recurring, actor=treasurer)
    assert recurring.changes.get().actor == treasurer
    from essaim.core.models import AuditLog

    assert AuditLog.objects.filter(action="recurring.cancelled", actor=treasurer).exists()


def test_abandoned_checkouts_fail_after_24_hours() -> None:
    old = DonationFactory(given_on=None)
    fresh = DonationFactory(given_on=None)
    offline = DonationFactory(provider=Provider.OFFLINE)
    Donation.objects.filter(pk__in=[old.pk, offline.pk]).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    assert donations_expire_abandoned() == 1
    assert Donation.objects.get(pk=old.pk).status == DonationStatus.FAILED
    assert Donation.objects.get(pk=fresh.pk).status == DonationStatus.PENDING
    assert Donation.objects.get(pk=offline.pk).status == DonationStatus.PENDING
    assert donations_expire_abandoned() == 0


def test_abandoned_checkout_paid_at_the_provider_is_recorded_paid(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from essaim.giving.providers import PaymentStatus, StripeProvider

    settings.STRIPE_SECRET_KEY = "sk_test_x"
    monkeypatch.setattr(
        StripeProvider,
        "payment_status",
        lambda self, donation: PaymentStatus(paid=True, reference="pi_late"),
    )
    lost = DonationFactory(provider=Provider.STRIPE, provider_reference="cs_1", given_on=None)
    Donation.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert donations_expire_abandoned() == 0
    paid = Donation.objects.get(pk=lost.pk)
    assert paid.status == DonationStatus.PAID
    assert paid.provider_reference == "pi_late"


def test_abandoned_checkout_is_kept_while_the_provider_is_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from essaim.giving.providers import ProviderUnavailable, StripeProvider

    def down(self: Any, donation: Donation) -> None:
        raise ProviderUnavailable()

    monkeypatch.setattr(StripeProvider, "payment_status", down)
    lost = DonationFactory(provider=Provider.STRIPE, provider_reference="cs_1", given_on=None)
    Donation.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert donations_expire_abandoned() == 0
    assert Donation.objects.get(pk=lost.pk).status == DonationStatus.PENDING
