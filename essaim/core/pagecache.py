"""Cache of anonymous public pages, invalidated precisely when their content changes.

A page declares the content keys it depends on (``"site"``, ``"articles"``,
``"article:42"``…). Services that change content call :func:`bump` with the keys
they touch, inside their transaction. Serving a page costs one query (the versions
of its keys) and one cache read; the cache key holds those versions, so a bumped key
makes the page miss everywhere at once and nothing stale or unpublished is served.
Only anonymous GET/HEAD requests without pending messages are cached: nothing
personal (a CSRF token, a name, a flash message) is ever stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl, urlencode

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from .models import ContentVersion

# Keys every public page depends on: the organisation's settings (name, colours,
# legal pages) and the public navigation.
SITE = "site"
DEFAULT_TIMEOUT = 24 * 3600
CACHE_PREFIX = "essaim:page:"

F_ = TypeVar("F_", bound=Callable[..., HttpResponse])


def bump(*keys: str) -> None:
    """Invalidate every cached page that depends on one of these keys."""
    for key in dict.fromkeys(keys):
        updated = ContentVersion.objects.filter(key=key).update(value=F("value") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    ContentVersion.objects.create(key=key, value=1)
            except IntegrityError:
                ContentVersion.objects.filter(key=key).update(value=F("value") + 1)


def versions(keys: Iterable[str]) -> dict[str, int]:
    """Return the current version of each key (0 for a key never bumped), in one query."""
    wanted = list(dict.fromkeys(keys))
    # Every cached page pays for this query: plain SQL, without the ORM's compiling
    # (about half the cost of a cache hit on PostgreSQL).
    if not wanted:
        return {}
    quote = connection.ops.quote_name
    table, key, value = quote(ContentVersion._meta.db_table), quote("key"), quote("value")
    marks = ", ".join(["%s"] * len(wanted))
    sql = f"SELECT {key}, {value} FROM {table} WHERE {key} IN ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, wanted)
        found = dict(cursor.fetchall())
    return {key: int(found.get(key, 0)) for key in wanted}


# Parameters that social networks, newsletters and ad platforms add to shared links: no
# public page reads them, and keeping them in the key would make every visitor from
# Facebook (a new fbclid each time) miss the cache.
TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid"}
    | {"twclid", "ttclid", "yclid", "li_fat_id", "_ga", "_gl", "ref_src"}
)


def cache_path(request: HttpRequest) -> str:
    """Return the path and query that identify a page, without tracking parameters."""
    query = request.META.get("QUERY_STRING", "")
    if not query:
        return request.path
    kept = sorted(
        (name, value)
        for name, value in parse_qsl(query, keep_blank_values=True)
        if name not in TRACKING_PARAMETERS and not name.startswith("utm_")
    )
    return f"{request.path}?{urlencode(kept)}" if kept else request.path


def page_versions(request: HttpRequest) -> dict[str, int]:
    """Return the versions read for this request's cache key (empty when not cached)."""
    return dict(getattr(request, "_page_versions", {}))


def is_cacheable(request: HttpRequest) -> bool:
    """Tell whether this request may be answered from, and stored in, the page cache."""
    if request.method not in ("GET", "HEAD"):
        return False
    if "messages" in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def page_key(request: HttpRequest, deps: Iterable[str], *, daily: bool = False) -> str:
    """Build the cache key of a page: path, query, language and dependency versions."""
    current = versions([SITE, *deps])
    # Kept for the view: parts of the page cached on their own use the same versions.
    request._page_versions = current  # type: ignore[attr-defined]
    parts = [
        request.get_host(),
        cache_path(request),
        translation.get_language() or "",
        ",".join(f"{key}={value}" for key, value in sorted(current.items())),
    ]
    if daily:
        # Pages whose content expires with the calendar (consents valid until a date).
        parts.append(timezone.localdate().isoformat())
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return CACHE_PREFIX + digest


def _shareable(request: HttpRequest, response: HttpResponse) -> bool:
    """Tell whether a rendered page holds nothing personal and may be served to anyone."""
    if response.cookies:
        return False
    # A page that asked for a CSRF token carries it in its HTML: never share it.
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    # The page rendered flash messages (kept in the session for an anonymous visitor).
    messages = getattr(request, "_messages", None)
    return not (messages is not None and getattr(messages, "used", False))


def _timeout_for(response: HttpResponse, timeout: int) -> int:
    """Seconds to keep a page: ``timeout``, or less if the page expires sooner.

    A view sets ``response.page_cache_until`` (an aware datetime) when its content changes
    with the clock rather than through a service (an action that ends leaves the home).
    """
    until = getattr(response, "page_cache_until", None)
    if until is None:
        return timeout
    remaining = int((until - timezone.now()).total_seconds())
    return max(0, min(timeout, remaining))


def cached_page(
    deps: Callable[..., Iterable[str]],
    *,
    daily: bool = False,
    timeout: int = DEFAULT_TIMEOUT,
) -> Callable[[F_], F_]:
    """Serve an anonymous page from the cache; ``deps(request, **kwargs)`` names its keys."""

    def decorator(view: F_) -> F_:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not is_cacheable(request):
                return view(request, *args, **kwargs)
            key = page_key(request, deps(request, *args, **kwargs), daily=daily)
            stored = cache.get(key)
            if stored is not None:
                status, headers, content = stored
                response = HttpResponse(content, status=status)
                for name, value in headers:
                    response[name] = value
                response["X-Essaim-Cache"] = "hit"
                return response
            response = view(request, *args, **kwargs)
            if response.status_code in (200, 404) and not response.streaming:
                if hasattr(response, "render") and callable(response.render):
                    response.render()
                seconds = _timeout_for(response, timeout)
                if seconds > 0 and _shareable(request, response):
                    headers = [
                        (name, value)
                        for name, value in response.items()
                        if name.lower() not in ("set-cookie", "vary")
                    ]
                    cache.set(key, (response.status_code, headers, response.content), seconds)
            response["X-Essaim-Cache"] = "miss"
            return response

        return cast(F_, wrapper)

    return decorator
