"""Circle discussions: reading, posting, moderation, mentions, files and bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from essaim.circles import discussions
from essaim.circles.discussion_views import MESSAGES_PER_PAGE
from essaim.circles.models import (
    Attachment,
    Membership,
    Message,
    Reaction,
    Report,
    Thread,
    ThreadRead,
)
from essaim.core.models import AuditLog
from essaim.feed.models import Activity, Notification, NotificationKind, Verb
from tests.circles.discussion_world import World, build_world, png_bytes, png_upload
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world("private")


def _url(name: str, world: World, **kwargs: object) -> str:
    return reverse(name, kwargs={"slug": world.circle.slug, **kwargs})


def _thread_url(world: World) -> str:
    return _url("circles:thread_detail", world, thread_id=world.thread.pk)


def _as(client, world: World, role: str):
    client.force_login(world.users[role])
    return client


def _page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- reading -----------------------------------------------------------------------


def test_member_of_another_circle_cannot_read_a_private_thread(client, world):
    response = _as(client, world, "other_member").get(_thread_url(world))
    assert response.status_code == 403
    assert "fête de quartier" not in response.content.decode()


def test_secret_circle_answers_404_to_outsiders(client):
    world = build_world("secret")
    _as(client, world, "outsider")
    for url in (_url("circles:thread_list", world), _thread_url(world)):
        response = client.get(url)
        assert response.status_code == 404
        assert "Lyon" not in response.content.decode()


def test_public_circle_threads_are_readable_by_signed_in_people_only(client):
    world = build_world("public")
    assert client.get(_thread_url(world)).status_code == 302
    response = _as(client, world, "outsider").get(_thread_url(world))
    assert response.status_code == 200
    assert "Seuls les membres du cercle peuvent répondre" in response.content.decode()
    assert response.context["reply_form"] is None


def test_hidden_message_is_invisible_to_members(client, world):
    response = _as(client, world, "member").get(_thread_url(world))
    body = response.content.decode()
    assert "Propos déplacés" not in body
    assert "Je viens avec des gâteaux" in body


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_hidden_message_is_visible_and_marked_to_moderators(client, world, role):
    response = _as(client, world, role).get(_thread_url(world))
    body = response.content.decode()
    assert "Propos déplacés" in body
    assert "Masqué pour les membres" in body
    assert "Hors sujet" in body


def test_hidden_message_cannot_be_reached_by_members_through_its_urls(client, world):
    _as(client, world, "member")
    for name in ("circles:message_edit", "circles:message_report"):
        response = client.get(_url(name, world, message_id=world.hidden_message.pk))
        assert response.status_code == 404


def test_thread_list_pinned_first_then_last_activity_with_keyset_pages(client, world):
    now = timezone.now()
    old = [
        Thread.objects.create(
            circle=world.circle, title=f"Ancienne {i}", last_activity_at=now - timedelta(days=i + 1)
        )
        for i in range(30)
    ]
    pinned = old[-1]
    pinned.pinned = True
    pinned.save()
    response = _as(client, world, "member").get(_url("circles:thread_list", world))
    page = response.context["page"]
    assert page.pinned == [pinned]
    assert page.threads[0] == world.thread
    assert [t.last_activity_at for t in page.threads] == sorted(
        (t.last_activity_at for t in page.threads), reverse=True
    )
    assert page.next_cursor
    second = client.get(
        _url("circles:thread_list", world), {"avant": page.next_cursor}, HTTP_HX_REQUEST="true"
    )
    assert second.templates[0].name == "circles/discussions/_thread_rows.html"
    second_page = second.context["page"]
    assert second_page.pinned == []
    seen = {t.pk for t in page.threads}
    assert not seen & {t.pk for t in second_page.threads}
    assert len(seen) + len(second_page.threads) == 30  # 31 threads, one of them pinned


def test_bad_cursor_shows_the_first_page(client, world):
    response = _as(client, world, "member").get(
        _url("circles:thread_list", world), {"avant": "n'importe quoi"}
    )
    assert response.status_code == 200
    assert response.context["page"].threads == [world.thread]


def test_unread_markers_follow_what_the_person_read(client, world):
    _as(client, world, "coordinator")
    list_url = _url("circles:thread_list", world)
    # The member replied after the coordinator opened the thread: unread for the coordinator.
    assert client.get(list_url).context["page"].threads[0].unread is True
    client.get(_thread_url(world))
    assert client.get(list_url).context["page"].threads[0].unread is False
    discussions.message_post(actor=world.users["member"], thread=world.thread, body="Encore moi")
    assert client.get(list_url).context["page"].threads[0].unread is True
    response = client.get(_thread_url(world))
    assert [m.body for m in response.context["page_messages"] if m.is_new] == ["Encore moi"]
    # One's own messages are never "new" to oneself.
    discussions.message_post(actor=world.users["coordinator"], thread=world.thread, body="Vu")
    assert client.get(list_url).context["page"].threads[0].unread is False
    response = client.get(_thread_url(world))
    assert not [m for m in response.context["page_messages"] if m.is_new]


def _rows_query_count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_thread_list_query_count_is_constant(client, world, django_assert_num_queries):
    _as(client, world, "member")
    url = _url("circles:thread_list", world)
    client.get(url)
    few = _rows_query_count(client, url)
    now = timezone.now()
    for i in range(20):
        thread = Thread.objects.create(
            circle=world.circle,
            title=f"Sujet {i}",
            author=world.person("member"),
            last_activity_at=now,
            pinned=i % 5 == 0,
        )
        ThreadRead.objects.create(thread=thread, person=world.person("member"), last_read_at=now)
    with django_assert_num_queries(few):
        assert client.get(url).status_code == 200


def test_thread_page_query_count_is_constant(client, world, django_assert_num_queries):
    _as(client, world, "coordinator")
    url = _thread_url(world)
    client.get(url)
    few = _rows_query_count(client, url)
    for i in range(20):
        posted = discussions.message_post(
            actor=world.users["member"],
            thread=world.thread,
            body=f"Réponse {i}",
            files=[discussions.attachment_prepare(png_upload())] if i % 4 == 0 else (),
        )
        discussions.reaction_toggle(
            actor=world.users["coordinator"], message=posted.message, emoji="👍"
        )
    client.get(url)
    with django_assert_num_queries(few):
        assert client.get(url).status_code == 200


def test_thread_page_is_paginated(client, world):
    for i in range(35):
        Message.objects.create(
            thread=world.thread,
            author=world.person("member"),
            body=f"m{i}",
            body_html=f"<p>m{i}</p>",
        )
    _as(client, world, "member")
    first = client.get(_thread_url(world))
    assert len(first.context["page_messages"]) == MESSAGES_PER_PAGE == 20
    last = client.get(_thread_url(world), {"page": "last"})
    assert last.context["page_messages"][-1].body == "m34"
    # Each message's action links point at that message.
    message = last.context["page_messages"][-1]
    body = last.content.decode()
    for name in ("circles:message_react", "circles:message_report"):
        url = reverse(name, kwargs={"slug": world.circle.slug, "message_id": message.pk})
        assert f'action="{url}"' in body or f'href="{url}"' in body


# --- posting -----------------------------------------------------------------------


def test_new_thread_records_an_activity_and_shows_the_thread(client, world):
    response = _as(client, world, "member").post(
        _url("circles:thread_create", world),
        {"title": "Covoiturage", "body": "Qui part de *Villeurbanne* ?"},
    )
    thread = Thread.objects.get(title="Covoiturage")
    assert response.status_code == 302
    assert response["Location"] == _url("circles:thread_detail", world, thread_id=thread.pk)
    message = thread.messages.get()
    assert message.body_html == "<p>Qui part de <em>Villeurbanne</em> ?</p>\n"
    assert Activity.objects.filter(verb=Verb.THREAD_CREATED, thread=thread).exists()


def test_reply_updates_the_thread_and_records_an_activity(client, world):
    before = world.thread.last_activity_at
    response = _as(client, world, "member").post(
        _url("circles:message_create", world, thread_id=world.thread.pk), {"body": "Top"}
    )
    assert response.status_code == 302
    world.thread.refresh_from_db()
    assert world.thread.reply_count == 3
    assert world.thread.last_activity_at > before
    message = world.thread.messages.latest("id")
    assert response["Location"].endswith(f"#message-{message.pk}")
    assert Activity.objects.filter(verb=Verb.MESSAGE_POSTED, message=message).exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "Le message est vide"),
        ("   \n  ", "Le message est vide"),
        ("x" * 20_001, "Le message est trop long"),
    ],
)
def test_bad_posts_are_refused_and_change_nothing(client, world, body, expected):
    count = Message.objects.count()
    _as(client, world, "member")
    reply = client.post(
        _url("circles:message_create", world, thread_id=world.thread.pk), {"body": body}
    )
    assert reply.status_code == 400
    assert expected in reply.content.decode()
    new = client.post(_url("circles:thread_create", world), {"title": "Sujet", "body": body})
    assert new.status_code == 400
    assert expected in new.content.decode()
    assert Message.objects.count() == count
    assert not Thread.objects.filter(title="Sujet").exists()


def test_reply_to_a_locked_thread_is_refused(client, world):
    discussions.thread_set_locked(
        actor=world.users["coordinator"], thread=world.thread, locked=True
    )
    count = Message.objects.count()
    response = _as(client, world, "member").post(
        _url("circles:message_create", world, thread_id=world.thread.pk),
        {"body": "Je voulais dire…"},
        follow=True,
    )
    assert "Cette discussion est verrouillée" in " ".join(_page_messages(response))
    assert Message.objects.count() == count
    assert response.context["reply_form"] is None
    with pytest.raises(ValidationError):
        discussions.message_post(actor=world.users["member"], thread=world.thread, body="Et ça ?")
    assert Message.objects.count() == count


def test_posting_in_a_circle_one_is_not_member_of_changes_nothing(client):
    world = build_world("public")
    count = Message.objects.count()
    _as(client, world, "other_member")
    response = client.post(
        _url("circles:message_create", world, thread_id=world.thread.pk), {"body": "Coucou"}
    )
    assert response.status_code == 403
    with pytest.raises(ValidationError, match="Seuls les membres"):
        discussions.message_post(actor=world.users["other_member"], thread=world.thread, body="x")
    assert Message.objects.count() == count


def test_hostile_markdown_is_stored_sanitised(world):
    posted = discussions.message_post(
        actor=world.users["member"],
        thread=world.thread,
        body="<script>alert(1)</script> [x](javascript:alert(1)) ![t](https://pixel.example/t.gif)",
    )
    html = posted.message.body_html
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "pixel.example" not in html


def test_edit_own_message_shows_it_was_edited(client, world):
    _as(client, world, "member")
    response = client.post(
        _url("circles:message_edit", world, message_id=world.member_message.pk),
        {"body": "Je viens avec **deux** gâteaux."},
        follow=True,
    )
    world.member_message.refresh_from_db()
    assert world.member_message.edited_at is not None
    assert "<strong>deux</strong>" in world.member_message.body_html
    assert "modifié le" in response.content.decode()


def test_cannot_edit_someone_elses_message(client, world):
    response = _as(client, world, "member").post(
        _url("circles:message_edit", world, message_id=world.first_message.pk), {"body": "Piraté"}
    )
    assert response.status_code == 403
    world.first_message.refresh_from_db()
    assert world.first_message.body == "Qui vient **samedi** ?"


# --- moderation --------------------------------------------------------------------


def test_pin_and_lock_are_recorded(client, world):
    _as(client, world, "coordinator")
    client.post(_url("circles:thread_pin", world, thread_id=world.thread.pk), {"value": "1"})
    client.post(_url("circles:thread_lock", world, thread_id=world.thread.pk), {"value": "1"})
    world.thread.refresh_from_db()
    assert world.thread.pinned and world.thread.locked
    assert AuditLog.objects.filter(action="circles.thread_lock").exists()
    client.post(_url("circles:thread_lock", world, thread_id=world.thread.pk), {"value": "0"})
    world.thread.refresh_from_db()
    assert not world.thread.locked


def test_report_notifies_coordinators(client, world):
    response = _as(client, world, "member").post(
        _url("circles:message_report", world, message_id=world.first_message.pk),
        {"reason": "Information personnelle publiée"},
    )
    assert response.status_code == 302
    report = Report.objects.get(message=world.first_message)
    assert report.reporter == world.person("member")
    notification = Notification.objects.get(kind=NotificationKind.REPORT)
    assert notification.recipient == world.person("coordinator")
    assert notification.url.endswith(f"#message-{world.first_message.pk}")


def test_report_needs_a_reason(client, world):
    response = _as(client, world, "member").post(
        _url("circles:message_report", world, message_id=world.first_message.pk), {"reason": " "}
    )
    assert response.status_code == 400
    assert "Dites en quelques mots ce qui pose problème" in response.content.decode()
    assert not Report.objects.exists()
    assert not Notification.objects.filter(kind=NotificationKind.REPORT).exists()


def test_hide_keeps_the_message_with_its_reason_for_the_audit(client, world):
    _as(client, world, "coordinator")
    response = client.post(
        _url("circles:message_hide", world, message_id=world.member_message.pk), {"reason": ""}
    )
    assert response.status_code == 400
    world.member_message.refresh_from_db()
    assert world.member_message.hidden_at is None
    client.post(
        _url("circles:message_hide", world, message_id=world.member_message.pk),
        {"reason": "Attaque personnelle"},
    )
    world.member_message.refresh_from_db()
    assert world.member_message.hidden_at is not None
    assert world.member_message.hidden_reason == "Attaque personnelle"
    assert world.member_message.hidden_by == world.person("coordinator")
    assert Message.objects.filter(pk=world.member_message.pk).exists()
    log = AuditLog.objects.get(
        action="circles.message_hide", target_id=str(world.member_message.pk)
    )
    assert log.details == {"reason": "Attaque personnelle"}


def test_reactions_toggle_with_htmx(client, world):
    _as(client, world, "coordinator")
    url = _url("circles:message_react", world, message_id=world.member_message.pk)
    response = client.post(url, {"emoji": "🎉"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert Reaction.objects.filter(message=world.member_message, emoji="🎉").count() == 1
    client.post(url, {"emoji": "🎉"}, HTTP_HX_REQUEST="true")
    assert not Reaction.objects.filter(message=world.member_message).exists()


def test_unknown_reaction_is_refused(client, world):
    response = _as(client, world, "member").post(
        _url("circles:message_react", world, message_id=world.first_message.pk),
        {"emoji": "<b>"},
        follow=True,
    )
    assert "Cette réaction n'est pas proposée" in " ".join(_page_messages(response))
    assert not Reaction.objects.exists()


# --- mentions ----------------------------------------------------------------------


def test_reply_notifies_thread_participants_once(world):
    Notification.objects.all().delete()
    discussions.message_post(
        actor=world.users["coordinator"], thread=world.thread, body="Merci @Camille Martin"
    )
    member = world.person("member")
    kinds = list(Notification.objects.filter(recipient=member).values_list("kind", flat=True))
    # Mentioned and participant: told once, as the mention.
    assert kinds == [NotificationKind.MENTION]
    discussions.message_post(actor=world.users["member"], thread=world.thread, body="Avec plaisir")
    reply = Notification.objects.get(kind=NotificationKind.REPLY)
    assert reply.recipient == world.person("coordinator")
    assert "Avec plaisir" not in reply.summary


def test_mentions_notify_members_and_list_unknown_names(client, world):
    stranger = PersonFactory(given_name="Dominique", family_name="Durand")
    response = _as(client, world, "coordinator").post(
        _url("circles:message_create", world, thread_id=world.thread.pk),
        {"body": "Merci @Camille Martin ! Et @Dominique Durand, et @Personne ?"},
        follow=True,
    )
    mention = Notification.objects.get(kind=NotificationKind.MENTION)
    assert mention.recipient == world.person("member")
    assert not Notification.objects.filter(recipient=stranger).exists()
    notice = " ".join(_page_messages(response))
    assert "@Dominique" in notice and "@Personne" in notice
    assert "@Camille" not in notice


def test_a_flood_of_mentions_is_bounded(world):
    text = "@Camille Martin " + " ".join(f"@Nom{i} Prénom{i} Autre{i}" for i in range(2000))
    found = discussions.mentions_resolve(circle=world.circle, text=text)
    assert found.people == [world.person("member")]
    assert len(found.unknown) == discussions.MAX_MENTIONS - 1


def test_mentions_are_accent_and_case_insensitive(world):
    found = discussions.mentions_resolve(circle=world.circle, text="Salut @camille MARTIN.")
    assert found.people == [world.person("member")]
    assert discussions.mentions_resolve(circle=world.circle, text="mail a@b.fr").people == []


# --- attachments -------------------------------------------------------------------


def test_image_is_re_encoded_stored_privately_and_served_with_access_checks(client, world):
    attachment = Attachment.objects.get(pk=world.attachment_id)
    assert attachment.content_type == "image/png"
    assert attachment.file.name.startswith("circles/attachments/")
    assert "photo" not in attachment.file.name
    media_root = str(settings.MEDIA_ROOT)
    assert not attachment.file.path.startswith(media_root)
    url = _url("circles:attachment", world, attachment_id=attachment.pk)
    response = _as(client, world, "member").get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert "sandbox" in response["Content-Security-Policy"]
    client.force_login(world.users["other_member"])
    assert client.get(url).status_code == 403


def test_pdf_is_accepted_by_its_magic_bytes(client, world):
    pdf = SimpleUploadedFile("compte-rendu.pdf", b"%PDF-1.4\n%fake but well started\n")
    _as(client, world, "member").post(
        _url("circles:message_create", world, thread_id=world.thread.pk),
        {"body": "Le compte rendu", "attachments": [pdf]},
    )
    attachment = Attachment.objects.get(original_name="compte-rendu.pdf")
    assert attachment.content_type == "application/pdf"
    response = client.get(_url("circles:attachment", world, attachment_id=attachment.pk))
    assert "attachment" in response["Content-Disposition"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("photo.png", b"%PDF-1.4 a pdf in disguise", "est un PDF mais"),
        ("page.html", b"<html><script>alert(1)</script></html>", "n'est pas accepté"),
        ("faux.pdf", b"<html></html>", "n'est pas un vrai PDF"),
        ("photo.jpg", png_bytes(), "ne correspond pas à son extension"),
        ("image.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "n'est pas accepté"),
        ("gros.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "dépasse 10 Mo"),
    ],
)
def test_bad_files_are_refused_and_change_nothing(client, world, name, content, expected):
    count = Message.objects.count()
    files = Attachment.objects.count()
    response = _as(client, world, "member").post(
        _url("circles:message_create", world, thread_id=world.thread.pk),
        {"body": "Voici le fichier", "attachments": [SimpleUploadedFile(name, content)]},
    )
    assert response.status_code == 400
    assert escape(expected) in response.content.decode()
    assert Message.objects.count() == count
    assert Attachment.objects.count() == files


def test_huge_image_dimensions_are_refused(world):
    big = SimpleUploadedFile("vaste.png", png_bytes(size=(8000, 6000)))
    with pytest.raises(ValidationError, match="trop grande"):
        discussions.attachment_prepare(big)


def test_large_image_is_scaled_down(world):
    prepared = discussions.attachment_prepare(
        SimpleUploadedFile("grand.jpeg", png_bytes(size=(4000, 1000), fmt="JPEG"))
    )
    assert prepared.content_type == "image/jpeg"
    assert prepared.width == 2560
    assert prepared.name == "grand.jpg"


def test_objects_of_another_circle_are_not_reachable_through_ones_own_circle(client, world):
    Membership.objects.create(circle=world.other_circle, person=world.person("coordinator"))
    other = discussions.thread_create(
        actor=world.users["coordinator"],
        circle=world.other_circle,
        title="Secret de Brest",
        body="Réservé à Brest",
        files=[discussions.attachment_prepare(png_upload())],
    )
    count = Message.objects.count()
    _as(client, world, "member")
    urls = [
        _url("circles:thread_detail", world, thread_id=other.thread.pk),
        _url("circles:message_report", world, message_id=other.message.pk),
        _url("circles:attachment", world, attachment_id=other.message.attachments.get().pk),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404
        assert "Brest" not in response.content.decode()
    response = client.post(
        _url("circles:message_create", world, thread_id=other.thread.pk), {"body": "Intrus"}
    )
    assert response.status_code == 404
    assert Message.objects.count() == count


def test_reading_again_writes_nothing_until_something_new(client, world):
    _as(client, world, "member")
    client.get(_thread_url(world))
    read = ThreadRead.objects.get(thread=world.thread, person=world.person("member"))
    first = read.last_read_at
    with CaptureQueriesContext(connection) as queries:
        client.get(_thread_url(world))
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    read.refresh_from_db()
    assert read.last_read_at == first
    posted = discussions.message_post(
        actor=world.users["coordinator"], thread=world.thread, body="Du nouveau"
    )
    page = client.get(_thread_url(world), {"page": "last"})
    new = [m for m in page.context["page_messages"] if m.is_new]
    assert [m.pk for m in new] == [posted.message.pk]
    read.refresh_from_db()
    assert read.last_read_at > first
