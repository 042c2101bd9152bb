"""Template tags of the public site: addresses in the page's language, absolute URLs."""

from __future__ import annotations

from typing import Any

from django import template

from essaim.core.http import absolute_url

from ..public import public_reverse

register = template.Library()


@register.simple_tag
def public_url(name: str, *args: Any, lang: str | None = None, **kwargs: Any) -> str:
    """``{% public_url "article" slug=a.slug %}``: the page's address in the current language."""
    return public_reverse(name, lang=lang, args=args, kwargs=kwargs)


@register.filter
def absolute(path: str) -> str:
    """``{{ some_path|absolute }}``: the full address, with scheme and host."""
    return absolute_url(str(path))


_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def jsonld(value: Any) -> str:
    """Serialise a JSON-LD object safely inside a <script> element."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder
    from django.utils.safestring import mark_safe

    text = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return mark_safe(text.translate(_JSON_ESCAPES))  # escaped above
