"""Emails: immediate ones, daily and weekly digests, batching, unsubscribe link and headers."""

from __future__ import annotations

import math
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend

from essaim.feed import digests, tasks
from essaim.feed.digests import unsubscribe_token
from essaim.feed.models import Notification, NotificationKind, NotificationPreference
from essaim.feed.services import notifications_create
from essaim.feed.tasks import digest_dispatch
from tests.people.factories import PersonFactory

from .helpers import make_circle, notifications

pytestmark = pytest.mark.django_db

WEEKLY_KIND = NotificationKind.NEW_THREAD  # weekly by default
DAILY_KIND = NotificationKind.REPLY  # daily by default


@pytest.fixture
def dummy_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]
    yield default_task_backend
    default_task_backend.clear()  # type: ignore[attr-defined]


def _person(**kw):
    return PersonFactory(
        email=kw.pop("email", None) or f"p{PersonFactory._meta.next_sequence()}@exemple.org", **kw
    )


def test_weekly_digest_groups_by_circle_with_both_parts_and_headers(settings):
    settings.SITE_URL = "https://essaim.exemple.org"
    settings.SITE_ORIGIN = "https://essaim.exemple.org"
    person = _person(given_name="Louise")
    lyon, brest = make_circle("Antenne de Lyon"), make_circle("Antenne de Brest")
    notifications(person, 2, kind=WEEKLY_KIND, circle=lyon)
    notifications(person, 1, kind=WEEKLY_KIND, circle=brest)
    notifications(person, 1, kind=DAILY_KIND, circle=lyon)  # not in the weekly one
    assert digests.send_for(delivery="weekly", recipient_ids=[person.pk]) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [person.email]
    assert "semaine" in message.subject
    text = message.body
    assert text.index("== Antenne de Brest ==") < text.index("== Antenne de Lyon ==")
    assert text.count("- Nouvelle") == 3 and "Bonjour Louise" in text
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<h2" in html and "Antenne de Lyon" in html
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://essaim.exemple.org/fil/desabonnement/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in text and unsubscribe.strip("<>") in html
    raw = message.message().as_string()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw


def test_digest_html_escapes_what_members_typed():
    person = _person()
    circle = make_circle("<b>Cercle</b>")
    Notification.objects.create(
        recipient=person, kind=WEEKLY_KIND, circle=circle, summary="<script>x</script>", url="/a/"
    )
    digests.send_for(delivery="weekly", recipient_ids=[person.pk])
    html = mail.outbox[0].alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "&lt;b&gt;Cercle&lt;/b&gt;" in html
    assert "- <script>x</script>" in mail.outbox[0].body  # plain text stays as typed


def test_a_digest_never_repeats_an_item():
    person = _person()
    notifications(person, 2, kind=WEEKLY_KIND)
    assert digests.send_for(delivery="weekly", recipient_ids=[person.pk]) == 1
    assert digests.send_for(delivery="weekly", recipient_ids=[person.pk]) == 0
    assert len(mail.outbox) == 1
    notifications(person, 1, kind=WEEKLY_KIND)
    assert digests.send_for(delivery="weekly", recipient_ids=[person.pk]) == 1
    assert mail.outbox[1].body.count("- Nouvelle") == 1
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_digest_follows_preferences_and_skips_read_items():
    person = _person()
    NotificationPreference.objects.create(person=person, kind=DAILY_KIND, delivery="weekly")
    NotificationPreference.objects.create(person=person, kind=WEEKLY_KIND, delivery="never")
    notifications(person, 1, kind=DAILY_KIND)  # moved to weekly
    notifications(person, 1, kind=WEEKLY_KIND)  # never by email
    read = notifications(person, 1, kind=DAILY_KIND)[0]
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    assert digests.send_for(delivery="daily", recipient_ids=[person.pk]) == 0
    assert digests.send_for(delivery="weekly", recipient_ids=[person.pk]) == 1
    assert mail.outbox[0].body.count("- Nouvelle") == 1


