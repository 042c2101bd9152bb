"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from essaim.accounts import policies

from .selectors import organisation_get


def essaim(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "organisation": organisation_get(),
        "nav": policies.navigation_for(user),
    }
