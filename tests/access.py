"""The role matrix: one line per URL says who may use it; tests check every role.

Each app declares its routes as ``Route`` rows and parametrizes one test over
``ROLES`` x routes with :func:`assert_access`. Anonymous visitors of a protected
page are sent to the login page; logged-in people without the right get
``refused`` (403 by default; 404 where a page must not reveal that an object exists).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.urls import reverse

ROLES = ("anonymous", "sympathiser", "member", "coordinator", "treasurer", "communication", "admin")
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
STAFF = frozenset({"coordinator", "treasurer", "communication", "admin"})


@dataclass(frozen=True)
class Route:
    name: str
    allowed: frozenset[str]
    kwargs: Callable[[], dict[str, Any]] | None = None
    method: str = "get"
    data: Callable[[], dict[str, Any]] | None = None
    ok: tuple[int, ...] = (200,)
    refused: int = 403
    query: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.name}"


def assert_access(client: Client, route: Route, role: str, login_as: Callable[[str], Any]) -> None:
    user = login_as(role)
    if user is not None:
        client.force_login(user)
    url = reverse(route.name, kwargs=route.kwargs() if route.kwargs else None)
    if route.query:
        url = f"{url}?{route.query}"
    data = route.data() if route.data else None
    response = getattr(client, route.method)(url, data=data, **route.extra)
    if role in route.allowed:
        assert response.status_code in route.ok, (
            f"{role} should get {route} ({url}) but got {response.status_code}"
        )
    elif role == "anonymous":
        assert response.status_code == 302, f"anonymous got {response.status_code} on {url}"
        assert response["Location"].startswith(reverse("account_login")), response["Location"]
    else:
        assert response.status_code == route.refused, (
            f"{role} should be refused {route} ({url}) but got {response.status_code}"
        )


# --- Per-circle-role matrices -------------------------------------------------------------
# Circles, actions and practice sheets depend on the person's role in a circle, not only on
# their staff role: their matrices name, for each circle role of a test world, a status code
# or LOGIN (sent to the login page). Each app builds its world; this one function checks it.
LOGIN = "login"


def assert_circle_access(client: Client, world: Any, route: Any, role: str) -> None:
    """Request ``route`` as ``role`` of ``world`` and check the status its matrix names."""
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    url = reverse(route.name, kwargs=route.kwargs(world) or None)
    if route.query:
        url = f"{url}?{route.query}"
    data = route.data(world) if route.data else None
    response = getattr(client, route.method)(url, data=data)
    wanted = route.expected[role]
    if wanted == LOGIN:
        assert response.status_code == 302, f"{role} got {response.status_code} on {route}"
        assert response["Location"].startswith(reverse("account_login")), response["Location"]
    else:
        assert response.status_code == wanted, (
            f"{role} should get {wanted} on {route} ({url}) but got {response.status_code}"
        )
