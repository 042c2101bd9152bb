"""Thread page: each message's content is cached, what differs per reader never is."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from essaim.circles import discussions
from essaim.circles.models import Message
from essaim.feed import fragments
from tests.circles.discussion_world import World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world("private")


def _page(client, world: World, role: str) -> str:
    client.force_login(world.users[role])
    url = reverse(
        "circles:thread_detail", kwargs={"slug": world.circle.slug, "thread_id": world.thread.pk}
    )
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _without_tokens(html: str) -> str:
    # CSRF tokens are masked afresh on every page.
    return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", html)


def _article(html: str, message: Message) -> str:
    start = html.index(f'id="message-{message.pk}"')
    return html[start : html.index("</article>", start)]


def _edit_url(message: Message, world: World) -> str:
    return reverse(
        "circles:message_edit", kwargs={"slug": world.circle.slug, "message_id": message.pk}
    )


@pytest.fixture
def no_rendering(monkeypatch):
    """Make any further rendering of a message's content fail: it must come from the cache."""

    def refuse() -> None:
        def get_template(name: str):
            raise AssertionError(f"{name} rendered again instead of read from the cache")

        monkeypatch.setattr(fragments, "get_template", get_template)

    return refuse


def test_second_reading_comes_from_the_cache(client, world, no_rendering):
    first = _page(client, world, "member")
    no_rendering()
    assert _without_tokens(_page(client, world, "member")) == _without_tokens(first)
    assert "Je viens avec des gâteaux." in first


def test_an_edit_shows_the_new_text_and_the_edited_mark(client, world):
    _page(client, world, "coordinator")
    _page(client, world, "member")
    discussions.message_edit(
        actor=world.users["member"], message=world.member_message, body="Je viens avec des crêpes."
    )
    for role in ("member", "coordinator"):
        article = _article(_page(client, world, role), world.member_message)
        assert "des crêpes" in article and "des gâteaux" not in article
        assert "modifié le" in article


def test_a_reaction_updates_the_count_after_the_content_was_cached(client, world):
    _page(client, world, "member")
    discussions.reaction_toggle(
        actor=world.users["coordinator"], message=world.member_message, emoji="👍"
    )
    article = _article(_page(client, world, "member"), world.member_message)
    assert 'value="👍" class="button small secondary" aria-pressed="false"' in article
    assert "</span> 1</button>" in article  # the count, not the reader's own reaction
    mine = _article(_page(client, world, "coordinator"), world.member_message)
    assert 'value="👍" class="button small" aria-pressed="true"' in mine


def test_nobody_sees_another_persons_edit_link(client, world):
    # The author reads first, so the cached content was rendered for them.
    assert _edit_url(world.member_message, world) in _page(client, world, "member")
    for role in ("coordinator", "admin"):
        html = _page(client, world, role)
        assert _edit_url(world.member_message, world) not in html
        assert "Je viens avec des gâteaux." in html
    # And the other way round: the coordinator's own message is theirs alone to edit.
    assert _edit_url(world.first_message, world) in _page(client, world, "coordinator")
    assert _edit_url(world.first_message, world) not in _page(client, world, "member")


def test_new_badge_is_the_readers_own(client, world):
    _page(client, world, "coordinator")  # the coordinator has read everything so far
    posted = discussions.message_post(
        actor=world.users["member"], thread=world.thread, body="Du neuf"
    )
    author_view = _article(_page(client, world, "member"), posted.message)
    assert "Nouveau" not in author_view and "essaim:new" not in author_view
    reader_view = _article(_page(client, world, "coordinator"), posted.message)
    assert '<span class="badge">Nouveau</span>' in reader_view
    # Read now: the same cached content, without the badge.
    assert "Nouveau" not in _article(_page(client, world, "coordinator"), posted.message)


def test_hidden_message_notice_only_for_moderators_and_gone_when_shown_again(client, world):
    hidden = world.hidden_message
    assert "Hors sujet" in _article(_page(client, world, "coordinator"), hidden)
    assert f'id="message-{hidden.pk}"' not in _page(client, world, "member")
    discussions.message_unhide(actor=world.users["coordinator"], message=hidden)
    for role in ("coordinator", "member"):
        article = _article(_page(client, world, role), hidden)
        assert "Propos déplacés ici" in article and "Hors sujet" not in article


