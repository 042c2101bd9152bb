"""Races on the "useful" counter: many people at once, and one person's double click."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from essaim.practices.models import PracticeSheet, PracticeVote
from essaim.practices.services import practice_create, practice_publish, practice_vote_toggle
from tests.conftest import make_user_for_role

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]


def _sheet() -> PracticeSheet:
    admin = make_user_for_role("admin")
    sheet = practice_create(actor=admin, title="Fiche très utile")
    return practice_publish(actor=admin, sheet=sheet)


def _run_at_once(users: list, sheet: PracticeSheet) -> list[object]:
    barrier = threading.Barrier(len(users))
    results: list[object] = []

    def vote(user) -> None:
        try:
            barrier.wait(5)
            results.append(practice_vote_toggle(actor=user, sheet=sheet))
        except Exception as error:  # reported by the assertion below
            results.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=vote, args=(user,)) for user in users]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(20)
    return results


def test_simultaneous_votes_of_different_people_all_count():
    sheet = _sheet()
    users = [make_user_for_role("member") for _ in range(8)]
    for user in users:  # their Person rows exist before the race
        assert user is not None
    results = _run_at_once(users, sheet)
    assert all(isinstance(r, tuple) and r[0] is True for r in results), results
    sheet.refresh_from_db()
    assert sheet.useful_count == 8 == PracticeVote.objects.filter(sheet=sheet).count()


def test_double_click_of_one_person_counts_once():
    sheet = _sheet()
    user = make_user_for_role("member")
    results = _run_at_once([user, user, user], sheet)
    assert not [r for r in results if isinstance(r, Exception)], results
    sheet.refresh_from_db()
    votes = PracticeVote.objects.filter(sheet=sheet).count()
    assert votes in (0, 1)
    assert sheet.useful_count == votes
