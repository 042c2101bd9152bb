"""Volunteer missions: coordinators add them, volunteers sign up, withdraw and wait in line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from essaim.actions import missions
from essaim.actions.models import ActionStatus, Mission, MissionSignup, SignupStatus
from essaim.feed.models import Notification, NotificationKind
from tests.actions.conftest import make_action

pytestmark = pytest.mark.django_db


def make_mission(world, key="circle", capacity=2, role="Accueil", **fields):
    action = world.actions[key]
    start = fields.pop("starts_at", action.starts_at)
    return missions.mission_create(
        actor=world.users["admin"],
        action=action,
        data={
            "role": role,
            "starts_at": start,
            "ends_at": fields.pop("ends_at", start + timedelta(hours=2)),
            "capacity": capacity,
            **fields,
        },
    )


def test_signup_confirms_until_full_then_waiting_list(action_world):
    mission = make_mission(action_world, capacity=1)
    first = missions.mission_signup(actor=action_world.users["member_a"], mission=mission)
    second = missions.mission_signup(actor=action_world.users["coordinator_a"], mission=mission)
    assert first.status == SignupStatus.CONFIRMED
    assert second.status == SignupStatus.WAITING
    mission.refresh_from_db()
    assert mission.confirmed_count == 1


def test_withdraw_promotes_first_waiting_and_notifies(
    action_world, django_capture_on_commit_callbacks
):
    mission = make_mission(action_world, capacity=1)
    first = missions.mission_signup(actor=action_world.users["member_a"], mission=mission)
    missions.mission_signup(actor=action_world.users["coordinator_a"], mission=mission)
    missions.mission_signup(actor=action_world.users["admin"], mission=mission)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        missions.mission_withdraw(actor=action_world.users["member_a"], signup=first)
    promoted = MissionSignup.objects.get(
        mission=mission, person=action_world.person("coordinator_a")
    )
    still = MissionSignup.objects.get(mission=mission, person=action_world.person("admin"))
    assert promoted.status == SignupStatus.CONFIRMED and promoted.promoted_at is not None
    assert still.status == SignupStatus.WAITING
    mission.refresh_from_db()
    assert mission.confirmed_count == 1
    notification = Notification.objects.get(
        recipient=action_world.person("coordinator_a"), kind=NotificationKind.MISSION
    )
    assert "place s'est libérée" in notification.summary
    # Missions are emailed at once by default.
    assert [m.to for m in mail.outbox] == [[action_world.users["coordinator_a"].email]]


def test_resigning_reuses_the_row_and_queues_at_the_end(action_world):
    mission = make_mission(action_world, capacity=1)
    missions.mission_signup(actor=action_world.users["admin"], mission=mission)
    waiting = missions.mission_signup(actor=action_world.users["member_a"], mission=mission)
    missions.mission_withdraw(actor=action_world.users["member_a"], signup=waiting)
    again = missions.mission_signup(actor=action_world.users["member_a"], mission=mission)
    assert again.pk == waiting.pk
    assert again.status == SignupStatus.WAITING
    assert MissionSignup.objects.filter(mission=mission).count() == 2


def test_signing_up_twice_is_refused(action_world):
    mission = make_mission(action_world)
    missions.mission_signup(actor=action_world.users["member_a"], mission=mission)
    with pytest.raises(ValidationError, match="déjà inscrit"):
        missions.mission_signup(actor=action_world.users["member_a"], mission=mission)


def test_signup_only_for_announced_actions_one_can_see(action_world):
    draft_mission = make_mission(action_world, key="draft")
    with pytest.raises(PermissionDenied):
        missions.mission_signup(actor=action_world.users["member_a"], mission=draft_mission)
    private = make_mission(action_world, key="circle")
    with pytest.raises(PermissionDenied):
        missions.mission_signup(actor=action_world.users["member_b"], mission=private)
    done = make_action(action_world, title="Finie", status=ActionStatus.DONE)
    done_mission = make_mission(action_world, key="circle")
    done_mission.action = done
    done_mission.save()
    with pytest.raises(ValidationError, match="annoncée"):
        missions.mission_signup(actor=action_world.users["member_a"], mission=done_mission)
    assert not MissionSignup.objects.exists()


def test_capacity_cannot_drop_below_confirmed(action_world):
    mission = make_mission(action_world, capacity=2)
    missions.mission_signup(actor=action_world.users["member_a"], mission=mission)
    missions.mission_signup(actor=action_world.users["coordinator_a"], mission=mission)
    with pytest.raises(ValidationError):
        missions.mission_update(
            actor=action_world.users["admin"], mission=mission, data={"capacity": 1}
        )
    mission.refresh_from_db()
    assert mission.capacity == 2


def test_more_places_promote_waiting(action_world):
    mission = make_mission(action_world, capacity=1)
    missions.mission_signup(actor=action_world.users["member_a"], mission=mission)
    missions.mission_signup(actor=action_world.users["coordinator_a"], mission=mission)
    missions.mission_update(
        actor=action_world.users["admin"], mission=mission, data={"capacity": 2}
    )
    mission.refresh_from_db()
    assert mission.confirmed_count == 2
    assert not MissionSignup.objects.filter(status=SignupStatus.WAITING).exists()


def test_members_cannot_manage_missions(action_world):
    with pytest.raises(PermissionDenied):
        missions.mission_create(
            actor=action_world.users["member_a"],
            action=action_world.actions["circle"],
            data={
                "role": "X",
                "starts_at": timezone.now(),
                "ends_at": timezone.now(),
                "capacity": 1,
            },
        )


# --- Pages ----------------------------------------------------------------------------------


def _post_mission(client, world, **data):
    action = world.actions["circle"]
    payload = {
        "role": "Logistique",
        "description": "Porter les tables",
        "skills": "",
        "starts_at": "2030-12-12T14:00",
        "ends_at": "2030-12-12T17:00",
        "capacity": "3",
        **data,
    }
    return client.post(reverse("actions:mission_create", kwargs={"slug": action.slug}), payload)


def test_coordinator_adds_a_mission_from_the_form(client, action_world):
    client.force_login(action_world.users["coordinator_a"])
    response = _post_mission(client, action_world)
    assert response.status_code == 302
    mission = Mission.objects.get()
    assert mission.role == "Logistique" and mission.capacity == 3
    assert timezone.localtime(mission.starts_at).hour == 14


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"capacity": "0"}, "au moins une place"),
        ({"ends_at": "2030-12-12T10:00"}, "La fin doit venir après le début"),
        ({"starts_at": "demain"}, "Indiquez une date et une heure"),
        ({"role": ""}, "Ce champ est obligatoire"),
    ],
)
def test_bad_mission_input_is_explained_and_changes_nothing(client, action_world, data, message):
    client.force_login(action_world.users["coordinator_a"])
    response = _post_mission(client, action_world, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Mission.objects.exists()


def test_section_on_the_action_page_signs_up_and_withdraws(client, action_world):
    mission = make_mission(action_world, capacity=1, role="Distribution")
    action = action_world.actions["circle"]
    client.force_login(action_world.users["member_a"])
    page = client.get(reverse("actions:missions", kwargs={"slug": action.slug}))
    assert "Distribution" in page.content.decode()
    assert "1 place libre sur 1" in page.content.decode()
    response = client.post(
        reverse("actions:mission_signup", kwargs={"slug": action.slug, "mission_id": mission.pk}),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Vous êtes inscrit à cette mission." in html
    assert "Complet" in html
    response = client.post(
        reverse("actions:mission_withdraw", kwargs={"slug": action.slug, "mission_id": mission.pk})
    )
    assert response.status_code == 302
    assert MissionSignup.objects.get().status == SignupStatus.WITHDRAWN


def test_waiting_position_is_shown(client, action_world):
    mission = make_mission(action_world, capacity=1)
    missions.mission_signup(actor=action_world.users["admin"], mission=mission)
    missions.mission_signup(actor=action_world.users["coordinator_a"], mission=mission)
    missions.mission_signup(actor=action_world.users["member_a"], mission=mission)
    client.force_login(action_world.users["member_a"])
    html = client.get(reverse("actions:my_missions")).content.decode()
    assert "Sur liste d'attente (position 2)" in html
    page = client.get(
        reverse("actions:missions", kwargs={"slug": action_world.actions["circle"].slug})
    ).content.decode()
    assert "position 2" in page


def test_my_missions_lists_upcoming_confirmed_and_waiting(client, action_world):
    user = action_world.users["member_a"]
    upcoming = make_mission(action_world, role="Accueil à venir")
    past = make_mission(
        action_world,
        role="Mission passée",
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=2, hours=-1),
    )
    missions.mission_signup(actor=user, mission=upcoming)
    # Signed up while it was still to come (sign-ups close when a mission starts).
    MissionSignup.objects.create(
        mission=past, person=action_world.person("member_a"), status=SignupStatus.CONFIRMED
    )
    client.force_login(user)
    html = client.get(reverse("actions:my_missions")).content.decode()
    assert "Accueil à venir" in html
    assert "Mission passée" not in html


def test_no_sign_up_once_the_mission_or_the_action_has_started(action_world):
    user = action_world.users["member_a"]
    started = make_mission(
        action_world,
        role="Déjà commencée",
        starts_at=timezone.now() - timedelta(minutes=5),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    with pytest.raises(ValidationError, match="déjà commencé"):
        missions.mission_signup(actor=user, mission=started)
    assert not MissionSignup.objects.filter(mission=started).exists()
    started.refresh_from_db()
    assert started.confirmed_count == 0
    action = make_action(action_world, title="En cours", days=0)
    action.starts_at = timezone.now() - timedelta(minutes=1)
    action.save()
    with pytest.raises(ValidationError, match="déjà commencé"):
        missions.registration_create(actor=user, action=action)
    assert not action.registrations.exists()


def _fill(world, count):
    user = world.users["member_a"]
    other = world.users["coordinator_a"]
    for number in range(count):
        mission = make_mission(world, role=f"Mission {number}", capacity=1)
        if number % 2:
            missions.mission_signup(actor=other, mission=mission)
        missions.mission_signup(actor=user, mission=mission)


@pytest.mark.parametrize("rows", [2, 20])
def test_my_missions_query_count_is_constant(client, action_world, django_assert_num_queries, rows):
    _fill(action_world, rows)
    client.force_login(action_world.users["member_a"])
    url = reverse("actions:my_missions")
    client.get(url)
    # session, user, person (savepoint, locked read, release), count, page, notification badge
    with django_assert_num_queries(9):
        response = client.get(url)
    assert (
        response.content.decode().count("Me désister")
        + response.content.decode().count("Quitter la liste d'attente")
        == rows
    )


@pytest.mark.parametrize("rows", [2, 20])
def test_missions_section_query_count_is_constant(
    client, action_world, django_assert_num_queries, rows
):
    _fill(action_world, rows)
    client.force_login(action_world.users["member_a"])
    url = reverse("actions:missions", kwargs={"slug": action_world.actions["circle"].slug})
    client.get(url)
    with django_assert_num_queries(10):
        response = client.get(url)
    assert response.content.decode().count('class="card mission"') == rows


def test_action_page_includes_the_missions_section(client, action_world):
    make_mission(action_world, role="Cuisine", capacity=4)
    client.force_login(action_world.users["member_a"])
    html = client.get(
        reverse("actions:detail", kwargs={"slug": action_world.actions["circle"].slug})
    ).content.decode()
    assert 'id="action-missions"' in html
    assert "Cuisine" in html and "4 places libres sur 4" in html
    assert "Je me propose" in html
    assert "Ajouter une mission" not in html
    client.force_login(action_world.users["coordinator_a"])
    html = client.get(
        reverse("actions:detail", kwargs={"slug": action_world.actions["circle"].slug})
    ).content.decode()
    assert "Ajouter une mission" in html


def test_deleting_a_mission_tells_its_volunteers(action_world):
    mission = make_mission(action_world, capacity=1, role="Buvette")
    missions.mission_signup(actor=action_world.users["member_a"], mission=mission)
    missions.mission_signup(actor=action_world.users["coordinator_a"], mission=mission)
    missions.mission_delete(actor=action_world.users["admin"], mission=mission)
    assert not Mission.objects.exists() and not MissionSignup.objects.exists()
    told = set(
        Notification.objects.filter(
            kind=NotificationKind.MISSION, summary__contains="Buvette"
        ).values_list("recipient_id", flat=True)
    )
    assert told == {action_world.person("member_a").pk, action_world.person("coordinator_a").pk}


def test_members_cannot_delete_missions(action_world):
    mission = make_mission(action_world)
    with pytest.raises(PermissionDenied):
        missions.mission_delete(actor=action_world.users["member_a"], mission=mission)
    assert Mission.objects.filter(pk=mission.pk).exists()


def test_missions_of_a_closed_action_no_longer_change(client, action_world):
    from essaim.actions.models import Mission
    from essaim.actions.services import action_cancel

    mission = make_mission(action_world, role="Accueil", capacity=3)
    action_cancel(actor=action_world.users["admin"], action=mission.action, reason="Pluie")
    client.force_login(action_world.users["coordinator_a"])
    slug = mission.action.slug
    response = client.post(
        reverse("actions:mission_delete", kwargs={"slug": slug, "mission_id": mission.pk}),
        follow=True,
    )
    assert "ses missions ne changent plus" in response.content.decode()
    assert Mission.objects.filter(pk=mission.pk).exists()
    with pytest.raises(ValidationError):
        missions.mission_update(
            actor=action_world.users["coordinator_a"], mission=mission, data={"capacity": 9}
        )
    mission.refresh_from_db()
    assert mission.capacity == 3
    page = client.get(reverse("actions:detail", kwargs={"slug": slug})).content.decode()
    assert reverse("actions:mission_create", kwargs={"slug": slug}) not in page


def test_a_click_in_the_section_says_what_happened_without_reloading(client, action_world):
    mission = make_mission(action_world, capacity=2, role="Distribution")
    action = action_world.actions["circle"]
    url = reverse("actions:mission_signup", kwargs={"slug": action.slug, "mission_id": mission.pk})
    client.force_login(action_world.users["member_a"])
    html = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert '<p class="message success">' in html
    # Refused (already signed up): the reason shows in the swapped section, once.
    html = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert html.count("Vous êtes déjà inscrit à cette mission.") == 1
    # The full page shows its messages once, at the top, not again in the section.
    client.post(url)
    page = client.get(reverse("actions:detail", kwargs={"slug": action.slug})).content.decode()
    assert page.count("Vous êtes déjà inscrit à cette mission.") == 1
