"""A small federation of circles, and one account per circle role, for the circle tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from essaim.accounts.models import User
from essaim.circles.models import (
    Circle,
    CircleInvitation,
    JoinPolicy,
    JoinRequest,
    Membership,
    MembershipRole,
    Visibility,
)
from essaim.circles.services import (
    circle_create,
    invitation_create,
    join_request_create,
    membership_join,
)
from essaim.people.models import Person
from tests.conftest import make_user_for_role
from tests.people.factories import PersonFactory

# Circle roles: "member" is a member of the network who belongs to no circle.
CIRCLE_ROLES = (
    "anonymous",
    "sympathiser",
    "member",
    "member_a",
    "coordinator_a",
    "member_b",
    "admin",
)
ACCOUNT_ROLE = {
    "sympathiser": "sympathiser",
    "member": "member",
    "member_a": "member",
    "coordinator_a": "member",
    "member_b": "member",
    "admin": "admin",
}


@dataclass
class World:
    users: dict[str, User | None]
    circles: dict[str, Circle]
    memberships: dict[str, Membership] = field(default_factory=dict)
    invitation: CircleInvitation | None = None
    join_request: JoinRequest | None = None

    def person(self, role: str) -> Person:
        user = self.users[role]
        assert user is not None
        return Person.objects.get(user=user)


def build_world() -> World:
    users = {role: make_user_for_role(ACCOUNT_ROLE.get(role, role)) for role in CIRCLE_ROLES}
    admin = users["admin"]
    assert admin is not None
    people = {
        role: Person.objects.get(user=user) for role, user in users.items() if user is not None
    }
    outsider_coordinator = PersonFactory(given_name="Sacha", family_name="Secret")
    national = circle_create(
        actor=admin,
        name="National",
        kind="national",
        visibility=Visibility.PUBLIC,
        join_policy=JoinPolicy.OPEN,
        coordinator=outsider_coordinator,
    )
    a = circle_create(
        actor=admin,
        name="Antenne A",
        parent=national,
        visibility=Visibility.PRIVATE,
        join_policy=JoinPolicy.REQUEST,
        coordinator=people["coordinator_a"],
    )
    b = circle_create(
        actor=admin,
        name="Antenne B",
        parent=national,
        visibility=Visibility.PRIVATE,
        join_policy=JoinPolicy.OPEN,
        coordinator=outsider_coordinator,
    )
    secret = circle_create(
        actor=admin,
        name="Cellule secrète",
        parent=national,
        visibility=Visibility.SECRET,
        join_policy=JoinPolicy.INVITATION,
        coordinator=outsider_coordinator,
    )
    world = World(users=users, circles={"national": national, "a": a, "b": b, "secret": secret})
    member_a_user = users["member_a"]
    member_b_user = users["member_b"]
    assert member_a_user is not None and member_b_user is not None
    a.join_policy = JoinPolicy.OPEN
    a.save()
    membership_join(actor=member_a_user, circle=a)
    a.join_policy = JoinPolicy.REQUEST
    a.save()
    membership_join(actor=member_b_user, circle=b)
    world.memberships = {
        "member_a": Membership.objects.get(circle=a, person=people["member_a"]),
        "coordinator_a": Membership.objects.get(circle=a, person=people["coordinator_a"]),
        "secret": Membership.objects.get(circle=secret, role=MembershipRole.COORDINATOR),
    }
    member_user = users["member"]
    assert member_user is not None
    world.invitation = invitation_create(actor=admin, circle=secret, email=member_user.email)
    world.join_request = join_request_create(actor=member_user, circle=a, message="Bonjour")
    for circle in world.circles.values():
        circle.refresh_from_db()
    return world


@pytest.fixture
def world(db: Any) -> World:
    return build_world()
