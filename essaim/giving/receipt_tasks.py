"""Background work of tax receipts: draw and e-mail one receipt; run the annual recap batch."""

from __future__ import annotations

from django_tasks import task


@task()
def receipt_deliver(receipt_id: int) -> bool:
    """Draw a receipt's PDF into private storage and e-mail it to the donor."""
    from .receipts import receipt_deliver as deliver

    return deliver(receipt_id=receipt_id)


@task()
def annual_receipts_run(batch_id: int) -> int:
    """Issue every annual recap receipt of a batch, updating its progress."""
    from .receipts import annual_receipts_run as run

    return run(batch_id=batch_id).issued
