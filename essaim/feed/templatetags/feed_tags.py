"""Template helpers of the feed: links to what an activity is about, the home-page excerpt."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe

from essaim.feed import selectors
from essaim.feed.fragments import fragments_render
from essaim.feed.models import Activity, Verb

register = template.Library()

HOME_FEED_SIZE = 5


@register.filter
def verb_label(verb: str) -> str:
    """The words for an activity's verb (get_verb_display translated every choice each call)."""
    try:
        return str(Verb(verb).label)
    except ValueError:
        return verb


@register.filter
def activity_link(activity: Activity) -> str:
    """Return the page of the thread or circle an activity is about ('' until it exists)."""
    if activity.url:
        return activity.url
    circle = activity.circle
    attempts: list[tuple[str, dict[str, Any]]] = []
    if activity.thread_id:
        attempts.append(
            ("circles:thread_detail", {"slug": circle.slug, "thread_id": activity.thread_id})
        )
    attempts.append(("circles:detail", {"slug": circle.slug}))
    for name, kwargs in attempts:
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return ""


def _shown(activity: Activity) -> tuple[Any, ...]:
    # Everything templates/feed/_feed_item.html shows or links with (see ACTIVITY_SHOWN).
    circle, actor = activity.circle, activity.actor
    return (
        activity.pk,
        activity.created_at,
        activity.verb,
        activity.summary,
        activity.url,
        activity.thread_id,
        circle.name,
        circle.slug,
        actor.full_name if actor is not None else None,
    )


@register.simple_tag
def feed_item_list(activities: list[Activity]) -> SafeString:
    """The feed's items, each one rendered once and then read from the cache."""
    pieces = fragments_render(
        "feed/_feed_item.html",
        activities,
        shown=_shown,
        context=lambda activity: {"activity": activity},
    )
    return mark_safe("\n  ".join(pieces))


@register.inclusion_tag("feed/_home_feed.html", takes_context=True)
def home_feed(context: template.Context) -> dict[str, Any]:
    """Show the newest activities of the signed-in person's circles."""
    person = context.get("person")
    if person is None:
        return {"page": None, "circles": []}
    circles = selectors.member_circles(person)
    page = selectors.feed_page(circle_ids=[c.pk for c in circles], size=HOME_FEED_SIZE)
    return {"page": page, "circles": circles}
