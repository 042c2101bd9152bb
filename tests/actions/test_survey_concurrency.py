"""Races on PostgreSQL: two survey runs at once send each email once; two answers keep one."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection, connections

from essaim.actions import evaluation
from essaim.actions.models import Action, Feedback
from tests.actions.conftest import build_action_world
from tests.actions.evaluation_helpers import add_registration, done_action
from tests.people.factories import PersonFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
    ),
]


def _together(target, count: int = 2) -> list[object]:
    """Run ``target`` in ``count`` threads released at the same instant; return their results."""
    barrier = threading.Barrier(count)
    results: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(5)
            value = target()
        except Exception as error:
            value = error
        finally:
            connections.close_all()
        with lock:
            results.append(value)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return results


def test_two_survey_runs_at_once_send_each_email_once():
    world = build_action_world()
    actions = [done_action(world, title=f"Action {index}") for index in range(3)]
    for action in actions:
        for _ in range(3):
            add_registration(action, PersonFactory(), attended=True)
    mail.outbox.clear()  # announcements of the actions, sent by their lifecycle
    results = _together(evaluation.feedback_surveys_dispatch, count=3)
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 9  # type: ignore[arg-type]
    surveys = [m for m in mail.outbox if m.subject.startswith("Votre avis")]
    assert len(surveys) == 9
    assert len({tuple(m.to) for m in surveys}) == 9
    assert Action.objects.filter(pk__in=[a.pk for a in actions], feedback_sent_at=None).count() == 0


def test_two_answers_at_once_keep_exactly_one():
    world = build_action_world()
    action = done_action(world)
    person = PersonFactory()
    ratings = iter([5, 1, 3, 2])

    def answer() -> object:
        return evaluation.feedback_submit(action=action, person_id=person.pk, rating=next(ratings))

    results = _together(answer, count=4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len([r for r in results if r is not None]) == 1
    assert Feedback.objects.filter(action=action, person=person).count() == 1
