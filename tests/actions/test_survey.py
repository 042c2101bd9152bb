"""The feedback survey: sent once after the action, answered without an account, summarised."""

from __future__ import annotations

import html
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend

from essaim.actions import evaluation
from essaim.actions.evaluation import feedback_surveys_dispatch, survey_code
from essaim.actions.evaluation_selectors import feedback_summary
from essaim.actions.models import (
    Action,
    ActionStatus,
    Feedback,
    Registration,
    RegistrationStatus,
    SignupStatus,
)
from essaim.actions.services import action_transition
from essaim.feed.scheduling import JOBS, PARIS
from tests.actions.conftest import ActionWorld, build_action_world
from tests.actions.evaluation_helpers import add_mission, add_registration, add_signup, done_action
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: Any) -> ActionWorld:
    return build_action_world()


@pytest.fixture
def done(world: ActionWorld) -> Action:
    return done_action(world)


def survey_links(message: Any) -> list[str]:
    return [line.strip() for line in message.body.splitlines() if "/actions/avis/" in line]


def test_survey_goes_once_to_participants_and_present_volunteers(world, done):
    present = add_registration(done, PersonFactory(email="present@exemple.org"), attended=True)
    unmarked = add_registration(done, PersonFactory(email="unmarked@exemple.org"))
    absent = add_registration(done, PersonFactory(email="absent@exemple.org"), attended=False)
    cancelled = add_registration(
        done, PersonFactory(email="cancelled@exemple.org"), status=RegistrationStatus.CANCELLED
    )
    mission = add_mission(done)
    add_signup(mission, PersonFactory(email="benevole@exemple.org"), attended=True)
    add_signup(mission, PersonFactory(email="absent-benevole@exemple.org"), attended=False)
    add_signup(
        mission,
        PersonFactory(email="desiste@exemple.org"),
        attended=None,
        status=SignupStatus.WITHDRAWN,
    )
    # Both a participant and a volunteer: one email.
    add_signup(mission, present.person, attended=True)
    add_registration(done, PersonFactory(email=""), attended=True)  # nowhere to send

    assert feedback_surveys_dispatch() == 3
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["benevole@exemple.org", "present@exemple.org", "unmarked@exemple.org"]
    assert mail.outbox[0].subject == "Votre avis sur « Maraude terminée »"
    assert len(survey_links(mail.outbox[0])) == 1
    done.refresh_from_db()
    assert done.feedback_sent_at is not None
    asked = set(
        Registration.objects.filter(feedback_requested_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    assert present.pk in asked and unmarked.pk in asked
    assert absent.pk not in asked and cancelled.pk not in asked
    # A second run (next hour) sends nothing again.
    assert feedback_surveys_dispatch() == 0
    assert len(mail.outbox) == 3


def test_survey_waits_for_the_end_and_for_the_done_status(world):
    now = timezone.now()
    running = done_action(world, title="Pas finie", starts_at=now - timedelta(hours=1))
    running.status = ActionStatus.RUNNING
    running.save(update_fields=["status"])
    just_ended = done_action(
        world,
        title="Juste finie",
        starts_at=now - timedelta(hours=2),
        ends_at=now - timedelta(minutes=30),
    )
    for action in (running, just_ended):
        add_registration(action, PersonFactory(email=f"{action.slug}@exemple.org"), attended=True)
    assert feedback_surveys_dispatch() == 0
    assert mail.outbox == []
    # Two hours after the end, the done action is surveyed; the running one still waits.
    assert feedback_surveys_dispatch(now=now + timedelta(hours=2)) == 1
    assert mail.outbox[0].to == ["juste-finie@exemple.org"]


def test_quickly_evaluated_action_is_surveyed_but_not_an_old_one(world, done):
    add_registration(done, PersonFactory(email="p@exemple.org"), attended=True)
    action_transition(actor=world.users["admin"], action=done, target=ActionStatus.EVALUATED)
    long_ago = timezone.now() - timedelta(days=30)
    old = done_action(world, title="Vieille action", starts_at=long_ago)
    add_registration(old, PersonFactory(email="old@exemple.org"), attended=True)
    assert feedback_surveys_dispatch() == 1
    assert mail.outbox[-1].to == ["p@exemple.org"]
    old.refresh_from_db()
    assert old.feedback_sent_at is None


def test_link_in_the_email_lets_the_person_answer_once_without_an_account(client, world, done):
    person = PersonFactory(email="p@exemple.org")
    add_registration(done, person, attended=True)
    feedback_surveys_dispatch()
    url = survey_links(mail.outbox[0])[0].split("http://testserver", 1)[-1]
    path = url[url.index("/actions/avis/") :]
    page = client.get(path)
    assert page.status_code == 200
    assert "Votre avis sur « Maraude terminée »" in html.unescape(page.content.decode())
    assert page["Referrer-Policy"] == "no-referrer"
    response = client.post(path, {"rating": "5", "comment": "  Très bien organisé  "})
    assert "Merci !" in html.unescape(response.content.decode())
    feedback = Feedback.objects.get()
    assert (feedback.person, feedback.rating, feedback.comment) == (person, 5, "Très bien organisé")
    # Back on the link: already answered, a second answer is not recorded.
    again = client.post(path, {"rating": "1", "comment": "Changé d'avis"})
    assert "déjà répondu" in html.unescape(again.content.decode())
    assert Feedback.objects.get().rating == 5


def test_submit_service_keeps_the_first_answer(world, done):
    person = PersonFactory()
    first = evaluation.feedback_submit(action=done, person_id=person.pk, rating=4)
    second = evaluation.feedback_submit(action=done, person_id=person.pk, rating=1)
    assert first is not None and second is None
    assert Feedback.objects.get().rating == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rating": "7"}, "Choisissez une note de 1 à 5."),
        ({"rating": "zéro"}, "Choisissez une note de 1 à 5."),
        ({"comment": "Sans note"}, "Choisissez une note de 1 à 5."),
        ({"rating": "3", "comment": "x" * 4001}, "au plus 4000 caractères"),
    ],
    ids=["too-high", "not-a-number", "missing", "too-long"],
)
def test_bad_answer_gets_a_french_message_and_records_nothing(client, world, done, data, message):
    person = PersonFactory()
    path = reverse("actions:survey", kwargs={"code": survey_code(done, person.pk)})
    response = client.post(path, data)
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert message in text.replace("\u202f", " ").replace("4 000", "4000")
    assert not Feedback.objects.exists()


