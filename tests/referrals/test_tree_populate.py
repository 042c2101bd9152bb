"""populate's referrals section: a forest with one deep chain, paths and counts equal to a
recomputation, activity for the figures; a second run adds people without breaking it."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from essaim.people.models import Person
from essaim.referrals.models import (
    Invitation,
    InvitationStatus,
    LinkVisitDay,
    ReferralEvent,
    ReferralEventKind,
    TreePosition,
)
from essaim.referrals.populate import DEEP_CHAIN, populate_referral_tree
from essaim.referrals.tree import referrals_rebuild
from tests.people.factories import PersonFactory
from tests.referrals.test_tree import assert_consistent

pytestmark = pytest.mark.django_db


def run() -> dict[str, int]:
    return populate_referral_tree(
        rng=random.Random(3), now=timezone.now(), batch_size=50, log=lambda _m: None
    )


def test_forest_with_a_deep_chain_and_activity() -> None:
    PersonFactory.create_batch(400)
    counts = run()
    assert_consistent()
    assert referrals_rebuild()["changed"] == 0
    people = Person.objects.all()
    roots = people.filter(referred_by__isnull=True).count()
    assert 0.2 * 400 < roots < 0.6 * 400  # most people are in trees, many are roots
    assert counts["max_depth"] >= DEEP_CHAIN >= 30
    assert TreePosition.objects.filter(depth__gte=30).exists()
    # Parents arrived before the people they brought.
    child = people.filter(referred_by__isnull=False).select_related("referred_by").first()
    assert child is not None and child.referred_by is not None
    assert child.referred_by.created_at <= child.created_at == child.referred_at
    signed_up = ReferralEvent.objects.filter(kind=ReferralEventKind.SIGNED_UP).count()
    assert signed_up == counts["referred"] == people.filter(referred_by__isnull=False).count()
    assert ReferralEvent.objects.exclude(referrer_id__in=people.values("pk")).count() == 0
    assert Invitation.objects.filter(status=InvitationStatus.ACCEPTED).count() > 0
    assert LinkVisitDay.objects.exists()


def test_a_second_run_hangs_new_people_below_existing_ones() -> None:
    PersonFactory.create_batch(200)
    run()
    PersonFactory.create_batch(200)
    counts = run()
    assert counts["referred"] > 0
    assert_consistent()
    assert run() == {"referred": 0}
