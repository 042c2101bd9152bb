"""Reads of the referral tree: one person's downline and the whole network's figures.

Downline queries use the materialized path: ``path >= p AND path < p || '~'`` is a range
of the path index (byte order: COLLATE "C" on PostgreSQL). Whole-network figures read the
running totals kept by the services (essaim.referrals.tally) and a few indexes: always
current, no cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, QuerySet
from django.utils import timezone

from essaim.core.models import Organisation
from essaim.people.models import Person

from .models import Campaign, Channel, ReferralEvent, ReferralEventKind, TreePosition
from .tally import (
    ARRIVED,
    DEPTH,
    EVENT,
    REFERRED,
    VISITS,
    active_events_total,
    parse_event_key,
    tally_read,
)
from .tree import path_ids, referral_path_ensure, subtree_q

TOP_RELAYS = 10
MONTHS_SHOWN = 24
CHILDREN_PAGE = 50
ACTIVE_KINDS = (ReferralEventKind.VOLUNTEERED, ReferralEventKind.GAVE)


# --- Names -------------------------------------------------------------------------


def display_name(person: Person, *, names: str) -> str:
    """Return a person's name as the organisation's referral_names setting allows."""
    if names == "full":
        return person.full_name or person.email.split("@")[0] or f"#{person.pk}"
    if names == "anonymous":
        return ""
    initial = f" {person.family_name[:1].upper()}." if person.family_name else ""
    return f"{person.given_name}{initial}".strip() or f"#{person.pk}"


def names_setting(organisation: Organisation) -> str:
    return organisation.referral_names or "initials"


# --- One person's downline ------------------------------------------------------------


@dataclass
class Generation:
    number: int  # 1: the people I brought; 2: those they brought...
    people: int = 0
    volunteered: int = 0
    gave: int = 0


# Downlines from this size on keep their generations in the cache (the biggest relay of
# a million-person network reads 67,689 positions: 31 ms on PostgreSQL, 90 ms on SQLite).
GENERATIONS_CACHED_FROM = 1000
# Bumped by the services that move people inside a tree (corrections, merges, rebuilds):
# a downline's size alone then no longer tells its shape.
TREE_SHAPE_KEY = "referral_tree_shape"
CACHED_SECONDS = 24 * 60 * 60


def _cached_for_big_downline(
    person: Person, name: str, compute: Any, *, stamp: str = ""
) -> list[tuple[int, ...]]:
    """Return compute()'s rows, cached under the downline's size, the tree-shape version
    and the caller's stamp."""
    from essaim.core.pagecache import versions

    shape = versions([TREE_SHAPE_KEY])[TREE_SHAPE_KEY]
    key = f"referrals:{name}:{person.pk}:{person.downline_count}:{shape}:{stamp}"
    rows: list[tuple[int, ...]] | None = cache.get(key)
    if rows is None:
        rows = compute()
        cache.set(key, rows, CACHED_SECONDS)
    return rows


def downline_generations(person: Person) -> list[Generation]:
    """Return how many people each generation below a person holds (path range by depth).

    Big downlines are cached under their size and the tree-shape version: any arrival
    below the person changes the size, any correction or merge the version.
    """
    if not person.downline_count:
        return []
    if person.downline_count < GENERATIONS_CACHED_FROM:
        return _downline_generations(person)
    rows = _cached_for_big_downline(
        person, "generations", lambda: [(g.number, g.people) for g in _downline_generations(person)]
    )
    return [Generation(number=number, people=people) for number, people in rows]


def _downline_generations(person: Person) -> list[Generation]:
    path = referral_path_ensure(person)
    rows = (
        TreePosition.objects.filter(subtree_q(path))
        .exclude(person_id=person.pk)
        .values("depth")
        .annotate(n=Count("person"))
        .order_by("depth")
    )
    return [
        Generation(number=row["depth"] - person.referral_depth, people=row["n"]) for row in rows
    ]


def downline_activity(person: Person) -> list[Generation]:
    """Return each generation below a person with how many volunteered and gave.

    Big downlines are cached as their generations are, and under the network's running
    total of volunteerings and gifts: any new one anywhere makes a new key (read from the
    tallies the event service keeps anyway, so recording an event writes no extra row).
    """
    if person.downline_count < GENERATIONS_CACHED_FROM:
        return _downline_activity(person)
    rows = _cached_for_big_downline(
        person,
        "activity",
        lambda: [(g.number, g.people, g.volunteered, g.gave) for g in _downline_activity(person)],
        stamp=str(active_events_total()),
    )
    return [Generation(*row) for row in rows]