def test_renamed_author_shows_under_the_new_name(client, world):
    assert "Camille Martin" in _page(client, world, "coordinator")
    person = world.person("member")
    person.given_name = "Dominique"
    person.save()
    html = _page(client, world, "coordinator")
    assert "Dominique Martin" in html and "Camille Martin" not in html


def test_content_in_the_readers_language(client, world):
    discussions.message_edit(
        actor=world.users["member"], message=world.member_message, body="Modifié"
    )
    assert "modifié le" in _page(client, world, "member")
    client.cookies["django_language"] = "en"
    try:
        html = _page(client, world, "member")
    finally:
        translation.activate("fr")
    assert "modifié le" not in html and "edited" in html.lower()


def test_attachments_are_shown_from_the_cache_too(client, world, no_rendering):
    first = _article(_page(client, world, "member"), world.first_message)
    no_rendering()
    again = _article(_page(client, world, "member"), world.first_message)
    file_url = reverse(
        "circles:attachment",
        kwargs={"slug": world.circle.slug, "attachment_id": world.attachment_id},
    )
    assert file_url in first and file_url in again


def test_a_refused_reply_keeps_its_errors_and_the_next_form_is_empty(client, world):
    _page(client, world, "member")  # the empty reply form, cached
    url = reverse(
        "circles:message_create", kwargs={"slug": world.circle.slug, "thread_id": world.thread.pk}
    )
    refused = client.post(url, {"body": ""})
    assert refused.status_code == 400
    assert 'class="errorlist"' in refused.content.decode()
    again = _page(client, world, "member")
    assert 'class="errorlist"' not in again and "<textarea" in again


def test_thread_page_badge_counts_the_readers_unread_notifications(client, world):
    from essaim.feed.models import Notification

    Notification.objects.filter(recipient=world.person("member")).delete()
    Notification.objects.bulk_create(
        [
            Notification(recipient=world.person("member"), kind="mention", summary=str(i))
            for i in range(4)
        ]
    )
    html = _page(client, world, "member")
    assert 'class="badge">4<span class="visually-hidden"> non lues' in html
    Notification.objects.filter(recipient=world.person("member")).delete()
    assert "non lues" not in _page(client, world, "member")


def test_thread_page_query_count(client, world, django_assert_num_queries):
    _page(client, world, "member")
    # session, user, thread with its circle, counts and last read, person with the unread
    # badge's count, circle roles, staff roles, messages, reactions (attachments: only for
    # messages not in the fragment cache)
    url = reverse(
        "circles:thread_detail", kwargs={"slug": world.circle.slug, "thread_id": world.thread.pk}
    )
    with django_assert_num_queries(8):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("role", "thread", "status"),
    [
        ("member", "missing", 404),
        ("member", "other_circle", 404),  # a thread of circle B under circle A's address
        ("member", "real", 200),
        ("outsider", "real", 403),  # a private circle: known to exist, not readable
        ("outsider", "missing", 403),  # the same answer whether the thread exists or not
        ("admin", "missing", 404),
    ],
)
def test_thread_page_answers_as_before_from_one_query(client, world, role, thread, status):
    other = discussions.thread_create(
        actor=world.users["other_member"], circle=world.other_circle, title="Ailleurs", body="B"
    ).thread
    thread_id = {"missing": 999_999, "other_circle": other.pk, "real": world.thread.pk}[thread]
    client.force_login(world.users[role])
    url = reverse(
        "circles:thread_detail", kwargs={"slug": world.circle.slug, "thread_id": thread_id}
    )
    assert client.get(url).status_code == status


def test_secret_circle_thread_is_404_to_outsiders(client):
    secret = build_world("secret")
    client.force_login(secret.users["outsider"])
    url = reverse(
        "circles:thread_detail", kwargs={"slug": secret.circle.slug, "thread_id": secret.thread.pk}
    )
    assert client.get(url).status_code == 404
