"""A new thread is told to every member of its circle, by one background task, in batches."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks import default_task_backend

from essaim.circles import discussions
from essaim.circles.models import Circle, Membership, MembershipRole
from essaim.feed.models import Activity, Notification, NotificationKind, NotificationPreference
from essaim.people.models import Person
from tests.conftest import make_user_for_role
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db

NEW = NotificationKind.NEW_THREAD


@pytest.fixture
def dummy_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]
    yield default_task_backend
    default_task_backend.clear()  # type: ignore[attr-defined]


def _circle_with(members: int) -> tuple[Circle, object, list[Person]]:
    """A circle whose coordinator will write, and ``members`` other members."""
    circle = Circle.objects.create(name="Antenne de Lille", slug="lille")
    author = make_user_for_role("member")
    Membership.objects.create(
        circle=circle, person=Person.objects.get(user=author), role=MembershipRole.COORDINATOR
    )
    others = [PersonFactory() for _ in range(members)]
    Membership.objects.bulk_create([Membership(circle=circle, person=p) for p in others])
    return circle, author, others


def _open_thread(circle: Circle, author: object, body: str = "Qui vient ?"):
    return discussions.thread_create(actor=author, circle=circle, title="Réunion", body=body)


def _activity(posted) -> Activity:
    return Activity.objects.get(thread=posted.thread)


def test_one_task_per_thread_tells_every_member_but_the_author(
    dummy_tasks, django_capture_on_commit_callbacks
):
    circle, author, others = _circle_with(2)
    with django_capture_on_commit_callbacks(execute=True):
        posted = _open_thread(circle, author)
    # Nothing is written in the request; the one task does it.
    assert not Notification.objects.filter(kind=NEW).exists()
    results = [r for r in dummy_tasks.results if r.task.name == "thread_notify_members"]
    assert len(results) == 1
    assert results[0].args == [_activity(posted).pk]
    assert discussions.thread_notify_members_run(activity_id=results[0].args[0]) == 2
    notified = Notification.objects.filter(kind=NEW)
    assert sorted(n.recipient_id for n in notified) == sorted(p.pk for p in others)
    assert not notified.filter(recipient__user=author).exists()
    first = notified.first()
    assert first is not None
    assert first.circle == circle and first.activity == _activity(posted)
    assert first.url.endswith(f"/discussions/{posted.thread.pk}/")
    assert "Réunion" in first.summary and "Antenne de Lille" in first.summary


def test_the_task_runs_after_commit_with_the_default_test_backend(
    django_capture_on_commit_callbacks,
):
    circle, author, _others = _circle_with(2)
    with django_capture_on_commit_callbacks(execute=True):
        _open_thread(circle, author)
    assert Notification.objects.filter(kind=NEW).count() == 2


def test_a_rolled_back_thread_enqueues_nothing(dummy_tasks, django_capture_on_commit_callbacks):
    circle, author, _others = _circle_with(2)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                _open_thread(circle, author)
                raise RuntimeError("the request failed after the thread was written")
        except RuntimeError:
            pass
    assert not callbacks
    assert not dummy_tasks.results
    assert not Notification.objects.exists()


def test_mentioned_members_are_told_once_by_the_mention(django_capture_on_commit_callbacks):
    circle, author, others = _circle_with(2)
    named = others[0]
    with django_capture_on_commit_callbacks(execute=True):
        _open_thread(circle, author, body=f"Bonjour @{named.given_name} {named.family_name}")
    kinds = list(Notification.objects.filter(recipient=named).values_list("kind", flat=True))
    assert kinds == [NotificationKind.MENTION]
    assert Notification.objects.filter(recipient=others[1], kind=NEW).count() == 1


def test_running_the_task_again_tells_nobody_twice(dummy_tasks):
    circle, author, _others = _circle_with(5)
    posted = _open_thread(circle, author)
    activity_id = _activity(posted).pk
    assert discussions.thread_notify_members_run(activity_id=activity_id, batch_size=2) == 5
    assert discussions.thread_notify_members_run(activity_id=activity_id, batch_size=2) == 0
    assert Notification.objects.filter(kind=NEW).count() == 5


def test_a_deleted_thread_tells_nobody(dummy_tasks):
    circle, author, _others = _circle_with(2)
    posted = _open_thread(circle, author)
    activity_id = _activity(posted).pk
    posted.thread.delete()
    assert discussions.thread_notify_members_run(activity_id=activity_id) == 0
    assert not Notification.objects.filter(kind=NEW).exists()


def _fan_out_queries(members: int, batch_size: int = 2_000) -> int:
    circle, author, _others = _circle_with(members)
    posted = _open_thread(circle, author)
    activity_id = _activity(posted).pk
    with CaptureQueriesContext(connection) as queries:
        told = discussions.thread_notify_members_run(activity_id=activity_id, batch_size=batch_size)
    assert told == members
    Circle.objects.filter(pk=circle.pk).delete()
    return len(queries)


def test_fan_out_query_count_is_constant_in_members(dummy_tasks):
    # activity, resume point, then per batch: member ids, one insert (with its savepoint),
    # the immediate-email preferences.
    few = _fan_out_queries(3)
    assert few == _fan_out_queries(40)
    # More members than a batch: a fixed number of queries per batch, not per person.
    per_batch = _fan_out_queries(20, batch_size=10) - _fan_out_queries(10, batch_size=10)
    assert 0 < per_batch <= 5
    assert _fan_out_queries(30, batch_size=10) - _fan_out_queries(20, batch_size=10) == per_batch


def test_emails_follow_each_members_preference(dummy_tasks, django_capture_on_commit_callbacks):
    circle, author, others = _circle_with(3)
    NotificationPreference.objects.create(person=others[0], kind=NEW, delivery="immediate")
    NotificationPreference.objects.create(person=others[1], kind=NEW, delivery="never")
    posted = _open_thread(circle, author)
    with django_capture_on_commit_callbacks(execute=True):
        discussions.thread_notify_members_run(activity_id=_activity(posted).pk)
    emails = [r for r in dummy_tasks.results if r.task.name == "notifications_email"]
    # One email task for the batch, carrying only the member who wants immediate emails;
    # the others get theirs in the weekly digest (the default) or not at all.
    assert len(emails) == 1
    wanted = Notification.objects.get(recipient=others[0], kind=NEW)
    assert emails[0].args[0] == [wanted.pk]


def test_erased_people_are_not_told(dummy_tasks):
    from django.utils import timezone

    circle, author, others = _circle_with(2)
    Person.objects.filter(pk=others[0].pk).update(erased_at=timezone.now())
    posted = _open_thread(circle, author)
    assert discussions.thread_notify_members_run(activity_id=_activity(posted).pk) == 1
    assert not Notification.objects.filter(recipient=others[0]).exists()


def test_the_catch_up_sweep_tells_members_of_threads_whose_task_never_ran(dummy_tasks):
    from datetime import timedelta

    from django.utils import timezone

    circle, author, _others = _circle_with(3)
    Circle.objects.filter(pk=circle.pk).update(member_count=4)
    missed = _activity(_open_thread(circle, author))
    fresh = _activity(_open_thread(circle, author))
    now = timezone.now()
    Activity.objects.filter(pk=missed.pk).update(created_at=now - timedelta(hours=1))
    # The fresh thread's own task may still be on its way: the sweep leaves it alone.
    assert discussions.thread_fan_out_sweep(now=now) == 1
    assert Notification.objects.filter(activity=missed, kind=NEW).count() == 3
    assert not Notification.objects.filter(activity=fresh).exists()
    assert discussions.thread_fan_out_sweep(now=now) == 0
    assert Notification.objects.filter(kind=NEW).count() == 3
