"""Role matrix of the action pages (lists, action page, lifecycle, objectives, tasks, calendar).

Each row names what every circle role gets: a status code, or LOGIN (sent to the login page).
An action the user may not see answers 404 exactly like a wrong address; one they see but do
not manage answers 403. See tests/circles/test_access.py for the pattern.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from essaim.actions.models import Metric
from essaim.actions.services import objective_create, task_create
from tests.access import assert_circle_access
from tests.actions.conftest import ActionWorld
from tests.circles.conftest import CIRCLE_ROLES

LOGIN = "login"
Expect = dict[str, int | str]


def expect(default: int | str, **by_role: int | str) -> Expect:
    """Every role gets ``default`` unless named; anonymous goes to the login page by default."""
    table: Expect = {role: default for role in CIRCLE_ROLES}
    table["anonymous"] = LOGIN
    table.update(by_role)
    return table


def managers(ok: int, other: int = 403, **by_role: int | str) -> Expect:
    return expect(other, coordinator_a=ok, admin=ok, **by_role)


def circle_a_managers(ok: int) -> Expect:
    """An action of circle A (circle visibility): outsiders do not see it, members cannot manage."""
    return expect(404, member_a=403, coordinator_a=ok, admin=ok)


def secret(ok: int) -> Expect:
    return expect(404, admin=ok)


@dataclass(frozen=True)
class ActionRoute:
    name: str
    expected: Expect
    kwargs: Callable[[ActionWorld], dict[str, Any]] = lambda w: {}
    method: str = "get"
    data: Callable[[ActionWorld], dict[str, Any]] | None = None
    query: str = ""
    label: str = ""

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.name}{' ' + self.label if self.label else ''}"


def circle(key: str) -> Callable[[ActionWorld], dict[str, Any]]:
    return lambda w: {"slug": w.circles[key].slug}


def action(key: str, **extra: Any) -> Callable[[ActionWorld], dict[str, Any]]:
    return lambda w: {"slug": w.actions[key].slug, **extra}


def _objective(key: str) -> Callable[[ActionWorld], dict[str, Any]]:
    def kwargs(w: ActionWorld) -> dict[str, Any]:
        objective = objective_create(
            actor=w.users["admin"], action=w.actions[key], metric=Metric.PARTICIPANTS, target=50
        )
        return {"slug": w.actions[key].slug, "objective_id": objective.pk}

    return kwargs


def _results(key: str) -> Callable[[ActionWorld], dict[str, Any]]:
    def kwargs(w: ActionWorld) -> dict[str, Any]:
        objective_create(
            actor=w.users["admin"], action=w.actions[key], metric=Metric.MONEY, target=100_000
        )
        return {"slug": w.actions[key].slug}

    return kwargs


def _results_data(w: ActionWorld) -> dict[str, Any]:
    objective = w.actions["circle"].objectives.get()
    return {f"achieved_{objective.pk}": "1 234,50"}


def _task(key: str, assignee: str | None = "member_a") -> Callable[[ActionWorld], dict[str, Any]]:
    def kwargs(w: ActionWorld) -> dict[str, Any]:
        task = task_create(
            actor=w.users["admin"],
            action=w.actions[key],
            title="Imprimer les tracts",
            assignee=w.person(assignee) if assignee else None,
        )
        return {"slug": w.actions[key].slug, "task_id": task.pk}

    return kwargs


def _new_action(w: ActionWorld) -> dict[str, Any]:
    starts = timezone.localtime() + timedelta(days=10)
    return {
        "title": "Collecte alimentaire",
        "kind": "fundraiser",
        "summary": "",
        "description": "Devant le **supermarché**.",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
        "place_name": "",
        "address": "",
        "postal_code": "",
        "city": "Lyon",
        "online_url": "",
        "visibility": "circle",
        "capacity": "",
        "registrations_open": "on",
        "cover_alt": "",
    }


def _edit_action(key: str) -> Callable[[ActionWorld], dict[str, Any]]:
    def data(w: ActionWorld) -> dict[str, Any]:
        current = w.actions[key]
        fields = _new_action(w)
        fields.update(
            title=f"{current.title} (modifiée)",
            kind=current.kind,
            visibility=current.visibility,
            starts_at=timezone.localtime(current.starts_at).strftime("%Y-%m-%dT%H:%M"),
            ends_at=timezone.localtime(current.ends_at).strftime("%Y-%m-%dT%H:%M"),
        )
        return fields

    return data


def _task_data(w: ActionWorld) -> dict[str, Any]:
    return {
        "title": "Réserver la salle",
        "notes": "",
        "assignee": str(w.person("member_a").pk),
        "due_on": "12/12/2030",
    }


EVERYONE_200 = expect(200, anonymous=200)
SIGNED_IN_200 = expect(200)

ROUTES: list[ActionRoute] = [
    # Lists and calendars: for people signed in; each shows only what they may see.
    ActionRoute("actions:list", SIGNED_IN_200),
    ActionRoute(
        "actions:list", SIGNED_IN_200, query="kind=street&status=preparing", label="filter"
    ),
    ActionRoute("actions:list", SIGNED_IN_200, query="periode=passees&page=3", label="past"),
    ActionRoute("actions:list", SIGNED_IN_200, query="kind=nimporte", label="bad filter"),
    ActionRoute("actions:calendar", SIGNED_IN_200),
    ActionRoute("actions:calendar", SIGNED_IN_200, query="mois=2030-02", label="month"),
    ActionRoute("actions:calendar", SIGNED_IN_200, query="mois=abc-99", label="bad month"),
    ActionRoute("actions:my_tasks", SIGNED_IN_200),
    ActionRoute("actions:circle_list", SIGNED_IN_200, kwargs=circle("a")),
    ActionRoute("actions:circle_list", secret(200), kwargs=circle("secret"), label="secret"),
    ActionRoute("actions:circle_calendar", SIGNED_IN_200, kwargs=circle("a")),
    ActionRoute("actions:circle_calendar", secret(200), kwargs=circle("secret"), label="secret"),
    # Creating: coordinators of the circle and administrators.
    ActionRoute("actions:create", managers(200), kwargs=circle("a")),
    ActionRoute(
        "actions:create", managers(302), kwargs=circle("a"), method="post", data=_new_action
    ),
    ActionRoute("actions:create", secret(200), kwargs=circle("secret"), label="secret"),
    # The action page: by visibility and status.
    ActionRoute(
        "actions:detail",
        expect(404, coordinator_a=200, admin=200),
        kwargs=action("draft"),
        label="draft",
    ),
    ActionRoute(
        "actions:detail",
        expect(404, member_a=200, coordinator_a=200, admin=200),
        kwargs=action("circle"),
        label="circle",
    ),
    ActionRoute("actions:detail", SIGNED_IN_200, kwargs=action("members"), label="members"),
    ActionRoute("actions:detail", EVERYONE_200, kwargs=action("public"), label="public"),
    ActionRoute("actions:detail", secret(200), kwargs=action("secret"), label="secret"),
    # Editing and the lifecycle: coordinators and admins.
    ActionRoute("actions:edit", circle_a_managers(200), kwargs=action("circle")),
    ActionRoute("actions:edit", managers(200), kwargs=action("members"), label="members"),
    ActionRoute(
        "actions:edit",
        circle_a_managers(302),
        kwargs=action("circle"),
        method="post",
        data=_edit_action("circle"),
    ),
    ActionRoute("actions:edit", secret(200), kwargs=action("secret"), label="secret"),
    ActionRoute(
        "actions:move",
        expect(404, coordinator_a=200, admin=200),
        kwargs=action("draft", status="preparing"),
        label="announce",
    ),
    ActionRoute(
        "actions:move",
        expect(404, coordinator_a=302, admin=302),
        kwargs=action("draft", status="preparing"),
        method="post",
        label="announce",
    ),
    ActionRoute(
        "actions:move",
        circle_a_managers(302),
        kwargs=action("circle", status="running"),
        method="post",
        label="run",
    ),
    ActionRoute(
        "actions:move",
        circle_a_managers(302),
        kwargs=action("circle", status="evaluated"),
        label="out of order",
    ),
    ActionRoute(
        "actions:move",
        circle_a_managers(404),
        kwargs=action("circle", status="nimporte"),
        label="unknown status",
    ),
    ActionRoute(
        "actions:move", secret(200), kwargs=action("secret", status="running"), label="secret"
    ),
    ActionRoute("actions:cancel", circle_a_managers(200), kwargs=action("circle")),
    ActionRoute(
        "actions:cancel",
        circle_a_managers(302),
        kwargs=action("circle"),
        method="post",
        data=lambda w: {"reason": "Orage annoncé"},
    ),
    ActionRoute("actions:cancel", secret(200), kwargs=action("secret"), label="secret"),
    # Objectives and live results.
    ActionRoute("actions:objective_create", circle_a_managers(200), kwargs=action("circle")),
    ActionRoute(
        "actions:objective_create",
        circle_a_managers(302),
        kwargs=action("circle"),
        method="post",
        data=lambda w: {"metric": "money", "target": "1 500", "label": "", "unit": ""},
    ),
    ActionRoute("actions:objective_create", secret(200), kwargs=action("secret"), label="secret"),
    ActionRoute("actions:objective_edit", circle_a_managers(200), kwargs=_objective("circle")),
    ActionRoute(
        "actions:objective_edit",
        circle_a_managers(302),
        kwargs=_objective("circle"),
        method="post",
        data=lambda w: {"metric": "participants", "target": "80"},
    ),
    ActionRoute(
        "actions:objective_edit", managers(200), kwargs=_objective("members"), label="members"
    ),
    ActionRoute("actions:objective_delete", circle_a_managers(200), kwargs=_objective("circle")),
    ActionRoute(
        "actions:objective_delete",
        circle_a_managers(302),
        kwargs=_objective("circle"),
        method="post",
    ),
    ActionRoute("actions:results", circle_a_managers(200), kwargs=_results("circle")),
    ActionRoute(
        "actions:results",
        circle_a_managers(302),
        kwargs=_results("circle"),
        method="post",
        data=_results_data,
    ),
    ActionRoute("actions:results", secret(200), kwargs=_results("secret"), label="secret"),
    # Tasks: coordinators manage; the assignee (member_a) may tick their own task.
    ActionRoute("actions:task_create", circle_a_managers(200), kwargs=action("circle")),
    ActionRoute(
        "actions:task_create",
        circle_a_managers(200),
        kwargs=action("circle"),
        query="q=zzz",
        label="search",
    ),
    ActionRoute(
        "actions:task_create",
        circle_a_managers(302),
        kwargs=action("circle"),
        method="post",
        data=_task_data,
    ),
    ActionRoute("actions:task_edit", circle_a_managers(200), kwargs=_task("circle")),
    ActionRoute(
        "actions:task_edit",
        circle_a_managers(302),
        kwargs=_task("circle"),
        method="post",
        data=_task_data,
    ),
    ActionRoute(
        "actions:task_done",
        expect(404, member_a=302, coordinator_a=302, admin=302),
        kwargs=_task("circle"),
        method="post",
        data=lambda w: {"done": "1"},
    ),
    ActionRoute(
        "actions:task_done",
        circle_a_managers(302),
        kwargs=_task("circle", None),
        method="post",
        label="unassigned",
    ),
    ActionRoute(
        "actions:task_done",
        expect(403, coordinator_a=302, admin=302),
        kwargs=_task("members", "coordinator_a"),
        method="post",
        label="members",
    ),
    ActionRoute("actions:task_delete", circle_a_managers(200), kwargs=_task("circle")),
    ActionRoute(
        "actions:task_delete", circle_a_managers(302), kwargs=_task("circle"), method="post"
    ),
    ActionRoute("actions:task_delete", secret(200), kwargs=_task("secret", None), label="secret"),
]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", CIRCLE_ROLES)
def test_access(client: Any, action_world: ActionWorld, route: ActionRoute, role: str) -> None:
    assert_circle_access(client, action_world, route, role)


def test_a_hidden_action_looks_like_a_missing_one(client: Any, action_world: ActionWorld) -> None:
    client.force_login(action_world.users["member_b"])
    hidden = client.get(
        reverse("actions:detail", kwargs={"slug": action_world.actions["circle"].slug})
    )
    missing = client.get(reverse("actions:detail", kwargs={"slug": "nexiste-pas"}))
    assert hidden.status_code == missing.status_code == 404
    assert "Action du cercle A" not in hidden.content.decode()
