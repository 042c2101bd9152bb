"""Reaction buttons and badges written by the template tags."""

from __future__ import annotations

from essaim.circles.discussion_selectors import ReactionCount
from essaim.circles.templatetags.reaction_tags import reaction_badges, reaction_buttons


def _reactions() -> list[ReactionCount]:
    return [
        ReactionCount(emoji="👍", label="D'accord", count=3, mine=True),
        ReactionCount(emoji="🤔", label="<Je m'interroge>", count=0, mine=False),
    ]


def test_buttons_say_which_are_mine_and_escape_labels() -> None:
    html = reaction_buttons(_reactions())
    first, second = html.split("\n")
    assert 'aria-pressed="true"' in first and 'class="button small"' in first
    assert first.endswith(" 3</button>")
    assert 'aria-pressed="false"' in second and "button small secondary" in second
    assert "&lt;Je m&#x27;interroge&gt;" in second and "<Je" not in second
    assert second.endswith("</span></button>")  # no count shown for zero


def test_badges_list_only_reactions_received() -> None:
    html = reaction_badges(_reactions())
    assert html.count('class="badge"') == 1
    assert "D&#x27;accord" in html and " 3</span>" in html
