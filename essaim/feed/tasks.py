"""Background tasks: immediate notification emails and the daily or weekly digests."""

from __future__ import annotations

from django_tasks import task

from .digests import batches, recipient_ids_for, retry_failed_immediate, send_for
from .models import Delivery


@task()
def notifications_email(notification_ids: list[int]) -> int:
    """Email these notifications now to the recipients who asked for immediate emails."""
    return send_for(delivery=Delivery.IMMEDIATE, notification_ids=notification_ids)


@task()
def notifications_email_retry() -> int:
    """Retry the immediate emails that failed and are due again, in batches."""
    return retry_failed_immediate()


@task()
def digest_send_batch(period: str, recipient_ids: list[int]) -> int:
    """Compose and send one digest to each of these recipients."""
    return send_for(delivery=period, recipient_ids=recipient_ids)


@task()
def digest_send(period: str) -> int:
    """Split the people awaiting a digest into batches, one task per batch; return the count."""
    return digest_dispatch(period=period)


def digest_dispatch(*, period: str) -> int:
    """Enqueue one batch task per BATCH_SIZE recipients of this period's digest."""
    if period not in (Delivery.DAILY, Delivery.WEEKLY):
        raise ValueError(f"unknown digest period {period!r}")
    groups = batches(recipient_ids_for(period))
    for ids in groups:
        digest_send_batch.enqueue(period, ids)
    return len(groups)
