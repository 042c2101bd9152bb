"""Demo and scale data of the referral tree (the "referrals" section of ``populate``).

Shape: a forest. About a third of the people are roots (the hard core and people who came
alone); every other person was brought by an earlier one, most often anyone at random (a
random recursive tree: shallow, depth about ln n) and sometimes one of a few big relays;
plus ONE deep chain of 40 generations. Arrival dates grow with ids over three years.
Paths and counts are computed in Python (``tree_compute``) and written with
``bulk_update`` in batches, never through the per-person services.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from essaim.people.models import Person

from .models import (
    Campaign,
    Channel,
    GoalKind,
    Invitation,
    InvitationStatus,
    LinkGoal,
    LinkVisitDay,
    ReferralEvent,
    ReferralEventKind,
    ReferralLink,
)
from .tally import network_tally_rebuild
from .tree import TREE_COLUMNS, tree_bulk_write, tree_compute

ROOT_SHARE = 0.35
RELAY_SHARE = 0.15  # of referred people, brought by one of the big relays
DEEP_CHAIN = 40
HISTORY_DAYS = 3 * 365
CHANNEL_WEIGHTS = (
    (Channel.LINK, 40),
    (Channel.EMAIL, 20),
    (Channel.MESSAGING, 18),
    (Channel.SOCIAL, 12),
    (Channel.QR, 6),
    (Channel.SMS, 4),
)
CAMPAIGNS = (
    ("Objectif 500 bénévoles pour l'hiver", GoalKind.VOLUNTEERS, 500),
    ("Mille nouveaux membres avant l'été", GoalKind.MEMBERS, 1000),
    ("Cent donateurs mensuels", GoalKind.MONTHLY_DONORS, 100),
)


def populate_referral_tree(
    *,
    rng: random.Random,
    now: datetime,
    batch_size: int = 5000,
    log: Callable[[str], None] = print,
) -> dict[str, int]:
    """Give the people not yet in the tree referrers, arrival dates, paths and counts."""
    started = time.monotonic()
    existing = dict(
        Person.objects.filter(tree_position__isnull=False)
        .values_list("pk", "referred_by_id")
        .iterator(chunk_size=20000)
    )
    new_ids = list(
        Person.objects.filter(tree_position__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator(chunk_size=20000)
    )
    if not new_ids:
        return {"referred": 0}
    parents: dict[int, int | None] = dict(existing)
    relays = [new_ids[i] for i in range(0, min(len(new_ids), 50_000), 997)][:50]
    chain_ids = new_ids[-DEEP_CHAIN:] if len(new_ids) > 4 * DEEP_CHAIN else []
    chain_set = set(chain_ids)
    earlier: list[int] = list(existing)
    for pid in new_ids:
        if pid in chain_set:
            continue
        if not earlier or rng.random() < ROOT_SHARE:
            parents[pid] = None
        elif rng.random() < RELAY_SHARE and relays[0] < pid:
            parents[pid] = rng.choice([r for r in relays[:8] if r < pid] or relays[:1])
        else:
            parents[pid] = earlier[rng.randrange(len(earlier))]
        earlier.append(pid)
    # The deep chain hangs from the first relay, one generation per person.
    above = relays[0] if relays else None
    for pid in chain_ids:
        parents[pid] = above
        above = pid
    log(f"  arbre tiré ({time.monotonic() - started:.0f} s)")
    state = tree_compute(parents)
    log(f"  chemins calculés ({time.monotonic() - started:.0f} s)")

    # Arrival dates grow with ids: a parent always arrived before the people they brought.
    first, last = new_ids[0], new_ids[-1]
    span = max(1, last - first)

    def arrival(pid: int) -> datetime:
        age = HISTORY_DAYS * (1 - (pid - first) / span)
        return now - timedelta(days=age, minutes=pid % 1440)

    def rows() -> Iterator[tuple[Any, ...]]:
        for pid in new_ids:
            at = arrival(pid)
            parent = parents[pid]
            yield (
                pid,
                parent,
                at if parent is not None else None,
                at,
                state.paths[pid],
                state.depths[pid],
                state.downline.get(pid, 0),
                state.direct.get(pid, 0),
            )

    # Existing people whose counts changed (new people hang below them).
    upline = (
        (pid, state.downline[pid], state.direct.get(pid, 0))
        for pid in existing
        if state.downline.get(pid, 0)
    )
    with transaction.atomic():
        written = tree_bulk_write(rows(), columns=TREE_COLUMNS)
        tree_bulk_write(upline, columns=("downline_count", "direct_referrals_count"))
    log(f"  {written:,} personnes placées".replace(",", " "))
    log(f"  arbre écrit ({time.monotonic() - started:.0f} s)")
    counts = _activity(
        rng=rng,
        now=now,
        parents=parents,
        new_ids=new_ids,
        arrival=arrival,
        direct=state.direct,
        batch_size=batch_size,
    )
    counts["referred"] = sum(1 for pid in new_ids if parents[pid] is not None)
    counts["max_depth"] = max(state.depths[pid] for pid in new_ids)
    log(f"  activité écrite ({time.monotonic() - started:.0f} s)")
    # People, events and visits were bulk-written: count the network figures' totals.
    network_tally_rebuild()
    log(f"  totaux des chiffres comptés ({time.monotonic() - started:.0f} s)")
    return counts


def _activity(
    *,
    rng: random.Random,
    now: datetime,
    parents: dict[int, int | None],
    new_ids: list[int],
    arrival: Callable[[int], datetime],
    direct: dict[int, int],
    batch_size: int,
) -> dict[str, int]:
    """Write what referred people did, the links they came by, visits and invitations."""
    today = now.date()
    campaigns: list[Campaign] = []
    for index, (title, kind, target) in enumerate(CAMPAIGNS):
        made, _ = Campaign.objects.get_or_create(
            slug=f"campagne-demo-{index + 1}",
            defaults={
                "title": title,
                "goal_kind": kind,
                "target": target,
                "starts_on": today - timedelta(days=120 * (index + 1)),
                "ends_on": today + timedelta(days=60 * (2 - index)),
            },
        )
        campaigns.append(made)
    # Join links of the people who brought someone in (their first link).
    referrers = [pid for pid in new_ids if direct.get(pid)]
    # New people have no link yet: codes derived from their id are free.
    link_of: dict[int, int] = {}
    channels = [c for c, _ in CHANNEL_WEIGHTS]
    weights = [w for _, w in CHANNEL_WEIGHTS]
    for i in range(0, len(referrers), batch_size):
        batch = [
            ReferralLink(code=f"d{pid:x}", owner_id=pid, goal=LinkGoal.JOIN)
            for pid in referrers[i : i + batch_size]
        ]
        for link in ReferralLink.objects.bulk_create(batch):
            link_of[link.owner_id] = link.pk
    links = len(link_of)
    events: list[ReferralEvent] = []
    invitations: list[Invitation] = []
    signups_by_link: dict[int, int] = {}
    written = {"events": 0, "invitations": 0}

    def flush() -> None:
        with transaction.atomic():
            ReferralEvent.objects.bulk_create(events)
            Invitation.objects.bulk_create(invitations)
        written["events"] += len(events)
        written["invitations"] += len(invitations)
        events.clear()
        invitations.clear()

    for pid in new_ids:
        parent = parents[pid]
        if parent is None:
            continue
        at = arrival(pid)
        channel = rng.choices(channels, weights=weights)[0]
        campaign = rng.choice(campaigns) if rng.random() < 0.2 else None
        link_id = link_of.get(parent) if channel != Channel.EMAIL else None
        common = {
            "person_id": pid,
            "referrer_id": parent,
            "link_id": link_id,
            "campaign": campaign,
            "channel": channel,
        }
        events.append(ReferralEvent(kind=ReferralEventKind.SIGNED_UP, created_at=at, **common))
        if link_id is not None:
            signups_by_link[link_id] = signups_by_link.get(link_id, 0) + 1
        draw = rng.random()
        if draw < 0.12:
            events.append(
                ReferralEvent(
                    kind=ReferralEventKind.VOLUNTEERED,
                    created_at=at + timedelta(days=rng.randrange(1, 60)),
                    **common,
                )
            )
        elif draw < 0.22:
            events.append(
                ReferralEvent(
                    kind=ReferralEventKind.GAVE,
                    created_at=at + timedelta(days=rng.randrange(1, 90)),
                    amount_cents=rng.choice((1000, 2000, 3000, 5000, 10000)),
                    **common,
                )
            )
        if channel == Channel.EMAIL:
            invitations.append(
                Invitation(
                    code=f"demo{pid:x}",
                    inviter_id=parent,
                    status=InvitationStatus.ACCEPTED,
                    sent_at=at - timedelta(days=2),
                    accepted_at=at,
                    accepted_person_id=pid,
                    campaign=campaign,
                )
            )
        if len(events) >= batch_size:
            flush()
    flush()
    # Visits: about four per sign-up, spread over a few days, counted per day.
    visits: list[LinkVisitDay] = []
    visit_rows = 0
    for link_id, signups in signups_by_link.items():
        total = signups * 4 + rng.randrange(0, 6)
        days = min(total, 5)
        for d in range(days):
            visits.append(
                LinkVisitDay(
                    link_id=link_id,
                    day=today - timedelta(days=rng.randrange(0, HISTORY_DAYS) + d),
                    channel=Channel.LINK,
                    count=total // days + (1 if d < total % days else 0),
                )
            )
        if len(visits) >= batch_size:
            LinkVisitDay.objects.bulk_create(visits, ignore_conflicts=True)
            visit_rows += len(visits)
            visits = []
    LinkVisitDay.objects.bulk_create(visits, ignore_conflicts=True)
    visit_rows += len(visits)
    return {
        "referral_links": links,
        "referral_events": written["events"],
        "invitations": written["invitations"],
        "link_visit_days": visit_rows,
    }
