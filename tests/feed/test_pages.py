"""Feed and notification pages: order, keyset pages, filter, read marks, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from essaim.feed import selectors
from essaim.feed.models import Notification, NotificationPreference
from tests.people.factories import PersonFactory

from .helpers import activities, join, make_circle, notifications

pytestmark = pytest.mark.django_db


def _items(response) -> int:
    return response.content.decode().count('class="card feed-item"')


def test_feed_is_newest_first_in_my_circles_only(client, member):
    mine, other = make_circle("Mon antenne"), make_circle("Pas la mienne")
    join(member, mine)
    activities(mine, 3)
    activities(other, 2)
    response = client.get(reverse("feed:feed"))
    ids = [a.pk for a in response.context["page"].items]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3
    assert all(a.circle_id == mine.pk for a in response.context["page"].items)
    assert "Pas la mienne" not in response.content.decode()


@pytest.mark.parametrize("union_max", [1, 100])  # one IN query, or a union of index scans
def test_feed_keyset_pages_cover_everything_once(client, member, settings, monkeypatch, union_max):
    monkeypatch.setattr(selectors, "UNION_MAX_CIRCLES", union_max)
    a, b = make_circle(), make_circle()
    join(member, a)
    join(member, b)
    created = activities(a, 25) + activities(b, 20)
    seen: list[int] = []
    url = reverse("feed:feed")
    for _ in range(5):
        page = client.get(url).context["page"]
        seen += [x.pk for x in page.items]
        if not page.next_before:
            break
        url = f"{reverse('feed:feed')}?before={page.next_before}"
    assert seen == sorted((x.pk for x in created), reverse=True)


def test_older_link_keeps_the_circle_filter(client, member):
    a, b = make_circle(), make_circle()
    join(member, a)
    join(member, b)
    activities(a, 25)
    activities(b, 5)
    response = client.get(reverse("feed:feed"), {"circle": a.pk})
    assert _items(response) == 20
    assert all(x.circle_id == a.pk for x in response.context["page"].items)
    before = response.context["page"].next_before
    assert f"?before={before}&amp;circle={a.pk}" in response.content.decode()
    rest = client.get(reverse("feed:feed"), {"circle": a.pk, "before": before})
    assert _items(rest) == 5 and rest.context["page"].next_before is None


def test_feed_htmx_gets_the_partial(client, member):
    circle = make_circle()
    join(member, circle)
    activities(circle, 2)
    response = client.get(reverse("feed:feed"), headers={"HX-Request": "true"})
    assert "<html" not in response.content.decode() and _items(response) == 2


def test_bad_before_is_refused_with_a_message(client, member):
    circle = make_circle()
    join(member, circle)
    activities(circle, 2)
    response = client.get(reverse("feed:feed"), {"before": "abc"})
    assert response.status_code == 200 and _items(response) == 0
    assert "Saisissez un nombre entier" in response.content.decode()


@pytest.mark.parametrize("circles", [1, 4])
def test_feed_query_count_is_constant_in_rows(client, member, django_assert_num_queries, circles):
    made = [make_circle() for _ in range(circles)]
    for circle in made:
        join(member, circle)
        activities(circle, 2, actor=PersonFactory())
    client.get(reverse("feed:feed"))  # warm the organisation cache
    # session, user, person with the unread badge's count, circles, activities (the newest
    # ids a subquery), roles (nav)
    with django_assert_num_queries(6):
        small = client.get(reverse("feed:feed"))
    for circle in made:
        activities(circle, 30, actor=PersonFactory())
    with django_assert_num_queries(6):
        large = client.get(reverse("feed:feed"))
    assert _items(small) == 2 * circles and _items(large) == 20


def test_activity_links_to_its_thread_or_circle(client, member):
    from django.utils import timezone

    from essaim.circles.models import Thread
    from essaim.feed.models import Activity, Verb

    circle = make_circle()
    join(member, circle)
    thread = Thread.objects.create(circle=circle, title="Collage", last_activity_at=timezone.now())
    Activity.objects.create(
        circle=circle, verb=Verb.THREAD_CREATED, thread=thread, summary="Collage"
    )
    Activity.objects.create(circle=circle, verb=Verb.MEMBER_JOINED, summary="Zoé arrive")
    body = client.get(reverse("feed:feed")).content.decode()
    thread_url = reverse(
        "circles:thread_detail", kwargs={"slug": circle.slug, "thread_id": thread.pk}
    )
    assert f'<a href="{thread_url}">Collage</a>' in body
    assert (
        f'<a href="{reverse("circles:detail", kwargs={"slug": circle.slug})}">Zoé arrive</a>'
        in body
    )


def test_home_page_shows_the_newest_activities(client, member):
    circle = make_circle("Antenne de Lille")
    join(member, circle)
    activities(circle, 8)
    body = client.get(reverse("core:home")).content.decode()
    assert "Dans vos cercles" in body and body.count('class="card feed-item"') == 5


def test_notifications_page_lists_only_mine(client, member):
    notifications(member, 3)
    notifications(PersonFactory(), 2)
    response = client.get(reverse("feed:notifications"))
    assert len(response.context["page"].items) == 3
    assert response.context["unread"] == 3
    assert "3 notifications non lues" in response.content.decode()


def test_notifications_query_count_is_constant(client, member, django_assert_num_queries):
    circle = make_circle()
    notifications(member, 2, circle=circle)
    client.get(reverse("feed:notifications"))
    # session, user, person, page, unread count, roles (nav), badge
    with django_assert_num_queries(7):
        small = client.get(reverse("feed:notifications"))
    notifications(member, 40, circle=make_circle())
    with django_assert_num_queries(7):
        large = client.get(reverse("feed:notifications"))
    assert len(small.context["page"].items) == 2
    assert len(large.context["page"].items) == 30 and large.context["page"].next_before


def test_header_badge_counts_unread(client, member):
    notifications(member, 2)
    body = client.get(reverse("core:home")).content.decode()
    assert 'class="badge">2<span class="visually-hidden"> non lues' in body


def test_feed_header_badge_counts_unread_read_with_the_person(client, member):
    notifications(member, 3)
    Notification.objects.filter(pk=notifications(member, 1)[0].pk).update(read_at=timezone.now())
    body = client.get(reverse("feed:feed")).content.decode()
    assert 'class="badge">3<span class="visually-hidden"> non lues' in body
    Notification.objects.filter(recipient=member).update(read_at=timezone.now())
    assert "non lues" not in client.get(reverse("feed:feed")).content.decode()


def test_anonymous_header_has_no_badge(client, django_assert_num_queries):
    body = client.get(reverse("core:home")).content.decode()
    assert "notifications-link" not in body


def test_mark_one_read_htmx_and_plain(client, member):
    first, second = notifications(member, 2)
    response = client.post(
        reverse("feed:notification_read", args=[first.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "Lue" in response.content.decode()
    # The count above the list follows, out of band.
    assert '<p id="unread-count" hx-swap-oob="true">1 notification non lue</p>' in (
        response.content.decode()
    )
    response = client.post(reverse("feed:notification_read", args=[second.pk]))
    assert response.status_code == 302
    assert Notification.objects.filter(recipient=member, read_at__isnull=True).count() == 0


def test_open_redirects_only_to_a_local_url(client, member):
    note = notifications(member, 1)[0]
    response = client.post(reverse("feed:notification_read", args=[note.pk]), {"open": "1"})
    assert response["Location"] == note.url


def test_mark_all_read_touches_only_mine(client, member):
    notifications(member, 3)
    others = notifications(PersonFactory(), 2)
    response = client.post(reverse("feed:notifications_read_all"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Aucune notification non lue" in response.content.decode()
    assert not Notification.objects.filter(recipient=member, read_at__isnull=True).exists()
    assert Notification.objects.filter(pk__in=[o.pk for o in others], read_at=None).count() == 2


def test_preferences_show_defaults_and_save(client, member):
    response = client.get(reverse("feed:preferences"))
    assert response.context["form"]["mention"].value() == "immediate"
    data = {
        "mention": "daily",
        "reply": "never",
        "new_thread": "weekly",
        "new_member": "never",
        "join_request": "immediate",
        "report": "immediate",
        "action": "daily",
        "task": "immediate",
        "mission": "never",
        "practice": "weekly",
    }
    assert client.post(reverse("feed:preferences"), data).status_code == 302
    # Alerts about stories' consents go to blog writers only: not offered to a member.
    assert selectors.preferences_for(member) == {**data, "story_consent": "immediate"}
    data["mention"] = "weekly"
    client.post(reverse("feed:preferences"), data)
    assert NotificationPreference.objects.get(person=member, kind="mention").delivery == "weekly"


def test_preferences_bad_input_changes_nothing(client, member):
    response = client.post(reverse("feed:preferences"), {"mention": "pigeon"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ce choix n&#x27;existe pas" in body
    assert "Choisissez comment recevoir ce type de notification." in body
    assert not NotificationPreference.objects.filter(person=member).exists()
