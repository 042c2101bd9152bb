"""Markdown for member posts: rendered once when written, then sanitised.

Raw HTML is off in the parser, and the output still goes through an allow-list
sanitiser (nh3): even a parser bug cannot let a script, an iframe, an event
handler or a ``javascript:`` link through. Images are kept only when they come
from this site (uploads under /media/ or discussion attachments), so a post cannot
carry a tracking pixel that tells a third party who read it and when.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import nh3
from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

# Headings in a post sit below the page's own h1/h2: shift them so the outline stays in order.
HEADING_SHIFT = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6", "h6": "h6"}

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "img",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"scope"},
}
LINK_REL = "nofollow noopener ugc"
URL_SCHEMES = {"http", "https", "mailto"}

# Where the site serves its own files: public uploads and access-checked attachments.
LOCAL_IMAGE = re.compile(r"^/(?:media/[\w./-]+|[\w/-]+/discussions/pieces-jointes/\d+/)$")


def is_local_image(src: str) -> bool:
    """Tell whether an image address points at this site's own files (no tracker)."""
    # Under a path prefix (ESSAIM_SITE_URL=https://asso.fr/participer) uploads live at
    # /participer/media/…: the prefix is accepted once, before /media/.
    prefix = settings.SITE_PATH_PREFIX
    if prefix and src.startswith(f"{prefix}/media/"):
        src = src[len(prefix) :]
    return bool(LOCAL_IMAGE.match(src)) and ".." not in src and "//" not in src


def _render_image(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    if not is_local_image(src):
        # A remote image becomes its description: nothing is fetched from elsewhere.
        return escape(alt)
    return f'<img src="{escape(src)}" alt="{escape(alt)}">'


def _parser() -> MarkdownIt:
    # "commonmark" limits nesting to 20 levels: deep quotes or lists cannot exhaust the parser.
    md = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(
        ["table", "strikethrough"]
    )
    md.add_render_rule("image", _render_image)
    return md


_MD = _parser()


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not is_local_image(value):
        return None
    return value


def sanitise_html(html: str) -> str:
    """Keep only the allow-listed tags and attributes of an HTML fragment."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str) -> SafeString:
    """Render member-written Markdown to safe HTML."""
    tokens = _MD.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = HEADING_SHIFT.get(token.tag, token.tag)
        elif token.type == "th_open":
            # markdown-it aligns columns with inline styles, which the sanitiser drops anyway.
            token.attrs = {"scope": "col"}
        elif token.type == "td_open":
            token.attrs = {}
    html = _MD.renderer.render(tokens, _MD.options, {})
    # The sanitiser's output is safe HTML by construction.
    return mark_safe(sanitise_html(html))
