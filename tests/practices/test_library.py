"""The library index: French search (accents, plurals, typos), filters, sorting, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from essaim.practices.models import PracticeVisibility
from essaim.practices.selectors import (
    highlight,
    library_search,
    search_vocabulary,
    search_words,
)
from essaim.practices.services import practice_vote_toggle
from tests.practices.conftest import make_sheet

LIST = reverse("practices:list")


def titles(response) -> list[str]:
    return [sheet.title for sheet in response.context["page"].object_list]


@pytest.fixture
def library(action_world):
    w = action_world
    make_sheet(w, title="Accueillir les bénévoles", summary="Un café et un binôme", tags="Accueil")
    make_sheet(w, title="Organiser des maraudes", summary="Le soir, à deux", tags="Maraude")
    make_sheet(w, title="Tenir une épicerie solidaire", circle="b", tags="Épicerie")
    make_sheet(w, title="Maraude réservée", visibility=PracticeVisibility.CIRCLE, tags="Maraude")
    make_sheet(w, title="Fiche secrète de maraude", author="admin", circle="secret")
    make_sheet(w, title="Brouillon de maraude", publish=False)
    return w


def test_search_ignores_accents_and_case(client, library):
    client.force_login(library.users["member"])
    assert titles(client.get(LIST, {"q": "EPICERIE"})) == ["Tenir une épicerie solidaire"]
    assert titles(client.get(LIST, {"q": "benevoles cafe"})) == ["Accueillir les bénévoles"]


def test_search_forgives_plurals(client, library):
    client.force_login(library.users["member"])
    assert titles(client.get(LIST, {"q": "maraude"})) == ["Organiser des maraudes"]
    assert search_words("Maraudes Épiceries bus") == ["maraude", "epicerie", "bus"]


def test_search_forgives_a_typo_and_says_so(client, library):
    client.force_login(library.users["member"])
    response = client.get(LIST, {"q": "acueil"})
    assert titles(response) == ["Accueillir les bénévoles"]
    assert "mots proches" in response.content.decode()


def test_search_finds_a_word_only_in_the_body_on_both_databases(client, action_world):
    make_sheet(
        action_world,
        title="Préparer une collecte",
        summary="Les étapes",
        body="Prévoir des **gilets fluorescents** et un thermos de café.",
    )
    make_sheet(action_world, title="Tenir un stand", summary="Avec des gilets", body="Rien.")
    client.force_login(action_world.users["member"])
    # Accents, plural and a word the title and summary do not hold.
    assert titles(client.get(LIST, {"q": "fluorescent"})) == ["Préparer une collecte"]
    assert titles(client.get(LIST, {"q": "gilets thermos"})) == ["Préparer une collecte"]
    # Ranked by relevance: the word in the summary weighs more than in a body.
    ranked = titles(client.get(LIST, {"q": "gilets", "sort": "relevance"}))
    assert ranked == ["Tenir un stand", "Préparer une collecte"]


def test_search_with_nothing_close_finds_nothing(client, library):
    client.force_login(library.users["member"])
    response = client.get(LIST, {"q": "zzzxq"})
    assert titles(response) == []
    assert "Aucune fiche ne correspond" in response.content.decode()


def test_search_respects_reading_rights(client, library):
    client.force_login(library.users["member_a"])
    found = set(titles(client.get(LIST, {"q": "maraude"})))
    assert found == {"Organiser des maraudes", "Maraude réservée"}
    client.force_login(library.users["admin"])
    found = set(titles(client.get(LIST, {"q": "maraude"})))
    assert found == {"Organiser des maraudes", "Maraude réservée", "Fiche secrète de maraude"}


def test_drafts_view_lists_the_drafts_one_may_edit(client, library):
    client.force_login(library.users["coordinator_a"])
    assert titles(client.get(LIST, {"etat": "brouillons"})) == ["Brouillon de maraude"]
    client.force_login(library.users["member_b"])
    assert titles(client.get(LIST, {"etat": "brouillons"})) == []


def test_filter_by_tag_and_circle(client, library):
    client.force_login(library.users["member_a"])
    assert set(titles(client.get(LIST, {"theme": "maraude"}))) == {
        "Organiser des maraudes",
        "Maraude réservée",
    }
    assert titles(client.get(LIST, {"cercle": library.circles["b"].slug})) == [
        "Tenir une épicerie solidaire"
    ]
    assert client.get(LIST, {"cercle": "nexiste-pas"}).status_code == 404


def test_sort_by_most_useful(client, library):
    w = library
    useful = library_search(user=w.users["admin"], query="accueillir").sheets.get()
    practice_vote_toggle(actor=w.users["member"], sheet=useful)
    client.force_login(w.users["member"])
    assert titles(client.get(LIST, {"tri": "useful"}))[0] == "Accueillir les bénévoles"
    assert titles(client.get(LIST))[-1] == "Accueillir les bénévoles"  # the oldest


def test_results_are_highlighted_and_escaped():
    marked = highlight("Épicerie <b>solidaire</b>", ["epicerie", "solidaire"])
    assert marked == "<mark>Épicerie</mark> &lt;b&gt;<mark>solidaire</mark>&lt;/b&gt;"


def test_htmx_request_gets_only_the_results(client, library):
    client.force_login(library.users["member"])
    response = client.get(LIST, {"q": "epicerie"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert "<mark>épicerie</mark>" in body


@pytest.mark.parametrize("rows", [2, 20])
def test_list_queries_constant(client, action_world, django_assert_num_queries, rows):
    for number in range(rows):
        make_sheet(action_world, title=f"Fiche {number}", tags=f"Thème {number % 3}, Commun")
    client.force_login(action_world.users["member_a"])
    client.get(LIST)  # warm the session and the organisation cache
    # session, user, staff roles, circle roles, "any exact match?", capped count, rows,
    # tags of the rows, my circles, notification badge (popular tags are cached). On
    # PostgreSQL "any match?" reads the ids of the candidates, which are also the count, after
    # the search settings (set_config: the same candidates from one search to the next).
    with django_assert_num_queries(10):
        response = client.get(LIST, {"q": "fiche"})
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize(
    ("query", "corrected"),
    [("epicrie", "epicerie"), ("acceuil", "accueil"), ("solidaire epicrie", "solidaire epicerie")],
)
def test_close_words_from_the_library_vocabulary(library, query, corrected):
    found = library_search(user=library.users["member"], query=query)
    assert found.corrected == corrected
    assert [s.title for s in found.sheets] == [
        "Accueillir les bénévoles" if "acc" in corrected else "Tenir une épicerie solidaire"
    ]


def test_vocabulary_is_refreshed_when_a_sheet_is_written(
    library, django_capture_on_commit_callbacks
):
    assert "zythologie" not in search_vocabulary()
    with django_capture_on_commit_callbacks(execute=True):
        make_sheet(library, title="Zythologie")
    assert "zythologie" in search_vocabulary()
    assert library_search(user=library.users["member"], query="zytologie").corrected == "zythologie"


def test_broad_search_count_is_capped(client, action_world, monkeypatch):
    from essaim.practices import views

    monkeypatch.setattr(views, "COUNT_CAP", 2)
    monkeypatch.setattr(views, "SHEETS_PER_PAGE", 2)
    for number in range(4):
        make_sheet(action_world, title=f"Fiche {number}")
    client.force_login(action_world.users["member"])
    response = client.get(LIST)
    assert "Plus de 1 000 fiches" in response.content.decode()
    assert titles(response) == ["Fiche 3", "Fiche 2"]
    assert "Page suivante" in response.content.decode()


def test_tag_filter_offers_only_network_tags(client, library, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_sheet(library, author="admin", circle="secret", tags="Nom de code")
    client.force_login(library.users["admin"])
    tags = [t.name for t in client.get(LIST).context["tags"]]
    assert "Accueil" in tags
    assert "Nom de code" not in tags
    assert "Maraude" in tags  # also on a network sheet


def test_searched_count_is_capped_and_pages_go_on(client, action_world, monkeypatch):
    from essaim.practices import selectors, views

    monkeypatch.setattr(views, "COUNT_CAP", 2)
    monkeypatch.setattr(views, "SHEETS_PER_PAGE", 2)
    monkeypatch.setattr(selectors, "RANK_CANDIDATES", 3)
    for number in range(5):
        make_sheet(action_world, title=f"Fiche maraude {number}")
    client.force_login(action_world.users["member"])
    response = client.get(LIST, {"q": "maraudes"})
    assert "Plus de 1 000 fiches" in response.content.decode()
    assert response.context["page"].paginator.count == 3
    second = client.get(LIST, {"q": "maraudes", "page": 2})
    assert len(second.context["page"].object_list) == 1
    assert not set(titles(response)) & set(titles(second))
