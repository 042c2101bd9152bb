"""The files section of a circle: attachments of its messages, for its members."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from essaim.circles import discussions
from essaim.circles.models import Attachment, Message
from tests.circles.discussion_world import World, build_world, png_upload

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"0" * 3000


@pytest.fixture
def world() -> World:
    return build_world("private")


def _url(world: World) -> str:
    return reverse("circles:files", kwargs={"slug": world.circle.slug})


def _as(client, world: World, role: str):
    client.force_login(world.users[role])
    return client


def _pdf(name: str = "compte-rendu.pdf") -> discussions.PreparedFile:
    return discussions.attachment_prepare(
        SimpleUploadedFile(name, PDF, content_type="application/pdf")
    )


def _post_files(world: World, n: int, role: str = "member") -> list[Message]:
    return [
        discussions.message_post(
            actor=world.users[role],
            thread=world.thread,
            body=f"Pièce {i}",
            files=[_pdf(f"doc-{i}.pdf")],
        ).message
        for i in range(n)
    ]


def _names(response) -> list[str]:
    return [a.original_name for a in response.context["page"].object_list]


def test_files_are_listed_newest_first_with_their_details(client, world):
    _post_files(world, 1)
    response = _as(client, world, "member").get(_url(world))
    assert response.status_code == 200
    assert _names(response) == ["doc-0.pdf", "photo.png"]
    body = response.content.decode()
    pdf = Attachment.objects.get(original_name="doc-0.pdf")
    assert reverse("circles:attachment", kwargs={"slug": "lyon", "attachment_id": pdf.pk}) in body
    assert "Document PDF" in body and "Image PNG" in body
    assert "3,0\xa0Kio" in body  # sizes in French (Django’s French units)
    assert "Camille Martin" in body  # who shared it
    thread_url = reverse(
        "circles:thread_detail", kwargs={"slug": "lyon", "thread_id": world.thread.pk}
    )
    assert f"{thread_url}#message-{pdf.message_id}" in body
    assert "Préparer la fête de quartier" in body
    assert 'aria-current="page"' in body


def test_files_of_hidden_messages_are_left_out_for_members(client, world):
    message = _post_files(world, 1)[0]
    discussions.message_hide(actor=world.users["coordinator"], message=message, reason="Erreur")
    response = _as(client, world, "member").get(_url(world))
    assert _names(response) == ["photo.png"]
    assert "doc-0.pdf" not in response.content.decode()


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_files_of_hidden_messages_are_shown_marked_to_moderators(client, world, role):
    message = _post_files(world, 1)[0]
    discussions.message_hide(actor=world.users["coordinator"], message=message, reason="Erreur")
    response = _as(client, world, role).get(_url(world))
    assert _names(response) == ["doc-0.pdf", "photo.png"]
    assert "Masqué pour les membres" in response.content.decode()


def test_files_of_another_circle_are_not_listed(client, world):
    discussions.thread_create(
        actor=world.users["other_member"],
        circle=world.other_circle,
        title="Brest",
        body="Nos affiches",
        files=[_pdf("affiche-brest.pdf")],
    )
    response = _as(client, world, "member").get(_url(world))
    assert "affiche-brest.pdf" not in response.content.decode()
    response = _as(client, world, "member").get(
        reverse("circles:files", kwargs={"slug": world.other_circle.slug})
    )
    assert response.status_code == 403
    assert "affiche-brest.pdf" not in response.content.decode()


def test_a_circle_without_files_says_so(client, world):
    Attachment.objects.all().delete()
    response = _as(client, world, "member").get(_url(world))
    assert "Aucun fichier pour l'instant" in response.content.decode().replace("&#x27;", "'")


def test_files_are_paginated(client, world):
    _post_files(world, 30)
    _as(client, world, "member")
    first = client.get(_url(world))
    assert len(first.context["page"].object_list) == 30
    assert _names(first)[0] == "doc-29.pdf"
    second = client.get(_url(world), {"page": 2})
    assert _names(second) == ["photo.png"]
    assert "Page 2 sur 2" in second.content.decode()


def test_files_page_query_count_is_constant(client, world, django_assert_num_queries):
    Attachment.objects.all().delete()
    _post_files(world, 1)
    discussions.message_post(
        actor=world.users["coordinator"],
        thread=world.thread,
        body="Photo",
        files=[discussions.attachment_prepare(png_upload())],
    )
    _as(client, world, "member")
    client.get(_url(world))
    # session, user, circle, person, circle roles, admin role, files count, files page,
    # notification badge
    with django_assert_num_queries(9):
        response = client.get(_url(world))
    assert len(response.context["page"].object_list) == 2
    _post_files(world, 18, role="coordinator")
    with django_assert_num_queries(9):
        response = client.get(_url(world))
    assert len(response.context["page"].object_list) == 20


def test_files_page_shows_dates_in_paris_time(client, world):
    message = _post_files(world, 1)[0]
    Message.objects.filter(pk=message.pk).update(
        created_at=message.created_at.replace(hour=22, minute=30) - timedelta(days=1)
    )
    body = _as(client, world, "member").get(_url(world)).content.decode()
    # 22:30 UTC is 23:30 in Paris in winter, 00:30 in summer.
    assert "23:30" in body or "00:30" in body


@pytest.mark.parametrize(
    ("role", "files", "reports"),
    [("member", True, False), ("coordinator", True, True), ("admin", True, True)],
)
def test_the_thread_list_links_to_files_and_reports(client, world, role, files, reports):
    body = (
        _as(client, world, role)
        .get(reverse("circles:thread_list", kwargs={"slug": "lyon"}))
        .content.decode()
    )
    assert (_url(world) in body) is files
    assert (reverse("circles:reports", kwargs={"slug": "lyon"}) in body) is reports


def test_readers_of_a_public_circle_get_no_files_link(client):
    world = build_world("public")
    body = (
        _as(client, world, "outsider")
        .get(reverse("circles:thread_list", kwargs={"slug": "lyon"}))
        .content.decode()
    )
    assert _url(world) not in body