def _downline_activity(person: Person) -> list[Generation]:
    generations = {g.number: g for g in downline_generations(person)}
    if not generations:
        return []
    rows = (
        ReferralEvent.objects.filter(
            subtree_q(person.referral_path, prefix="person__tree_position__")
        )
        .exclude(person=person)
        .filter(kind__in=ACTIVE_KINDS)
        .values("person__tree_position__depth", "kind")
        .annotate(n=Count("person", distinct=True))
    )
    for row in rows:
        depth = row["person__tree_position__depth"]
        generation = generations.get(depth - person.referral_depth)
        if generation is None:
            continue
        if row["kind"] == ReferralEventKind.VOLUNTEERED:
            generation.volunteered = row["n"]
        else:
            generation.gave = row["n"]
    return sorted(generations.values(), key=lambda g: g.number)


def with_activity(people: Iterable[Person]) -> list[Person]:
    """Set did_volunteer and did_give on a page of people (one query by their ids).

    Not an EXISTS per row: PostgreSQL hashes the whole events table for it (90 ms at
    800,000 events) even for 50 rows; this reads the page's events through their index.
    """
    page = list(people)
    done = set(
        ReferralEvent.objects.filter(person__in=[p.pk for p in page], kind__in=ACTIVE_KINDS)
        .values_list("person_id", "kind")
        .distinct()
    )
    for person in page:
        person.did_volunteer = (person.pk, ReferralEventKind.VOLUNTEERED) in done  # type: ignore[attr-defined]
        person.did_give = (person.pk, ReferralEventKind.GAVE) in done  # type: ignore[attr-defined]
    return page


def direct_referrals(person: Person) -> QuerySet[Person]:
    """Return the people a person brought in directly, earliest first."""
    return (
        Person.objects.filter(referred_by=person).only(
            "id",
            "given_name",
            "family_name",
            "email",
            "referred_at",
            "downline_count",
            "direct_referrals_count",
        )
    ).order_by("referred_at", "id")


NODE_FIELDS = (
    "id",
    "given_name",
    "family_name",
    "email",
    "downline_count",
    "direct_referrals_count",
)


def tree_children(parent: Person) -> QuerySet[Person]:
    """Return the people a person brought in, biggest network first."""
    return (
        Person.objects.filter(referred_by=parent)
        .only(*NODE_FIELDS)
        .order_by("-downline_count", "id")
    )


def tree_roots() -> QuerySet[Person]:
    """Return the hard core: people nobody brought who brought someone, biggest first."""
    return (
        Person.objects.filter(referred_by__isnull=True, downline_count__gt=0)
        .only(*NODE_FIELDS)
        .order_by("-downline_count", "id")
    )


def upline(person: Person) -> list[Person]:
    """Return the people above a person, from the root down (one query by path ids)."""
    ids = path_ids(person.referral_path)[:-1] if person.referral_path else []
    found = {p.pk: p for p in Person.objects.filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


# --- The whole network -----------------------------------------------------------------


@dataclass
class MonthRow:
    month: date
    arrived: int = 0
    referred: int = 0
    cumulative: int = 0
    # K of the month: referred this month / arrived the month before (None without base).
    k: float | None = None


@dataclass
class NetworkFigures:
    computed_at: datetime
    persons: int = 0
    referred: int = 0
    roots: int = 0
    hard_core: int = 0
    max_depth: int = 0
    depths: list[tuple[int, int]] = field(default_factory=list)
    months: list[MonthRow] = field(default_factory=list)
    visits: int = 0
    signups: int = 0
    active: int = 0
    accepted_invitations: int = 0
    top_by_downline: list[dict[str, Any]] = field(default_factory=list)
    top_by_direct: list[dict[str, Any]] = field(default_factory=list)
    channels: list[dict[str, Any]] = field(default_factory=list)
    campaigns: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last_k(self) -> float | None:
        for row in reversed(self.months[:-1] or self.months):
            if row.k is not None:
                return row.k
        return None


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _months_back(today: date, count: int) -> list[date]:
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(months))


def _relay(row: dict[str, Any], names: str) -> dict[str, Any]:
    person = Person(
        pk=row["id"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        email=row["email"],
    )
    return {
        "id": row["id"],
        "name": display_name(person, names="full" if names == "anonymous" else names),
        "downline": row["downline_count"],
        "direct": row["direct_referrals_count"],
    }


def _result_row(**key: Any) -> dict[str, Any]:
    return {**key, "signups": 0, "volunteered": 0, "gave": 0, "amount": 0}


def _hard_core_count() -> int:
    """Count the hard core from the partial index that holds exactly them (people 0006).

    Plain SQL with the index's own literal condition, and on SQLite the index named: its
    planner prefers the children index and reads every root's row (250 ms against 8 ms at
    1M people); PostgreSQL picks the partial index by itself.
    """
    person = connection.ops.quote_name(Person._meta.db_table)
    hint = " INDEXED BY people_hard_core_idx" if connection.vendor == "sqlite" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {person}{hint} WHERE referred_by_id IS NULL "  # noqa: S608
            "AND downline_count > 0 AND erased_at IS NULL"
        )
        return int(cursor.fetchone()[0])


