"""populate builds a federation of circles with consistent member counts."""

from __future__ import annotations

import pytest
from django.core.management import call_command
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
