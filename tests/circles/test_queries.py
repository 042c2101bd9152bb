"""Query counts of the circle list and members page stay constant as rows grow;
two people joining an open circle at the same time are both counted (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from essaim.circles.models import Circle, JoinPolicy, Membership, Visibility
from essaim.circles.services import circle_create, membership_join
from tests.conftest import make_user_for_role
from tests.people.factories import PersonFactory


def _circles(parent: Circle | None, count: int, start: int) -> list[Circle]:
    made = []
    for i in range(start, start + count):
        circle = Circle.objects.create(
            name=f"Cercle {i:03d}",
            slug=f"cercle-{i:03d}",
            parent=parent,
            visibility=(Visibility.PUBLIC, Visibility.PRIVATE, Visibility.SECRET)[i % 3],
            join_policy=JoinPolicy.OPEN,
        )
        made.append(circle)
    return made


def _queries(client, url: str) -> int:
    client.get(url)  # warm the organisation cache: later requests skip that query
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "member", "admin"])
def test_circle_list_queries_constant_in_rows(client, role, django_assert_num_queries):
    user = make_user_for_role(role)
    if user is not None:
        client.force_login(user)
    roots = _circles(None, 3, 0)
    for root in roots:
        _circles(root, 2, 100 + root.pk * 10)
    url = reverse("circles:list")
    small = _queries(client, url)
    more = _circles(None, 30, 200)
    for root in more[:10]:
        _circles(root, 3, 400 + root.pk * 10)
    if user is not None:
        person = user.person
        for circle in more[:5]:
            Membership.objects.create(circle=circle, person=person)
    with django_assert_num_queries(small):
        response = client.get(url)
    # 33 root circles, 11 of them secret: admins see all, the member sees the two secret
    # ones they joined (Cercle 201 and 204), anonymous visitors none.
    rows = response.content.decode().count('<th scope="row"')
    assert rows == {"anonymous": 22, "member": 24, "admin": 33}[role]
    with django_assert_num_queries(small):
        client.get(f"{url}?q=cercle")


@pytest.mark.django_db
def test_members_page_queries_constant_in_rows(client, django_assert_num_queries):
    admin = make_user_for_role("admin")
    circle = circle_create(actor=admin, name="Antenne de Nantes", visibility=Visibility.PRIVATE)
    client.force_login(admin)
    url = reverse("circles:members", kwargs={"slug": circle.slug})
    for _ in range(3):
        Membership.objects.create(circle=circle, person=PersonFactory())
    small = _queries(client, url)
    for _ in range(40):
        Membership.objects.create(circle=circle, person=PersonFactory())
    with django_assert_num_queries(small):
        response = client.get(url)
    assert response.content.decode().count('<th scope="row"') == 44
    with django_assert_num_queries(small):
        client.get(url, {"q": "a"})


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
def test_two_people_joining_at_once_are_both_counted():
    admin = make_user_for_role("admin")
    circle = circle_create(
        actor=admin, name="Cercle ouvert", visibility=Visibility.PUBLIC, join_policy="open"
    )
    users = [make_user_for_role("member") for _ in range(6)]
    barrier = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def join(user) -> None:
        try:
            barrier.wait(timeout=10)
            membership_join(actor=user, circle=Circle.objects.get(pk=circle.pk))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=join, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    circle.refresh_from_db()
    assert Membership.objects.filter(circle=circle).count() == 1 + len(users)
    assert circle.member_count == 1 + len(users)


# --- Parent suggestions, requests and invitations ---------------------------------------


def _htmx_queries(client, url: str, params: dict[str, str]) -> int:
    client.get(url, params)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_parent_suggestions_queries_constant_and_capped(client, role, django_assert_num_queries):
    from essaim.circles.selectors import PARENT_SUGGESTIONS

    user = make_user_for_role("admin" if role == "admin" else "member")
    assert user is not None
    client.force_login(user)
    admin = make_user_for_role("admin")
    national = circle_create(actor=admin, name="Fédération nationale")

    def add(count: int, start: int) -> None:
        for i in range(start, start + count):
            circle = circle_create(actor=admin, name=f"Antenne {i:03d}", parent=national)
            if role == "coordinator":
                Membership.objects.create(circle=circle, person=user.person, role="coordinator")

    add(2, 0)
    url = reverse("circles:parent_suggestions")
    params = {"parent": "antenne"}
    small = _htmx_queries(client, url, params)
    # Session, user, circle roles (and staff roles for the coordinator), the matches.
    assert small == {"coordinator": 5, "admin": 4}[role]
    add(23, 2)
    with django_assert_num_queries(small):
        response = client.get(url, params, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.count("pick=") == PARENT_SUGGESTIONS
    assert f"Les {PARENT_SUGGESTIONS} premiers cercles" in html
    assert "dans Fédération nationale" in html


def _pending_requests(circle: Circle, count: int) -> None:
    from essaim.circles.services import join_request_create

    for _ in range(count):
        join_request_create(actor=make_user_for_role("member"), circle=circle, message="Bonjour")


@pytest.mark.django_db
def test_requests_page_queries_constant_and_paginated(client, django_assert_num_queries):
    from essaim.circles.views import REQUEST_PAGE_SIZE

    admin = make_user_for_role("admin")
    circle = circle_create(
        actor=admin, name="Antenne de Lille", visibility=Visibility.PRIVATE, join_policy="request"
    )
    client.force_login(admin)
    url = reverse("circles:requests", kwargs={"slug": circle.slug})
    _pending_requests(circle, 2)
    small = _queries(client, url)
    assert small == 10  # with the notification badge and the pending count
    assert client.get(url).content.decode().count('<article class="card"') == 2
    _pending_requests(circle, 23)
    with django_assert_num_queries(small):
        response = client.get(url)
    page = response.content.decode()
    assert page.count('<article class="card"') == REQUEST_PAGE_SIZE
    assert "25 demandes en attente" in page and "page=2" in page
    with django_assert_num_queries(small):
        second = client.get(url, {"page": "2"})
    assert second.content.decode().count('<article class="card"') == 25 - REQUEST_PAGE_SIZE


@pytest.mark.django_db
def test_invite_page_queries_constant_and_paginated(client, django_assert_num_queries):
    from essaim.circles.services import invitation_create
    from essaim.circles.views import INVITATION_PAGE_SIZE

    admin = make_user_for_role("admin")
    circle = circle_create(actor=admin, name="Antenne de Brest", visibility=Visibility.PRIVATE)
    client.force_login(admin)
    url = reverse("circles:invite", kwargs={"slug": circle.slug})

    def invite(count: int, start: int) -> None:
        for i in range(start, start + count):
            invitation_create(actor=admin, circle=circle, email=f"invitee{i}@exemple.org")

    invite(2, 0)
    small = _queries(client, url)
    assert small == 10  # with the notification badge
    invite(23, 2)
    with django_assert_num_queries(small):
        response = client.get(url)
    assert response.content.decode().count("/annuler/") == 25
    invite(INVITATION_PAGE_SIZE, 100)
    with django_assert_num_queries(small):
        response = client.get(url)
    page = response.content.decode()
    assert page.count("/annuler/") == INVITATION_PAGE_SIZE and "page=2" in page
