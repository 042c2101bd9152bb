"""Factories of the referrals app (links, visits, events, invitations, campaigns, share texts).

Shared by the links/invitations/campaigns tests and the tree tests: a person with an
account is ``member_with_account()``; a link needs an owner Person.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import factory
from django.utils import timezone

from essaim.people.models import Person
from essaim.referrals.links import new_link_code
from essaim.referrals.models import (
    Campaign,
    GoalKind,
    Invitation,
    InvitationStatus,
    LinkGoal,
    LinkVisitDay,
    ReferralEvent,
    ReferralEventKind,
    ReferralLink,
    ShareChannel,
    ShareText,
)
from tests.accounts.factories import UserFactory
from tests.people.factories import PersonFactory


def member_with_account(**person_fields: object) -> Person:
    """Create an account and its Person (a member unless told otherwise)."""
    user = UserFactory()
    fields: dict[str, object] = {"is_member": True, "is_sympathiser": False, **person_fields}
    return PersonFactory(user=user, email=user.email, **fields)


class CampaignFactory(factory.django.DjangoModelFactory[Campaign]):
    class Meta:
        model = Campaign

    title = factory.Sequence(lambda n: f"Campagne {n}")
    slug = factory.Sequence(lambda n: f"campagne-{n}")
    goal_kind = GoalKind.MEMBERS
    target = 100
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=20))
    is_public = True


class ReferralLinkFactory(factory.django.DjangoModelFactory[ReferralLink]):
    class Meta:
        model = ReferralLink

    code = factory.LazyFunction(new_link_code)
    owner = factory.SubFactory(PersonFactory)
    goal = LinkGoal.JOIN


class LinkVisitDayFactory(factory.django.DjangoModelFactory[LinkVisitDay]):
    class Meta:
        model = LinkVisitDay

    link = factory.SubFactory(ReferralLinkFactory)
    day = factory.LazyFunction(timezone.localdate)
    count = 1


class ReferralEventFactory(factory.django.DjangoModelFactory[ReferralEvent]):
    class Meta:
        model = ReferralEvent

    person = factory.SubFactory(PersonFactory)
    referrer = factory.SubFactory(PersonFactory)
    kind = ReferralEventKind.SIGNED_UP
    created_at = factory.LazyFunction(timezone.now)


class InvitationFactory(factory.django.DjangoModelFactory[Invitation]):
    class Meta:
        model = Invitation

    code = factory.LazyFunction(lambda: secrets.token_urlsafe(18))
    inviter = factory.SubFactory(PersonFactory)
    email = factory.Sequence(lambda n: f"invite{n}@exemple.fr")
    status = InvitationStatus.SENT


class ShareTextFactory(factory.django.DjangoModelFactory[ShareText]):
    class Meta:
        model = ShareText
        django_get_or_create = ("goal", "channel")

    goal = LinkGoal.JOIN
    channel = ShareChannel.EMAIL
    subject = "Rejoins-nous"
    text = "Bonjour, {prenom} t'invite : {lien}"
