"""Monthly gifts: their lifecycle, the donor's and treasurer's controls, Essaim's own charging.

Stripe charges its subscriptions itself and tells us by webhook; the demo provider has no
scheduler, so :func:`recurring_charge_due` (the daily ``giving_recurring_charge`` job)
records the month's payment of each due demo schedule, once per schedule and month.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import providers
from .lifecycle import lifecycle_move
from .models import (
    RECURRING_TRANSITIONS,
    Donation,
    DonationChange,
    DonationStatus,
    Frequency,
    Provider,
    ProviderEvent,
    RecurringChange,
    RecurringGift,
    RecurringStatus,
)

if TYPE_CHECKING:
    from essaim.accounts.models import User

# Pending checkouts older than this were abandoned (Stripe's sessions expire after 24 h too).
ABANDONED_AFTER = timedelta(hours=24)
# Providers whose monthly payments Essaim charges itself.
SELF_CHARGED = frozenset({Provider.DEMO})


def add_month(day: date, anchor_day: int | None = None) -> date:
    """Return the same day next month (the month's last day when it is shorter)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    wanted = anchor_day or day.day
    return date(year, month, min(wanted, calendar.monthrange(year, month)[1]))


@transaction.atomic
def recurring_transition(
    *,
    recurring: RecurringGift,
    to_status: str,
    at: datetime,
    actor: User | None = None,
    by_donor: bool = False,
    note: str = "",
    **fields: Any,
) -> RecurringGift:
    """Move a monthly gift along its declared lifecycle, with a history row."""

    def history(locked: RecurringGift, from_status: str) -> None:
        RecurringChange.objects.create(
            recurring=locked,
            from_status=from_status,
            to_status=to_status,
            at=at,
            actor=actor if actor is not None and actor.is_authenticated else None,
            by_donor=by_donor,
            note=note[:300],
        )

    return lifecycle_move(
        instance=recurring,
        to_status=to_status,
        transitions=RECURRING_TRANSITIONS,
        statuses=RecurringStatus,
        refusal=_("Un don mensuel « %(from)s » ne peut pas passer à « %(to)s »."),
        fields=fields,
        history=history,
        actor_is_person=actor is not None and actor.is_authenticated,
    )


def recurring_activate(*, recurring: RecurringGift, at: datetime) -> bool:
    """Start a pending schedule at its first payment; tell whether it started now."""
    locked = RecurringGift.objects.select_for_update().get(pk=recurring.pk)
    if locked.status != RecurringStatus.PENDING:
        return False
    today = timezone.localdate(at)
    recurring_transition(
        recurring=locked,
        to_status=RecurringStatus.ACTIVE,
        at=at,
        started_at=at,
        next_payment_on=add_month(today) if locked.provider in SELF_CHARGED else None,
    )
    recurring.__dict__.update(status=RecurringStatus.ACTIVE, started_at=at)
    return True


def _check_actor(actor: User | None, by_donor: bool) -> None:
    from essaim.accounts.policies import can

    if by_donor:
        return  # the view checked the signed link
    if actor is None or not can(actor, "giving.manage"):
        raise PermissionDenied


def _change(
    *,
    recurring: RecurringGift,
    to_status: str,
    actor: User | None,
    by_donor: bool,
    call: str,
    note: str,
    fields: dict[str, Any],
) -> RecurringGift:
    _check_actor(actor, by_donor)
    current = RecurringGift.objects.get(pk=recurring.pk)
    if current.status == to_status:
        return current  # asked twice (two clicks, two tabs): nothing more to do
    if to_status not in RECURRING_TRANSITIONS.get(current.status, frozenset()):
        raise ValidationError(
            _("Ce don mensuel est « %(status)s » : cette action n'est pas possible.")
            % {"status": RecurringStatus(current.status).label}
        )
    provider = providers.get(current.provider)
    if provider is not None and (current.provider_reference or current.provider in SELF_CHARGED):
        # The provider first: if it is down, nothing changes here and the donor may retry.
        getattr(provider, call)(recurring=current)
    from_status = current.status
    changed = recurring_transition(
        recurring=current,
        to_status=to_status,
        at=timezone.now(),
        actor=actor,
        by_donor=by_donor,
        note=note,
        **fields,
    )
    if not by_donor:
        from essaim.core.services import audit_record

        audit_record(
            actor=actor,
            action=f"recurring.{to_status}",
            target=changed,
            details={"from": from_status, "amount_cents": changed.amount_cents},
        )
    return changed


def recurring_pause(
    *, recurring: RecurringGift, actor: User | None = None, by_donor: bool = False
) -> RecurringGift:
    """Stop charging a monthly gift until it is resumed (the provider is told first)."""
    return _change(
        recurring=recurring,
        to_status=RecurringStatus.PAUSED,
        actor=actor,
        by_donor=by_donor,
        call="schedule_pause",
        note=_("Mis en pause par le donateur") if by_donor else "",
        fields={"paused_at": timezone.now()},
    )


def recurring_resume(
    *, recurring: RecurringGift, actor: User | None = None, by_donor: bool = False
) -> RecurringGift:
    """Charge a paused monthly gift again from today (missed months are not caught up)."""
    today = timezone.localdate()
    fields: dict[str, Any] = {"paused_at": None}
    if recurring.provider in SELF_CHARGED:
        next_on = recurring.next_payment_on
        fields["next_payment_on"] = next_on if next_on and next_on >= today else today
    return _change(
        recurring=recurring,
        to_status=RecurringStatus.ACTIVE,
        actor=actor,
        by_donor=by_donor,
        call="schedule_resume",
        note=_("Repris par le donateur") if by_donor else "",
        fields=fields,
    )


def recurring_cancel(
    *, recurring: RecurringGift, actor: User | None = None, by_donor: bool = False
) -> RecurringGift:
    """Stop a monthly gift for good (the provider is told first)."""
    return _change(
        recurring=recurring,
        to_status=RecurringStatus.CANCELLED,
        actor=actor,
        by_donor=by_donor,
        call="schedule_cancel",
        note=_("Arrêté par le donateur") if by_donor else "",
        fields={"cancelled_at": timezone.now(), "next_payment_on": None},
    )


def recurring_record_status(
    *, recurring: RecurringGift, to_status: str, at: datetime, note: str = ""
) -> RecurringGift:
    """Record a schedule change the provider made itself (no call back to it); else no-op."""
    current = RecurringGift.objects.get(pk=recurring.pk)
    if current.status == to_status or to_status not in RECURRING_TRANSITIONS.get(
        current.status, frozenset()
    ):
        return current
    fields: dict[str, Any] = {}
    if to_status == RecurringStatus.CANCELLED:
        fields = {"cancelled_at": at, "next_payment_on": None}
    elif to_status == RecurringStatus.PAUSED:
        fields = {"paused_at": at}
    elif current.status == RecurringStatus.PAUSED:
        fields = {"paused_at": None}
    else:
        fields = {"started_at": current.started_at or at}
    return recurring_transition(recurring=current, to_status=to_status, at=at, note=note, **fields)


def recurring_payment_record(
    *,
    recurring: RecurringGift,
    key: str,
    at: datetime,
    amount_cents: int | None = None,
    provider_reference: str = "",
    payment_method: str | None = None,
    event: ProviderEvent | None = None,
) -> Donation:
    """Record one month's paid payment of a schedule, once per ``key`` (invoice, month)."""
    from .services import donation_mark_paid

    existing = Donation.objects.filter(idempotency_key=key).first()
    if existing is None and provider_reference:
        existing = Donation.objects.filter(
            recurring=recurring, provider_reference=provider_reference
        ).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        locked = RecurringGift.objects.select_for_update().get(pk=recurring.pk)
        # The first payment pays the gift opened by the form (still pending or failed).
        first = (
            locked.payments.filter(status__in=(DonationStatus.PENDING, DonationStatus.FAILED))
            .order_by("id")
            .first()
            if not locked.payments.filter(status=DonationStatus.PAID).exists()
            else None
        )
        if first is not None:
            return donation_mark_paid(
                donation=first,
                at=at,
                provider_reference=provider_reference,
                payment_method=payment_method,
                event=event,
            )
        try:
            with transaction.atomic():
                donation = Donation.objects.create(
                    **{
                        field: getattr(locked, field)
                        for field in (
                            "given_name",
                            "family_name",
                            "email",
                            "address_line1",
                            "address_line2",
                            "postal_code",
                            "city",
                            "country",
                        )
                    },
                    idempotency_key=key[:64],
                    person_id=locked.person_id,
                    page_id=locked.page_id,
                    recurring=locked,
                    frequency=Frequency.MONTHLY,
                    amount_cents=amount_cents or locked.amount_cents,
                    provider=locked.provider,
                    wants_receipt=locked.wants_receipt,
                    campaign_id=_first_payment_campaign(locked),
                )
        except IntegrityError:
            return Donation.objects.get(idempotency_key=key[:64])
        DonationChange.objects.create(
            donation=donation, from_status="", to_status=DonationStatus.PENDING, at=at, event=event
        )
        return donation_mark_paid(
            donation=donation,
            at=at,
            provider_reference=provider_reference,
            payment_method=payment_method,
            event=event,
        )


def _first_payment_campaign(recurring: RecurringGift) -> int | None:
    # Every month counts for the campaign the monthly gift was started from.
    return recurring.payments.order_by("id").values_list("campaign_id", flat=True).first()


def recurring_charge_due(*, today: date | None = None) -> int:
    """Charge the due month of each active self-charged schedule; return how many were paid."""
    today = today or timezone.localdate()
    due = list(
        RecurringGift.objects.filter(
            provider__in=SELF_CHARGED,
            status=RecurringStatus.ACTIVE,
            next_payment_on__isnull=False,
            next_payment_on__lte=today,
        ).values_list("pk", flat=True)
    )
    charged = 0
    for pk in due:
        with transaction.atomic():
            recurring = RecurringGift.objects.select_for_update().get(pk=pk)
            due_on = recurring.next_payment_on
            if recurring.status != RecurringStatus.ACTIVE or due_on is None or due_on > today:
                continue  # paused, stopped or charged by another run meanwhile
            key = f"charge:{recurring.code}:{due_on:%Y-%m}"
            already = Donation.objects.filter(idempotency_key=key).exists()
            if not already:
                recurring_payment_record(
                    recurring=recurring,
                    key=key,
                    at=timezone.now(),
                    provider_reference=f"demo_{recurring.code[:12]}_{due_on:%Y%m}",
                )
                charged += 1
            anchor = timezone.localdate(recurring.started_at).day if recurring.started_at else None
            RecurringGift.objects.filter(pk=pk).update(
                next_payment_on=add_month(due_on, anchor), updated_at=timezone.now()
            )
    return charged


def donations_expire_abandoned(*, now: datetime | None = None) -> int:
    """Mark pending online gifts older than 24 hours as failed (abandoned checkouts).

    The provider is asked first (a webhook may have been lost); a provider that does not
    answer leaves its gifts for the next run. Harmless if a payment comes after all: a
    failed gift may still become paid.
    """
    from .services import donation_mark_failed, donation_refresh

    now = now or timezone.now()
    stale = Donation.objects.filter(
        status=DonationStatus.PENDING, created_at__lt=now - ABANDONED_AFTER
    ).exclude(provider=Provider.OFFLINE)
    count = 0
    for donation in list(stale):
        try:
            donation = donation_refresh(donation=donation)
        except providers.ProviderUnavailable:
            continue
        if donation.status != DonationStatus.PENDING:
            continue
        result = donation_mark_failed(
            donation=donation, at=now, note=_("Paiement abandonné (plus de 24 heures)")
        )
        count += result.status == DonationStatus.FAILED
    return count