def test_forged_altered_or_expired_code_is_refused(client, world, done, monkeypatch):
    person = PersonFactory()
    code = survey_code(done, person.pk)
    other = done_action(world, title="Autre")
    forged = survey_code(other, person.pk).split(":")[0] + ":" + code.split(":", 1)[1]
    for bad in (forged, code[:-2] + "xx", "n-importe-quoi"):
        response = client.get(reverse("actions:survey", kwargs={"code": bad}))
        assert response.status_code == 404
        assert "Ce lien ne fonctionne pas" in html.unescape(response.content.decode())
    monkeypatch.setattr(evaluation, "SURVEY_MAX_AGE", timedelta(seconds=-1))
    assert client.get(reverse("actions:survey", kwargs={"code": code})).status_code == 404
    assert (
        client.post(reverse("actions:survey", kwargs={"code": code}), {"rating": "5"}).status_code
        == 404
    )
    assert not Feedback.objects.exists()


def test_summary_counts_average_distribution_and_comments(world, done):
    for rating, comment in ((5, "Top"), (5, ""), (4, "Bien"), (2, "Froid")):
        Feedback.objects.create(action=done, person=PersonFactory(), rating=rating, comment=comment)
    summary = feedback_summary(done)
    assert summary.count == 4
    assert summary.average_text == "4,0"
    assert summary.distribution == [(5, 2, 50), (4, 1, 25), (3, 0, 0), (2, 1, 25), (1, 0, 0)]
    assert sorted(f.comment for f in summary.comments) == ["Bien", "Froid", "Top"]
    empty = feedback_summary(done_action(world, title="Sans avis"))
    assert (empty.count, empty.average, empty.comments) == (0, None, [])


# --- the periodic job ------------------------------------------------------------------


def test_feedback_job_runs_every_hour():
    from datetime import datetime

    job = JOBS["feedback_surveys"]
    assert job.hourly
    after = datetime(2026, 11, 23, 9, 5, tzinfo=PARIS)
    assert job.next_run(after) == datetime(2026, 11, 23, 9, 20, tzinfo=PARIS)
    assert job.next_run(datetime(2026, 11, 23, 9, 20, tzinfo=PARIS)) == datetime(
        2026, 11, 23, 10, 20, tzinfo=PARIS
    )
    # Across the autumn clock change an hour is still an hour.
    before_change = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS).replace(fold=0)
    assert (job.next_run(before_change) - before_change) <= timedelta(hours=1)


@pytest.fixture
def dummy_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]
    yield default_task_backend
    default_task_backend.clear()  # type: ignore[attr-defined]


def test_run_periodic_enqueues_one_batched_task(dummy_tasks):
    call_command("run_periodic", "feedback_surveys", stdout=StringIO())
    assert [r.task.name for r in dummy_tasks.results] == ["feedback_surveys_send"]


def test_task_sends_the_surveys(world, done):
    from essaim.actions.tasks_evaluation import feedback_surveys_send

    add_registration(done, PersonFactory(email="p@exemple.org"), attended=True)
    assert feedback_surveys_send.call() == 1
    assert len(mail.outbox) == 1
