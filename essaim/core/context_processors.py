"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from essaim.accounts import policies

from .selectors import organisation_get


def essaim(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "organisation": organisation_get(),
        "nav": policies.navigation_for(user),
        "unread_notifications": _unread_notifications(request, user),
    }


def _unread_notifications(request: HttpRequest, user: Any) -> Any:
    # Lazy, so that a page which does not show the badge costs no query; kept on the
    # request, so that the badge and the page share one count.
    if user is None or not user.is_authenticated:
        return 0

    def count() -> int:
        cached = getattr(request, "_essaim_unread", None)
        if cached is None:
            from essaim.feed.selectors import unread_count_for_user

            cached = unread_count_for_user(user.pk)
            request._essaim_unread = cached  # type: ignore[attr-defined]
        return int(cached)

    return SimpleLazyObject(count)
