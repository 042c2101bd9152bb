"""Members register to an action as participants; the action's capacity holds."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from essaim.actions import missions
from essaim.actions.models import Action, Registration, RegistrationStatus

pytestmark = pytest.mark.django_db


def test_register_then_cancel_keeps_the_count(action_world):
    action = action_world.actions["circle"]
    registration = missions.registration_create(actor=action_world.users["member_a"], action=action)
    assert registration.status == RegistrationStatus.CONFIRMED
    action.refresh_from_db()
    assert action.registered_count == 1
    missions.registration_cancel(actor=action_world.users["member_a"], registration=registration)
    action.refresh_from_db()
    assert action.registered_count == 0
    again = missions.registration_create(actor=action_world.users["member_a"], action=action)
    assert again.pk == registration.pk and again.status == RegistrationStatus.CONFIRMED


def test_full_action_refuses_and_changes_nothing(action_world):
    action = action_world.actions["members"]
    Action.objects.filter(pk=action.pk).update(capacity=1)
    action.refresh_from_db()
    missions.registration_create(actor=action_world.users["member_a"], action=action)
    with pytest.raises(ValidationError, match="complète"):
        missions.registration_create(actor=action_world.users["member_b"], action=action)
    action.refresh_from_db()
    assert action.registered_count == 1
    assert Registration.objects.filter(action=action).count() == 1


def test_closed_registrations_and_hidden_actions(action_world):
    action = action_world.actions["members"]
    Action.objects.filter(pk=action.pk).update(registrations_open=False)
    action.refresh_from_db()
    with pytest.raises(ValidationError, match="fermées"):
        missions.registration_create(actor=action_world.users["member_a"], action=action)
    with pytest.raises(PermissionDenied):
        missions.registration_create(
            actor=action_world.users["member_b"], action=action_world.actions["circle"]
        )
    with pytest.raises(ValidationError, match="annoncée"):
        missions.registration_create(
            actor=action_world.users["admin"], action=action_world.actions["draft"]
        )
    assert not Registration.objects.exists()


def test_someone_else_cannot_cancel_my_registration(action_world):
    action = action_world.actions["members"]
    registration = missions.registration_create(actor=action_world.users["member_a"], action=action)
    with pytest.raises(PermissionDenied):
        missions.registration_cancel(
            actor=action_world.users["member_b"], registration=registration
        )
    # A coordinator of the circle may.
    missions.registration_cancel(
        actor=action_world.users["coordinator_a"], registration=registration
    )
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED


def test_register_from_the_page(client, action_world):
    action = action_world.actions["members"]
    client.force_login(action_world.users["member_b"])
    response = client.post(
        reverse("actions:register", kwargs={"slug": action.slug}), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Vous êtes inscrit." in response.content.decode()
    assert "1 participant inscrit." in response.content.decode()
    response = client.post(reverse("actions:register", kwargs={"slug": action.slug}))
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Vous êtes déjà inscrit à cette action." in page.content.decode()
    client.post(reverse("actions:register_cancel", kwargs={"slug": action.slug}))
    action.refresh_from_db()
    assert action.registered_count == 0
