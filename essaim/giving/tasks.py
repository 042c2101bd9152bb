"""Background tasks of giving: donor e-mails after payment, monthly charging, stale checkouts."""

from __future__ import annotations

from django_tasks import task


@task()
def donation_thank(donation_id: int, first_monthly: bool = False) -> bool:
    """Send the thank-you e-mail of a paid gift."""
    from .emails import donation_thank_send

    return donation_thank_send(donation_id=donation_id, first_monthly=first_monthly)


@task()
def giving_recurring_charge() -> int:
    """Charge the due monthly gifts Essaim schedules itself (the demo provider's)."""
    from .recurring import recurring_charge_due

    return recurring_charge_due()


@task()
def giving_abandoned_checkouts() -> int:
    """Mark online gifts left pending for more than 24 hours as failed."""
    from .recurring import donations_expire_abandoned

    return donations_expire_abandoned()