def test_concurrent_run_that_claimed_first_wins():
    person = _person()
    notes = notifications(person, 2, kind=WEEKLY_KIND)
    other_run = timezone.now() - timedelta(seconds=1)
    real_stamp = digests._claim_stamp

    def racing_stamp():
        # Another run claims one item after our read, just before our UPDATE.
        Notification.objects.filter(pk=notes[0].pk).update(emailed_at=other_run)
        return real_stamp()

    with mock.patch.object(digests, "_claim_stamp", racing_stamp):
        assert digests.send_for(delivery="weekly", recipient_ids=[person.pk]) == 1
    assert mail.outbox[0].body.count("- Nouvelle") == 1
    assert "Nouvelle 1" in mail.outbox[0].body
    assert Notification.objects.get(pk=notes[0].pk).emailed_at == other_run


def test_failed_send_releases_the_items_for_the_next_run():
    person = _person()
    notifications(person, 2, kind=WEEKLY_KIND)
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages") as send:
        send.side_effect = OSError("SMTP down")
        assert digests.send_for(delivery="weekly", recipient_ids=[person.pk]) == 0
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2
    assert digests.send_for(delivery="weekly", recipient_ids=[person.pk]) == 1


def test_stale_items_are_left_out():
    person = _person()
    old = notifications(person, 1, kind=WEEKLY_KIND)[0]
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    assert digests.send_for(delivery="weekly", recipient_ids=[person.pk]) == 0


@pytest.mark.parametrize("people", [1, 5, 7])
def test_dispatch_enqueues_one_task_per_batch(dummy_tasks, monkeypatch, people):
    monkeypatch.setattr(digests, "BATCH_SIZE", 3)
    monkeypatch.setattr(tasks, "batches", lambda ids: digests.batches(ids, size=3))
    recipients = [_person() for _ in range(people)]
    for person in recipients:
        notifications(person, 2, kind=WEEKLY_KIND)
    _person()  # nothing waiting: not a recipient
    assert digest_dispatch(period="weekly") == math.ceil(people / 3)
    results = [r for r in dummy_tasks.results if r.task.name == "digest_send_batch"]
    assert len(results) == math.ceil(people / 3)
    sent_to = sorted(pid for r in results for pid in r.args[1])
    assert sent_to == sorted(p.pk for p in recipients)
    assert all(r.args[0] == "weekly" for r in results)
    assert digest_dispatch(period="daily") == 0


def test_dispatch_refuses_an_unknown_period():
    with pytest.raises(ValueError):
        digest_dispatch(period="hourly")


def test_digest_task_sends_everything_with_the_immediate_backend():
    people = [_person() for _ in range(4)]
    for person in people:
        notifications(person, 1, kind=DAILY_KIND)
    tasks.digest_send.enqueue("daily")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


def test_immediate_kinds_enqueue_one_task_per_batch(
    dummy_tasks, django_capture_on_commit_callbacks
):
    people = [_person() for _ in range(5)]
    NotificationPreference.objects.create(person=people[0], kind="mention", delivery="daily")
    with django_capture_on_commit_callbacks(execute=True):
        created = notifications_create(recipients=people, kind="mention", summary="On vous cite")
    assert len(created) == 5
    results = [r for r in dummy_tasks.results if r.task.name == "notifications_email"]
    assert len(results) == 1
    wanted = {n.pk for n in created if n.recipient_id != people[0].pk}
    assert set(results[0].args[0]) == wanted


