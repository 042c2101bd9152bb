"""Running totals behind the whole-network figures, kept by the services that change them.

Counting a million people (arrivals and referrals by month, people by generation) and
800,000 events on every visit of the network page took 1.7 s on PostgreSQL and 3.9 s on
SQLite. The figures now read a few hundred :class:`~essaim.referrals.models.NetworkTally`
rows instead; each write that changes a figure adds its difference in the same
transaction:

===========  ======================  ============================================
metric       key                     kept by
===========  ======================  ============================================
arrived      ``YYYY-MM`` (Paris)     person created / erased / deleted / merged
referred     ``YYYY-MM`` (Paris)     attribution, correction, merge, erasure
depth        generation, ``%03d``    every move of a subtree (tree services)
event        ``channel|campaign|kind``  :func:`referral_event_record` (count, amount)
visits       ``YYYY-MM`` (Paris)     :func:`~essaim.referrals.links.visit_record`
===========  ======================  ============================================

Erased people are left out of arrivals, referrals and generations, as the figures always
did. Bulk loads (imports, ``populate``) add their rows with :func:`tally_add` or call
:func:`network_tally_rebuild`, which recomputes everything from the tables (also run by
``manage.py referrals_rebuild`` and nightly by the scheduler, as a safety net).

Every change is one ``INSERT … ON CONFLICT DO UPDATE`` (PostgreSQL and SQLite) adding to
the stored value, rows in key order so that two transactions never lock them crosswise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

ARRIVED = "arrived"
REFERRED = "referred"
DEPTH = "depth"
EVENT = "event"
VISITS = "visits"

Change = tuple[str, str, int, int]  # metric, key, count, amount in cents


def month_key(moment: datetime | None) -> str:
    """Return the Paris month of a moment as ``YYYY-MM`` (the figures' months)."""
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m")


def depth_key(depth: int) -> str:
    return f"{depth:03d}"


def event_key(channel: str, campaign_id: int | None, kind: str) -> str:
    return f"{channel}|{campaign_id or ''}|{kind}"


def parse_event_key(key: str) -> tuple[str, int | None, str]:
    channel, campaign, kind = key.split("|")
    return channel, int(campaign) if campaign else None, kind


def tally_add(changes: Iterable[Change]) -> None:
    """Add counts (and amounts) to the tallies, in one statement, rows in key order."""
    merged: dict[tuple[str, str], list[int]] = {}
    for metric, key, count, amount in changes:
        if not key:
            continue
        total = merged.setdefault((metric, key), [0, 0])
        total[0] += count
        total[1] += amount
    rows = [(m, k, c, a) for (m, k), (c, a) in sorted(merged.items()) if c or a]
    if not rows:
        return
    table = connection.ops.quote_name("referrals_networktally")
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    params: list[Any] = [value for row in rows for value in row]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (metric, key, count, amount_cents) VALUES {values} "  # noqa: S608
            "ON CONFLICT (metric, key) DO UPDATE SET "
            f"count = {table}.count + excluded.count, "
            f"amount_cents = {table}.amount_cents + excluded.amount_cents",
            params,
        )


def person_presence(person: Any, sign: int) -> list[Change]:
    """Return what one person counts for (sign=1) or no longer counts for (sign=-1).

    Arrival by creation month; if referred, a referral in the month of referred_at and one
    person in their generation. Erased people count for nothing.
    """
    if person.erased_at is not None:
        return []
    changes: list[Change] = [(ARRIVED, month_key(person.created_at), sign, 0)]
    if person.referred_by_id is not None:
        from .models import TreePosition

        changes.append((REFERRED, month_key(person.referred_at), sign, 0))
        depth = (
            TreePosition.objects.filter(person_id=person.pk).values_list("depth", flat=True).first()
        )
        if depth:
            changes.append((DEPTH, depth_key(depth), sign, 0))
    return changes


def subtree_moved(histogram: dict[int, int], delta: int) -> list[Change]:
    """Return the generation changes of people at histogram's depths moving by delta."""
    changes: list[Change] = []
    if not delta:
        return changes
    for depth, people in histogram.items():
        if depth >= 1:
            changes.append((DEPTH, depth_key(depth), -people, 0))
        if depth + delta >= 1:
            changes.append((DEPTH, depth_key(depth + delta), people, 0))
    return changes


# --- Reading ------------------------------------------------------------------------------


