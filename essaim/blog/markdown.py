"""Markdown of articles: the page's main content, rendered once when written, then sanitised.

Built on the member-post renderer of :mod:`essaim.core.markdown` (raw HTML off, nh3
allow-list after rendering), with what an article needs on top: headings h2-h4 (a
Markdown ``#`` becomes h2 under the page's h1), responsive pictures for this site's
blog images, tables wrapped so they scroll on a phone, and ``rel="noopener"`` on links
to other sites (staff write articles: no ``nofollow``). Images from other sites are
never shown (no tracking pixel): they become their description.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from markdown_it import MarkdownIt
from markdown_it.token import Token

MAX_BODY_CHARS = 200_000
MAX_TABLE_ROWS = 300
BODY_SIZES = "(min-width: 48rem) 46rem, 100vw"

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "picture", "source", "h2", "h3", "h4",
    "div", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "srcset", "sizes", "width", "height"},
    "source": {"srcset", "sizes"},
    "ol": {"start"},
    "div": {"tabindex", "aria-label"},
}
# Attributes restricted to fixed values (nh3 drops any other value).
ATTRIBUTE_VALUES = {
    "a": {"rel": {"noopener"}},
    "img": {"loading": {"lazy"}, "decoding": {"async"}},
    "source": {"type": {"image/webp"}},
    "th": {"scope": {"col"}},
    "div": {"class": {"table-scroll"}, "role": {"region"}},
}
URL_SCHEMES = {"http", "https", "mailto"}


def media_prefix() -> str:
    return str(settings.MEDIA_URL)


def is_site_image(src: str) -> bool:
    """Tell whether an image address is one of this site's uploaded files."""
    prefix = media_prefix()
    return (
        src.startswith(prefix)
        and len(src) > len(prefix)
        and ".." not in src
        and "//" not in src[1:]
        and re.fullmatch(r"[\w./%-]+", src) is not None
    )


def site_path(src: str) -> str:
    """Return this site's absolute image addresses as paths (a pasted full URL still works)."""
    origin = str(settings.SITE_ORIGIN)
    if origin and src.startswith(origin + "/"):
        return src[len(origin) :]
    return src


def _is_external(href: str) -> bool:
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return parts.netloc != urlsplit(settings.SITE_ORIGIN).netloc


@dataclass
class RenderEnv:
    """What the renderer learns about the images of a text while rendering it."""

    images: dict[str, Any] = field(default_factory=dict)  # file name -> BlogImage


def _render_image(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
) -> str:
    token = tokens[idx]
    src = site_path(str(token.attrGet("src") or ""))
    alt = self.renderInlineAsText(token.children or [], options, env)
    if not is_site_image(src):
        # An image from elsewhere (or a data: address) becomes its description.
        return escape(alt)
    from .templatetags.blog_images import picture_html

    image = env["essaim"].images.get(src[len(media_prefix()) :])
    if image is not None:
        return str(picture_html(image, sizes=BODY_SIZES, alt=alt))
    return f'<img src="{escape(src)}" alt="{escape(alt)}" loading="lazy" decoding="async">'


def _render_table_open(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
) -> str:
    label = escape(_("Tableau (faites défiler horizontalement si besoin)"))
    return (
        f'<div class="table-scroll" role="region" tabindex="0" aria-label="{label}">'
        + self.renderToken(tokens, idx, options, env)
    )


