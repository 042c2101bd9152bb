"""Attribution where people arrive: account sign-up, mission sign-up, public registration.

The visitor follows a personal link (which sets the attribution cookie), then acts; the
referrer is credited once (first touch wins), within the window, never for themselves.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from essaim.actions.models import Mission
from essaim.people.models import Person
from essaim.referrals.links import link_get_or_create
from essaim.referrals.models import (
    Channel,
    Invitation,
    InvitationStatus,
    LinkGoal,
    ReferralEvent,
    ReferralEventKind,
    ReferralLink,
)
from tests.accounts.helpers import signup_data
from tests.actions.conftest import ActionWorld
from tests.referrals.factories import InvitationFactory, ReferralLinkFactory, member_with_account

pytestmark = pytest.mark.django_db


def follow(client: Client, link: ReferralLink, channel: str = "") -> None:
    url = reverse("capillarity:link", kwargs={"code": link.code})
    response = client.get(url + (f"?c={channel}" if channel else ""))
    assert response.status_code == 302


def new_person() -> Person:
    return Person.objects.get(user__email="camille.durand@exemple.org")


def kinds_of(person: Person) -> set[str]:
    return set(ReferralEvent.objects.filter(person=person).values_list("kind", flat=True))


# --- Account sign-up ---------------------------------------------------------------------


def test_sign_up_through_a_link_is_attributed(client: Client, join_link: ReferralLink) -> None:
    follow(client, join_link, "qr")
    response = client.post(reverse("account_signup"), signup_data())
    assert response.status_code == 302
    person = new_person()
    assert person.referred_by_id == join_link.owner_id
    assert person.referred_at is not None
    event = ReferralEvent.objects.get(person=person, kind=ReferralEventKind.SIGNED_UP)
    assert (event.referrer_id, event.link_id, event.channel) == (
        join_link.owner_id,
        join_link.pk,
        Channel.QR,
    )
    # The newsletter box was ticked: the subscription is credited too.
    assert kinds_of(person) == {ReferralEventKind.SIGNED_UP, ReferralEventKind.SUBSCRIBED}
    join_link.owner.refresh_from_db()
    assert join_link.owner.direct_referrals_count == 1


def test_sign_up_without_newsletter_records_only_the_arrival(client, join_link) -> None:
    follow(client, join_link)
    client.post(reverse("account_signup"), signup_data(newsletter_consent=""))
    assert kinds_of(new_person()) == {ReferralEventKind.SIGNED_UP}


def test_sign_up_without_a_link_is_not_attributed(client: Client, join_link) -> None:
    client.post(reverse("account_signup"), signup_data())
    person = new_person()
    assert person.referred_by_id is None
    assert not ReferralEvent.objects.exists()


def test_sign_up_after_the_window_is_not_attributed(client: Client, join_link) -> None:
    with freeze_time(timezone.now() - timedelta(days=31)):
        follow(client, join_link)
    client.post(reverse("account_signup"), signup_data())
    assert new_person().referred_by_id is None
    assert not ReferralEvent.objects.exists()


def test_campaign_of_the_link_is_recorded(client: Client, referrer: Person) -> None:
    from tests.referrals.factories import CampaignFactory

    campaign = CampaignFactory()
    link = link_get_or_create(owner=referrer, goal=LinkGoal.JOIN, campaign=campaign)
    follow(client, link)
    client.post(reverse("account_signup"), signup_data())
    event = ReferralEvent.objects.get(person=new_person(), kind=ReferralEventKind.SIGNED_UP)
    assert event.campaign_id == campaign.pk


def test_invitation_acceptance_at_sign_up(client: Client, referrer: Person) -> None:
    link = link_get_or_create(owner=referrer, goal=LinkGoal.JOIN)
    invitation = InvitationFactory(inviter=referrer, link=link, email="camille.durand@exemple.org")
    response = client.get(reverse("capillarity:invitation", kwargs={"code": invitation.code}))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_signup")
    client.post(reverse("account_signup"), signup_data())
    person = new_person()
    assert person.referred_by_id == referrer.pk
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.accepted_person_id == person.pk
    event = ReferralEvent.objects.get(person=person, kind=ReferralEventKind.SIGNED_UP)
    assert event.channel == Channel.EMAIL


def test_expired_invitation_attributes_nothing(client: Client, referrer: Person) -> None:
    invitation = InvitationFactory(inviter=referrer, status=InvitationStatus.EXPIRED, email="")
    response = client.get(reverse("capillarity:invitation", kwargs={"code": invitation.code}))
    assert response.status_code == 404
    assert "Cette invitation n'est plus valable" in response.content.decode()
    client.post(reverse("account_signup"), signup_data())
    assert new_person().referred_by_id is None


# --- Mission sign-up ---------------------------------------------------------------------


@pytest.fixture
def mission(action_world: ActionWorld) -> Mission:
    action = action_world.actions["members"]
    return Mission.objects.create(
        action=action,
        role="Accueil",
        starts_at=action.starts_at,
        ends_at=action.starts_at + timedelta(hours=2),
        capacity=5,
    )


def _sign_up_for(client: Client, mission: Mission) -> None:
    url = reverse(
        "actions:mission_signup",
        kwargs={"slug": mission.action.slug, "mission_id": mission.pk},
    )
    assert client.post(url).status_code in (200, 302)


def test_mission_sign_up_through_a_link_is_attributed(client, mission: Mission) -> None:
    referrer = member_with_account()
    link = link_get_or_create(owner=referrer, goal=LinkGoal.VOLUNTEER, mission=mission)
    volunteer = member_with_account()
    client.force_login(volunteer.user)
    follow(client, link, "messaging")
    _sign_up_for(client, mission)
    volunteer.refresh_from_db()
    assert volunteer.referred_by_id == referrer.pk
    event = ReferralEvent.objects.get(person=volunteer)
    assert (event.kind, event.link_id, event.channel) == (
        ReferralEventKind.VOLUNTEERED,
        link.pk,
        Channel.MESSAGING,
    )


def test_self_referral_is_refused(client: Client, mission: Mission) -> None:
    referrer = member_with_account()
    link = link_get_or_create(owner=referrer, goal=LinkGoal.VOLUNTEER, mission=mission)
    client.force_login(referrer.user)
    follow(client, link)
    _sign_up_for(client, mission)
    referrer.refresh_from_db()
    assert referrer.referred_by_id is None
    assert not ReferralEvent.objects.exists()


def test_first_referrer_keeps_the_person(client: Client, mission: Mission) -> None:
    first, second = member_with_account(), member_with_account()
    volunteer = member_with_account()
    from essaim.referrals.tree import referral_attribute

    assert referral_attribute(person=volunteer, referrer=first, at=timezone.now())
    link = link_get_or_create(owner=second, goal=LinkGoal.VOLUNTEER, mission=mission)
    client.force_login(volunteer.user)
    follow(client, link)
    _sign_up_for(client, mission)
    volunteer.refresh_from_db()
    assert volunteer.referred_by_id == first.pk
    # Not credited to the second person's link either.
    assert not ReferralEvent.objects.filter(link=link).exists()


# --- Public registration -----------------------------------------------------------------


def test_public_registration_through_a_link_is_attributed(client, action_world) -> None:
    action = action_world.actions["public"]
    referrer = member_with_account()
    link = link_get_or_create(owner=referrer, goal=LinkGoal.VOLUNTEER, action=action)
    follow(client, link, "sms")
    response = client.post(
        reverse("public_actions:detail", kwargs={"slug": action.slug}),
        {
            "given_name": "Léa",
            "family_name": "Martin",
            "email": "lea.martin@exemple.org",
            "phone": "",
            "website": "",
            "newsletter_consent": "on",
        },
    )
    assert response.status_code == 302
    person = Person.objects.get(email="lea.martin@exemple.org")
    assert person.referred_by_id == referrer.pk
    assert kinds_of(person) == {ReferralEventKind.VOLUNTEERED, ReferralEventKind.SUBSCRIBED}
    assert set(ReferralEvent.objects.values_list("channel", flat=True)) == {Channel.SMS}


def test_public_registration_without_cookie_is_not_attributed(client, action_world) -> None:
    action = action_world.actions["public"]
    ReferralLinkFactory(goal=LinkGoal.JOIN)
    client.post(
        reverse("public_actions:detail", kwargs={"slug": action.slug}),
        {
            "given_name": "Léa",
            "family_name": "Martin",
            "email": "lea.martin@exemple.org",
            "phone": "",
            "website": "",
        },
    )
    assert Person.objects.get(email="lea.martin@exemple.org").referred_by_id is None
    assert not ReferralEvent.objects.exists()
    assert not Invitation.objects.exists()


def test_invitation_is_accepted_even_without_following_its_link(client, referrer) -> None:
    invitation = InvitationFactory(inviter=referrer, email="Camille.Durand@exemple.org")
    other = InvitationFactory(email="quelquun@exemple.org")
    client.post(reverse("account_signup"), signup_data())
    person = new_person()
    invitation.refresh_from_db()
    other.refresh_from_db()
    assert (invitation.status, invitation.accepted_person_id) == (
        InvitationStatus.ACCEPTED,
        person.pk,
    )
    assert other.status == InvitationStatus.SENT
    # No link followed: nobody is credited.
    assert person.referred_by_id is None


# --- The news asked for later, in the profile ------------------------------------------------


def test_news_asked_later_in_the_profile_is_credited_once(
    client: Client, join_link: ReferralLink
) -> None:
    from tests.accounts.test_profile import profile_data

    follow(client, join_link, "sms")
    client.post(reverse("account_signup"), signup_data(newsletter_consent=""))
    person = new_person()
    assert kinds_of(person) == {ReferralEventKind.SIGNED_UP}
    client.force_login(person.user)
    url = reverse("accounts:profile")
    assert client.post(url, profile_data(person, newsletter_consent="on")).status_code == 302
    event = ReferralEvent.objects.get(person=person, kind=ReferralEventKind.SUBSCRIBED)
    # Credited to the referrer, through the link and channel the person arrived by.
    assert (event.referrer_id, event.link_id, event.channel) == (
        join_link.owner_id,
        join_link.pk,
        Channel.SMS,
    )
    # Unsubscribing then subscribing again is not a second step.
    client.post(url, profile_data(person))
    client.post(url, profile_data(person, newsletter_consent="on"))
    assert ReferralEvent.objects.filter(kind=ReferralEventKind.SUBSCRIBED).count() == 1


def test_news_asked_in_the_profile_without_a_referrer_credits_nobody(client: Client) -> None:
    from tests.accounts.test_profile import profile_data

    client.post(reverse("account_signup"), signup_data(newsletter_consent=""))
    person = new_person()
    client.force_login(person.user)
    client.post(reverse("accounts:profile"), profile_data(person, newsletter_consent="on"))
    person.refresh_from_db()
    assert person.newsletter_consent
    assert not ReferralEvent.objects.exists()
