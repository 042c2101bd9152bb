"""Pieces of pages that every reader sees alike, cached under a digest of what they show.

A thread page shows twenty messages and the feed twenty activities; rendering them was
most of those pages' time. Each piece is rendered from a plain context (the object and
what it shows, never the request or the user): nothing personal (a CSRF token, an edit
link, the reader's own reactions) can get into it; the page adds those around it.

The cache key is a digest of every value the piece shows (its text, names, dates), the
language, the time zone, the script prefix and the template's source. A changed message
or renamed author gets a new key at once in every process: there is nothing to
invalidate, so it also holds with the per-process local-memory cache of the default
install. The timeout only bounds how long unused pieces stay.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from functools import cache as memoize
from typing import Any, TypeVar

import django
from django.core.cache import cache
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

FRAGMENT_TIMEOUT = 24 * 3600
PREFIX = "essaim:fragment:"

T = TypeVar("T")


@memoize
def template_digest(template_name: str) -> str:
    """Digest a template's source, so that a deployed change to it misses the old pieces."""
    source = getattr(get_template(template_name).template, "source", "")  # type: ignore[attr-defined]
    return hashlib.blake2b(source.encode(), digest_size=8).hexdigest()


def fragment_key(template_name: str, parts: Iterable[object]) -> str:
    """Return the cache key of a piece rendered with this template from these values."""
    # Django's version: its form widgets' templates are part of some pieces.
    shown = (
        get_language(),
        get_current_timezone_name(),
        get_script_prefix(),
        django.__version__,
        *parts,
    )
    digest = hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest()
    return f"{PREFIX}{template_digest(template_name)}:{digest}"


def fragments_render(
    template_name: str,
    items: Sequence[T],
    *,
    shown: Callable[[T], tuple[Any, ...]],
    context: Callable[[T], dict[str, Any]],
    prepare: Callable[[list[T]], None] | None = None,
    timeout: int = FRAGMENT_TIMEOUT,
) -> list[SafeString]:
    """Render each item's piece, reading those already rendered from the cache in one call.

    ``shown(item)`` lists every value the piece shows; ``context(item)`` is the template's
    whole context; ``prepare(misses)`` loads what only rendering needs (attachments…),
    for the items not found in the cache.
    """
    keys = [fragment_key(template_name, shown(item)) for item in items]
    found: dict[str, str] = cache.get_many(keys) if keys else {}
    missing = [(key, item) for key, item in zip(keys, items, strict=True) if key not in found]
    if missing:
        if prepare is not None:
            prepare([item for _key, item in missing])
        template = get_template(template_name)
        rendered = {key: template.render(context(item)).strip() for key, item in missing}
        cache.set_many(rendered, timeout)
        found.update(rendered)
    # Rendered by the template engine, which escaped every value.
    return [mark_safe(found[key]) for key in keys]
