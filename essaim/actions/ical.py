"""iCalendar (RFC 5545) feeds: a person's confirmed missions, a circle's announced actions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlparse

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Action, MissionSignup
from .services import action_url

PRODID = "-//Essaim//Actions//FR"


def _host() -> str:
    return urlparse(settings.SITE_URL).hostname or "essaim.local"


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _location(action: Action) -> str:
    parts = [
        action.place_name,
        action.address,
        " ".join(p for p in (action.postal_code, action.city) if p),
    ]
    text = ", ".join(p for p in parts if p)
    return text or action.online_url


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    return calendar


def _event(
    *, uid: str, start: datetime, end: datetime, summary: str, action: Action, description: str
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", _utc(timezone.now()).replace(microsecond=0))
    event.add("dtstart", _utc(start).replace(microsecond=0))
    event.add("dtend", _utc(end).replace(microsecond=0))
    event.add("summary", summary)
    location = _location(action)
    if location:
        event.add("location", location)
    event.add("url", f"{settings.SITE_ORIGIN}{action_url(action)}")
    if description:
        event.add("description", description)
    if action.status == "cancelled":
        event.add("status", "CANCELLED")
    return event


def missions_calendar(name: str, signups: Iterable[MissionSignup]) -> bytes:
    calendar = _calendar(name)
    for signup in signups:
        mission = signup.mission
        action = mission.action
        calendar.add_component(
            _event(
                uid=f"mission-{mission.pk}-{signup.pk}@{_host()}",
                start=mission.starts_at,
                end=mission.ends_at,
                summary=f"{mission.role} · {action.title}",
                action=action,
                description=mission.description,
            )
        )
    return calendar.to_ical()


def actions_calendar(name: str, actions: Iterable[Action]) -> bytes:
    calendar = _calendar(name)
    for action in actions:
        calendar.add_component(
            _event(
                uid=f"action-{action.pk}@{_host()}",
                start=action.starts_at,
                end=action.ends_at,
                summary=action.title,
                action=action,
                description=action.summary,
            )
        )
    return calendar.to_ical()
