"""The declared lifecycle of an action: allowed moves, history, cancellation reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from essaim.actions.models import ActionStatus, ActionTransition
from essaim.actions.policies import can_see_action
from essaim.actions.services import action_cancel, action_transition
from tests.actions.conftest import ActionWorld

pytestmark = pytest.mark.django_db


def test_each_move_is_recorded_with_who_and_when(action_world: ActionWorld) -> None:
    action = action_world.actions["circle"]
    coordinator = action_world.users["coordinator_a"]
    action = action_transition(actor=coordinator, action=action, target=ActionStatus.RUNNING)
    history = list(ActionTransition.objects.filter(action=action).order_by("id"))
    assert [(row.from_status, row.to_status) for row in history] == [
        ("", ActionStatus.DRAFT),
        (ActionStatus.DRAFT, ActionStatus.PREPARING),
        (ActionStatus.PREPARING, ActionStatus.RUNNING),
    ]
    assert history[-1].actor == action_world.person("coordinator_a")


def test_a_forbidden_move_changes_nothing(action_world: ActionWorld) -> None:
    action = action_world.actions["draft"]
    with pytest.raises(ValidationError, match="ne peut pas passer"):
        action_transition(actor=None, action=action, target=ActionStatus.EVALUATED)
    action.refresh_from_db()
    assert action.status == ActionStatus.DRAFT
    assert action.transitions.count() == 1


def test_cancel_needs_a_reason_and_is_refused_once_done(action_world: ActionWorld) -> None:
    action = action_world.actions["circle"]
    with pytest.raises(ValidationError):
        action_cancel(actor=None, action=action, reason="  ")
    action.refresh_from_db()
    assert action.status == ActionStatus.PREPARING
    cancelled = action_cancel(actor=None, action=action, reason="Orage annoncé")
    assert (cancelled.status, cancelled.cancel_reason) == (ActionStatus.CANCELLED, "Orage annoncé")
    done = action_world.actions["public"]
    for step in (ActionStatus.RUNNING, ActionStatus.DONE):
        done = action_transition(actor=None, action=done, target=step)
    with pytest.raises(ValidationError):
        action_cancel(actor=None, action=done, reason="Trop tard")


def test_visibility_rules(action_world: ActionWorld) -> None:
    users, actions = action_world.users, action_world.actions
    assert not can_see_action(users["member_a"], actions["draft"])
    assert can_see_action(users["coordinator_a"], actions["draft"])
    assert can_see_action(users["member_a"], actions["circle"])
    assert not can_see_action(users["member_b"], actions["circle"])
    assert can_see_action(users["member_b"], actions["members"])
    assert not can_see_action(users["anonymous"], actions["members"])
    assert can_see_action(users["anonymous"], actions["public"])
    # A public action of a secret circle stays hidden with its circle.
    assert not can_see_action(users["anonymous"], actions["secret"])
    assert can_see_action(users["admin"], actions["secret"])


# --- What moves tell others (helper A1) ----------------------------------------------------

from datetime import timedelta  # noqa: E402

from django.core import mail  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_tasks import default_task_backend  # noqa: E402

from essaim.actions.models import (  # noqa: E402
    Mission,
    MissionSignup,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    SignupStatus,
)
from essaim.actions.services import (  # noqa: E402
    action_cancel_notify_run,
    action_notify_members_run,
    action_url,
)
from essaim.feed.models import Activity, Notification, NotificationKind, Verb  # noqa: E402
from tests.actions.conftest import make_action  # noqa: E402
from tests.people.factories import PersonFactory  # noqa: E402


@pytest.fixture
def dummy_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]
    yield default_task_backend
    default_task_backend.clear()  # type: ignore[attr-defined]


def _announced(action) -> Activity:
    return Activity.objects.get(verb=Verb.ACTION_ANNOUNCED, url=action_url(action))


def test_announcing_records_an_activity_and_one_task_tells_the_circle(
    action_world: ActionWorld, dummy_tasks, django_capture_on_commit_callbacks
) -> None:
    draft = action_world.actions["draft"]
    coordinator = action_world.users["coordinator_a"]
    with django_capture_on_commit_callbacks(execute=True):
        action_transition(actor=coordinator, action=draft, target=ActionStatus.PREPARING)
    activity = _announced(draft)
    assert activity.actor == action_world.person("coordinator_a")
    assert activity.summary == "Brouillon A"
    # Nothing is written in the request but the activity; one task tells the members.
    assert not Notification.objects.filter(activity=activity).exists()
    results = [r for r in dummy_tasks.results if r.task.name == "action_notify_members"]
    assert [r.args for r in results] == [[activity.pk]]
    told = action_notify_members_run(activity_id=activity.pk)
    recipients = set(
        Notification.objects.filter(activity=activity).values_list("recipient", flat=True)
    )
    # member_a is told; the coordinator who announced it is not.
    assert recipients == {action_world.person("member_a").pk}
    assert told == 1
    notification = Notification.objects.get(activity=activity)
    assert notification.kind == NotificationKind.ACTION
    assert notification.url == action_url(draft)
    # Run again (a retried task): nobody is told twice.
    assert action_notify_members_run(activity_id=activity.pk) == 0
    assert Notification.objects.filter(activity=activity).count() == 1


def test_fan_out_goes_in_batches(action_world: ActionWorld) -> None:
    from essaim.circles.models import Membership

    circle = action_world.circles["a"]
    extra = [PersonFactory() for _ in range(5)]
    Membership.objects.bulk_create([Membership(circle=circle, person=p) for p in extra])
    action = make_action(action_world, title="Grande maraude")
    activity = _announced(action)
    Notification.objects.filter(activity=activity).delete()
    assert action_notify_members_run(activity_id=activity.pk, batch_size=2) == 7
    assert Notification.objects.filter(activity=activity).count() == 7


def test_back_to_draft_and_announced_again_tells_the_circle_once(
    action_world: ActionWorld,
) -> None:
    action = action_world.actions["circle"]
    action = action_transition(actor=None, action=action, target=ActionStatus.DRAFT)
    action = action_transition(actor=None, action=action, target=ActionStatus.PREPARING)
    assert Activity.objects.filter(verb=Verb.ACTION_ANNOUNCED, url=action_url(action)).count() == 1


def _registrants(world: ActionWorld, action) -> dict[str, object]:
    with_account = world.person("member_b")
    no_account = PersonFactory(email="sans.compte@exemple.org")
    no_email = PersonFactory(email="")
    gone = PersonFactory(email="desiste@exemple.org")
    volunteer = world.person("member_a")
    waiting = PersonFactory(email="attente@exemple.org")
    Registration.objects.create(
        action=action, person=with_account, status=RegistrationStatus.CONFIRMED
    )
    Registration.objects.create(
        action=action,
        person=no_account,
        status=RegistrationStatus.PENDING,
        source=RegistrationSource.PUBLIC,
    )
    Registration.objects.create(action=action, person=no_email, status=RegistrationStatus.CONFIRMED)
    Registration.objects.create(action=action, person=gone, status=RegistrationStatus.CANCELLED)
    mission = Mission.objects.create(
        action=action,
        role="Accueil",
        starts_at=action.starts_at,
        ends_at=action.starts_at + timedelta(hours=2),
        capacity=1,
    )
    MissionSignup.objects.create(mission=mission, person=volunteer, status=SignupStatus.CONFIRMED)
    MissionSignup.objects.create(mission=mission, person=waiting, status=SignupStatus.WAITING)
    # Also registered as a participant: told once.
    Registration.objects.create(
        action=action, person=volunteer, status=RegistrationStatus.CONFIRMED
    )
    return {"account": with_account, "volunteer": volunteer}


def test_cancelling_tells_registrants_and_volunteers_once_each(
    action_world: ActionWorld, dummy_tasks, django_capture_on_commit_callbacks
) -> None:
    action = action_world.actions["public"]
    people = _registrants(action_world, action)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        action_cancel(
            actor=action_world.users["coordinator_a"], action=action, reason="Orage annoncé"
        )
    results = [r for r in dummy_tasks.results if r.task.name == "action_cancel_notify"]
    assert [r.args for r in results] == [[action.pk]]
    assert Activity.objects.filter(verb=Verb.ACTION_CANCELLED, url=action_url(action)).exists()
    told = action_cancel_notify_run(action_id=action.pk)
    assert told == 5  # account, no account, no email, volunteer, waiting
    notified = set(
        Notification.objects.filter(
            kind=NotificationKind.ACTION, summary__contains="annulée"
        ).values_list("recipient", flat=True)
    )
    assert notified == {people["account"].pk, people["volunteer"].pk}  # type: ignore[attr-defined]
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert "sans.compte@exemple.org" in recipients
    assert "attente@exemple.org" in recipients
    assert "desiste@exemple.org" not in recipients
    assert len(recipients) == 4
    body = mail.outbox[0].body
    assert "Orage annoncé" in body
    assert "Action publique" in mail.outbox[0].subject


def test_cancel_notice_waits_for_the_cancellation(action_world: ActionWorld) -> None:
    action = action_world.actions["public"]
    _registrants(action_world, action)
    mail.outbox.clear()
    assert action_cancel_notify_run(action_id=action.pk) == 0
    assert mail.outbox == []


def test_evaluating_records_an_activity(action_world: ActionWorld) -> None:
    action = make_action(action_world, title="Bilan fait", status=ActionStatus.EVALUATED)
    assert Activity.objects.filter(verb=Verb.ACTION_EVALUATED, url=action_url(action)).exists()


# --- Lifecycle pages --------------------------------------------------------------------


def test_move_page_confirms_then_moves(client, action_world: ActionWorld) -> None:
    client.force_login(action_world.users["coordinator_a"])
    action = action_world.actions["circle"]
    url = reverse("actions:move", kwargs={"slug": action.slug, "status": "running"})
    page = client.get(url).content.decode()
    assert "Démarrer l&#x27;action (jour J)" in page
    action.refresh_from_db()
    assert action.status == ActionStatus.PREPARING  # a GET changes nothing
    response = client.post(url, follow=True)
    action.refresh_from_db()
    assert action.status == ActionStatus.RUNNING
    assert "En cours" in response.content.decode()


def test_out_of_order_move_says_why_and_changes_nothing(client, action_world: ActionWorld) -> None:
    client.force_login(action_world.users["coordinator_a"])
    action = action_world.actions["circle"]
    url = reverse("actions:move", kwargs={"slug": action.slug, "status": "evaluated"})
    response = client.post(url, follow=True)
    assert "ne peut pas passer" in response.content.decode()
    action.refresh_from_db()
    assert action.status == ActionStatus.PREPARING
    assert action.transitions.count() == 2


def test_cancel_page_requires_a_reason(client, action_world: ActionWorld) -> None:
    client.force_login(action_world.users["coordinator_a"])
    action = action_world.actions["circle"]
    url = reverse("actions:cancel", kwargs={"slug": action.slug})
    response = client.post(url, {"reason": "   "})
    assert response.status_code == 400
    assert "Indiquez le motif" in response.content.decode()
    action.refresh_from_db()
    assert action.status == ActionStatus.PREPARING
    response = client.post(url, {"reason": "Salle indisponible"}, follow=True)
    action.refresh_from_db()
    assert (action.status, action.cancel_reason) == (ActionStatus.CANCELLED, "Salle indisponible")
    assert "Salle indisponible" in response.content.decode()


def test_history_shows_who_moved_it(client, action_world: ActionWorld) -> None:
    action = action_world.actions["circle"]
    action_transition(
        actor=action_world.users["coordinator_a"], action=action, target=ActionStatus.RUNNING
    )
    client.force_login(action_world.users["member_a"])
    page = client.get(action_url(action)).content.decode()
    coordinator = action_world.person("coordinator_a")
    assert "Historique" in page
    assert f"par {coordinator.full_name}" in page


def test_cancel_email_is_sent_once_and_not_repeated_in_digests(
    action_world: ActionWorld, django_capture_on_commit_callbacks
) -> None:
    from essaim.feed.models import Delivery, NotificationPreference

    action = action_world.actions["public"]
    people = _registrants(action_world, action)
    eager = people["account"]
    NotificationPreference.objects.create(
        person=eager, kind=NotificationKind.ACTION, delivery=Delivery.IMMEDIATE
    )
    action = action_cancel(actor=None, action=action, reason="Préfecture")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        action_cancel_notify_run(action_id=action.pk)
    recipients = [address for message in mail.outbox for address in message.to]
    # Each address once: the person asking for immediate emails gets the notification's own.
    assert sorted(recipients) == sorted(set(recipients))
    assert recipients.count(eager.email) == 1  # type: ignore[attr-defined]
    volunteer = Notification.objects.get(
        recipient=people["volunteer"], kind=NotificationKind.ACTION, summary__contains="annulée"
    )
    assert volunteer.emailed_at is not None


def test_an_action_with_people_signed_up_cannot_go_back_to_draft(
    action_world: ActionWorld,
) -> None:
    from essaim.actions.missions import registration_create

    action = action_world.actions["circle"]
    registration_create(actor=action_world.users["member_a"], action=action)
    with pytest.raises(ValidationError, match="redevenir un brouillon"):
        action_transition(actor=None, action=action, target=ActionStatus.DRAFT)
    action.refresh_from_db()
    assert action.status == ActionStatus.PREPARING
    # Without anyone signed up, going back to draft stays possible.
    empty = action_world.actions["members"]
    assert action_transition(actor=None, action=empty, target=ActionStatus.DRAFT).status == (
        ActionStatus.DRAFT
    )
