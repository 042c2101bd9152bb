"""Volunteer hours: computed from missions and check-ins, corrected, valued, totalled, exported."""

from __future__ import annotations

import html
import io
from datetime import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from essaim.actions.evaluation import signup_minutes, signup_minutes_update
from essaim.actions.evaluation_selectors import (
    hours_grouped,
    hours_row,
    hours_signups,
    hours_total,
)
from essaim.actions.models import SignupStatus
from essaim.core.models import AuditLog, Organisation
from tests.actions.conftest import ActionWorld, build_action_world
from tests.actions.evaluation_helpers import add_mission, add_signup, done_action
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: Any) -> ActionWorld:
    return build_action_world()


def set_rate(cents: int) -> None:
    from django.core.cache import cache

    Organisation.objects.update_or_create(
        pk=Organisation.SINGLETON_PK, defaults={"volunteer_hourly_rate_cents": cents}
    )
    cache.clear()


def login(client: Any, world: ActionWorld, role: str) -> None:
    user = world.users[role]
    assert user is not None
    client.force_login(user)


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


def june(day: int, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(2026, 6, day, hour, 0))


@pytest.fixture
def hours_world(world: ActionWorld) -> dict[str, Any]:
    """Circle A: a 3-hour mission (two present, one absent, one withdrawn, one corrected to 90 min);
    circle B: a 2-hour mission with one present volunteer; last year: one present volunteer."""
    alice = PersonFactory(given_name="Alice", family_name="Arnaud")
    bruno = PersonFactory(given_name="Bruno", family_name="Bernard")
    chloe = PersonFactory(given_name="Chloé", family_name="Colin")
    a = done_action(world, title="Maraude de juin", starts_at=june(13), ends_at=june(13, 16))
    b = done_action(world, circle="b", title="Collecte B", starts_at=june(20), ends_at=june(20, 14))
    old = done_action(
        world,
        title="Maraude 2025",
        starts_at=timezone.make_aware(datetime(2025, 12, 1, 10)),
        ends_at=timezone.make_aware(datetime(2025, 12, 1, 12)),
    )
    mission_a = add_mission(a, hours=3)
    signups = {
        "alice": add_signup(mission_a, alice, attended=True),
        "bruno": add_signup(mission_a, bruno, attended=True, minutes=90),
        "absent": add_signup(mission_a, PersonFactory(), attended=False),
        "withdrawn": add_signup(
            mission_a, PersonFactory(), attended=None, status=SignupStatus.WITHDRAWN
        ),
        "unmarked": add_signup(mission_a, PersonFactory(), attended=None),
    }
    signups["chloe_b"] = add_signup(add_mission(b, hours=2), chloe, attended=True)
    signups["alice_old"] = add_signup(add_mission(old, hours=2), alice, attended=True)
    return {
        "a": a,
        "b": b,
        "old": old,
        "signups": signups,
        "alice": alice,
        "bruno": bruno,
        "chloe": chloe,
    }


def test_minutes_come_from_check_in_else_from_the_mission_slot(hours_world):
    signups = hours_world["signups"]
    assert signup_minutes(signups["alice"]) == 180
    assert signup_minutes(signups["bruno"]) == 90
    assert signup_minutes(signups["absent"]) == 0
    assert signup_minutes(signups["unmarked"]) == 0


def test_totals_per_person_circle_action_and_year(hours_world, world):
    set_rate(1188)
    signups = hours_signups(year=2026, circle_ids=None)
    by_person = {
        row.label: row.minutes
        for row in (hours_row(v, "person", 1188) for v in hours_grouped(signups, "person"))
    }
    assert by_person == {"Alice Arnaud": 180, "Bruno Bernard": 90, "Chloé Colin": 120}
    by_circle = {
        row.label: row.minutes
        for row in (hours_row(v, "circle", 1188) for v in hours_grouped(signups, "circle"))
    }
    assert by_circle == {"Antenne A": 270, "Antenne B": 120}
    by_action = [
        (row.label, row.minutes, row.signups)
        for row in (hours_row(v, "action", 1188) for v in hours_grouped(signups, "action"))
    ]
    assert by_action == [("Maraude de juin", 270, 2), ("Collecte B", 120, 1)]
    total = hours_total(signups, 1188)
    assert (total.minutes, total.signups) == (390, 3)
    assert total.value_cents == 7722  # 6.5 h x 11,88 €
    assert total.value == "77,22\u00a0€"
    assert total.hours == "6\u00a0h\u00a030"
    last_year = hours_total(hours_signups(year=2025, circle_ids=None), 1188)
    assert last_year.minutes == 120


