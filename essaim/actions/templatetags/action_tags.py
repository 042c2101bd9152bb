"""Template filters of the action pages: French dates, objective figures and progress."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from essaim.actions.models import Metric, Objective

register = template.Library()


@register.filter
def when(moment: datetime | None) -> str:
    """« samedi 12 décembre 2026, 14 h 00 » in Paris time."""
    if moment is None:
        return ""
    return date_format(timezone.localtime(moment), _("l j F Y, G \\h i"))


@register.filter
def span(action: object) -> str:
    """An action's start and end: the end's date only when it is another day."""
    starts = timezone.localtime(action.starts_at)  # type: ignore[attr-defined]
    ends = timezone.localtime(action.ends_at)  # type: ignore[attr-defined]
    if starts.date() == ends.date():
        return _("%(start)s à %(end)s") % {
            "start": when(starts),
            "end": date_format(ends, _("G \\h i")),
        }
    return _("du %(start)s au %(end)s") % {"start": when(starts), "end": when(ends)}


def _figure(value: int | None, objective: Objective) -> str:
    if value is None:
        return "—"
    if objective.metric == Metric.MONEY:
        return number_format(value / 100, decimal_pos=2, force_grouping=True) + " €"
    text = number_format(value, force_grouping=True)
    return f"{text} {objective.unit}" if objective.unit else text


@register.filter
def target_text(objective: Objective) -> str:
    return _figure(objective.target, objective)


@register.filter
def achieved_text(objective: Objective) -> str:
    return _figure(objective.achieved, objective)


@register.filter
def percent(objective: Objective) -> int | None:
    """How much of the target is achieved, in whole percent (None: not measured yet)."""
    if objective.achieved is None:
        return None
    if objective.target == 0:
        return 100
    return round(objective.achieved * 100 / objective.target)


@register.filter
def capped(value: int | None) -> int:
    """A percentage for a <progress> bar, which cannot go past its maximum."""
    return min(value or 0, 100)
