"""Objectives (targets, live results, percentages) and the task checklist of an action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from essaim.actions.forms import parse_quantity
from essaim.actions.models import ActionStatus, ActionTask, Metric, Objective
from essaim.actions.services import (
    action_transition,
    objective_create,
    objective_record,
    task_create,
    task_set_done,
    task_update,
)
from essaim.feed.models import Notification, NotificationKind
from tests.actions.conftest import ActionWorld, make_action
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "money", "value"),
    [
        ("1 234,50", True, 123450),
        ("1\u202f234,5 €", True, 123450),
        ("12", True, 1200),
        ("0", True, 0),
        ("1 500", False, 1500),
        ("42", False, 42),
    ],
)
def test_numbers_typed_the_french_way(text: str, money: bool, value: int) -> None:
    assert parse_quantity(text, money=money) == value


@pytest.mark.parametrize(
    ("text", "money", "message"),
    [
        ("-3", False, "négatif"),
        ("abc", False, "n'est pas un nombre"),
        ("12,5", False, "entier"),
        ("1,234", True, "deux chiffres"),
        ("", True, "Indiquez un nombre"),
        ("NaN", True, "nombre"),
    ],
)
def test_bad_numbers_are_refused_in_french(text: str, money: bool, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_quantity(text, money=money)


def _objective_url(world: ActionWorld) -> str:
    return reverse("actions:objective_create", kwargs={"slug": world.actions["circle"].slug})


def test_money_objective_entered_in_euros_stored_in_cents(
    client, action_world: ActionWorld
) -> None:
    client.force_login(action_world.users["coordinator_a"])
    response = client.post(
        _objective_url(action_world),
        {"metric": "money", "target": "1 234,50", "label": "", "unit": ""},
    )
    assert response.status_code == 302
    objective = Objective.objects.get(action=action_world.actions["circle"])
    assert (objective.metric, objective.target) == (Metric.MONEY, 123450)
    edit = client.get(
        reverse(
            "actions:objective_edit",
            kwargs={"slug": action_world.actions["circle"].slug, "objective_id": objective.pk},
        )
    ).content.decode()
    assert 'value="1234,50"' in edit


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"metric": "custom", "target": "10", "label": ""}, "Donnez un intitulé"),
        ({"metric": "signatures", "target": "-10"}, "négatif"),
        ({"metric": "signatures", "target": "beaucoup"}, "n&#x27;est pas un nombre"),
        ({"metric": "signatures", "target": ""}, "Indiquez l&#x27;objectif"),
        ({"metric": "licornes", "target": "3"}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_objective_says_why_and_changes_nothing(
    client, action_world: ActionWorld, data: dict[str, str], message: str
) -> None:
    client.force_login(action_world.users["coordinator_a"])
    response = client.post(_objective_url(action_world), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Objective.objects.exists()


def test_custom_objective_with_unit_and_percentage_shown(client, action_world: ActionWorld) -> None:
    action = action_world.actions["circle"]
    admin = action_world.users["admin"]
    tracts = objective_create(
        actor=admin,
        action=action,
        metric=Metric.CUSTOM,
        label="Tracts distribués",
        unit="tracts",
        target=2000,
    )
    money = objective_create(actor=admin, action=action, metric=Metric.MONEY, target=50000)
    objective_create(actor=admin, action=action, metric=Metric.PARTICIPANTS, target=40)
    objective_record(actor=admin, objective=tracts, achieved=1500)
    objective_record(actor=admin, objective=money, achieved=61050)
    client.force_login(action_world.users["member_a"])
    page = client.get(reverse("actions:detail", kwargs={"slug": action.slug})).content.decode()
    assert "Tracts distribués" in page
    assert "2\u202f000 tracts" in page or "2 000 tracts" in page or "2\xa0000 tracts" in page
    assert "75 %" in page
    assert "122 %" in page  # beyond the target is shown as such
    assert "610,50 €" in page
    assert "pas encore mesuré" in page


def test_live_results_form(client, action_world: ActionWorld) -> None:
    action = action_world.actions["circle"]
    admin = action_world.users["admin"]
    money = objective_create(actor=admin, action=action, metric=Metric.MONEY, target=100000)
    people = objective_create(actor=admin, action=action, metric=Metric.PARTICIPANTS, target=50)
    action_transition(actor=admin, action=action, target=ActionStatus.RUNNING)
    client.force_login(action_world.users["coordinator_a"])
    url = reverse("actions:results", kwargs={"slug": action.slug})
    page = client.get(url).content.decode()
    assert 'inputmode="decimal"' in page
    bad = client.post(url, {f"achieved_{money.pk}": "12,345", f"achieved_{people.pk}": "30"})
    assert bad.status_code == 400
    assert "deux chiffres" in bad.content.decode()
    people.refresh_from_db()
    assert people.achieved is None  # nothing saved when one field is wrong
    good = client.post(url, {f"achieved_{money.pk}": "250,5", f"achieved_{people.pk}": ""})
    assert good.status_code == 302
    money.refresh_from_db()
    people.refresh_from_db()
    assert (money.achieved, people.achieved) == (25050, None)
    assert money.achieved_updated_by == action_world.person("coordinator_a")


def test_results_refused_on_drafts_and_closed_actions_changed_never(
    action_world: ActionWorld,
) -> None:
    admin = action_world.users["admin"]
    draft = action_world.actions["draft"]
    objective = objective_create(actor=admin, action=draft, metric=Metric.MEALS, target=100)
    with pytest.raises(ValidationError, match="annoncée"):
        objective_record(actor=admin, objective=objective, achieved=10)
    objective.refresh_from_db()
    assert objective.achieved is None
    closed = make_action(action_world, title="Finie", status=ActionStatus.EVALUATED)
    with pytest.raises(ValidationError, match="close"):
        objective_create(actor=admin, action=closed, metric=Metric.MEALS, target=100)


# --- Tasks --------------------------------------------------------------------------------


def _task_url(world: ActionWorld) -> str:
    return reverse("actions:task_create", kwargs={"slug": world.actions["circle"].slug})


def test_assignee_is_chosen_among_members_and_notified(client, action_world: ActionWorld) -> None:
    client.force_login(action_world.users["coordinator_a"])
    member_a = action_world.person("member_a")
    page = client.get(_task_url(action_world), {"q": member_a.family_name}).content.decode()
    assert f'value="{member_a.pk}"' in page
    assert f'value="{action_world.person("member_b").pk}"' not in page
    response = client.post(
        _task_url(action_world),
        {"title": "Réserver la salle", "assignee": str(member_a.pk), "due_on": "12/12/2030"},
    )
    assert response.status_code == 302
    task = ActionTask.objects.get(title="Réserver la salle")
    assert (task.assignee, task.due_on.isoformat()) == (member_a, "2030-12-12")
    notification = Notification.objects.get(recipient=member_a, kind=NotificationKind.TASK)
    assert "Réserver la salle" in notification.summary
    assert "12 décembre 2030" in notification.summary


def test_task_for_an_outsider_is_refused_and_nothing_saved(
    client, action_world: ActionWorld
) -> None:
    client.force_login(action_world.users["coordinator_a"])
    outsider = action_world.person("member_b")
    response = client.post(
        _task_url(action_world), {"title": "Réserver la salle", "assignee": str(outsider.pk)}
    )
    assert response.status_code == 400
    assert "Choisissez un membre du cercle" in response.content.decode()
    assert not ActionTask.objects.exists()
    with pytest.raises(ValidationError, match="membre du cercle"):
        task_create(
            actor=None, action=action_world.actions["circle"], title="x", assignee=PersonFactory()
        )
    assert not Notification.objects.filter(kind=NotificationKind.TASK).exists()


def test_bad_due_date_is_explained(client, action_world: ActionWorld) -> None:
    client.force_login(action_world.users["coordinator_a"])
    response = client.post(_task_url(action_world), {"title": "Tracts", "due_on": "32/13/2030"})
    assert response.status_code == 400
    assert "Date non reconnue" in response.content.decode()
    assert not ActionTask.objects.exists()


def test_reassigning_tells_only_the_new_assignee(action_world: ActionWorld) -> None:
    action = action_world.actions["circle"]
    coordinator = action_world.users["coordinator_a"]
    task = task_create(actor=coordinator, action=action, title="Affiches")
    assert not Notification.objects.filter(kind=NotificationKind.TASK).exists()
    member_a = action_world.person("member_a")
    task_update(actor=coordinator, task=task, title="Affiches", assignee=member_a)
    task_update(actor=coordinator, task=task, title="Affiches A3", assignee=member_a)
    assert Notification.objects.filter(kind=NotificationKind.TASK, recipient=member_a).count() == 1
    # Assigning oneself tells nobody.
    task_create(
        actor=coordinator, action=action, title="Moi", assignee=action_world.person("coordinator_a")
    )
    assert Notification.objects.filter(kind=NotificationKind.TASK).count() == 1


def test_overdue_tasks_show_in_words_and_done_ones_do_not(
    client, action_world: ActionWorld
) -> None:
    action = action_world.actions["circle"]
    admin = action_world.users["admin"]
    member_a = action_world.person("member_a")
    yesterday = timezone.localdate() - timedelta(days=1)
    late = task_create(
        actor=admin, action=action, title="Tâche en souffrance", assignee=member_a, due_on=yesterday
    )
    done = task_create(actor=admin, action=action, title="Tâche bouclée", due_on=yesterday)
    task_set_done(actor=admin, task=done, done=True)
    client.force_login(action_world.users["member_a"])
    page = client.get(reverse("actions:detail", kwargs={"slug": action.slug})).content.decode()
    assert page.count("en retard") == 1
    assert 'class="task overdue"' in page
    # The assignee ticks it off from the action page.
    response = client.post(
        reverse("actions:task_done", kwargs={"slug": action.slug, "task_id": late.pk}),
        {"done": "1"},
    )
    assert response.status_code == 302
    late.refresh_from_db()
    assert late.done_at is not None and late.done_by == member_a
    client.post(
        reverse("actions:task_done", kwargs={"slug": action.slug, "task_id": late.pk}),
        {"done": "0"},
    )
    late.refresh_from_db()
    assert late.done_at is None


@pytest.mark.parametrize("rows", [2, 20])
def test_my_tasks_lists_open_tasks_across_actions(
    client, action_world: ActionWorld, django_assert_num_queries, rows: int
) -> None:
    admin = action_world.users["admin"]
    member_a = action_world.person("member_a")
    other = make_action(action_world, title="Autre action", visibility="members")
    for number in range(rows // 2):
        task_create(
            actor=admin,
            action=action_world.actions["circle"],
            title=f"Ici {number}",
            assignee=member_a,
        )
        task_create(actor=admin, action=other, title=f"Là {number}", assignee=member_a)
    finished = task_create(actor=admin, action=other, title="Déjà faite", assignee=member_a)
    task_set_done(actor=admin, task=finished, done=True)
    task_create(actor=admin, action=other, title="Pas à moi")
    client.force_login(action_world.users["member_a"])
    url = reverse("actions:my_tasks")
    client.get(url)
    # session, user, person, count, tasks with their action and circle, badge, staff roles
    with django_assert_num_queries(7):
        page = client.get(url).content.decode()
    assert page.count("Marquer comme faite") == rows
    assert "Déjà faite" not in page and "Pas à moi" not in page
    assert "Autre action" in page


def test_ticking_a_task_with_htmx_swaps_only_that_task(client, action_world: ActionWorld) -> None:
    action = action_world.actions["circle"]
    task = task_create(actor=None, action=action, title="Louer la sono")
    client.force_login(action_world.users["coordinator_a"])
    url = reverse("actions:task_done", kwargs={"slug": action.slug, "task_id": task.pk})
    response = client.post(url, {"done": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<li class="task done">')
    assert "À refaire" in body and "<html" not in body
    task.refresh_from_db()
    assert task.done_at is not None
