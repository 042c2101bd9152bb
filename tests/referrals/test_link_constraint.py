"""One link per person and goal is guaranteed by the database, on SQLite as on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from essaim.referrals.models import LinkGoal, ReferralLink
from tests.referrals.factories import CampaignFactory, ReferralLinkFactory

pytestmark = pytest.mark.django_db


def test_a_second_link_for_the_same_goal_is_refused_even_without_action_or_campaign():
    link = ReferralLinkFactory(goal=LinkGoal.JOIN)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferralLink.objects.create(code="autrecode1234", owner=link.owner, goal=LinkGoal.JOIN)
    # Another goal, or the same goal for a campaign, is another link.
    ReferralLink.objects.create(code="autrecode5678", owner=link.owner, goal=LinkGoal.NEWS)
    ReferralLink.objects.create(
        code="autrecode9012", owner=link.owner, goal=LinkGoal.JOIN, campaign=CampaignFactory()
    )
    assert ReferralLink.objects.filter(owner=link.owner).count() == 3
