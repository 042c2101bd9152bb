"""populate builds a federation of circles with consistent member counts."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import models
from django.db.models import Count

from essaim.circles.models import Circle, Membership, MembershipRole

pytestmark = pytest.mark.django_db


def test_populate_builds_a_circle_tree_with_right_counts():
    call_command("populate", "--persons", "400", "--circles", "40", "--seed", "5", verbosity=0)
    assert Circle.objects.count() == 40
    national = Circle.objects.get(parent__isnull=True)
    assert national.kind == "national"
    regions = Circle.objects.filter(parent=national, kind="regional")
    assert regions.exists()
    branches = Circle.objects.filter(kind="branch")
    assert branches.exists()
    assert not branches.filter(parent=None).exists()
    assert set(branches.values_list("parent__kind", flat=True)) == {"regional"}
    for circle in Circle.objects.annotate(n=Count("memberships")):
        assert circle.member_count == circle.n, circle
    assert Membership.objects.count() > 40
    assert Membership.objects.filter(role=MembershipRole.COORDINATOR).exists()
    populated = Circle.objects.filter(member_count__gt=0)
    for circle in populated:
        assert circle.memberships.filter(role=MembershipRole.COORDINATOR).exists()
    assert len(set(Circle.objects.values_list("slug", flat=True))) == 40


def test_populate_derives_circles_from_persons():
    call_command("populate", "--persons", "200", "--seed", "2", verbosity=0)
    assert Circle.objects.count() == 10
    call_command("populate", "--persons", "0", "--circles", "3", "--seed", "2", verbosity=0)
    # A second run adds circles under fresh addresses rather than failing on taken ones.
    assert Circle.objects.count() == 13


def test_second_run_only_enrols_its_own_people():
    call_command("populate", "--persons", "300", "--seed", "4", verbosity=0)
    before = Membership.objects.count()
    call_command("populate", "--persons", "20", "--circles", "1", "--seed", "4", verbosity=0)
    added = Membership.objects.count() - before
    assert 0 <= added <= 20
    newest = Circle.objects.order_by("-id").first()
    assert newest is not None and newest.member_count == added


def test_populate_fills_circles_with_discussions_and_feed_activities():
    from essaim.circles.models import Message, Thread
    from essaim.core.populate import (
        ACTIVITIES_PER_MEMBER,
        LONG_THREAD_MESSAGES,
        THREADS_PER_MEMBER,
    )
    from essaim.feed.models import Activity

    call_command("populate", "--persons", "400", "--circles", "20", "--seed", "3", verbosity=0)
    with_members = set(Circle.objects.filter(member_count__gt=0).values_list("pk", flat=True))
    threads = Thread.objects.annotate(n=Count("messages"))
    memberships = Membership.objects.count()
    assert threads.count() == max(len(with_members), int(memberships * THREADS_PER_MEMBER))
    assert set(threads.values_list("circle_id", flat=True)) == with_members
    for thread in threads:
        assert thread.reply_count == thread.n - 1
        assert thread.circle_id in with_members
    assert max(t.n for t in threads) == LONG_THREAD_MESSAGES
    assert Activity.objects.count() == memberships * ACTIVITIES_PER_MEMBER
    # Every activity's actor is a member of its circle, every thread one of its circle's.
    assert (
        not Activity.objects.exclude(thread=None)
        .exclude(thread__circle_id=models.F("circle_id"))
        .exists()
    )
    member_pairs = set(Membership.objects.values_list("circle_id", "person_id"))
    actors = set(Activity.objects.values_list("circle_id", "actor_id").distinct())
    assert actors <= member_pairs
    assert Message.objects.filter(body_html__contains="<p>").count() == Message.objects.count()


def test_populate_adds_actions_missions_and_practice_sheets():
    from django.db.models import Sum

    from essaim.actions.models import Action, ActionStatus, Mission, MissionSignup
    from essaim.core import populate
    from essaim.practices.models import PracticeSheet

    call_command("populate", "--persons", "400", "--circles", "40", "--seed", "6", verbosity=0)
    with_members = Circle.objects.filter(member_count__gt=0)
    assert Action.objects.count() == with_members.count()
    assert set(Action.objects.values_list("status", flat=True)) <= {
        ActionStatus.PREPARING,
        ActionStatus.EVALUATED,
    }
    for action in Action.objects.prefetch_related("transitions"):
        # The history walks the declared lifecycle up to the action's status.
        assert [t.to_status for t in action.transitions.all()][-1] == action.status
    for mission in Mission.objects.annotate(n=Count("signups")):
        assert mission.confirmed_count == mission.n <= mission.capacity
    # Volunteers signed up are members of the action's circle.
    assert not MissionSignup.objects.exclude(
        person__memberships__circle=models.F("mission__action__circle")
    ).exists()
    past = MissionSignup.objects.filter(mission__action__status=ActionStatus.EVALUATED)
    assert past.aggregate(m=Sum("minutes"))["m"] == 120 * past.count()
    for action in Action.objects.annotate(n=Count("registrations")):
        assert action.registered_count == action.n
    evaluated = Action.objects.filter(status=ActionStatus.EVALUATED)
    assert evaluated.exists()
    assert evaluated.filter(debrief__isnull=False).count() == evaluated.count()
    assert not Action.objects.filter(status=ActionStatus.PREPARING, debrief__isnull=False).exists()
    sheets = PracticeSheet.objects.prefetch_related("tags")
    per_sheet = populate.CIRCLES_PER_SHEET
    assert sheets.count() == -(-with_members.count() // per_sheet)  # one per 20, rounded up
    assert all(sheet.tags.exists() and sheet.search_text for sheet in sheets)


def test_only_runs_the_named_sections():
    from essaim.people.models import Person

    call_command(
        "populate", "--persons", "120", "--only", "people", "referrals", "--seed", "3", verbosity=0
    )
    assert Person.objects.count() == 120
    assert not Circle.objects.exists()
    assert Person.objects.filter(referred_by__isnull=False).exists()


def test_only_refuses_an_unknown_section():
    from essaim.core.populate import populate

    with pytest.raises(ValueError, match="Unknown sections: cirles"):
        populate(persons=1, only=["cirles"])
