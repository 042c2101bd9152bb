"""Visits of one link at the same instant: one row for the day, every visit counted."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from essaim.referrals.models import LinkGoal, LinkVisitDay
from tests.referrals.factories import ReferralLinkFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]

VISITORS = 12


def test_simultaneous_first_visits_are_all_counted() -> None:
    link = ReferralLinkFactory(goal=LinkGoal.JOIN)
    url = reverse("capillarity:link", kwargs={"code": link.code})
    start = threading.Barrier(VISITORS)
    statuses: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            client = Client()
            start.wait(10)
            response = client.get(url + "?c=qr")
            with lock:
                statuses.append(response.status_code)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run) for _ in range(VISITORS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert statuses == [302] * VISITORS
    row = LinkVisitDay.objects.get(link=link)
    assert (row.channel, row.count) == ("qr", VISITORS)
