"""Background tasks of capillarity: invitation batches and the retention job."""

from __future__ import annotations

from django_tasks import task


@task()
def invitations_send(invitation_ids: list[int]) -> int:
    """Send one batch of invitations (one task a batch, not one an address)."""
    from .invitations import invitations_send as send

    return send(invitation_ids=invitation_ids)


@task()
def invitations_retry() -> int:
    """Send again the invitations whose sending failed or whose batch was lost."""
    from .invitations import invitations_retry as retry

    return retry()


@task()
def invitations_expire() -> int:
    """Erase the addresses of invitations unanswered past the retention period."""
    from .invitations import invitations_expire as expire

    return expire()


@task()
def network_tally_check() -> int:
    """Recount the whole-network figures' running totals; return how many were wrong."""
    import logging

    from .tally import network_tally_rebuild

    wrong = network_tally_rebuild(check_first=True)
    if wrong:
        # The services keep them exact; a difference means a write bypassed them.
        logging.getLogger(__name__).warning("network tallies corrected: %d rows", wrong)
    return wrong
