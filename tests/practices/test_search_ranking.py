"""The library's "Pertinence" order: title matches first, plurals, accents and typos forgiven,
on SQLite (simple score) and PostgreSQL (French full-text rank over a stored vector)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from essaim.practices.models import PracticeSearchWord, PracticeSheet
from essaim.practices.selectors import library_search
from essaim.practices.services import practice_restore_revision, practice_update
from tests.practices.conftest import make_sheet

LIST = reverse("practices:list")


def titles(response) -> list[str]:
    return [sheet.title for sheet in response.context["page"].object_list]


@pytest.fixture
def ranked(action_world):
    w = action_world
    # Published oldest first: "newest first" would list them backwards.
    make_sheet(w, title="Organiser une maraude du soir", summary="À deux, avec un thermos")
    make_sheet(w, title="Préparer le local", summary="Avant chaque maraude : le café")
    make_sheet(w, title="Tenir une épicerie solidaire", tags="Maraude")
    make_sheet(
        w, title="Réunion d'équipe", summary="Ordre du jour", body="On reparle des maraudes."
    )
    return w


def test_relevance_is_the_default_when_words_are_typed(client, ranked):
    client.force_login(ranked.users["member"])
    response = client.get(LIST, {"q": "maraude"})
    found = titles(response)
    assert found[0] == "Organiser une maraude du soir"
    assert set(found[1:3]) == {"Préparer le local", "Tenir une épicerie solidaire"}
    # The body is searched too, on both databases, and a match there ranks last.
    assert found[-1] == "Réunion d'équipe"
    assert 'value="relevance" selected' in response.content.decode()


def test_newest_first_stays_available(client, ranked):
    client.force_login(ranked.users["member"])
    found = titles(client.get(LIST, {"q": "maraude", "tri": "recent"}))
    assert found[0] != "Organiser une maraude du soir"
    assert found[-1] == "Organiser une maraude du soir"


def test_without_words_relevance_means_newest(client, ranked):
    client.force_login(ranked.users["member"])
    assert titles(client.get(LIST, {"tri": "relevance"}))[0] == "Réunion d'équipe"


@pytest.mark.parametrize(
    "query",
    ["MARAUDES", "maraudes du soir", "soirs maraudes", "marraude", "Organisér"],
)
def test_plural_accent_and_typo_find_the_title_match_first(client, ranked, query):
    client.force_login(ranked.users["member"])
    assert titles(client.get(LIST, {"q": query}))[0] == "Organiser une maraude du soir"


def test_accented_query_finds_unaccented_text_and_back(client, ranked):
    client.force_login(ranked.users["member"])
    assert titles(client.get(LIST, {"q": "epicerie"})) == ["Tenir une épicerie solidaire"]
    assert titles(client.get(LIST, {"q": "équipe réunions"})) == ["Réunion d'équipe"]


def test_misspelt_word_is_corrected_and_ranked(ranked):
    search = library_search(user=ranked.users["member"], query="epicrie", sort="relevance")
    assert search.corrected == "epicerie"
    assert [s.title for s in search.sheets] == ["Tenir une épicerie solidaire"]


def test_body_search_follows_updates_and_restores(ranked):
    sheet = PracticeSheet.objects.get(title="Préparer le local")
    member = ranked.users["member_a"]

    def finds(word: str) -> bool:
        return (
            library_search(user=member, query=word, sort="relevance")
            .sheets.filter(pk=sheet.pk)
            .exists()
        )

    assert not finds("chauffage")
    practice_update(actor=member, sheet=sheet, data={"body": "Allumer le chauffage."})
    assert finds("chauffage")
    first = sheet.revisions.order_by("number").first()
    practice_restore_revision(actor=member, sheet=sheet, revision=first)
    assert not finds("chauffage")


@pytest.mark.parametrize("rows", [2, 20])
def test_relevance_queries_constant(client, action_world, django_assert_num_queries, rows):
    for number in range(rows):
        make_sheet(action_world, title=f"Fiche maraude {number}", tags=f"Thème {number % 3}")
    client.force_login(action_world.users["member_a"])
    client.get(LIST)  # warm the session and the organisation cache
    # session, user, staff roles, circle roles, "any match?", capped count, rows,
    # tags of the rows, my circles, notification badge (popular tags are cached). On
    # PostgreSQL "any match?" is the query reading the ids of the candidates to rank, and
    # their number is the capped count: no count query, but the search settings before (the same
    # candidates at each search).
    with django_assert_num_queries(10):
        response = client.get(LIST, {"q": "maraudes"})
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize(
    ("query", "found"),
    [
        # "avec" is a French stop word, "ganiser" is inside "Organiser": no full-text match,
        # the folded title and summary hold them.
        ("avec", ["Organiser une maraude du soir"]),
        ("ganiser", ["Organiser une maraude du soir"]),
    ],
)
def test_words_the_full_text_misses_are_found_in_the_folded_text(ranked, query, found):
    search = library_search(user=ranked.users["member"], query=query, sort="relevance")
    assert [s.title for s in search.sheets] == found
    assert search.corrected == ""


def test_each_match_is_listed_once(ranked):
    search = library_search(user=ranked.users["member"], query="maraude", sort="relevance")
    titles = [s.title for s in search.sheets]
    assert sorted(titles) == sorted(set(titles))
    assert len(titles) == 4


def test_misspelt_body_word_is_corrected(ranked):
    # "reparle" is only in a body: the typo fallback knows body words on both databases.
    search = library_search(user=ranked.users["member"], query="reparrle", sort="relevance")
    assert search.corrected == "reparle"
    assert [s.title for s in search.sheets] == ["Réunion d'équipe"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
def test_postgresql_corrects_through_trigrams_without_the_vocabulary(ranked, monkeypatch):
    from essaim.practices import selectors

    # Written with the sheets, accents folded, body words included.
    assert {"thermos", "epicerie", "reparle"} <= set(
        PracticeSearchWord.objects.values_list("word", flat=True)
    )

    def no_vocabulary() -> None:
        raise AssertionError("PostgreSQL corrects from the trigram index")

    monkeypatch.setattr(selectors, "search_vocabulary", no_vocabulary)
    for query, corrected, title in [
        ("termos", "thermos", "Organiser une maraude du soir"),
        ("epicrie solidaire", "epicerie solidaire", "Tenir une épicerie solidaire"),
        ("acceuil", "acceuil", None),  # no sheet has "accueil" here: nothing close enough
    ]:
        search = library_search(user=ranked.users["member"], query=query, sort="relevance")
        assert search.corrected == (corrected if title else "")
        assert [s.title for s in search.sheets] == ([title] if title else [])
