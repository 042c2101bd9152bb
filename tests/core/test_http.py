"""The visitor's address behind reverse proxies (rate limits of public forms and logins)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from essaim.core.http import client_ip


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "127.0.0.1"),  # no proxy trusted: the header is ignored
        (1, "203.0.113.7", "203.0.113.7"),  # behind nginx
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a forged first hop is skipped
        (2, "203.0.113.7, 10.0.0.2", "203.0.113.7"),  # CDN then nginx
        (2, "203.0.113.7", "127.0.0.1"),  # fewer hops than proxies: not trusted
        (1, "not-an-address", "127.0.0.1"),
        (1, "", "127.0.0.1"),
    ],
)
def test_client_ip(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", **headers)
    assert client_ip(request) == expected
