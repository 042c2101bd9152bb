"""Reaction buttons and action links of a message, written in one pass.

A thread page shows twenty messages with six reactions each: looping over them in the
template took three quarters of the page's rendering time; once each message's content
came from the cache, its reactions and links (what differs per reader) were most of the
rest. The markup is the same as the templates wrote (buttons with ``aria-pressed`` and a
spoken label).
"""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from essaim.circles.discussion_selectors import ReactionCount

register = template.Library()

BUTTON = (
    '<button type="submit" name="emoji" value="{emoji}" class="button small{variant}" '
    'aria-pressed="{pressed}" title="{label}"><span aria-hidden="true">{emoji}</span>'
    '<span class="visually-hidden">{label}</span>{count}</button>'
)
BADGE = (
    '<span class="badge" title="{label}"><span aria-hidden="true">{emoji}</span>'
    '<span class="visually-hidden">{label}</span> {count}</span> '
)


@register.simple_tag
def reaction_buttons(reactions: list[ReactionCount]) -> SafeString:
    """The toggle buttons of a message's reactions (for people who may react)."""
    return mark_safe(  # every value below is escaped
        "\n".join(
            BUTTON.format(
                emoji=escape(reaction.emoji),
                variant="" if reaction.mine else " secondary",
                pressed="true" if reaction.mine else "false",
                label=escape(reaction.label),
                count=f" {reaction.count}" if reaction.count else "",
            )
            for reaction in reactions
        )
    )


@register.simple_tag
def reaction_badges(reactions: list[ReactionCount]) -> SafeString:
    """The reactions a message received, for people who may only read."""
    return mark_safe(  # every value below is escaped
        "".join(
            BADGE.format(
                emoji=escape(reaction.emoji), label=escape(reaction.label), count=reaction.count
            )
            for reaction in reactions
            if reaction.count
        )
    )


REACTIONS_FORM = (
    '<div class="reactions" id="reactions-{pk}">\n'
    '<form method="post" action="{url}"\n'
    '      hx-post="{url}" hx-target="#reactions-{pk}" hx-swap="outerHTML">\n'
    "  {token}\n"
    "  {buttons}\n"
    "</form>\n"
    "</div>"
)
REACTIONS_BADGES = '<div class="reactions" id="reactions-{pk}">\n{badges}\n</div>'
LINK = '<a href="{url}">{label}</a>'
_LABELS = "essaim.circles.message_action_labels"


def _csrf_input(context: template.Context) -> str:
    # What {% csrf_token %} writes.
    token = str(context.get("csrf_token") or "")
    if not token or token == "NOTPROVIDED":  # noqa: S105 - Django's marker, not a secret
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'


@register.simple_tag(takes_context=True)
def message_reactions(context: template.Context, message: Any) -> SafeString:
    """A message's reactions: toggle buttons for members, the counts for other readers.

    Reads ``access`` and ``csrf_token`` from the page, ``message.links`` and
    ``message.reaction_counts`` from the view.
    """
    if context["access"].can_write:
        return mark_safe(  # every value below is escaped
            REACTIONS_FORM.format(
                pk=message.pk,
                url=escape(message.links["react"]),
                token=_csrf_input(context),
                buttons=reaction_buttons(message.reaction_counts),
            )
        )
    return mark_safe(  # every value below is escaped
        REACTIONS_BADGES.format(pk=message.pk, badges=reaction_badges(message.reaction_counts))
    )


@register.simple_tag(takes_context=True)
def message_actions(context: template.Context, message: Any) -> SafeString:
    """The links under a message that this reader may follow (edit only one's own)."""
    access, person, thread = context["access"], context.get("person"), context["thread"]
    labels = context.render_context.get(_LABELS)
    if labels is None:  # translated once per page, not once per message
        labels = context.render_context[_LABELS] = {
            "edit": escape(_("Modifier")),
            "report": escape(_("Signaler")),
            "hide": escape(_("Masquer")),
            "unhide": escape(_("Afficher à nouveau")),
        }
    keys: list[str] = []
    if message.hidden_at is None:
        if (
            access.can_write
            and person is not None
            and message.author_id == person.pk
            and not thread.locked
        ):
            keys.append("edit")
        if access.can_write:
            keys.append("report")
        if access.can_moderate:
            keys.append("hide")
    elif access.can_moderate:
        keys.append("unhide")
    return mark_safe(  # every value below is escaped
        "\n    ".join(
            LINK.format(url=escape(message.links[key]), label=labels[key]) for key in keys
        )
    )
