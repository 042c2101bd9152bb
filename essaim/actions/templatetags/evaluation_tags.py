"""Template helpers of the evaluation: the debrief summary on the action page."""

from __future__ import annotations

from typing import Any

from django import template

from essaim.actions.evaluation import EVALUABLE
from essaim.actions.models import Action, Debrief, Feedback

register = template.Library()


@register.simple_tag(takes_context=True)
def debrief_summary(context: template.Context, action: Action, can_manage: bool) -> dict[str, Any]:
    """What the debrief section of the action page shows (two queries at most)."""
    from essaim.actions.debrief_views import can_read_debrief

    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    readable = bool(can_manage) or (user is not None and can_read_debrief(user, action))
    evaluable = action.status in EVALUABLE
    summary: dict[str, Any] = {"readable": readable, "evaluable": evaluable, "debrief": None}
    if readable and evaluable:
        summary["debrief"] = (
            Debrief.objects.filter(action=action)
            .only("what_worked", "to_improve", "updated_at")
            .first()
        )
        summary["feedback_count"] = Feedback.objects.filter(action=action).count()
    return summary
