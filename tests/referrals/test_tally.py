"""The whole-network figures' running totals follow every service that changes them.

Each test changes the data through the services only, then checks the stored totals
against a from-scratch count of the tables (`network_tally_scan`), and the figures read
from them against what the test built.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from essaim.people.models import Person
from essaim.people.services import person_create, person_erase, person_merge
from essaim.referrals.figures import network_figures_compute
from essaim.referrals.links import visit_record
from essaim.referrals.models import Channel, NetworkTally, ReferralEventKind
from essaim.referrals.tally import month_key, network_tally_rebuild, tally_read
from essaim.referrals.tree import referral_attribute, referral_correct, referral_event_record
from tests.concurrency import race
from tests.people.factories import PersonFactory
from tests.referrals.factories import CampaignFactory, ReferralLinkFactory
from tests.referrals.test_tree import assert_tallies_exact

pytestmark = pytest.mark.django_db


def attach(child: Person, parent: Person) -> None:
    assert referral_attribute(person=child, referrer=parent, at=timezone.now())


def fresh(person: Person) -> Person:
    return Person.objects.get(pk=person.pk)


def test_people_created_by_the_services_arrive_in_their_month() -> None:
    before = network_figures_compute().persons
    person = person_create(actor=None, data={"given_name": "Aïcha", "email": "a@exemple.fr"})
    this_month = tally_read()["arrived"][month_key(person.created_at)][0]
    figures = network_figures_compute()
    assert figures.persons == before + 1
    assert figures.months[-1].arrived == this_month
    assert_tallies_exact()


def test_moving_a_subtree_moves_its_generations_and_referrals() -> None:
    top, other = PersonFactory(), PersonFactory()
    relay = PersonFactory()
    kids = [PersonFactory() for _ in range(3)]
    for kid in kids:
        attach(kid, relay)
    attach(PersonFactory(), kids[0])
    # The relay (with 4 people below) arrives later under top: everyone goes one deeper.
    attach(relay, top)
    assert network_figures_compute().depths == [(1, 1), (2, 3), (3, 1)]
    referral_correct(actor=None, person=fresh(relay), referrer=None, note="erreur de saisie")
    assert network_figures_compute().depths == [(1, 3), (2, 1)]
    referral_correct(actor=None, person=fresh(kids[0]), referrer=other, note="c'était Léa")
    figures = network_figures_compute()
    assert figures.depths == [(1, 3), (2, 1)] and figures.referred == 4
    assert_tallies_exact()


def test_erasure_leaves_the_figures_and_merge_keeps_one_arrival() -> None:
    relay = PersonFactory()
    kid, twin = PersonFactory(), PersonFactory()
    attach(kid, relay)
    attach(twin, relay)
    assert network_figures_compute().referred == 2
    person_erase(actor=None, person=kid)
    figures = network_figures_compute()
    assert (figures.persons, figures.referred, figures.depths) == (2, 1, [(1, 1)])
    # The kept person takes the earlier arrival date: one arrival moves month.
    old = timezone.now() - timedelta(days=70)
    Person.objects.filter(pk=relay.pk).update(created_at=old)
    network_tally_rebuild()  # the date written around the services
    person_merge(actor=None, keep=fresh(twin), duplicate=fresh(relay))
    figures = network_figures_compute()
    assert figures.persons == 1 and figures.referred == 0
    assert tally_read()["arrived"].get(month_key(old)) == (1, 0)
    assert_tallies_exact()


def test_events_and_visits_are_counted_by_channel_and_campaign() -> None:
    relay, kid = PersonFactory(), PersonFactory()
    attach(kid, relay)
    link = ReferralLinkFactory(owner=relay)
    campaign = CampaignFactory()
    for _ in range(3):
        visit_record(link=link)
    visit_record(link=link, channel=Channel.EMAIL)
    now = timezone.now()
    referral_event_record(person=kid, kind=ReferralEventKind.SIGNED_UP, at=now, campaign=campaign)
    referral_event_record(
        person=kid, kind=ReferralEventKind.GAVE, at=now, campaign=campaign, amount_cents=2500
    )
    figures = network_figures_compute()
    assert figures.visits == 4
    assert figures.channels[0]["signups"] == 1 and figures.channels[0]["amount"] == 2500
    assert figures.campaigns[0]["gave"] == 1 and figures.campaigns[0]["amount"] == 2500
    assert_tallies_exact()


def test_import_counts_its_people(admin_user: object) -> None:
    from essaim.people.importing import import_job_confirm
    from tests.people.test_import import validated_job

    job = validated_job(admin_user)
    import_job_confirm(actor=admin_user, job=job, skip_invalid=False)
    assert network_figures_compute().persons == Person.objects.count() >= 2
    assert_tallies_exact()


def test_rebuild_repairs_totals_and_reports_them() -> None:
    attach(PersonFactory(), PersonFactory())
    assert network_tally_rebuild() == 0
    NetworkTally.objects.filter(metric="arrived").update(count=999)
    NetworkTally.objects.create(metric="depth", key="007", count=3)
    assert network_tally_rebuild() == 2
    assert network_figures_compute().persons == 2
    assert_tallies_exact()
    call_command("referrals_rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert_tallies_exact()


def test_nightly_check_is_scheduled_and_fixes_a_drift() -> None:
    from essaim.feed.scheduling import JOBS
    from essaim.referrals.tasks import network_tally_check

    PersonFactory()
    NetworkTally.objects.all().delete()
    JOBS["network_tally_check"].run()  # the test settings run tasks at once
    assert_tallies_exact()
    assert network_figures_compute().persons == 1
    assert network_tally_check.call() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_concurrent_visits_and_sign_ups_lose_no_count() -> None:
    link = ReferralLinkFactory()
    relay = link.owner
    newcomers = [PersonFactory() for _ in range(4)]

    def sign_up(person: Person) -> bool:
        return referral_attribute(person=fresh(person), referrer=fresh(relay), at=timezone.now())

    results = race(
        *(lambda: visit_record(link=link) for _ in range(4)),
        *(lambda p=p: sign_up(p) for p in newcomers),  # type: ignore[misc]
    )
    assert results[4:] == [True] * 4, results
    figures = network_figures_compute()
    assert figures.visits == 4 and figures.referred == 4 and figures.depths == [(1, 4)]
    assert_tallies_exact()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.parametrize("check_first", [False, False, True, True])
def test_a_recount_racing_visits_and_sign_ups_loses_none(check_first: bool) -> None:
    link = ReferralLinkFactory()
    relay = link.owner
    newcomers = [PersonFactory() for _ in range(3)]
    results = race(
        lambda: network_tally_rebuild(check_first=check_first),
        *(lambda: visit_record(link=link) for _ in range(3)),
        *(
            lambda p=p: referral_attribute(  # type: ignore[misc]
                person=fresh(p), referrer=fresh(relay), at=timezone.now()
            )
            for p in newcomers
        ),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    figures = network_figures_compute()
    assert (figures.visits, figures.referred) == (3, 3)
    assert_tallies_exact()
