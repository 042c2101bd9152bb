"""The month calendar of actions, for the whole network or one circle.

The grid is a table (weeks as rows, Monday first) with a caption naming the month, and
links to the previous and next months: readable by screen readers and without JavaScript.
"""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateformat import format as date_format

from essaim.circles.models import Circle
from essaim.circles.policies import get_circle_for_user

from . import selectors
from .selectors import CalendarEntry
from .views import _circle_page_context, signed_in

MIN_YEAR, MAX_YEAR = 2000, 2100
# A cell lists this many actions, then "and N more" links to that day's list.
DAY_LIMIT = 4


@dataclass
class Day:
    day: date
    in_month: bool
    is_today: bool
    actions: list[CalendarEntry] = field(default_factory=list)
    more: int = 0


def _month_from(request: HttpRequest) -> date:
    """The month asked for as ?mois=2026-12, else the current month (bad input: current)."""
    today = timezone.localdate()
    text = request.GET.get("mois", "")
    try:
        year, month = (int(part) for part in text.split("-", 1))
        if MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12:
            return date(year, month, 1)
    except ValueError:
        pass
    return today.replace(day=1)


def _shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def month_grid(user: Any, first: date, circle: Circle | None = None) -> list[list[Day]]:
    """Weeks of the month (Monday first), each day with the actions happening on it."""
    weeks = pycalendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    start, end = weeks[0][0], weeks[-1][-1] + timedelta(days=1)
    actions = selectors.actions_in_range(user, start=_aware(start), end=_aware(end), circle=circle)
    today = timezone.localdate()
    zone = timezone.get_current_timezone()
    days = {d: Day(d, d.month == first.month, d == today) for week in weeks for d in week}
    for action in actions:
        day = max(action.starts_at.astimezone(zone).date(), start)
        last = min(action.ends_at.astimezone(zone).date(), end - timedelta(days=1))
        while day <= last:
            cell = days[day]
            if len(cell.actions) < DAY_LIMIT:
                cell.actions.append(action)
            else:
                cell.more += 1
            day += timedelta(days=1)
    return [[days[d] for d in week] for week in weeks]


def _context(request: HttpRequest, circle: Circle | None) -> dict[str, Any]:
    first = _month_from(request)
    previous, following = _shift(first, -1), _shift(first, 1)
    return {
        "weeks": month_grid(request.user, first, circle),
        "month": first,
        "month_label": date_format(first, "F Y"),
        "previous": previous if previous.year >= MIN_YEAR else None,
        "following": following if following.year <= MAX_YEAR else None,
        "weekdays": [date(2024, 1, day) for day in range(1, 8)],  # a Monday to a Sunday
        "circle": circle,
        "active_nav": "actions",
    }


@signed_in
def network_calendar(request: HttpRequest) -> HttpResponse:
    return render(request, "actions/calendar.html", _context(request, None))


@signed_in
def circle_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    circle = get_circle_for_user(request.user, slug)
    context = _context(request, circle)
    context.update(_circle_page_context(request, circle))
    return render(request, "actions/calendar.html", context)
