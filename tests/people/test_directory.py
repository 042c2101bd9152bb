"""The people directory: search, filters, pagination, htmx partial, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.people.factories import PersonFactory, TagFactory

pytestmark = pytest.mark.django_db

URL = reverse("people:directory")


@pytest.fixture
def staff_client(client, login_as):
    client.force_login(login_as("coordinator"))
    return client


def _names(response) -> list[str]:
    # The signed-in staff member has a person too: leave it out of the comparisons.
    return [p.family_name for p in response.context["page"].object_list if p.user_id is None]


def test_search_is_accent_insensitive(staff_client):
    PersonFactory(given_name="Hélène", family_name="Zérah", city="Nîmes")
    PersonFactory(given_name="Paul", family_name="Martin", city="Lyon")
    response = staff_client.get(URL, {"q": "helene"})
    assert response.status_code == 200
    assert _names(response) == ["Zérah"]
    # And the other way round: an accented query finds an unaccented city.
    assert _names(staff_client.get(URL, {"q": "NIMES"})) == ["Zérah"]
    assert _names(staff_client.get(URL, {"q": "zerah hélène"})) == ["Zérah"]


def test_search_by_email_and_no_result_message(staff_client):
    PersonFactory(family_name="Bernard", email="jeanne.bernard@exemple.fr")
    assert _names(staff_client.get(URL, {"q": "jeanne.bernard@"})) == ["Bernard"]
    response = staff_client.get(URL, {"q": "personne-inexistante"})
    assert _names(response) == []
    assert "Aucune personne ne correspond" in response.content.decode()


def test_filter_by_role_and_tag(staff_client):
    lyon = TagFactory(name="Lyon")
    member = PersonFactory(family_name="Adhérente", is_member=True, is_sympathiser=False)
    member.tags.add(lyon)
    PersonFactory(family_name="Donatrice", is_donor=True, is_sympathiser=False)
    PersonFactory(family_name="Sympathisant")
    assert _names(staff_client.get(URL, {"role": "member"})) == ["Adhérente"]
    assert _names(staff_client.get(URL, {"role": "donor"})) == ["Donatrice"]
    assert _names(staff_client.get(URL, {"tag": "Lyon"})) == ["Adhérente"]
    assert _names(staff_client.get(URL, {"tag": "lyon"})) == ["Adhérente"]
    assert _names(staff_client.get(URL, {"tag": "Lyon", "role": "donor"})) == []
    # An unknown role is ignored rather than failing the page.
    assert staff_client.get(URL, {"role": "pirate"}).status_code == 200


def test_sorted_by_name_paginated_and_counted(staff_client):
    for index in range(55):
        PersonFactory(family_name=f"Nom{index:03d}", given_name="A")
    first = staff_client.get(URL, {"q": "nom"})
    assert _names(first) == [f"Nom{i:03d}" for i in range(50)]
    first = staff_client.get(URL)
    total = 55 + 1  # and the staff member's own person
    assert first.context["paginator"].count == total
    assert f"{total} personnes trouvées" in first.content.decode()
    second = staff_client.get(URL, {"q": "nom", "page": 2})
    assert _names(second) == [f"Nom{i:03d}" for i in range(50, 55)]
    # A page number out of range shows the last page instead of an error.
    assert staff_client.get(URL, {"page": 999}).status_code == 200


def test_erased_people_are_hidden(staff_client):
    PersonFactory(family_name="Visible")
    PersonFactory(family_name="Effacée", erased_at=timezone.now())
    names = _names(staff_client.get(URL, {"q": "e"}))
    assert "Visible" in names
    assert "Effacée" not in names


def test_htmx_request_gets_results_partial_only(staff_client):
    PersonFactory(given_name="Hélène", family_name="Zérah")
    response = staff_client.get(URL, {"q": "helene"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert response.templates[0].name == "people/_results.html"
    assert "<html" not in body
    assert "ZÉRAH" in body  # family names are shown upper-case
    assert 'hx-swap-oob="innerHTML"' in body  # the count outside the region is refreshed too
    assert "HX-Request" in response["Vary"]
    full = staff_client.get(URL, {"q": "helene"})
    page = full.content.decode()
    assert "<html" in page
    assert 'hx-trigger="input changed delay:300ms, search, submit"' in page
    assert 'hx-target="#resultats"' in page
    assert 'hx-push-url="true"' in page
    assert 'type="submit"' in page  # works without JavaScript


def test_history_restore_gets_full_page(staff_client):
    response = staff_client.get(
        URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


def test_export_links_keep_the_filters(client, login_as):
    client.force_login(login_as("communication"))
    PersonFactory(family_name="Zérah", is_member=True)
    body = client.get(URL, {"q": "zerah", "role": "member"}).content.decode()
    assert reverse("people:export_csv") + "?q=zerah&amp;role=member" in body
    assert reverse("people:export_xlsx") + "?q=zerah&amp;role=member" in body


def test_no_export_links_for_coordinator(staff_client):
    PersonFactory()
    body = staff_client.get(URL).content.decode()
    assert reverse("people:export_csv") not in body
    assert reverse("people:create") in body


def test_hostile_values_are_escaped(staff_client):
    tag = TagFactory(name="<b>gras</b>")
    person = PersonFactory(family_name="<script>alert(1)</script>", city="<img src=x>")
    person.tags.add(tag)
    body = staff_client.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;" in body  # family names are shown upper-case
    assert "<img src=x>" not in body
    assert "<b>gras</b>" not in body


def test_overlong_query_is_cut_not_failing(staff_client):
    PersonFactory(family_name="Zérah")
    response = staff_client.get(URL, {"q": "zerah " + "x" * 5000})
    assert response.status_code == 200
    assert response.context["filters"]["query"] == ("zerah " + "x" * 5000)[:200]
    assert _names(response) == []  # the cut query is still applied, not dropped
    assert _names(staff_client.get(URL, {"q": "zerah" + " " * 300 + "x"})) == ["Zérah"]


def _people_with_tags(count: int) -> None:
    tags = [TagFactory(name=f"tag{i}") for i in range(3)]
    for index in range(count):
        person = PersonFactory(is_member=index % 2 == 0)
        person.tags.add(*tags[: index % 3 + 1])


@pytest.mark.parametrize("rows", [5, 30])
def test_directory_query_count_is_constant(client, login_as, django_assert_num_queries, rows):
    client.force_login(login_as("coordinator"))
    _people_with_tags(rows)
    client.get(URL)  # warm the organisation cache, like any later page view
    # session, user, roles, count, page, tags of the page, tag suggestions, unread badge
    with django_assert_num_queries(8):
        response = client.get(URL, {"q": "exemple.fr"})
    assert len(response.context["page"].object_list) == rows
    # htmx partial: no tag suggestions to read
    with django_assert_num_queries(6):
        client.get(URL, {"q": "exemple.fr"}, headers={"HX-Request": "true"})


def test_count_is_capped_on_huge_lists(staff_client, monkeypatch):
    from essaim.people.views import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 3)
    for _ in range(5):
        PersonFactory()
    response = staff_client.get(URL)
    assert response.context["paginator"].capped
    assert "Plus de 3 personnes trouvées" in response.content.decode()
    assert len(response.context["page"].object_list) == 4  # cap + 1 rows, on one page
