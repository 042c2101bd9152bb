"""Fixtures of the referrals tests: a referrer with an account and their join link."""

from __future__ import annotations

import pytest

from essaim.people.models import Person
from essaim.referrals.models import LinkGoal, ReferralLink
from tests.referrals.factories import ReferralLinkFactory, member_with_account


@pytest.fixture
def referrer(db: None) -> Person:
    return member_with_account(given_name="Camille", family_name="Martin")


@pytest.fixture
def join_link(referrer: Person) -> ReferralLink:
    return ReferralLinkFactory(owner=referrer, goal=LinkGoal.JOIN)


# The action world of tests/actions (circles, actions in every visibility), for volunteer links.
from tests.actions.conftest import action_world  # noqa: E402, F401
