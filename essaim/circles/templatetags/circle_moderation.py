"""Template tags for circle moderation: the open-report count on the circle's tabs."""

from __future__ import annotations

from django import template

from essaim.circles.discussion_selectors import open_report_count
from essaim.circles.models import Circle

register = template.Library()


@register.simple_tag(takes_context=True)
def open_reports(context: template.Context, circle: Circle) -> int:
    """Count the circle's reports waiting for a coordinator (one query, unless already known)."""
    known = context.get("open_report_total")
    if known is not None:
        return int(known)
    return open_report_count(circle=circle)
