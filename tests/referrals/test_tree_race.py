"""Attributions and corrections at the same instant (PostgreSQL): the tree stays consistent."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from essaim.people.models import Person
from essaim.referrals.tree import positions_load, referral_attribute, referral_correct
from tests.concurrency import race
from tests.people.factories import PersonFactory
from tests.referrals.test_tree import assert_consistent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]


def fresh(person: Person) -> Person:
    return Person.objects.get(pk=person.pk)


@pytest.mark.parametrize("attempt", range(3))
def test_two_attributions_of_one_person_exactly_one_wins(attempt: int) -> None:
    first, second, newcomer = PersonFactory(), PersonFactory(), PersonFactory()
    results = race(
        lambda: referral_attribute(
            person=fresh(newcomer), referrer=fresh(first), at=timezone.now()
        ),
        lambda: referral_attribute(
            person=fresh(newcomer), referrer=fresh(second), at=timezone.now()
        ),
    )
    assert sorted(results, key=str) == [False, True], results
    winner = first if results[0] is True else second
    assert fresh(newcomer).referred_by_id == winner.pk
    assert fresh(winner).downline_count == 1
    assert fresh(first if winner is second else second).downline_count == 0
    assert_consistent()


def test_many_sign_ups_under_one_referrer_are_all_counted() -> None:
    root = PersonFactory()
    relay = PersonFactory()
    referral_attribute(person=relay, referrer=root, at=timezone.now())
    newcomers = [PersonFactory() for _ in range(8)]
    results = race(
        *(
            (
                lambda p=p: referral_attribute(
                    person=fresh(p), referrer=fresh(relay), at=timezone.now()
                )
            )
            for p in newcomers
        )
    )
    assert results == [True] * 8
    assert (fresh(relay).direct_referrals_count, fresh(root).downline_count) == (8, 9)
    assert_consistent()


@pytest.mark.parametrize("attempt", range(3))
def test_a_correction_racing_an_attribution_keeps_paths_and_counts_right(attempt: int) -> None:
    # A chain top -> middle -> relay; staff move `middle` (and relay) under `other` while
    # a newcomer signs up through relay's link.
    top, middle, relay, other = (PersonFactory() for _ in range(4))
    referral_attribute(person=middle, referrer=top, at=timezone.now())
    referral_attribute(person=relay, referrer=middle, at=timezone.now())
    newcomer = PersonFactory()
    results = race(
        lambda: referral_correct(
            actor=None, person=fresh(middle), referrer=fresh(other), note="Erreur de saisie"
        ),
        lambda: referral_attribute(
            person=fresh(newcomer), referrer=fresh(relay), at=timezone.now()
        ),
    )
    assert results == [None, True], results
    assert fresh(other).downline_count == 3
    assert fresh(top).downline_count == 0
    assert positions_load([fresh(newcomer)])[0].referral_depth == 3
    assert_consistent()


def test_a_correction_can_never_build_a_loop_with_a_racing_one() -> None:
    # a and b are roots; one correction puts a under b, the other b under a: one must fail.
    a, b = PersonFactory(), PersonFactory()
    results = race(
        lambda: referral_correct(actor=None, person=fresh(a), referrer=fresh(b), note="un"),
        lambda: referral_correct(actor=None, person=fresh(b), referrer=fresh(a), note="deux"),
    )
    assert sum(1 for r in results if r is None) == 1, results
    assert any(isinstance(r, ValidationError) for r in results)
    assert_consistent()