def tally_read() -> dict[str, dict[str, tuple[int, int]]]:
    """Return every tally as metric -> key -> (count, amount in cents)."""
    from .models import NetworkTally

    found: dict[str, dict[str, tuple[int, int]]] = {}
    for metric, key, count, amount in NetworkTally.objects.values_list(
        "metric", "key", "count", "amount_cents"
    ):
        found.setdefault(metric, {})[key] = (count, amount)
    return found


def active_events_total() -> int:
    """Return how many volunteerings and gifts the network has recorded (a change stamp)."""
    from django.db.models import Q

    from .models import NetworkTally, ReferralEventKind

    active = Q()
    for kind in (ReferralEventKind.VOLUNTEERED, ReferralEventKind.GAVE):
        active |= Q(key__endswith=f"|{kind}")
    total = NetworkTally.objects.filter(active, metric=EVENT).aggregate(n=Sum("count"))["n"]
    return int(total or 0)


# --- From-scratch recomputation ------------------------------------------------------------


def network_tally_scan(models: Any = None) -> dict[tuple[str, str], tuple[int, int]]:
    """Count every tally from the tables (seconds at a million people).

    ``models`` (a migration's app registry) gives the historical models; default: today's.
    """
    if models is None:
        from django.apps import apps as models
    Person = models.get_model("people", "Person")
    ReferralEvent = models.get_model("referrals", "ReferralEvent")
    LinkVisitDay = models.get_model("referrals", "LinkVisitDay")
    totals: Counter[tuple[str, str]] = Counter()
    amounts: Counter[tuple[str, str]] = Counter()
    people = Person.objects.filter(erased_at__isnull=True).values_list(
        "created_at", "referred_by_id", "referred_at", "tree_position__depth"
    )
    for created_at, referrer_id, referred_at, depth in people.iterator(chunk_size=20000):
        totals[(ARRIVED, month_key(created_at))] += 1
        if referrer_id is not None:
            totals[(REFERRED, month_key(referred_at))] += 1
            if depth:
                totals[(DEPTH, depth_key(depth))] += 1
    grouped = ReferralEvent.objects.values_list("channel", "campaign", "kind").annotate(
        n=Count("id"), amount=Sum("amount_cents")
    )
    for channel, campaign_id, kind, n, amount in grouped.order_by():
        key = (EVENT, event_key(channel, campaign_id, kind))
        totals[key] += n
        amounts[key] += amount or 0
    for day, count in LinkVisitDay.objects.values_list("day", "count").iterator(chunk_size=20000):
        totals[(VISITS, day.strftime("%Y-%m"))] += count
    return {
        key: (totals[key], amounts[key])
        for key in totals
        if key[1] and (totals[key] or amounts[key])
    }


def _compare() -> tuple[dict[tuple[str, str], tuple[int, int]], int]:
    """Return a fresh count of every tally and how many stored rows differ from it."""
    from .models import NetworkTally

    fresh = network_tally_scan()
    stored = {
        (metric, key): (count, amount)
        for metric, key, count, amount in NetworkTally.objects.values_list(
            "metric", "key", "count", "amount_cents"
        )
    }
    wrong = sum(1 for key in fresh.keys() | stored.keys() if fresh.get(key) != stored.get(key))
    return fresh, wrong


@transaction.atomic
def network_tally_rebuild(*, check_first: bool = False) -> int:
    """Replace every tally by a fresh count; return how many rows were wrong or missing.

    On PostgreSQL the count runs with the table locked: writes that add to the tallies wait
    for it and it waits for those in progress, so none is lost or counted twice. With
    ``check_first`` (the nightly check, where nothing is usually wrong) a first count runs
    without the lock, so sign-ups, gifts and visits go on meanwhile; only a difference,
    which may be just a write in flight, leads to the locked count. Bulk loads, which always
    differ, count once.
    """
    postgres = connection.vendor == "postgresql"
    if check_first or not postgres:
        fresh, wrong = _compare()
        if not wrong:
            return 0
        if not postgres:
            # SQLite: one writer at a time already; nothing else can be in flight.
            _store(fresh)
            return wrong
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE referrals_networktally IN EXCLUSIVE MODE")
    fresh, wrong = _compare()
    if wrong:
        _store(fresh)
    return wrong


def _store(fresh: dict[tuple[str, str], tuple[int, int]]) -> None:
    from .models import NetworkTally

    NetworkTally.objects.all().delete()
    NetworkTally.objects.bulk_create(
        NetworkTally(metric=m, key=k, count=c, amount_cents=a)
        for (m, k), (c, a) in sorted(fresh.items())
    )
