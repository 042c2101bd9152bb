"""The who-brought-whom tree: attribution rules, corrections, paths and cached counts."""

from __future__ import annotations

import contextlib
import itertools
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from essaim.core.models import AuditLog
from essaim.people.models import Person
from essaim.referrals.models import ReferralEvent, ReferralEventKind, TreePosition
from essaim.referrals.tree import (
    MAX_DEPTH,
    MAX_ID,
    path_ids,
    positions_load,
    referral_attribute,
    referral_correct,
    referral_event_record,
    referral_path_ensure,
    referrals_rebuild,
    segment,
    tree_compute,
)
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


def person() -> Person:
    return PersonFactory()


def attach(child: Person, parent: Person) -> bool:
    return referral_attribute(person=child, referrer=parent, at=timezone.now())


def assert_consistent() -> None:
    """The stored paths and counts equal a from-scratch recomputation from referred_by."""
    rows = list(
        Person.objects.values_list(
            "pk",
            "referred_by_id",
            "tree_position__path",
            "tree_position__depth",
            "downline_count",
            "direct_referrals_count",
        )
    )
    state = tree_compute({pk: parent for pk, parent, *_ in rows})
    assert not state.broken
    for pk, _parent, path, depth, down, direct in rows:
        want = (state.paths[pk], state.depths[pk], state.downline.get(pk, 0), state.direct[pk])
        if path is None:
            # Never touched by the tree: a root not yet computed (same as its own segment).
            path, depth = segment(pk), 0
        assert (path, depth, down, direct) == want, pk
    # The whole-network figures' running totals, kept by the same services, are exact too.
    assert_tallies_exact()


def assert_tallies_exact() -> None:
    from essaim.referrals.tally import network_tally_scan, tally_read

    stored = {
        (metric, key): value
        for metric, keys in tally_read().items()
        for key, value in keys.items()
        if value != (0, 0)
    }
    assert stored == network_tally_scan()


def chain(length: int) -> list[Person]:
    people = [person() for _ in range(length)]
    for parent, child in itertools.pairwise(people):
        assert attach(child, parent)
    return people


def test_segment_is_fixed_width_base36_and_states_its_limit() -> None:
    assert segment(1) == "0000001"
    assert segment(35) == "000000z"
    assert segment(36) == "0000010"
    assert segment(MAX_ID) == "zzzzzzz"
    assert MAX_ID == 36**7 - 1 == 78_364_164_095
    with pytest.raises(ValueError):
        segment(MAX_ID + 1)
    assert path_ids(segment(5) + segment(40)) == [5, 40]


def test_a_person_without_referrer_is_a_root_once_computed() -> None:
    alone = person()
    assert alone.referral_path == ""
    assert referral_path_ensure(alone) == segment(alone.pk)
    reread = positions_load([Person.objects.get(pk=alone.pk)])[0]
    assert (reread.referral_path, reread.referral_depth) == (segment(alone.pk), 0)


def test_attribution_sets_referrer_path_depth_and_counts() -> None:
    root, middle, leaf = person(), person(), person()
    assert attach(middle, root)
    assert attach(leaf, middle)
    for p in (root, middle, leaf):
        p.refresh_from_db()
    positions_load((root, middle, leaf))
    assert leaf.referred_by_id == middle.pk and leaf.referred_at is not None
    assert leaf.referral_path == segment(root.pk) + segment(middle.pk) + segment(leaf.pk)
    assert leaf.referral_depth == 2
    assert (root.downline_count, root.direct_referrals_count) == (2, 1)
    assert (middle.downline_count, middle.direct_referrals_count) == (1, 1)
    assert AuditLog.objects.filter(action="referral.attribute").count() == 2
    assert_consistent()


def test_first_touch_wins_and_is_never_silently_changed() -> None:
    first, second, newcomer = person(), person(), person()
    assert attach(newcomer, first)
    assert not attach(newcomer, second)
    newcomer.refresh_from_db()
    second.refresh_from_db()
    assert newcomer.referred_by_id == first.pk
    assert second.downline_count == 0
    assert_consistent()


