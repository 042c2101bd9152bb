"""Recruitment campaigns: staff pages with audit, bad input, progress, the public page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from essaim.core.models import AuditLog
from essaim.referrals.models import Campaign, GoalKind, ReferralEventKind
from essaim.referrals.selectors import campaigns_progress
from tests.conftest import make_user_for_role
from tests.people.factories import PersonFactory
from tests.referrals.factories import CampaignFactory, ReferralEventFactory

pytestmark = pytest.mark.django_db


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def form_data(**overrides: str) -> dict[str, str]:
    return {
        "title": "200 bénévoles avant juin",
        "description": "Pour l'été solidaire.",
        "goal_kind": "volunteers",
        "target": "200",
        "starts_on": "2026-03-01",
        "ends_on": "2026-06-30",
        "is_public": "on",
        **overrides,
    }


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(make_user_for_role("communication"))
    return client


def test_create_and_edit_a_campaign_with_audit(staff_client: Client) -> None:
    response = staff_client.post(reverse("referrals:campaign_create"), form_data())
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.slug == "200-benevoles-avant-juin"
    assert campaign.goal_kind == GoalKind.VOLUNTEERS and campaign.target == 200
    assert AuditLog.objects.filter(action="campaign.create").count() == 1
    response = staff_client.post(
        reverse("referrals:campaign_edit", kwargs={"slug": campaign.slug}),
        form_data(target="250"),
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.target == 250 and campaign.slug == "200-benevoles-avant-juin"
    entry = AuditLog.objects.get(action="campaign.update")
    assert entry.details == {"target": "250"}


def test_same_title_gets_another_address(staff_client: Client) -> None:
    staff_client.post(reverse("referrals:campaign_create"), form_data())
    staff_client.post(reverse("referrals:campaign_create"), form_data())
    assert sorted(Campaign.objects.values_list("slug", flat=True)) == [
        "200-benevoles-avant-juin",
        "200-benevoles-avant-juin-2",
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_on": "2026-02-01"}, "La fin doit suivre le début de la campagne."),
        ({"target": "0"}, "Visez au moins une personne."),
        ({"title": ""}, "Ce champ est obligatoire."),
        ({"starts_on": "pas une date"}, "Saisissez une date valide."),
        ({"goal_kind": "licornes"}, "Sélectionnez un choix valide."),
    ],
)
def test_bad_campaign_input_changes_nothing(staff_client: Client, overrides, message) -> None:
    response = staff_client.post(reverse("referrals:campaign_create"), form_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Campaign.objects.exists()
    assert not AuditLog.objects.filter(action="campaign.create").exists()


def test_progress_counts_arrivals_of_the_goal_within_the_dates() -> None:
    start, end = date(2026, 3, 1), date(2026, 6, 30)
    campaign = CampaignFactory(
        goal_kind=GoalKind.VOLUNTEERS, target=4, starts_on=start, ends_on=end
    )
    volunteer = ReferralEventKind.VOLUNTEERED
    counted = [
        ReferralEventFactory(kind=volunteer, created_at=at(start, 0)),
        ReferralEventFactory(kind=volunteer, created_at=at(end, 23), campaign=campaign),
    ]
    # The same person volunteering twice counts once.
    ReferralEventFactory(person=counted[0].person, kind=volunteer, created_at=at(start, 9))
    ReferralEventFactory(kind=volunteer, created_at=at(start - timedelta(days=1), 23))
    ReferralEventFactory(kind=volunteer, created_at=at(end + timedelta(days=1), 0))
    ReferralEventFactory(kind=ReferralEventKind.SIGNED_UP, created_at=at(start, 12))
    (progress,) = campaigns_progress([campaign])
    assert (progress.count, progress.via_links, progress.percent) == (2, 1, 50)


def test_progress_of_many_campaigns_in_one_query(django_assert_num_queries) -> None:
    campaigns = [CampaignFactory(goal_kind=kind) for kind in GoalKind.values]
    person = PersonFactory()
    ReferralEventFactory(person=person, kind=ReferralEventKind.SIGNED_UP)
    ReferralEventFactory(person=person, kind=ReferralEventKind.SUBSCRIBED)
    # One query for the goals counted from referral events, one for the donors' goals
    # (counted from the gifts themselves): constant whatever the number of campaigns.
    with django_assert_num_queries(2):
        progress = campaigns_progress(campaigns)
    counts = {p.campaign.goal_kind: p.count for p in progress}
    assert counts == {
        "members": 1,
        "volunteers": 0,
        "donors": 0,
        "monthly_donors": 0,
        "subscribers": 1,
    }


def test_progress_bar_never_exceeds_its_maximum() -> None:
    campaign = CampaignFactory(target=1)
    for _n in range(3):
        ReferralEventFactory(kind=ReferralEventKind.SIGNED_UP)
    (progress,) = campaigns_progress([campaign])
    assert (progress.count, progress.value, progress.percent) == (3, 1, 100)


def test_public_campaign_page_shows_the_progress(client: Client) -> None:
    campaign = CampaignFactory(title="500 nouveaux membres", target=500)
    ReferralEventFactory(kind=ReferralEventKind.SIGNED_UP, campaign=campaign)
    response = client.get(reverse("capillarity:campaign", kwargs={"slug": campaign.slug}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "500 nouveaux membres" in html
    assert '<progress max="500" value="1"' in html
    assert "1 sur 500 nouveaux membres (0 %)" in html
    assert "dont 1 par les liens de la campagne" in html


def test_hidden_campaign_is_404_for_visitors(client: Client) -> None:
    campaign = CampaignFactory(is_public=False)
    url = reverse("capillarity:campaign", kwargs={"slug": campaign.slug})
    assert client.get(url).status_code == 404
    assert client.get("/campagne/inconnue/").status_code == 404


def test_links_page_shows_running_campaigns(client: Client, referrer) -> None:
    CampaignFactory(title="Campagne en cours")
    CampaignFactory(
        title="Campagne finie",
        starts_on=timezone.localdate() - timedelta(days=30),
        ends_on=timezone.localdate() - timedelta(days=1),
    )
    client.force_login(referrer.user)
    html = client.get(reverse("referrals:links")).content.decode()
    assert "Campagne en cours" in html and "<progress" in html
    assert "Campagne finie" not in html


def test_links_carry_the_chosen_campaign(client: Client, referrer) -> None:
    campaign = CampaignFactory()
    client.force_login(referrer.user)
    response = client.get(reverse("referrals:links"), {"campagne": campaign.slug})
    assert response.status_code == 200
    assert referrer.referral_links.filter(campaign=campaign).count() == 4
    ended = CampaignFactory(
        starts_on=timezone.localdate() - timedelta(days=30),
        ends_on=timezone.localdate() - timedelta(days=1),
    )
    assert client.get(reverse("referrals:links"), {"campagne": ended.slug}).status_code == 404


def test_campaign_list_query_count_is_constant(
    staff_client: Client, django_assert_num_queries, django_assert_max_num_queries
) -> None:
    CampaignFactory()
    url = reverse("referrals:campaigns")
    staff_client.get(url)
    with django_assert_max_num_queries(20) as first:
        staff_client.get(url)
    queries = len(first)
    for _n in range(10):
        CampaignFactory()
    with django_assert_num_queries(queries):
        response = staff_client.get(url)
    assert response.content.decode().count("<progress") == 11


def test_campaign_page_offers_its_giving_page(client: Client) -> None:
    from essaim.giving.models import GivingPage
    from essaim.referrals.models import GoalKind
    from tests.giving.factories import GivingPageFactory

    members = CampaignFactory(goal_kind=GoalKind.MEMBERS)
    donors = CampaignFactory(goal_kind=GoalKind.DONORS)
    GivingPage.objects.update(is_default=False)
    GivingPageFactory(slug="page-principale", is_default=True)

    def html(campaign) -> str:
        url = reverse("capillarity:campaign", kwargs={"slug": campaign.slug})
        return client.get(url).content.decode()

    # A recruitment of members calls to join; one of donors calls to give (default page).
    assert "Je donne" not in html(members)
    assert 'href="/don/page-principale/"' in html(donors)
    # A campaign with its own giving page offers that one.
    GivingPageFactory(slug="hiver", campaign=members)
    assert 'href="/don/hiver/"' in html(members)
    assert "Je rejoins le réseau" in html(members)
