"""Template helpers of missions: the missions section's data and French dates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from essaim.actions import policies
from essaim.actions.mission_selectors import mission_rows, registration_for
from essaim.actions.missions import can_check_in
from essaim.actions.models import ANNOUNCED, Action
from essaim.people.models import Person

register = template.Library()


def _person(user: Any) -> Person | None:
    if user is None or not user.is_authenticated:
        return None
    return Person.objects.filter(user=user).first()


@register.simple_tag
def mission_section(action: Action, user: Any) -> dict[str, Any]:
    """Everything the missions section shows, in a constant number of queries."""
    person = _person(user)
    announced = action.status in ANNOUNCED
    full = action.capacity is not None and action.registered_count >= action.capacity
    return {
        "rows": mission_rows(action, person),
        "registration": registration_for(action, person),
        "signed_in": person is not None,
        "announced": announced,
        "can_register": announced and action.registrations_open and not full,
        "full": full,
        "checkin_open": can_check_in(action),
        "is_public": policies.is_public(action),
    }


@register.filter
def fr_datetime(value: datetime | None) -> str:
    """ "samedi 12 décembre 2026, 14 h 00" in the site's time zone."""
    if value is None:
        return ""
    return dateformat.format(timezone.localtime(value), _("l j F Y, G \\h i"))


@register.filter
def fr_slot(start: datetime, end: datetime) -> str:
    """A time slot: one date and two times when it fits in a day."""
    start_local, end_local = timezone.localtime(start), timezone.localtime(end)
    if start_local.date() == end_local.date():
        return _("%(day)s, de %(start)s à %(end)s") % {
            "day": dateformat.format(start_local, _("l j F Y")),
            "start": dateformat.format(start_local, _("G \\h i")),
            "end": dateformat.format(end_local, _("G \\h i")),
        }
    return _("du %(start)s au %(end)s") % {
        "start": fr_datetime(start),
        "end": fr_datetime(end),
    }


@register.simple_tag
def action_link(action: Action) -> str:
    """The action's page (its missions page until the action page exists)."""
    from essaim.actions.mission_views import action_link as link

    return link(action)