def test_self_referral_is_refused() -> None:
    alone = person()
    assert not attach(alone, alone)
    alone.refresh_from_db()
    assert alone.referred_by_id is None
    with pytest.raises(ValidationError, match="elle-même"):
        referral_correct(actor=None, person=alone, referrer=alone, note="erreur")


def test_a_cycle_can_never_be_created_even_deep_down() -> None:
    people = chain(40)
    top, bottom = people[0], people[-1]
    # The top has no referrer: attaching it under its own 39th descendant would loop.
    assert not attach(top, bottom)
    with pytest.raises(ValidationError, match="boucle"):
        referral_correct(actor=None, person=top, referrer=bottom, note="essai")
    with pytest.raises(ValidationError, match="boucle"):
        referral_correct(actor=None, person=people[10], referrer=people[30], note="essai")
    top.refresh_from_db()
    assert top.referred_by_id is None
    assert_consistent()


def test_attributing_a_person_with_a_downline_moves_their_subtree() -> None:
    relay, friend, friend_of_friend = person(), person(), person()
    assert attach(friend, relay)
    assert attach(friend_of_friend, friend)
    newcomer_root = person()
    assert attach(relay, newcomer_root)
    friend_of_friend.refresh_from_db()
    positions_load([friend_of_friend])
    assert path_ids(friend_of_friend.referral_path) == [
        newcomer_root.pk,
        relay.pk,
        friend.pk,
        friend_of_friend.pk,
    ]
    assert friend_of_friend.referral_depth == 3
    newcomer_root.refresh_from_db()
    assert newcomer_root.downline_count == 3
    assert_consistent()


def test_correction_reparents_a_subtree_with_audit_and_fixes_both_uplines() -> None:
    left, right = chain(4), chain(3)
    moved = left[2]  # has one referral below
    referral_correct(actor=None, person=moved, referrer=right[-1], note="Erreur de lien")
    for p in (*left, *right):
        p.refresh_from_db()
    positions_load((*left, *right))
    assert moved.referred_by_id == right[-1].pk
    assert left[0].downline_count == 1 and left[1].direct_referrals_count == 0
    assert right[0].downline_count == 4 and right[-1].direct_referrals_count == 1
    assert left[3].referral_depth == 4
    entry = AuditLog.objects.get(action="referral.correct")
    assert entry.details["old_referrer"][0] == left[1].pk
    assert entry.details["new_referrer"][0] == right[-1].pk
    assert entry.details["note"] == "Erreur de lien"
    assert_consistent()


def test_correction_detaches_and_moves_credited_events() -> None:
    root, child = chain(2)
    event = referral_event_record(
        person=child, kind=ReferralEventKind.GAVE, at=timezone.now(), amount_cents=2500
    )
    assert event.referrer_id == root.pk
    referral_correct(actor=None, person=child, referrer=None, note="Venue seule")
    child.refresh_from_db()
    positions_load([child])
    event.refresh_from_db()
    assert child.referred_by_id is None and child.referral_depth == 0
    assert event.referrer_id is None
    entry = AuditLog.objects.get(action="referral.correct")
    assert entry.details["new_referrer"] is None
    assert_consistent()


def test_correction_refuses_bad_input_and_changes_nothing() -> None:
    root, child = chain(2)
    with pytest.raises(ValidationError, match="raison"):
        referral_correct(actor=None, person=child, referrer=None, note="  ")
    with pytest.raises(ValidationError, match="déjà"):
        referral_correct(actor=None, person=child, referrer=root, note="rien")
    child.refresh_from_db()
    assert child.referred_by_id == root.pk
    assert not AuditLog.objects.filter(action="referral.correct").exists()


def test_depth_limit_is_refused() -> None:
    deep = person()
    deep.referral_path = segment(deep.pk).rjust((MAX_DEPTH + 1) * 7, "0")
    deep.referral_depth = MAX_DEPTH
    TreePosition.objects.create(person=deep, path=deep.referral_path, depth=MAX_DEPTH)
    newcomer = person()
    assert not attach(newcomer, deep)
    with pytest.raises(ValidationError, match="trop profond"):
        referral_correct(actor=None, person=newcomer, referrer=deep, note="essai")


