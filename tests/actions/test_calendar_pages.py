"""The month calendar: an accessible table, each action on its days, constant queries."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from essaim.actions.calendar import month_grid
from essaim.actions.models import ActionStatus, ActionVisibility
from essaim.actions.services import action_cancel
from tests.actions.conftest import ActionWorld, make_action

pytestmark = pytest.mark.django_db


def _at(year: int, month: int, day: int, hour: int = 14) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour, 0))


def test_grid_places_actions_on_each_of_their_days(action_world: ActionWorld) -> None:
    starts = _at(2030, 3, 30, 18)
    make_action(
        action_world,
        title="Week-end solidaire",
        starts_at=starts,
        ends_at=starts + timedelta(days=2),
        visibility=ActionVisibility.MEMBERS,
    )
    first = starts.date().replace(day=1)
    weeks = month_grid(action_world.users["member_b"], first)
    # Weeks start on Monday; March 2030 begins on a Friday.
    assert weeks[0][0].day.weekday() == 0 and not weeks[0][0].in_month
    days = {cell.day.day: cell for week in weeks for cell in week if cell.in_month}
    assert [a.title for a in days[30].actions] == ["Week-end solidaire"]
    assert [a.title for a in days[31].actions] == ["Week-end solidaire"]
    assert days[29].actions == []
    # The action runs on into April 1st, after the grid's last day (Sunday 31 March).
    assert weeks[-1][-1].day.isoformat() == "2030-03-31"
    assert weeks[0][0].day.isoformat() == "2030-02-25"


def test_month_page_is_a_table_with_caption_and_links(client, action_world: ActionWorld) -> None:
    make_action(
        action_world,
        title="Maraude de décembre",
        starts_at=_at(2030, 12, 12),
        ends_at=_at(2030, 12, 12, 17),
    )
    hidden = make_action(
        action_world,
        title="Maraude annulée",
        starts_at=_at(2030, 12, 13),
        ends_at=_at(2030, 12, 13, 17),
    )
    action_cancel(actor=None, action=hidden, reason="Pluie")
    client.force_login(action_world.users["member_a"])
    page = client.get(reverse("actions:calendar"), {"mois": "2030-12"}).content.decode()
    assert "<caption>Décembre 2030</caption>" in page
    assert '<abbr title="lundi">' in page
    assert "Maraude de décembre" in page
    assert "Maraude annulée" not in page
    assert "?mois=2030-11" in page and "?mois=2031-01" in page
    # Outsiders of circle A do not see its circle-only action.
    client.force_login(action_world.users["member_b"])
    page = client.get(reverse("actions:calendar"), {"mois": "2030-12"}).content.decode()
    assert "Maraude de décembre" not in page


def test_bad_month_falls_back_to_this_month(client, action_world: ActionWorld) -> None:
    client.force_login(action_world.users["member_a"])
    today = timezone.localdate()
    for bad in ("2030-13", "abc", "1800-01", "2030"):
        page = client.get(reverse("actions:calendar"), {"mois": bad})
        assert page.status_code == 200
        assert f"?mois={today.year}-" in page.content.decode()


def test_circle_calendar_shows_only_its_actions(client, action_world: ActionWorld) -> None:
    make_action(
        action_world,
        title="Chez A",
        starts_at=_at(2030, 5, 4),
        ends_at=_at(2030, 5, 4, 18),
        visibility="members",
    )
    make_action(
        action_world,
        circle="b",
        title="Chez B",
        starts_at=_at(2030, 5, 5),
        ends_at=_at(2030, 5, 5, 18),
        visibility="members",
    )
    client.force_login(action_world.users["coordinator_a"])
    url = reverse("actions:circle_calendar", kwargs={"slug": "antenne-a"})
    page = client.get(url, {"mois": "2030-05"}).content.decode()
    assert "Chez A" in page and "Chez B" not in page
    assert 'aria-current="page">Actions</a>' in page


@pytest.mark.parametrize("rows", [2, 20])
def test_calendar_queries_constant_in_rows(
    client, action_world: ActionWorld, django_assert_num_queries, rows: int
) -> None:
    for number in range(rows):
        make_action(
            action_world,
            title=f"Action {number}",
            starts_at=_at(2030, 6, 1 + number),
            ends_at=_at(2030, 6, 1 + number, 18),
            status=ActionStatus.PREPARING,
        )
    client.force_login(action_world.users["member_a"])
    url = reverse("actions:calendar")
    client.get(url, {"mois": "2030-06"})
    # session, user, staff roles, circle roles, actions of the month, badge
    with django_assert_num_queries(6):
        page = client.get(url, {"mois": "2030-06"}).content.decode()
    assert page.count("Action ") >= rows


def test_a_busy_day_lists_a_few_actions_and_links_to_all_of_them(
    client, action_world: ActionWorld
) -> None:
    from essaim.actions.calendar import DAY_LIMIT

    titles = [f"Collecte {n}" for n in range(DAY_LIMIT + 3)]
    for number, title in enumerate(titles):
        make_action(
            action_world,
            title=title,
            starts_at=_at(2030, 5, 14, 8 + number),
            ends_at=_at(2030, 5, 14, 9 + number),
            visibility=ActionVisibility.MEMBERS,
        )
    client.force_login(action_world.users["member_b"])
    page = client.get(reverse("actions:calendar"), {"mois": "2030-05"}).content.decode()
    shown = [title for title in titles if f"{title}</a>" in page]
    assert shown == titles[:DAY_LIMIT]
    assert "et 3 autres actions" in page
    day_list = client.get(reverse("actions:list"), {"jour": "2030-05-14"}).content.decode()
    assert all(title in day_list for title in titles)
    assert "Action du réseau" not in day_list  # another day
    # A bad day is ignored rather than refused.
    assert client.get(reverse("actions:list"), {"jour": "14/05"}).status_code == 200