def test_report_page_for_a_coordinator_covers_only_their_circles(client, world, hours_world):
    set_rate(1188)
    login(client, world, "coordinator_a")
    response = client.get(reverse("actions:hours_report"), {"year": "2026"})
    text = text_of(response)
    assert "Alice Arnaud" in text and "Bruno Bernard" in text
    assert "Chloé Colin" not in text  # circle B is not theirs
    assert "4\u00a0h\u00a030" in text and "53,46\u00a0€" in text
    # Asking for a circle outside their scope falls back to their own circles.
    forced = text_of(
        client.get(reverse("actions:hours_report"), {"year": "2026", "circle": "antenne-b"})
    )
    assert "Chloé Colin" not in forced
    per_action = text_of(
        client.get(reverse("actions:hours_report"), {"year": "2026", "group": "action"})
    )
    assert "Maraude de juin" in per_action and "Collecte B" not in per_action


def test_admin_report_filters_by_circle(client, world, hours_world):
    login(client, world, "admin")
    everything = text_of(client.get(reverse("actions:hours_report"), {"year": "2026"}))
    assert "Chloé Colin" in everything and "Alice Arnaud" in everything
    only_b = text_of(
        client.get(reverse("actions:hours_report"), {"year": "2026", "circle": "antenne-b"})
    )
    assert "Chloé Colin" in only_b and "Alice Arnaud" not in only_b
    # Without a rate, the page says how to set one instead of showing 0 €.
    assert "Aucun taux horaire n'est fixé" in everything


def test_bad_filters_fall_back_to_defaults(client, world, hours_world):
    login(client, world, "admin")
    response = client.get(
        reverse("actions:hours_report"), {"year": "deux-mille", "group": "planete", "page": "x"}
    )
    assert response.status_code == 200
    assert f"Heures de bénévolat en {timezone.localdate().year}" in text_of(response)


def test_csv_export_has_bom_semicolons_neutralised_formulas_and_a_total(client, world, hours_world):
    set_rate(1188)
    hours_world["alice"].given_name = '=HYPERLINK("http://x")'
    hours_world["alice"].save()
    login(client, world, "admin")
    response = client.get(
        reverse("actions:hours_export", kwargs={"fmt": "csv"}), {"year": "2026", "group": "person"}
    )
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    lines = body.lstrip("\ufeff").strip().split("\r\n")
    assert lines[0] == "Personne;E-mail;Missions;Heures (décimales);Heures;Valorisation (€)"
    assert lines[1].lstrip('"').startswith("'=HYPERLINK")
    assert lines[-1].startswith("Total;;3;6,50;")
    assert lines[-1].endswith(";77,22")
    assert 'filename="heures-benevoles-2026-person-' in response["Content-Disposition"]


def test_coordinators_export_names_without_email_addresses(client, world, hours_world):
    # Only roles allowed to export the directory (people.export) get the addresses.
    login(client, world, "coordinator_a")
    response = client.get(
        reverse("actions:hours_export", kwargs={"fmt": "csv"}), {"year": "2026", "group": "person"}
    )
    lines = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff").split("\r\n")
    assert lines[0] == "Personne;Missions;Heures (décimales);Heures;Valorisation (€)"
    assert "@" not in "".join(lines)
    assert lines[-2].startswith("Total;")


def test_xlsx_export_keeps_numbers_as_numbers(client, world, hours_world):
    from openpyxl import load_workbook

    set_rate(1188)
    login(client, world, "coordinator_a")
    response = client.get(
        reverse("actions:hours_export", kwargs={"fmt": "xlsx"}), {"year": "2026", "group": "circle"}
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Cercle", "Missions", "Heures (décimales)", "Heures", "Valorisation (€)")
    assert rows[1] == ("Antenne A", 2, 4.5, "4\u00a0h\u00a030", 53.46)
    assert rows[-1][0] == "Total"


def test_unknown_export_format_is_not_found(client, world):
    login(client, world, "admin")
    assert client.get(reverse("actions:hours_export", kwargs={"fmt": "pdf"})).status_code == 404


# --- corrections ---------------------------------------------------------------------------


def test_coordinator_corrects_the_time_and_it_is_audited(client, world, hours_world):
    signup = hours_world["signups"]["alice"]
    login(client, world, "coordinator_a")
    url = reverse(
        "actions:hours_edit", kwargs={"slug": hours_world["a"].slug, "signup_id": signup.pk}
    )
    response = client.post(url, {f"s{signup.pk}-hours": "2", f"s{signup.pk}-minutes": "15"})
    assert response.status_code == 302
    signup.refresh_from_db()
    assert signup.minutes == 135
    assert signup.minutes_edited_by == world.person("coordinator_a")
    assert signup.minutes_edited_at is not None
    entry = AuditLog.objects.get(action="mission.minutes_update")
    assert entry.details["before"] == 180 and entry.details["after"] == 135
    page = text_of(
        client.get(reverse("actions:action_hours", kwargs={"slug": hours_world["a"].slug}))
    )
    assert "2\u00a0h\u00a015" in page and "corrigé par" in page


def test_time_entered_for_an_unmarked_volunteer_counts(world, hours_world):
    signup = hours_world["signups"]["unmarked"]
    signup_minutes_update(actor=world.users["coordinator_a"], signup=signup, minutes=60)
    total = hours_total(hours_signups(year=2026, circle_ids=None), 0)
    assert total.minutes == 450 and total.signups == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hours": "25", "minutes": "0"}, "Une mission dure 24 heures au plus."),
        ({"hours": "-1", "minutes": "0"}, "Le nombre d'heures ne peut pas être négatif."),
        ({"hours": "deux", "minutes": "0"}, "Indiquez un nombre entier d'heures."),
        ({"hours": "2", "minutes": "75"}, "Les minutes vont de 0 à 59."),
        ({"hours": "24", "minutes": "30"}, "Une mission dure 24 heures au plus."),
        ({"minutes": "10"}, "Indiquez le nombre d'heures"),
    ],
)
def test_bad_time_gets_a_french_message_and_changes_nothing(
    client, world, hours_world, data, message
):
    signup = hours_world["signups"]["alice"]
    login(client, world, "coordinator_a")
    url = reverse(
        "actions:hours_edit", kwargs={"slug": hours_world["a"].slug, "signup_id": signup.pk}
    )
    response = client.post(url, {f"s{signup.pk}-{k}": v for k, v in data.items()}, follow=True)
    assert message in text_of(response)
    signup.refresh_from_db()
    assert signup.minutes is None and signup.minutes_edited_at is None
    assert not AuditLog.objects.filter(action="mission.minutes_update").exists()


