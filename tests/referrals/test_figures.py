"""Figures of the tree: one person's generations and activity, the whole network's
figures (K by month, funnel, relays, channels, campaigns) and their cache."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from essaim.people.models import Person
from essaim.referrals.figures import (
    display_name,
    downline_activity,
    downline_generations,
    network_figures,
    network_figures_compute,
)
from essaim.referrals.links import visit_record
from essaim.referrals.models import Channel, LinkVisitDay, ReferralEventKind
from essaim.referrals.tally import network_tally_rebuild
from essaim.referrals.tree import referral_attribute, referral_event_record
from tests.people.factories import PersonFactory
from tests.referrals.factories import CampaignFactory, ReferralLinkFactory

pytestmark = pytest.mark.django_db


def attach(child: Person, parent: Person, **kwargs: object) -> None:
    assert referral_attribute(person=child, referrer=parent, at=kwargs.pop("at", timezone.now()))  # type: ignore[arg-type]


def test_generations_and_activity_of_one_person() -> None:
    me, a, b, c, d = (PersonFactory() for _ in range(5))
    attach(a, me)
    attach(b, me)
    attach(c, a)
    attach(d, c)
    stranger = PersonFactory()
    attach(PersonFactory(), stranger)
    now = timezone.now()
    referral_event_record(person=a, kind=ReferralEventKind.VOLUNTEERED, at=now)
    referral_event_record(person=c, kind=ReferralEventKind.GAVE, at=now, amount_cents=100)
    referral_event_record(person=c, kind=ReferralEventKind.GAVE, at=now, amount_cents=100)
    me.refresh_from_db()
    assert [(g.number, g.people) for g in downline_generations(me)] == [(1, 2), (2, 1), (3, 1)]
    activity = downline_activity(me)
    assert [(g.number, g.volunteered, g.gave) for g in activity] == [
        (1, 1, 0),
        (2, 0, 1),
        (3, 0, 0),
    ]
    a.refresh_from_db()
    assert [(g.number, g.people) for g in downline_generations(a)] == [(1, 1), (2, 1)]
    assert downline_generations(PersonFactory()) == []


def test_display_names() -> None:
    person = Person(given_name="Léa", family_name="dupont", email="lea@exemple.fr", pk=3)
    assert display_name(person, names="initials") == "Léa D."
    assert display_name(person, names="full") == "Léa dupont"
    assert display_name(person, names="anonymous") == ""
    assert display_name(Person(pk=9), names="initials") == "#9"


def test_k_factor_is_referred_this_month_over_arrivals_last_month() -> None:
    today = timezone.localdate()
    this_month = timezone.make_aware(
        timezone.datetime.combine(today.replace(day=1), timezone.datetime.min.time())
    ) + timedelta(hours=12)
    last_month = this_month - timedelta(days=20)
    base = [PersonFactory() for _ in range(4)]
    Person.objects.filter(pk__in=[p.pk for p in base]).update(created_at=last_month)
    # Written around the services: recount the running totals, as a bulk load does.
    network_tally_rebuild()
    for parent in base[:2]:
        attach(PersonFactory(), parent, at=this_month)
    figures = network_figures_compute()
    current, previous = figures.months[-1], figures.months[-2]
    assert previous.arrived == 4
    assert current.referred == 2
    assert current.k == pytest.approx(0.5)
    assert current.cumulative == figures.persons == 6
    assert figures.referred == 2 and figures.hard_core == 2 and figures.roots == 4
    assert figures.depths == [(1, 2)]


def test_funnel_relays_channels_and_campaigns() -> None:
    relay = PersonFactory(given_name="Grand", family_name="Relais")
    link = ReferralLinkFactory(owner=relay)
    LinkVisitDay.objects.create(link=link, day=timezone.localdate(), count=39)
    visit_record(link=link)
    campaign = CampaignFactory(title="Hiver solidaire", target=50)
    now = timezone.now()
    kids = [PersonFactory() for _ in range(5)]
    for kid in kids:
        attach(kid, relay)
        referral_event_record(
            person=kid, kind=ReferralEventKind.SIGNED_UP, at=now, link=link, campaign=campaign
        )
    attach(PersonFactory(), kids[0])
    referral_event_record(person=kids[0], kind=ReferralEventKind.GAVE, at=now, amount_cents=2000)
    referral_event_record(person=kids[0], kind=ReferralEventKind.VOLUNTEERED, at=now)
    referral_event_record(
        person=kids[1], kind=ReferralEventKind.SIGNED_UP, at=now, channel=Channel.EMAIL
    )
    network_tally_rebuild()  # the 39 visits written directly
    figures = network_figures_compute()
    assert (figures.visits, figures.signups, figures.active) == (40, 6, 1)
    assert figures.top_by_downline[0]["name"] == "Grand Relais"
    assert figures.top_by_downline[0]["downline"] == 6
    assert figures.top_by_direct[0]["direct"] == 5
    by_channel = {row["channel"]: row for row in figures.channels}
    assert by_channel["link"]["signups"] == 5 and by_channel["email"]["signups"] == 1
    assert by_channel["link"]["amount"] == 2000
    assert figures.campaigns[0]["title"] == "Hiver solidaire"
    assert figures.campaigns[0]["signups"] == 5


def test_whole_network_figures_are_always_current() -> None:
    attach(PersonFactory(), PersonFactory())
    first = network_figures()
    attach(PersonFactory(), PersonFactory())
    again = network_figures()
    assert (first.referred, again.referred) == (1, 2)
    assert again.computed_at >= first.computed_at


def test_big_downlines_keep_their_generations_until_the_tree_changes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from essaim.referrals import figures as module
    from essaim.referrals.tree import referral_correct

    monkeypatch.setattr(module, "GENERATIONS_CACHED_FROM", 2)
    relay, a, b, c = (PersonFactory() for _ in range(4))
    attach(a, relay)
    attach(b, relay)
    attach(c, a)
    relay.refresh_from_db()
    assert [(g.number, g.people) for g in downline_generations(relay)] == [(1, 2), (2, 1)]
    with CaptureQueriesContext(connection) as hit:
        assert [(g.number, g.people) for g in downline_generations(relay)] == [(1, 2), (2, 1)]
    assert len(hit) == 1  # the tree-shape version only
    # Same size, new shape: c moves up to the first generation.
    referral_correct(actor=None, person=c, referrer=relay, note="erreur")
    relay.refresh_from_db()
    assert relay.downline_count == 3
    assert [(g.number, g.people) for g in downline_generations(relay)] == [(1, 3)]
    # A new arrival below changes the size, hence the key.
    attach(PersonFactory(), b)
    relay.refresh_from_db()
    assert [(g.number, g.people) for g in downline_generations(relay)] == [(1, 3), (2, 1)]


def test_big_downlines_keep_their_activity_until_someone_gives(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from essaim.referrals import figures as module

    monkeypatch.setattr(module, "GENERATIONS_CACHED_FROM", 2)
    relay, a, b = (PersonFactory() for _ in range(3))
    attach(a, relay)
    attach(b, a)
    relay.refresh_from_db()
    now = timezone.now()
    referral_event_record(person=a, kind=ReferralEventKind.VOLUNTEERED, at=now)

    def shown() -> list[tuple[int, int, int, int]]:
        return [(g.number, g.people, g.volunteered, g.gave) for g in downline_activity(relay)]

    assert shown() == [(1, 1, 1, 0), (2, 1, 0, 0)]
    with CaptureQueriesContext(connection) as hit:
        assert shown() == [(1, 1, 1, 0), (2, 1, 0, 0)]
    assert len(hit) == 2  # the tree-shape version and the running total of activity
    referral_event_record(person=b, kind=ReferralEventKind.GAVE, at=now, amount_cents=500)
    assert shown() == [(1, 1, 1, 0), (2, 1, 0, 1)]
