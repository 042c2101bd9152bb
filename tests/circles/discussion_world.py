"""A circle with its discussions and one account per circle role, for the discussion tests."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from essaim.accounts.models import User
from essaim.circles import discussions
from essaim.circles.models import Circle, Membership, MembershipRole, Message, Thread
from essaim.people.models import Person
from tests.conftest import make_user_for_role

# "outsider": signed in, in no circle; "other_member": member of circle B only.
DISCUSSION_ROLES = (
    "anonymous",
    "outsider",
    "other_member",
    "member",
    "coordinator",
    "admin",
)
ACCOUNT_ROLE = {
    "outsider": "member",
    "other_member": "member",
    "member": "member",
    "coordinator": "member",
    "admin": "admin",
}


def png_bytes(size: tuple[int, int] = (8, 6), fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def png_upload(name: str = "photo.png", **kwargs: Any) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(**kwargs), content_type="image/png")


@dataclass
class World:
    users: dict[str, User | None]
    circle: Circle
    other_circle: Circle
    thread: Thread
    first_message: Message
    member_message: Message
    hidden_message: Message
    attachment_id: int

    def person(self, role: str) -> Person:
        return Person.objects.get(user=self.users[role])

    def login(self, role: str) -> User | None:
        return self.users[role]


def build_world(visibility: str = "private") -> World:
    users = {role: make_user_for_role(ACCOUNT_ROLE.get(role, role)) for role in DISCUSSION_ROLES}
    people = {r: Person.objects.get(user=u) for r, u in users.items() if u is not None}
    people["member"].given_name, people["member"].family_name = "Camille", "Martin"
    people["member"].refresh_search_text()
    people["member"].save()
    circle = Circle.objects.create(name="Antenne de Lyon", slug="lyon", visibility=visibility)
    other = Circle.objects.create(name="Antenne de Brest", slug="brest", visibility="private")
    Membership.objects.create(circle=circle, person=people["member"])
    Membership.objects.create(
        circle=circle, person=people["coordinator"], role=MembershipRole.COORDINATOR
    )
    Membership.objects.create(circle=other, person=people["other_member"])
    posted = discussions.thread_create(
        actor=users["coordinator"],
        circle=circle,
        title="Préparer la fête de quartier",
        body="Qui vient **samedi** ?",
        files=[discussions.attachment_prepare(png_upload())],
    )
    reply = discussions.message_post(
        actor=users["member"], thread=posted.thread, body="Je viens avec des gâteaux."
    )
    hidden = discussions.message_post(
        actor=users["member"], thread=posted.thread, body="Propos déplacés ici"
    )
    discussions.message_hide(
        actor=users["coordinator"], message=hidden.message, reason="Hors sujet"
    )
    posted.thread.refresh_from_db()
    return World(
        users=users,
        circle=circle,
        other_circle=other,
        thread=posted.thread,
        first_message=posted.message,
        member_message=reply.message,
        hidden_message=hidden.message,
        attachment_id=posted.message.attachments.get().pk,
    )