def _render_table_close(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>"


def _render_link_open(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
) -> str:
    token = tokens[idx]
    if _is_external(str(token.attrGet("href") or "")):
        token.attrSet("rel", "noopener")
    return self.renderToken(tokens, idx, options, env)


def _parser() -> MarkdownIt:
    # "commonmark" limits nesting to 20 levels: deep quotes or lists cannot exhaust the parser.
    # A single line break stays a line break (text pasted from a word processor keeps its
    # lines), as in member posts.
    md = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(
        ["table", "strikethrough"]
    )
    md.add_render_rule("image", _render_image)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("table_close", _render_table_close)
    md.add_render_rule("link_open", _render_link_open)
    return md


_MD = _parser()


def _srcset_is_local(value: str) -> bool:
    for candidate in value.split(","):
        url = candidate.strip().split(" ")[0]
        if url and not is_site_image(url):
            return False
    return True


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag in ("img", "source") and attribute == "src" and not is_site_image(value):
        return None
    if tag in ("img", "source") and attribute == "srcset" and not _srcset_is_local(value):
        return None
    if attribute in ("width", "height") and not value.isdigit():
        return None
    return value


def sanitise_article_html(html: str) -> str:
    """Keep only the allow-listed tags and attributes of an article's HTML."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=ATTRIBUTE_VALUES,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


def _parse(text: str) -> list[Token]:
    tokens = _MD.parse(text or "")
    # The text's highest heading becomes <h2> (the page's title is the <h1>), the others
    # follow it down to <h4>: "## Part" alone gives <h2>, never an <h3> skipping a level.
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    shift = 2 - min(levels, default=2)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(max(int(token.tag[1]) + shift, 2), 4)}"
        elif token.type == "th_open":
            token.attrs = {"scope": "col"}
        elif token.type == "td_open":
            token.attrs = {}
    return tokens


def _inline_images(tokens: list[Token]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for token in tokens:
        for child in token.children or []:
            if child.type == "image":
                alt = "".join(c.content for c in child.children or []).strip()
                found.append((site_path(str(child.attrGet("src") or "")), alt))
    return found


def image_sources(text: str) -> list[str]:
    """Return the addresses of the images a text shows."""
    return [src for src, _alt in _inline_images(_parse(text))]


def _site_images(sources: list[str]) -> dict[str, Any]:
    from .models import BlogImage

    prefix = media_prefix()
    names = {src[len(prefix) :] for src in sources if is_site_image(src)}
    if not names:
        return {}
    return {image.file.name: image for image in BlogImage.objects.filter(file__in=names)}


def render_article_markdown(text: str) -> SafeString:
    """Render an article's Markdown to safe HTML (responsive pictures, scrolling tables)."""
    tokens = _parse(text)
    env = {"essaim": RenderEnv(images=_site_images([s for s, _a in _inline_images(tokens)]))}
    html = _MD.renderer.render(tokens, _MD.options, env)
    # The sanitiser's output is safe HTML by construction.
    return mark_safe(sanitise_article_html(html))


def check_article_markdown(text: str) -> None:
    """Refuse a text too long, with a table too long, or with images lacking a description."""
    errors: list[ValidationError] = []
    if len(text or "") > MAX_BODY_CHARS:
        raise ValidationError(
            _(
                "Le texte est trop long (%(count)s caractères ; au plus %(max)s) : "
                "découpez-le en plusieurs articles."
            )
            % {"count": f"{len(text):,}".replace(",", "\u202f"), "max": "200\u202f000"},
            code="too_long",
        )
    tokens = _parse(text)
    rows = 0
    for token in tokens:
        if token.type == "table_open":
            rows = 0
        elif token.type == "tr_open":
            rows += 1
            if rows > MAX_TABLE_ROWS + 1:  # the header row does not count
                errors.append(
                    ValidationError(
                        _(
                            "Un tableau dépasse %(max)s lignes : il serait illisible sur un "
                            "téléphone. Raccourcissez-le ou mettez les données dans un fichier "
                            "à télécharger."
                        )
                        % {"max": MAX_TABLE_ROWS},
                        code="table_too_long",
                    )
                )
                break
    missing = [src or "?" for src, alt in _inline_images(tokens) if not alt]
    if missing:
        errors.append(
            ValidationError(
                ngettext(
                    "Cette image n'a pas de texte alternatif : %(images)s. Écrivez-le entre "
                    "les crochets : ![description de l'image](adresse).",
                    "Ces images n'ont pas de texte alternatif : %(images)s. Écrivez-le entre "
                    "les crochets : ![description de l'image](adresse).",
                    len(missing),
                )
                % {"images": ", ".join(missing)},
                code="image_alt",
            )
        )
    if errors:
        raise ValidationError(errors)