def test_absent_or_other_action_signups_cannot_be_corrected_here(client, world, hours_world):
    login(client, world, "coordinator_a")
    absent = hours_world["signups"]["absent"]
    url = reverse(
        "actions:hours_edit", kwargs={"slug": hours_world["a"].slug, "signup_id": absent.pk}
    )
    response = client.post(
        url, {f"s{absent.pk}-hours": "3", f"s{absent.pk}-minutes": "0"}, follow=True
    )
    assert "notée absente" in text_of(response)
    absent.refresh_from_db()
    assert absent.minutes is None
    other = hours_world["signups"]["alice_old"]
    url = reverse(
        "actions:hours_edit", kwargs={"slug": hours_world["a"].slug, "signup_id": other.pk}
    )
    assert client.post(url, {f"s{other.pk}-hours": "1"}).status_code == 404


# --- query counts --------------------------------------------------------------------------


def _volunteers(world: ActionWorld, rows: int) -> Any:
    action = done_action(world, title="Grande collecte", starts_at=june(6), ends_at=june(6, 18))
    mission = add_mission(action, hours=4)
    for index in range(rows):
        add_signup(mission, PersonFactory(), attended=True, minutes=60 if index % 2 else None)
    return action


@pytest.mark.parametrize("rows", [2, 20])
def test_action_hours_page_queries_are_constant(client, world, rows, django_assert_num_queries):
    action = _volunteers(world, rows)
    login(client, world, "coordinator_a")
    url = reverse("actions:action_hours", kwargs={"slug": action.slug})
    client.get(url)
    with django_assert_num_queries(ACTION_HOURS_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    assert text_of(response).count("Enregistrer") == rows


@pytest.mark.parametrize("rows", [2, 20])
def test_report_page_queries_are_constant(client, world, rows, django_assert_num_queries):
    _volunteers(world, rows)
    login(client, world, "coordinator_a")
    url = reverse("actions:hours_report") + "?year=2026&group=person"
    client.get(url)
    with django_assert_num_queries(REPORT_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    assert f"{rows} participation" in text_of(response)


# session, user, person, action (+ circle roles), signups with missions and people, total,
# organisation (cached), notification badge.
ACTION_HOURS_QUERIES = 8
# session, user, roles, circle roles, circles, count, page of grouped rows, total, badge.
REPORT_QUERIES = 9


# --- the organisation's hourly rate ----------------------------------------------------------


def test_admin_sets_the_hourly_rate_in_euros(admin_client, django_capture_on_commit_callbacks):
    from tests.core.test_organisation import valid_data

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("core:organisation"), valid_data(volunteer_hourly_rate_cents="11,88")
        )
    assert response.status_code == 302
    assert Organisation.objects.get().volunteer_hourly_rate_cents == 1188
    page = admin_client.get(reverse("core:organisation")).content.decode()
    assert 'value="11,88"' in page
    assert AuditLog.objects.filter(action="organisation.update").exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("onze euros", "Indiquez un montant en euros, par exemple 11,88."),
        ("-3", "Indiquez un montant en euros, par exemple 11,88."),
        ("11,888", "Indiquez un montant en euros, par exemple 11,88."),
        ("5000", "Plus de 1 000 € de l'heure"),
    ],
)
def test_bad_hourly_rate_changes_nothing(admin_client, value, message):
    from tests.core.test_organisation import valid_data

    set_rate(1188)
    response = admin_client.post(
        reverse("core:organisation"), valid_data(volunteer_hourly_rate_cents=value)
    )
    assert response.status_code == 200
    assert message in text_of(response)
    assert Organisation.objects.get().volunteer_hourly_rate_cents == 1188