def test_event_record_credits_the_referrer_and_refuses_bad_input() -> None:
    root, child = chain(2)
    event = referral_event_record(
        person=child, kind=ReferralEventKind.VOLUNTEERED, at=timezone.now()
    )
    assert event.referrer_id == root.pk
    with pytest.raises(ValidationError):
        referral_event_record(person=child, kind="flew", at=timezone.now())
    with pytest.raises(ValidationError):
        referral_event_record(
            person=child, kind=ReferralEventKind.GAVE, at=timezone.now(), amount_cents=-1
        )
    assert ReferralEvent.objects.count() == 1


def test_random_operations_stay_consistent_with_a_recomputation() -> None:
    rng = random.Random(7)
    people = [person() for _ in range(40)]
    for _ in range(120):
        a, b = rng.sample(people, 2)
        if rng.random() < 0.6:
            attach(a, b)
        else:
            target = rng.choice((b, None))
            with contextlib.suppress(ValidationError):
                referral_correct(actor=None, person=a, referrer=target, note="aléatoire")
        for p in (a, b):
            p.refresh_from_db()
    assert_consistent()


def test_rebuild_recomputes_everything_and_breaks_loops() -> None:
    people = chain(5)
    extra = person()
    # A bulk load or a bad import writes referred_by only, even a loop.
    Person.objects.filter(pk=extra.pk).update(referred_by=people[2])
    Person.objects.filter(pk__in=[p.pk for p in people]).update(
        downline_count=0, direct_referrals_count=0
    )
    TreePosition.objects.filter(person_id__in=[p.pk for p in people]).delete()
    a, b = person(), person()
    Person.objects.filter(pk=a.pk).update(referred_by=b)
    Person.objects.filter(pk=b.pk).update(referred_by=a)
    result = referrals_rebuild(batch_size=3)
    assert result["loops_broken"] == 1
    assert_consistent()
    people[0].refresh_from_db()
    assert people[0].downline_count == 5
    # Idempotent: nothing left to write.
    assert referrals_rebuild()["changed"] == 0
    call_command("referrals_rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.mark.parametrize("shape", ["apart", "keep_below_duplicate", "duplicate_below_keep"])
def test_merging_two_people_keeps_the_tree_consistent(shape: str) -> None:
    from essaim.people.services import person_merge

    top, keep, duplicate = person(), person(), person()
    kids = [person() for _ in range(3)]
    assert attach(duplicate, top)
    for kid in kids:
        assert attach(kid, duplicate)
    if shape == "keep_below_duplicate":
        assert attach(keep, kids[0])
    elif shape == "duplicate_below_keep":
        referral_correct(actor=None, person=duplicate, referrer=keep, note="essai")
    grandchild = person()
    assert attach(grandchild, kids[1])
    keep.refresh_from_db()
    duplicate.refresh_from_db()
    person_merge(actor=None, keep=keep, duplicate=duplicate)
    assert not Person.objects.filter(pk=duplicate.pk).exists()
    assert_consistent()
    # Every former referral of the duplicate now hangs below the kept person.
    keep.refresh_from_db()
    assert set(Person.objects.filter(referred_by=keep).values_list("pk", flat=True)) == {
        k.pk for k in kids
    }
    assert keep.downline_count == 4
    if shape in ("apart", "keep_below_duplicate"):
        assert keep.referred_by_id == top.pk  # inherited from the duplicate
    assert AuditLog.objects.filter(action="referral.merge").count() == 1


def test_editing_a_person_read_earlier_keeps_their_counts() -> None:
    from essaim.people.services import person_update

    relay = person()
    stale = Person.objects.get(pk=relay.pk)
    assert attach(person(), relay)  # someone joins while staff edit the relay's card
    person_update(actor=None, person=stale, data={"city": "Lyon"})
    relay.refresh_from_db()
    assert relay.city == "Lyon" and relay.downline_count == 1
    assert_consistent()
