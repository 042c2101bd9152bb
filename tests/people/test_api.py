from __future__ import annotations

import pytest

from tests.access import ROLES, STAFF
from tests.people.factories import PersonFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ROLES)
def test_people_list_access(client, login_as, role):
    user = login_as(role)
    if user is not None:
        client.force_login(user)
    response = client.get("/api/people/")
    if role == "anonymous":
        assert response.status_code == 401
    elif role in STAFF:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "équipe" in response.json()["detail"]


@pytest.mark.parametrize("role", ROLES)
def test_person_detail_access(client, login_as, role):
    person = PersonFactory(given_name="Aïcha", family_name="Benali")
    user = login_as(role)
    if user is not None:
        client.force_login(user)
    response = client.get(f"/api/people/{person.pk}")
    expected = 401 if role == "anonymous" else 200 if role in STAFF else 403
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["family_name"] == "Benali"


def test_people_list_searches_and_counts_queries(admin_client, django_assert_num_queries):
    tag = TagFactory(name="quartier nord")
    for index in range(30):
        person = PersonFactory(family_name=f"Dupont{index:02d}")
        person.tags.add(tag)
    PersonFactory(given_name="Hélène", family_name="Lefèvre")
    # session, user, roles, count, page, tags prefetch: constant in the number of rows.
    with django_assert_num_queries(6):
        response = admin_client.get("/api/people/", {"q": "helene lefevre"})
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["given_name"] == "Hélène"
    with django_assert_num_queries(6):
        response = admin_client.get("/api/people/", {"tag": "quartier nord"})
    body = response.json()
    assert body["count"] == 30
    assert len(body["items"]) == 30
    assert body["items"][0]["tags"] == ["quartier nord"]


def test_unknown_person_is_404(admin_client):
    assert admin_client.get("/api/people/999999").status_code == 404


def test_openapi_docs_are_served(client):
    assert client.get("/api/docs").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert "/api/people/" in schema["paths"]
