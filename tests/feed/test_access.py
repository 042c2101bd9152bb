"""Role matrix of the feed URLs: global roles, then circle roles."""

from __future__ import annotations

import pytest
from django.urls import reverse

from essaim.circles.models import MembershipRole
from essaim.feed.digests import unsubscribe_token
from essaim.feed.models import Delivery, Notification
from tests.access import EVERYONE, ROLES, SIGNED_IN, Route, assert_access
from tests.people.factories import PersonFactory

from .helpers import activities, join, make_circle, notifications

NOBODY: frozenset[str] = frozenset()


def _foreign_notification() -> dict[str, object]:
    return {"notification_id": notifications(PersonFactory(), 1)[0].pk}


def _token() -> dict[str, object]:
    return {"token": unsubscribe_token(PersonFactory(email="d@exemple.org").pk, Delivery.WEEKLY)}


ROUTES = [
    Route("feed:feed", allowed=SIGNED_IN),
    Route("feed:feed", allowed=SIGNED_IN, query="before=10"),
    Route("feed:notifications", allowed=SIGNED_IN),
    # Someone else's notification: 404, whoever asks (it must not even be confirmed).
    Route(
        "feed:notification_read",
        allowed=NOBODY,
        kwargs=_foreign_notification,
        method="post",
        refused=404,
    ),
    Route("feed:notifications_read_all", allowed=SIGNED_IN, method="post", ok=(302,)),
    Route("feed:preferences", allowed=SIGNED_IN),
    Route(
        "feed:preferences",
        allowed=SIGNED_IN,
        method="post",
        data=lambda: {"mention": "never"},
    ),
    # The unsubscribe link needs no login: the signed token is the credential.
    Route("feed:unsubscribe", allowed=EVERYONE, kwargs=_token),
    Route("feed:unsubscribe", allowed=EVERYONE, kwargs=_token, method="post"),
]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_access(client, login_as, route, role):
    assert_access(client, route, role, login_as)


def test_refused_read_leaves_the_notification_unread(client, login_as):
    foreign = notifications(PersonFactory(), 1)[0]
    client.force_login(login_as("admin"))
    response = client.post(reverse("feed:notification_read", args=[foreign.pk]))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.read_at is None


def test_get_cannot_mark_as_read(client, login_as):
    user = login_as("member")
    mine = notifications(user.person, 1)[0]
    client.force_login(user)
    response = client.get(reverse("feed:notification_read", args=[mine.pk]))
    assert response.status_code == 405
    assert Notification.objects.get(pk=mine.pk).read_at is None


CIRCLE_ROLES = ("coordinator_a", "member_a", "member_b", "outsider")


@pytest.fixture
def circle_world(login_as):
    a, b = make_circle("Antenne A"), make_circle("Antenne B")
    activities(a, 2)
    activities(b, 1)
    users = {role: login_as("member") for role in CIRCLE_ROLES}
    join(users["coordinator_a"].person, a, MembershipRole.COORDINATOR)
    join(users["member_a"].person, a)
    join(users["member_b"].person, b)
    return a, b, users


@pytest.mark.parametrize("role", CIRCLE_ROLES)
def test_feed_per_circle_role(client, circle_world, role):
    a, _b, users = circle_world
    client.force_login(users[role])
    whole = client.get(reverse("feed:feed"))
    filtered = client.get(reverse("feed:feed"), {"circle": a.pk})
    sees_a = role in ("coordinator_a", "member_a")
    assert whole.status_code == filtered.status_code == 200
    assert ("Antenne A" in whole.content.decode()) is sees_a
    assert ("Antenne B" in whole.content.decode()) is (role == "member_b")
    if sees_a:
        assert filtered.content.decode().count('class="card feed-item"') == 2
    else:
        # Filtering on a circle one is not in shows a message, never its activities.
        body = filtered.content.decode()
        assert "n&#x27;est pas l&#x27;un des vôtres" in body
        assert 'class="card feed-item"' not in body
