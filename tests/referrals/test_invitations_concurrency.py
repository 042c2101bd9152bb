"""Two invitation batches of one person at the same instant cannot pass the daily limit."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.db import connection, connections

from essaim.core.models import Organisation
from essaim.core.selectors import organisation_get
from essaim.referrals.invitations import invitations_create
from essaim.referrals.models import Invitation
from tests.referrals.factories import member_with_account

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

BATCHES = 4
PER_BATCH = 3
LIMIT = 5


def test_concurrent_batches_never_exceed_the_daily_limit() -> None:
    Organisation.objects.filter(pk=organisation_get().pk).update(invitations_per_day=LIMIT)
    cache.clear()
    inviter = member_with_account()
    start = threading.Barrier(BATCHES)
    outcome = {"ok": 0, "refused": 0}
    lock = threading.Lock()

    def run(batch: int) -> None:
        addresses = [f"b{batch}-{n}@exemple.fr" for n in range(PER_BATCH)]
        try:
            start.wait(10)
            invitations_create(inviter=inviter, addresses=addresses)
            with lock:
                outcome["ok"] += 1
        except Exception:
            with lock:
                outcome["refused"] += 1
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(batch,)) for batch in range(BATCHES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    # 3 + 3 > 5: exactly one batch fits; the others are refused whole.
    assert outcome == {"ok": 1, "refused": BATCHES - 1}
    assert Invitation.objects.filter(inviter=inviter).count() == PER_BATCH
