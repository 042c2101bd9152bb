"""Template tags for circle moderation: the open-report count on the circle's tabs."""

from __future__ import annotations

from django import template

from essaim.circles.discussion_selectors import open_report_count
from essaim.circles.models import Circle

register = template.Library()


@register.simple_tag
def open_reports(circle: Circle) -> int:
    """Count the circle's reports waiting for a coordinator (one query)."""
    return open_report_count(circle=circle)
