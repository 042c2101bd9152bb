"""Public-site plumbing: the page's language comes from its address, pages are cached.

Public pages exist once per language: French at the root (``/blog/…``), English under
``/en/`` (``/en/blog/…``), the same URL patterns included twice under the instance
namespaces ``blog`` and ``blog_en``. The address alone decides the language, so a
search engine sees one language per URL (hreflang) and the page cache never mixes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation

from essaim.core.http import absolute_url
from essaim.core.pagecache import cached_page

NAMESPACES = {"fr": "blog", "en": "blog_en"}
DEFAULT_LANGUAGE = "fr"

F = TypeVar("F", bound=Callable[..., HttpResponse])


def request_language(request: HttpRequest) -> str:
    """Return the language of a public page, read from the namespace it was found under."""
    match = getattr(request, "resolver_match", None)
    if match is not None and "blog_en" in match.namespaces:
        return "en"
    return DEFAULT_LANGUAGE


def public_reverse(
    name: str,
    *,
    lang: str | None = None,
    args: Iterable[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
) -> str:
    """Reverse a public URL name (without namespace) in a language (default: the current one)."""
    language = lang or translation.get_language() or DEFAULT_LANGUAGE
    namespace = NAMESPACES.get(language[:2], NAMESPACES[DEFAULT_LANGUAGE])
    return reverse(f"{namespace}:{name}", args=list(args or ()), kwargs=kwargs or {})


def public_absolute(name: str, **options: Any) -> str:
    """Return the full address (scheme, host, prefix) of a public URL."""
    return absolute_url(public_reverse(name, **options))


def public_view(deps: Callable[..., Iterable[str]], *, daily: bool = False) -> Callable[[F], F]:
    """Render a public page in its address's language, from the page cache when anonymous."""

    def decorator(view: F) -> F:
        cached = cached_page(deps, daily=daily)(view)

        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            language = request_language(request)
            with translation.override(language):
                request.LANGUAGE_CODE = language
                response = cached(request, *args, **kwargs)
            # LocaleMiddleware would name the visitor's language (cookie, browser), not the
            # page's: say it here, for hits and misses alike.
            response["Content-Language"] = language
            return response

        return cast(F, wrapper)

    return decorator


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]
