"""Private iCalendar feeds: a person's missions and a circle's actions, by token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from icalendar import Calendar

from essaim.actions import missions
from essaim.actions.models import CalendarFeed
from tests.actions.test_missions import make_mission

pytestmark = pytest.mark.django_db


def _ics(client, feed):
    response = client.get(reverse("actions:ical", kwargs={"token": feed.token}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def test_personal_feed_lists_confirmed_missions(client, action_world):
    user = action_world.users["member_a"]
    mission = make_mission(action_world, role="Accueil", capacity=1)
    other = make_mission(action_world, role="Rangement", capacity=1)
    missions.mission_signup(actor=user, mission=mission)
    missions.mission_signup(actor=action_world.users["admin"], mission=other)
    missions.mission_signup(actor=user, mission=other)  # waiting: not in the calendar
    feed = missions.calendar_feed_get(actor=user)
    calendar = _ics(client, feed)  # no login: calendar apps cannot log in
    assert calendar["VERSION"] == "2.0"
    events = calendar.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Accueil · Action du cercle A"]
    event = events[0]
    assert str(event["UID"]).startswith(f"mission-{mission.pk}-")
    assert event["DTSTAMP"].dt.tzinfo is not None
    assert event["DTSTART"].dt == mission.starts_at.replace(microsecond=0)
    assert event["DTSTART"].dt.utcoffset() == timedelta(0)
    assert event["DTEND"].dt == mission.ends_at.replace(microsecond=0)
    assert str(event["URL"]).endswith(f"/actions/{mission.action.slug}/")
    assert b"DTSTART:" in client.get(reverse("actions:ical", kwargs={"token": feed.token})).content
    assert b"Z\r\n" in client.get(reverse("actions:ical", kwargs={"token": feed.token})).content


def test_circle_feed_follows_what_the_person_may_see(client, action_world):
    a = action_world.circles["a"]
    member_feed = missions.calendar_feed_get(actor=action_world.users["member_a"], circle=a)
    titles = {str(e["SUMMARY"]) for e in _ics(client, member_feed).walk("VEVENT")}
    assert titles == {"Action du cercle A", "Action du réseau", "Action publique"}
    outsider_feed = missions.calendar_feed_get(actor=action_world.users["member_b"], circle=a)
    titles = {str(e["SUMMARY"]) for e in _ics(client, outsider_feed).walk("VEVENT")}
    assert titles == {"Action du réseau", "Action publique"}


def test_regenerating_kills_the_old_address(client, action_world):
    user = action_world.users["member_a"]
    feed = missions.calendar_feed_get(actor=user)
    old = feed.token
    missions.calendar_feed_regenerate(actor=user)
    assert client.get(reverse("actions:ical", kwargs={"token": old})).status_code == 404
    assert CalendarFeed.objects.get(pk=feed.pk).token != old


def test_secret_circle_feed_needs_access(action_world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        missions.calendar_feed_get(
            actor=action_world.users["member_a"], circle=action_world.circles["secret"]
        )
    assert not CalendarFeed.objects.exists()


def test_calendars_page_gets_and_regenerates(client, action_world):
    client.force_login(action_world.users["member_a"])
    url = reverse("actions:calendars")
    assert "Obtenir l'adresse" in client.get(url).content.decode()
    client.post(url, {"circle": ""})
    feed = CalendarFeed.objects.get(circle=None)
    page = client.get(url).content.decode()
    assert f"/actions/ical/{feed.token}.ics" in page
    assert "Antenne A" in page
    client.post(url, {"circle": "", "regenerate": "1"})
    assert CalendarFeed.objects.get(pk=feed.pk).token != feed.token
    client.post(url, {"circle": action_world.circles["a"].slug})
    assert CalendarFeed.objects.filter(circle=action_world.circles["a"]).count() == 1


def test_cancelled_and_finished_actions_stay_in_the_calendar(client, action_world):
    from essaim.actions.models import ActionStatus
    from essaim.actions.services import action_cancel, action_transition

    admin = action_world.users["admin"]
    action_cancel(actor=admin, action=action_world.actions["circle"], reason="Orage")
    done = action_world.actions["members"]
    for step in (ActionStatus.RUNNING, ActionStatus.DONE):
        done = action_transition(actor=admin, action=done, target=step)
    feed = missions.calendar_feed_get(
        actor=action_world.users["member_a"], circle=action_world.circles["a"]
    )
    events = {str(e["SUMMARY"]): e for e in _ics(client, feed).walk("VEVENT")}
    # A calendar app drops an event that leaves the feed silently: a cancelled one is
    # sent as cancelled, a finished one stays; the draft never appears.
    assert set(events) == {"Action du cercle A", "Action du réseau", "Action publique"}
    assert str(events["Action du cercle A"]["STATUS"]) == "CANCELLED"
    assert "STATUS" not in events["Action du réseau"]
