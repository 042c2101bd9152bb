"""The visitor's address, right behind a reverse proxy too (for rate limits, never stored)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return the visitor's IP address, read past the trusted reverse proxies.

    Behind nginx every request comes from 127.0.0.1: with ``ESSAIM_TRUSTED_PROXY_COUNT``
    set to the number of proxies in front of Essaim, the address is taken from
    ``X-Forwarded-For`` at that position from the right, the part a visitor cannot forge.
    """
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.headers.get("x-forwarded-for", "")
    if count > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= count:
            try:
                return str(ipaddress.ip_address(hops[-count]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or "unknown"


def absolute_url(path: str) -> str:
    """Return the full address of a path made by ``reverse`` (which holds any path prefix).

    ``ESSAIM_SITE_URL`` may name a path prefix (``https://asso.fr/participer``): the
    prefix is already in every reversed path, so only the scheme and host are added.
    """
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_ORIGIN}{path}"