def network_figures_compute(*, names: str = "full") -> NetworkFigures:
    """Compute the whole network's figures from the running totals and a few index reads.

    Arrivals and referrals by month, people by generation, events by channel and campaign
    and visits come from the tallies the services keep (essaim.referrals.tally): a few
    hundred rows instead of scanning a million people and their events.
    """
    now = timezone.now()
    figures = NetworkFigures(computed_at=now)
    tallies = tally_read()
    arrived = {key: count for key, (count, _) in tallies.get(ARRIVED, {}).items()}
    referred = {key: count for key, (count, _) in tallies.get(REFERRED, {}).items()}
    months = _months_back(timezone.localdate(), MONTHS_SHOWN + 1)
    keys = [month.strftime("%Y-%m") for month in months]
    figures.persons = sum(arrived.values())
    figures.referred = sum(referred.values())
    figures.roots = figures.persons - figures.referred
    figures.hard_core = _hard_core_count()
    figures.depths = sorted(
        (int(key), count) for key, (count, _) in tallies.get(DEPTH, {}).items() if count
    )
    figures.max_depth = figures.depths[-1][0] if figures.depths else 0
    cumulative = sum(count for key, count in arrived.items() if key < keys[0])
    previous: MonthRow | None = None
    rows = []
    for month, key in zip(months, keys, strict=True):
        row = MonthRow(month=month, arrived=arrived.get(key, 0), referred=referred.get(key, 0))
        cumulative += row.arrived
        row.cumulative = cumulative
        if previous is not None and previous.arrived:
            row.k = row.referred / previous.arrived
        previous = row
        rows.append(row)
    # The first month only serves as the base of the second one's K.
    figures.months = rows[1:]

    # Funnel: link visits -> sign-ups -> active (volunteered or gave).
    figures.visits = sum(count for count, _ in tallies.get(VISITS, {}).values())
    # Sign-ups are summed from the channels below; active people counted once each
    # (from the (kind, person) index).
    figures.active = ReferralEvent.objects.filter(kind__in=ACTIVE_KINDS).aggregate(
        n=Count("person", distinct=True)
    )["n"]
    from .models import Invitation, InvitationStatus

    figures.accepted_invitations = Invitation.objects.filter(
        status=InvitationStatus.ACCEPTED
    ).count()

    fields = (
        "id",
        "given_name",
        "family_name",
        "email",
        "downline_count",
        "direct_referrals_count",
    )
    figures.top_by_downline = [
        _relay(row, names)
        for row in Person.objects.filter(erased_at__isnull=True, downline_count__gt=0)
        .order_by("-downline_count", "id")
        .values(*fields)[:TOP_RELAYS]
    ]
    figures.top_by_direct = [
        _relay(row, names)
        for row in Person.objects.filter(erased_at__isnull=True, direct_referrals_count__gt=0)
        .order_by("-direct_referrals_count", "id")
        .values(*fields)[:TOP_RELAYS]
    ]

    # Events by channel, campaign and kind, from their tallies, summed up in Python.
    labels = dict(Channel.choices)
    channels: dict[str, dict[str, Any]] = {}
    by_campaign: dict[int, dict[str, Any]] = {}
    counters: dict[str, str] = {
        ReferralEventKind.SIGNED_UP: "signups",
        ReferralEventKind.VOLUNTEERED: "volunteered",
        ReferralEventKind.GAVE: "gave",
    }
    for key, (n, amount) in tallies.get(EVENT, {}).items():
        channel, campaign_id, kind = parse_event_key(key)
        targets = [channels.setdefault(channel, _result_row(channel=channel))]
        if campaign_id is not None:
            targets.append(by_campaign.setdefault(campaign_id, _result_row(campaign=campaign_id)))
        for target in targets:
            if kind in counters:
                target[counters[kind]] += n
            target["amount"] += amount or 0
    figures.channels = sorted(
        (
            {**row, "label": str(labels.get(row["channel"], row["channel"]))}
            for row in channels.values()
        ),
        key=lambda row: -row["signups"],
    )
    figures.signups = sum(row["signups"] for row in channels.values())
    titles = {c.pk: c for c in Campaign.objects.filter(pk__in=list(by_campaign))}
    figures.campaigns = sorted(
        (
            {**row, "title": titles[pk].title, "target": titles[pk].target}
            for pk, row in by_campaign.items()
            if pk in titles
        ),
        key=lambda row: -row["signups"],
    )
    return figures


def network_figures(*, names: str = "full") -> NetworkFigures:
    """Return the whole network's figures, as of now (tens of milliseconds at 1M people)."""
    return network_figures_compute(names=names)


def funnel_steps(figures: NetworkFigures) -> list[tuple[str, int]]:
    from django.utils.translation import gettext as _

    return [
        (_("Visites des liens"), figures.visits),
        (_("Inscriptions"), figures.signups),
        (_("Actifs (bénévolat ou don)"), figures.active),
    ]