def test_non_immediate_kind_enqueues_nothing_unless_opted_in(
    dummy_tasks, django_capture_on_commit_callbacks
):
    people = [_person() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        notifications_create(recipients=people, kind=WEEKLY_KIND, summary="Nouveau sujet")
    assert not dummy_tasks.results
    NotificationPreference.objects.create(person=people[1], kind=WEEKLY_KIND, delivery="immediate")
    with django_capture_on_commit_callbacks(execute=True):
        created = notifications_create(recipients=people, kind=WEEKLY_KIND, summary="Encore")
    assert len(dummy_tasks.results) == 1
    assert dummy_tasks.results[0].args[0] == [
        n.pk for n in created if n.recipient_id == people[1].pk
    ]


def test_immediate_email_is_sent_once(django_capture_on_commit_callbacks):
    person = _person()
    with django_capture_on_commit_callbacks(execute=True):
        created = notifications_create(recipients=[person], kind="mention", summary="Zoé vous cite")
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith("Zoé vous cite")
    tasks.notifications_email.enqueue([created[0].pk])
    assert len(mail.outbox) == 1
    # Already emailed: the daily digest does not carry it either.
    NotificationPreference.objects.create(person=person, kind="mention", delivery="daily")
    assert digests.send_for(delivery="daily", recipient_ids=[person.pk]) == 0


def test_summary_with_a_line_break_still_sends(django_capture_on_commit_callbacks):
    person = _person()
    with django_capture_on_commit_callbacks(execute=True):
        notifications_create(recipients=[person], kind="mention", summary="Ligne un\nligne deux")
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith("Ligne un ligne deux")


# --- Unsubscribe -----------------------------------------------------------------------


def test_unsubscribe_get_confirms_and_changes_nothing(client):
    person = _person()
    response = client.get(
        reverse("feed:unsubscribe", args=[unsubscribe_token(person.pk, "weekly")])
    )
    assert response.status_code == 200
    assert "le récapitulatif hebdomadaire" in response.content.decode()
    assert not NotificationPreference.objects.filter(person=person).exists()


def test_unsubscribe_post_sets_that_period_to_never(client):
    person = _person()
    NotificationPreference.objects.create(person=person, kind="mention", delivery="weekly")
    token = unsubscribe_token(person.pk, "weekly")
    response = client.post(reverse("feed:unsubscribe", args=[token]))
    assert response.status_code == 200 and "Désabonnement confirmé" in response.content.decode()
    prefs = dict(
        NotificationPreference.objects.filter(person=person).values_list("kind", "delivery")
    )
    # The weekly kinds (defaults and chosen) are off; the others keep their delivery.
    assert prefs == {
        "mention": "never",
        "new_thread": "never",
        "new_member": "never",
        "action": "never",
    }


def test_one_click_post_from_a_mail_client_without_csrf(client):
    csrf_client = client.__class__(enforce_csrf_checks=True)
    person = _person()
    token = unsubscribe_token(person.pk, "daily")
    response = csrf_client.post(
        reverse("feed:unsubscribe", args=[token]), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert NotificationPreference.objects.get(person=person, kind="reply").delivery == "never"


@pytest.mark.parametrize("method", ["get", "post"])
def test_forged_token_is_refused_and_changes_nothing(client, method):
    person = _person()
    good = unsubscribe_token(person.pk, "weekly")
    forged = signing.dumps({"p": person.pk, "d": "weekly"}, salt="autre-chose", compress=True)
    tampered = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    for token in (forged, tampered, "n-importe-quoi"):
        response = getattr(client, method)(reverse("feed:unsubscribe", args=[token]))
        assert response.status_code == 400
        assert "ne fonctionne pas" in response.content.decode()
    assert not NotificationPreference.objects.filter(person=person).exists()


def test_expired_token_is_refused(client):
    person = _person()
    token = unsubscribe_token(person.pk, "weekly")
    later = timezone.now() + digests.UNSUBSCRIBE_MAX_AGE + timedelta(days=1)
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        response = client.post(reverse("feed:unsubscribe", args=[token]))
    assert response.status_code == 400
    assert not NotificationPreference.objects.filter(person=person).exists()


def test_unsubscribe_for_an_erased_person_is_refused(client):
    person = _person()
    token = unsubscribe_token(person.pk, "weekly")
    person.erased_at = timezone.now()
    person.save()
    assert client.post(reverse("feed:unsubscribe", args=[token])).status_code == 400
