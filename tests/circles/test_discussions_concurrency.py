"""A reply racing a coordinator who locks the thread: the lock wins, nothing slips in."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from essaim.circles import discussions
from essaim.circles.models import Message, Thread
from tests.circles.discussion_world import build_world

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_reply_waits_for_a_lock_in_progress_and_is_refused():
    world = build_world("private")
    count = Message.objects.count()
    locked_row = threading.Event()
    outcome: dict[str, object] = {}

    def lock_thread() -> None:
        try:
            with transaction.atomic():
                thread = Thread.objects.select_for_update().get(pk=world.thread.pk)
                locked_row.set()
                time.sleep(0.5)  # the reply arrives while the row is held
                thread.locked = True
                thread.save(update_fields=["locked"])
        finally:
            connections.close_all()

    def reply() -> None:
        locked_row.wait(5)
        try:
            discussions.message_post(
                actor=world.users["member"], thread=world.thread, body="Vite !"
            )
            outcome["result"] = "posted"
        except ValidationError as error:
            outcome["result"] = error.messages[0]
        finally:
            connections.close_all()

    workers = [threading.Thread(target=lock_thread), threading.Thread(target=reply)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert outcome["result"] == "Cette discussion est verrouillée : on ne peut plus y répondre."
    assert Message.objects.count() == count
