"""Check-in on the day: present/absent toggles, walk-ins, volunteer minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from essaim.actions import missions
from essaim.actions.models import (
    Action,
    ActionStatus,
    ActionVisibility,
    MissionSignup,
    Registration,
    RegistrationSource,
)
from essaim.people.models import Person
from tests.actions.conftest import make_action
from tests.actions.test_missions import make_mission

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(action_world):
    action = make_action(
        action_world,
        title="Collecte en cours",
        status=ActionStatus.RUNNING,
        visibility=ActionVisibility.MEMBERS,
    )
    action_world.actions["running"] = action
    return action


def test_volunteer_present_gets_the_slot_minutes(action_world, running):
    mission = make_mission(action_world, key="running", capacity=2)
    missions.mission_update(
        actor=action_world.users["admin"],
        mission=mission,
        data={"ends_at": mission.starts_at + timedelta(hours=2, minutes=30)},
    )
    signup = missions.mission_signup(actor=action_world.users["member_a"], mission=mission)
    signup = MissionSignup.objects.select_related("mission__action__circle").get(pk=signup.pk)
    missions.signup_check_in(
        actor=action_world.users["coordinator_a"], signup=signup, attended=True
    )
    signup.refresh_from_db()
    assert signup.attended is True and signup.minutes == 150
    missions.signup_check_in(
        actor=action_world.users["coordinator_a"], signup=signup, attended=False
    )
    signup.refresh_from_db()
    assert signup.attended is False and signup.minutes is None


def test_checkin_closed_before_the_day(action_world):
    registration = missions.registration_create(
        actor=action_world.users["member_a"], action=action_world.actions["circle"]
    )
    with pytest.raises(ValidationError, match="jour de l'action"):
        missions.registration_check_in(
            actor=action_world.users["coordinator_a"], registration=registration, attended=True
        )
    registration.refresh_from_db()
    assert registration.attended is None


def test_walk_in_matches_by_email_and_counts(action_world, running):
    existing = Person.objects.get(user=action_world.users["member_b"])
    registration = missions.walk_in_add(
        actor=action_world.users["coordinator_a"],
        action=running,
        name="Quelqu'un d'autre",
        email=existing.email.upper(),
    )
    assert registration.person_id == existing.pk
    assert registration.source == RegistrationSource.WALK_IN and registration.attended is True
    anonymous = missions.walk_in_add(
        actor=action_world.users["coordinator_a"], action=running, name="Jo Dupont"
    )
    assert (anonymous.person.given_name, anonymous.person.family_name) == ("Jo", "Dupont")
    running.refresh_from_db()
    assert running.registered_count == 2


def test_checkin_page_toggles_with_and_without_htmx(client, action_world, running):
    registration = missions.registration_create(
        actor=action_world.users["member_a"], action=running
    )
    client.force_login(action_world.users["coordinator_a"])
    page = client.get(reverse("actions:checkin", kwargs={"slug": running.slug}))
    assert "0 présents / 1 inscrits" in page.content.decode()
    url = reverse(
        "actions:checkin_registration",
        kwargs={"slug": running.slug, "registration_id": registration.pk},
    )
    response = client.post(url, {"attended": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-pressed="true"' in html and "1 présents / 1 inscrits" in html
    response = client.post(url, {"attended": "0"})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.attended is False


def test_walk_in_form_errors(client, action_world, running):
    client.force_login(action_world.users["coordinator_a"])
    url = reverse("actions:walk_in", kwargs={"slug": running.slug})
    people = Person.objects.count()
    response = client.post(url, {"name": "", "email": "pas-une-adresse"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ce champ est obligatoire." in html
    assert "Cette adresse e-mail ne semble pas valide." in html
    assert Person.objects.count() == people
    response = client.post(url, {"name": "Camille Petit", "email": ""})
    assert response.status_code == 302
    assert (
        Registration.objects.filter(action=running, source=RegistrationSource.WALK_IN).count() == 1
    )


def _fill(world, action, rows):
    from tests.conftest import make_user_for_role

    mission = make_mission(world, key="running", capacity=rows)
    for _ in range(rows):
        user = make_user_for_role("member")
        missions.registration_create(actor=user, action=action)
        missions.mission_signup(actor=user, mission=mission)


@pytest.mark.parametrize("rows", [2, 20])
def test_checkin_query_count_is_constant(
    client, action_world, running, django_assert_num_queries, rows
):
    _fill(action_world, running, rows)
    client.force_login(action_world.users["coordinator_a"])
    url = reverse("actions:checkin", kwargs={"slug": running.slug})
    client.get(url)
    # Measured: 10 (session, user, action, roles, two lists, two counts, badge…), any row count.
    with django_assert_num_queries(10):
        response = client.get(url)
    assert response.content.decode().count('class="checkin-row card"') == 2 * rows


def test_action_capacity_ignored_for_walk_ins(action_world, running):
    Action.objects.filter(pk=running.pk).update(capacity=0)
    running.refresh_from_db()
    missions.walk_in_add(actor=action_world.users["admin"], action=running, name="Sam")
    running.refresh_from_db()
    assert running.registered_count == 1
