"""Feed items are rendered once and read from the cache, under a key of what they show."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from essaim.feed import fragments
from tests.people.factories import PersonFactory

from .helpers import activities, join, make_circle

pytestmark = pytest.mark.django_db


def _feed(client) -> str:
    response = client.get(reverse("feed:feed"))
    assert response.status_code == 200
    return response.content.decode()


def _refuse_rendering(monkeypatch) -> None:
    def get_template(name: str):
        raise AssertionError(f"{name} rendered again instead of read from the cache")

    monkeypatch.setattr(fragments, "get_template", get_template)


def test_items_come_from_the_cache_the_second_time(client, member, monkeypatch):
    circle = make_circle("Antenne de Nantes")
    join(member, circle)
    activities(circle, 3, actor=PersonFactory(given_name="Alix", family_name="Roy"))
    first = _feed(client)
    assert first.count('class="card feed-item"') == 3 and "Alix Roy" in first
    _refuse_rendering(monkeypatch)
    again = _feed(client)
    assert again.count('class="card feed-item"') == 3 and "Alix Roy" in again


def test_renamed_circle_shows_its_new_name_and_address(client, member):
    circle = make_circle("Antenne de Nantes")
    join(member, circle)
    activities(circle, 2, actor=PersonFactory(given_name="Alix", family_name="Roy"))
    assert "Antenne de Nantes" in _feed(client)
    circle.name, circle.slug = "Antenne de Saint-Nazaire", "saint-nazaire"
    circle.save()
    html = _feed(client)
    assert "Antenne de Nantes" not in html and "Antenne de Saint-Nazaire" in html
    assert "/cercles/saint-nazaire/" in html  # the link follows the new address


def test_renamed_actor_shows_under_the_new_name(client, member):
    circle = make_circle("Antenne de Nantes")
    join(member, circle)
    actor = PersonFactory(given_name="Alix", family_name="Roy")
    activities(circle, 2, actor=actor)
    assert "Alix Roy" in _feed(client)
    actor.given_name = "Sacha"
    actor.save()
    html = _feed(client)
    assert "Alix Roy" not in html and "Sacha Roy" in html


def test_items_in_the_readers_language(client, member):
    circle = make_circle()
    join(member, circle)
    activities(circle, 1)
    assert "Nouvelle discussion" in _feed(client)
    client.cookies["django_language"] = "en"
    try:
        assert "Nouvelle discussion" not in _feed(client)
    finally:
        translation.activate("fr")


def test_the_circle_filter_lists_only_the_readers_circles(client, member, login_as):
    mine = make_circle("Antenne de Nantes")
    join(member, mine)
    activities(mine, 1)
    assert "Antenne de Nantes" in _feed(client)
    other = login_as("member")
    join(other.person, make_circle("Commission secrète"))
    client.force_login(other)
    html = _feed(client)
    assert "Commission secrète" in html and "Antenne de Nantes" not in html


def test_the_circle_filter_keeps_the_choice_and_its_error(client, member):
    a, b = make_circle("Antenne A"), make_circle("Antenne B")
    join(member, a)
    join(member, b)
    client.get(reverse("feed:feed"))  # the empty filter, cached
    chosen = client.get(reverse("feed:feed"), {"circle": b.pk}).content.decode()
    assert f'<option value="{b.pk}" selected>Antenne B</option>' in chosen
    wrong = client.get(reverse("feed:feed"), {"circle": "999999"}).content.decode()
    assert 'aria-invalid="true"' in wrong and "pas l&#x27;un des vôtres" in wrong
    assert 'aria-invalid="true"' not in _feed(client)
