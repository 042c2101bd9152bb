"""The who-brought-whom tree: attribution, staff correction, paths and cached counts.

`Person.referred_by` is the truth. Beside it each person keeps two cached counts (whole
downline, direct referrals) and, in the narrow :class:`~.models.TreePosition` table, a
materialized path (the ids of the ancestors and the person, each a fixed-width base-36
segment of :data:`SEGMENT_WIDTH` characters) and a depth. Only the services of this
module change them; ``referrals_rebuild`` recomputes everything from ``referred_by``
(repair tool, bulk loads). A Person instance carries its path and depth in the plain
attributes ``referral_path`` and ``referral_depth`` once :func:`referral_path_ensure` or
:func:`positions_load` has read them.

Limits: a segment of 7 base-36 digits holds ids below 36**7 (about 78 billion); the
1,000-character path holds :data:`MAX_DEPTH` + 1 segments (143 generations).

Concurrency: every change of the tree's shape takes one transaction-scoped lock
(PostgreSQL advisory lock; SQLite transactions already write one at a time) and then
locks the rows of the persons involved in id order. Moving a subtree touches every row of
it and the rows of all ancestors: without the shared lock two moves in the same tree could
deadlock. Tree changes are rare (a sign-up, a correction) and take milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.accounts.models import User
from essaim.core.services import audit_record
from essaim.people.models import Person

from .models import (
    Campaign,
    Channel,
    ReferralEvent,
    ReferralEventKind,
    ReferralLink,
    TreePosition,
)
from .tally import EVENT, REFERRED, event_key, month_key, subtree_moved, tally_add

SEGMENT_WIDTH = 7
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
MAX_ID = 36**SEGMENT_WIDTH - 1
PATH_LENGTH = 1000
# Depth of the deepest person a path can hold (a root has depth 0).
MAX_DEPTH = PATH_LENGTH // SEGMENT_WIDTH - 1
# Sorts after every digit of a segment: [path, path + PATH_END) is the subtree of path.
PATH_END = "~"
# Arbitrary constant naming the tree lock among PostgreSQL advisory locks.
TREE_LOCK_KEY = 0x45535341494D  # "ESSAIM"


def segment(person_id: int) -> str:
    """Return the fixed-width base-36 path segment of a person id."""
    if person_id < 0 or person_id > MAX_ID:
        raise ValueError(f"Person id {person_id} does not fit in a path segment")
    digits = []
    value = person_id
    while value:
        value, rest = divmod(value, 36)
        digits.append(DIGITS[rest])
    return "".join(reversed(digits)).rjust(SEGMENT_WIDTH, "0")


def path_ids(path: str) -> list[int]:
    """Return the person ids of a path, from the root down."""
    return [int(path[i : i + SEGMENT_WIDTH], 36) for i in range(0, len(path), SEGMENT_WIDTH)]


def subtree_q(path: str, *, prefix: str = "") -> Q:
    """Return the filter selecting a path and everything below it (an index range).

    ``prefix`` leads to the TreePosition: "" on TreePosition itself, "tree_position__"
    from Person, "person__tree_position__" from a ReferralEvent.
    """
    return Q(**{f"{prefix}path__gte": path, f"{prefix}path__lt": path + PATH_END})


def positions_load(people: Iterable[Person]) -> list[Person]:
    """Copy each person's tree position onto them (one query); "" and 0 without one."""
    page = list(people)
    found = {
        pid: (path, depth)
        for pid, path, depth in TreePosition.objects.filter(
            person_id__in=[p.pk for p in page]
        ).values_list("person_id", "path", "depth")
    }
    for person in page:
        person.referral_path, person.referral_depth = found.get(person.pk, ("", 0))
    return page


def _lock_tree() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK_KEY])


def _lock_people(ids: set[int]) -> dict[int, Person]:
    # Locked in id order, re-read: the instances callers hold may be stale.
    people = Person.objects.select_for_update().filter(pk__in=sorted(ids)).order_by("pk")
    return {p.pk: p for p in positions_load(people)}


def referral_path_ensure(person: Person) -> str:
    """Return a person's path, computing and saving their position (and their upline's)
    if they have none yet; set the person's referral_path and referral_depth."""
    if person.referral_path:
        return person.referral_path  # read already (positions_load, a service)
    known = TreePosition.objects.filter(person_id=person.pk).values_list("path", "depth").first()
    if known is not None:
        person.referral_path, person.referral_depth = known
        return person.referral_path
    # Walk up until someone with a position, or a root (a person created elsewhere has none).
    chain = [person.pk]
    parent_id = person.referred_by_id
    top: tuple[str, int] | None = None
    while parent_id is not None:
        if parent_id in chain:
            raise ValidationError(_("Le parrainage de cette personne forme une boucle."))
        top = TreePosition.objects.filter(person_id=parent_id).values_list("path", "depth").first()
        if top is not None:
            break
        chain.append(parent_id)
        parent_id = (
            Person.objects.filter(pk=parent_id).values_list("referred_by_id", flat=True).first()
        )
    rows: list[tuple[int, str, int]] = []
    below = list(reversed(chain))
    if top is None:
        root = below.pop(0)
        rows.append((root, segment(root), 0))
        path, depth = rows[0][1], 0
    else:
        path, depth = top
    for pid in below:
        path, depth = path + segment(pid), depth + 1
        rows.append((pid, path, depth))
    # ignore_conflicts: a page may compute the same position at the same time (same value).
    TreePosition.objects.bulk_create(
        [TreePosition(person_id=pid, path=p, depth=d) for pid, p, d in rows],
        ignore_conflicts=True,
    )
    person.referral_path, person.referral_depth = rows[-1][1], rows[-1][2]
    return person.referral_path


def _subtree_height(person: Person) -> int:
    """Return how many generations lie below a person (0 without referrals)."""
    if not person.downline_count:
        return 0
    deepest = TreePosition.objects.filter(subtree_q(person.referral_path)).aggregate(
        deepest=Max("depth")
    )["deepest"]
    return int(deepest or person.referral_depth) - person.referral_depth


def _refusal(person: Person, referrer: Person | None) -> str | None:
    """Return why the referrer cannot become the person's referrer, or None."""
    if referrer is None:
        return None
    if referrer.pk == person.pk:
        return _("Une personne ne peut pas s'être amenée elle-même.")
    if person.pk in path_ids(referrer.referral_path):
        return _(
            "%(referrer)s fait partie des personnes amenées par %(person)s : "
            "ce parrainage formerait une boucle."
        ) % {"referrer": referrer, "person": person}
    if referrer.referral_depth + 1 + _subtree_height(person) > MAX_DEPTH:
        return _("Le réseau serait trop profond (plus de %(max)d générations).") % {
            "max": MAX_DEPTH
        }
    return None


def _move(person: Person, new_parent: Person | None) -> None:
    """Re-hang the locked person and their subtree under new_parent, fixing every count."""
    old_path = person.referral_path
    old_ancestors = path_ids(old_path)[:-1]
    moved = 1 + person.downline_count
    if old_ancestors:
        Person.objects.filter(pk__in=old_ancestors).update(
            downline_count=F("downline_count") - moved
        )
        Person.objects.filter(pk=old_ancestors[-1]).update(
            direct_referrals_count=F("direct_referrals_count") - 1
        )
    if new_parent is None:
        new_path = segment(person.pk)
        new_depth = 0
    else:
        new_path = new_parent.referral_path + segment(person.pk)
        new_depth = new_parent.referral_depth + 1
        new_ancestors = path_ids(new_parent.referral_path)
        Person.objects.filter(pk__in=new_ancestors).update(
            downline_count=F("downline_count") + moved
        )
        Person.objects.filter(pk=new_parent.pk).update(
            direct_referrals_count=F("direct_referrals_count") + 1
        )
    if new_path != old_path:
        delta = new_depth - person.referral_depth
        if person.downline_count:
            rows = TreePosition.objects.filter(subtree_q(old_path))
            # The figures' people by generation (erased people left out): before the move.
            histogram = dict(
                rows.filter(person__erased_at__isnull=True)
                .values_list("depth")
                .annotate(n=Count("person"))
                .order_by()
            )
        else:
            rows = TreePosition.objects.filter(person_id=person.pk)
            histogram = {person.referral_depth: 1} if person.erased_at is None else {}
        tally_add(subtree_moved(histogram, delta))
        # One statement for the whole subtree: new prefix + the rest of each path. Narrow
        # rows with two indexes: people_person is not touched (fifteen indexes there).
        rows.update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + delta,
        )
    person.referral_path = new_path
    person.referral_depth = new_depth


def _referred(person: Person, at: datetime | None, sign: int) -> list[tuple[str, str, int, int]]:
    """Return the monthly referral tally change of a person becoming (un)referred."""
    if person.erased_at is not None or at is None:
        return []
    return [(REFERRED, month_key(at), sign, 0)]


def _shape_changed() -> None:
    """Tell the cached generations of big downlines that people moved inside a tree."""
    from essaim.core.pagecache import bump

    from .figures import TREE_SHAPE_KEY

    bump(TREE_SHAPE_KEY)


def _copy_tree_fields(source: Person, target: Person) -> None:
    for name in (
        "referred_by_id",
        "referred_at",
        "referral_path",
        "referral_depth",
        "downline_count",
        "direct_referrals_count",
    ):
        setattr(target, name, getattr(source, name))


@transaction.atomic
def referral_attribute(
    *,
    person: Person,
    referrer: Person,
    at: datetime,
    link: ReferralLink | None = None,
    campaign: Campaign | None = None,
    channel: str = Channel.LINK,
) -> bool:
    """Attribute a person to their referrer once (first touch wins); tell whether it was done.

    Nothing changes, and False is returned, when the person already has a referrer, when
    the referrer is the person, or when the referrer is in the person's own downline
    (a cycle).
    """
    if person.pk == referrer.pk:
        return False
    _lock_tree()
    locked = _lock_people({person.pk, referrer.pk})
    if person.pk not in locked or referrer.pk not in locked:
        return False
    target, parent = locked[person.pk], locked[referrer.pk]
    if target.referred_by_id is not None:
        _copy_tree_fields(target, person)
        return False
    referral_path_ensure(target)
    referral_path_ensure(parent)
    if _refusal(target, parent) is not None:
        return False
    _move(target, parent)
    target.referred_by_id = parent.pk
    target.referred_at = at
    Person.objects.filter(pk=target.pk).update(referred_by=parent, referred_at=at)
    tally_add(_referred(target, at, 1))
    _copy_tree_fields(target, person)
    audit_record(
        actor=None,
        action="referral.attribute",
        target=target,
        details={
            "referrer": parent.pk,
            "link": link.code if link is not None else "",
            "campaign": campaign.pk if campaign is not None else None,
            "channel": str(channel),
        },
    )
    return True


@transaction.atomic
def referral_correct(
    *, actor: User | None, person: Person, referrer: Person | None, note: str
) -> None:
    """Change (or remove, with referrer=None) who brought a person in, recording why."""
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Indiquez la raison de la correction."))
    if referrer is not None and referrer.pk == person.pk:
        raise ValidationError(_("Une personne ne peut pas s'être amenée elle-même."))
    _lock_tree()
    ids = {person.pk} | ({referrer.pk} if referrer is not None else set())
    if person.referred_by_id is not None:
        ids.add(person.referred_by_id)
    locked = _lock_people(ids)
    target = locked[person.pk]
    if target.referred_by_id is not None and target.referred_by_id not in locked:
        # The referrer changed since the caller read the person: lock the current one too.
        locked.update(_lock_people({target.referred_by_id}))
    parent = locked[referrer.pk] if referrer is not None else None
    if referrer is not None and parent is None:
        raise ValidationError(_("Cette personne n'existe plus."))
    old_id = target.referred_by_id
    if old_id == (parent.pk if parent is not None else None):
        raise ValidationError(_("C'est déjà la personne qui l'a amenée : rien n'a changé."))
    referral_path_ensure(target)
    if parent is not None:
        referral_path_ensure(parent)
    refusal = _refusal(target, parent)
    if refusal is not None:
        raise ValidationError(refusal)
    old = locked.get(old_id) if old_id is not None else None
    _move(target, parent)
    changes = _referred(target, target.referred_at, -1) if old_id is not None else []
    target.referred_by_id = parent.pk if parent is not None else None
    target.referred_at = timezone.now() if parent is not None else None
    Person.objects.filter(pk=target.pk).update(
        referred_by=target.referred_by_id, referred_at=target.referred_at
    )
    tally_add(changes + _referred(target, target.referred_at, 1))
    _shape_changed()
    # What the person did is credited to whoever brought them in: follow the correction.
    moved_events = ReferralEvent.objects.filter(person=target).update(referrer=parent)
    _copy_tree_fields(target, person)
    audit_record(
        actor=actor,
        action="referral.correct",
        target=target,
        details={
            "old_referrer": [old.pk, str(old)] if old is not None else None,
            "new_referrer": [parent.pk, str(parent)] if parent is not None else None,
            "note": note,
            "events_moved": moved_events,
        },
    )


@transaction.atomic
def referral_event_record(
    *,
    person: Person,
    kind: str,
    at: datetime,
    link: ReferralLink | None = None,
    campaign: Campaign | None = None,
    channel: str = Channel.LINK,
    amount_cents: int = 0,
) -> ReferralEvent:
    """Record what a person did, credited to whoever brought them in."""
    if kind not in ReferralEventKind.values:
        raise ValidationError(_("Type d'événement inconnu."))
    if channel not in Channel.values:
        raise ValidationError(_("Canal inconnu."))
    if amount_cents < 0:
        raise ValidationError(_("Le montant ne peut pas être négatif."))
    referrer_id = Person.objects.filter(pk=person.pk).values_list("referred_by", flat=True).first()
    event = ReferralEvent.objects.create(
        person=person,
        referrer_id=referrer_id,
        kind=kind,
        link=link,
        campaign=campaign,
        channel=channel,
        amount_cents=amount_cents,
        created_at=at,
    )
    tally_add([(EVENT, event_key(channel, event.campaign_id, kind), 1, amount_cents)])
    return event


def referral_subscription_credit(*, person: Person, at: datetime | None = None) -> bool:
    """Credit the referrer once when a person they brought later asks for the news."""
    referrer_id = Person.objects.filter(pk=person.pk).values_list("referred_by", flat=True).first()
    if referrer_id is None:
        return False
    events = ReferralEvent.objects.filter(person=person)
    if events.filter(kind=ReferralEventKind.SUBSCRIBED).exists():
        return False
    # Credited to how the person first arrived (their link, campaign and channel).
    arrival = events.order_by("created_at", "id").first()
    referral_event_record(
        person=person,
        kind=ReferralEventKind.SUBSCRIBED,
        at=at or timezone.now(),
        link=arrival.link if arrival else None,
        campaign=arrival.campaign if arrival else None,
        channel=arrival.channel if arrival else Channel.LINK,
    )
    return True


# The columns of people_person the tree services change (path and depth: TreePosition).
TREE_FIELDS = (
    "referred_by",
    "referred_at",
    "downline_count",
    "direct_referrals_count",
)


def referral_merge(*, keep: Person, duplicate: Person) -> None:
    """Hand the duplicate's place in the tree to the kept person before the duplicate goes.

    The duplicate's referrals are re-hung under the kept person; the kept person keeps
    their own referrer, or takes the duplicate's when they had none (never one that would
    make a loop). Call inside the merge's transaction, before the duplicate is deleted;
    then reload the kept person's tree fields (TREE_FIELDS) before saving it.
    """
    _lock_tree()

    def fresh(pk: int) -> Person:
        person = Person.objects.select_for_update().get(pk=pk)
        referral_path_ensure(person)
        return person

    dup = fresh(duplicate.pk)
    dup_parent_id, dup_referred_at = dup.referred_by_id, dup.referred_at
    if dup_parent_id is not None:
        _move(dup, None)
        Person.objects.filter(pk=dup.pk).update(referred_by=None, referred_at=None)
        tally_add(_referred(dup, dup_referred_at, -1))
    kept = fresh(keep.pk)
    detached_keep = False
    if kept.referral_path.startswith(dup.referral_path):
        # The kept person was below the duplicate: lift them out first.
        _move(kept, None)
        Person.objects.filter(pk=kept.pk).update(referred_by=None, referred_at=None)
        tally_add(_referred(kept, kept.referred_at, -1) if kept.referred_by_id else [])
        detached_keep = True
    children = list(
        Person.objects.filter(referred_by=dup.pk).order_by("pk").values_list("pk", flat=True)
    )
    for child_id in children:
        child = fresh(child_id)
        _move(child, fresh(keep.pk))
        Person.objects.filter(pk=child_id).update(referred_by=keep.pk)
    kept = fresh(keep.pk)
    inherited = None
    if kept.referred_by_id is None and dup_parent_id is not None and dup_parent_id != kept.pk:
        parent = fresh(dup_parent_id)
        if _refusal(kept, parent) is None:
            _move(kept, parent)
            Person.objects.filter(pk=kept.pk).update(
                referred_by=parent.pk, referred_at=dup_referred_at
            )
            tally_add(_referred(kept, dup_referred_at, 1))
            inherited = parent.pk
    _shape_changed()
    audit_record(
        actor=None,
        action="referral.merge",
        target=kept,
        details={
            "duplicate": duplicate.pk,
            "referrals_moved": len(children),
            "referrer_inherited": inherited,
            "kept_lifted_from_duplicate_downline": detached_keep,
        },
    )


# --- From-scratch recomputation ------------------------------------------------------


@dataclass
class TreeState:
    """Paths, depths and counts of every person, computed from referred_by alone."""

    paths: dict[int, str] = field(default_factory=dict)
    depths: dict[int, int] = field(default_factory=dict)
    downline: dict[int, int] = field(default_factory=dict)
    direct: dict[int, int] = field(default_factory=dict)
    # Persons whose referred_by formed a loop (or went past MAX_DEPTH): detached.
    broken: list[int] = field(default_factory=list)


def tree_compute(parents: dict[int, int | None]) -> TreeState:
    """Compute every path and count from a map person id -> referrer id."""
    children: dict[int, list[int]] = {}
    roots: list[int] = []
    for pid, parent in parents.items():
        if parent is None or parent not in parents:
            roots.append(pid)
        else:
            children.setdefault(parent, []).append(pid)
    state = TreeState()
    order: list[int] = []

    def walk(starts: list[int]) -> None:
        stack = list(starts)
        for root in starts:
            state.paths[root] = segment(root)
            state.depths[root] = 0
        while stack:
            node = stack.pop()
            order.append(node)
            kids = children.get(node, ())
            state.direct[node] = 0
            for kid in kids:
                if kid in state.paths:
                    # Back to where this walk started: the loop is broken there.
                    continue
                state.direct[node] += 1
                depth = state.depths[node] + 1
                if depth > MAX_DEPTH:
                    state.broken.append(kid)
                    state.paths[kid] = segment(kid)
                    state.depths[kid] = 0
                else:
                    state.paths[kid] = state.paths[node] + segment(kid)
                    state.depths[kid] = depth
                stack.append(kid)

    walk(roots)
    # Anything unreached sits on a loop: detach its smallest id and walk from there.
    while len(state.paths) < len(parents):
        loop_node = min(pid for pid in parents if pid not in state.paths)
        state.broken.append(loop_node)
        walk([loop_node])
    broken = set(state.broken)
    for node in reversed(order):
        state.downline.setdefault(node, 0)
        parent = parents[node]
        if parent is not None and parent in parents and node not in broken:
            state.downline[parent] = state.downline.get(parent, 0) + 1 + state.downline[node]
    return state


def referrals_rebuild(*, batch_size: int = 5000, log: Any = None) -> dict[str, int]:
    """Recompute every path and cached count from referred_by; write only what differs."""
    parents: dict[int, int | None] = dict(
        Person.objects.values_list("pk", "referred_by_id").iterator(chunk_size=20000)
    )
    state = tree_compute(parents)
    with transaction.atomic():
        _lock_tree()
        if state.broken:
            Person.objects.filter(pk__in=state.broken).update(referred_by=None, referred_at=None)
        current = Person.objects.values_list(
            "pk",
            "tree_position__path",
            "tree_position__depth",
            "downline_count",
            "direct_referrals_count",
        ).order_by("pk")
        changed: list[tuple[Any, ...]] = []
        for pk, *stored in current.iterator(chunk_size=20000):
            want = [
                state.paths[pk],
                state.depths[pk],
                state.downline.get(pk, 0),
                state.direct.get(pk, 0),
            ]
            if stored != want:
                changed.append((pk, *want))
        if log is not None:
            log(f"  {len(changed):,} personnes à recalculer".replace(",", " "))
        tree_bulk_write(
            changed,
            columns=("path", "depth", "downline_count", "direct_referrals_count"),
        )
    _shape_changed()
    # Generations follow the depths just written: recount the figures' running totals.
    from .tally import network_tally_rebuild

    tallies = network_tally_rebuild()
    return {
        "persons": len(parents),
        "changed": len(changed),
        "loops_broken": len(state.broken),
        "tallies_fixed": tallies,
    }


TREE_COLUMNS = (
    "referred_by_id",
    "referred_at",
    "created_at",
    "path",
    "depth",
    "downline_count",
    "direct_referrals_count",
)
_COLUMN_TYPES = {
    "referred_by_id": "bigint",
    "referred_at": "timestamp with time zone",
    "created_at": "timestamp with time zone",
    "path": "varchar(1000)",
    "depth": "integer",
    "downline_count": "integer",
    "direct_referrals_count": "integer",
}
# Written to referrals_treeposition (inserted or updated); the others onto people_person.
POSITION_COLUMNS = ("path", "depth")


def tree_bulk_write(rows: Iterable[tuple[Any, ...]], *, columns: Sequence[str]) -> int:
    """Write (person id, *columns) rows from a temporary table in one statement per table.

    People's columns by one UPDATE … FROM; path and depth by one INSERT … ON CONFLICT into
    the positions. Django's bulk_update builds a CASE per field and row: 7 s for 3,000 rows
    on SQLite. Loading a temporary table (COPY on PostgreSQL) is about 100 times faster.
    """
    for name in columns:
        if name not in _COLUMN_TYPES:
            raise ValueError(name)
    quote = connection.ops.quote_name
    table = quote("essaim_tree_load")
    postgres = connection.vendor == "postgresql"
    definition = ", ".join(
        f"{quote(c)} {_COLUMN_TYPES[c] if postgres else 'text'}" for c in columns
    )
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMPORARY TABLE {table} (id bigint PRIMARY KEY, {definition})")
        if postgres:
            with cursor.cursor.copy(  # type: ignore[attr-defined]
                f"COPY {table} (id, {', '.join(quote(c) for c in columns)}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            marks = ", ".join(["%s"] * (len(columns) + 1))
            insert = f"INSERT INTO {table} VALUES ({marks})"  # noqa: S608 - quoted names
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(
                    tuple(
                        connection.ops.adapt_datetimefield_value(v)
                        if isinstance(v, datetime)
                        else v
                        for v in row
                    )
                )
                if len(batch) >= 20000:
                    cursor.executemany(insert, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(insert, batch)
                count += len(batch)
        on_person = [c for c in columns if c not in POSITION_COLUMNS]
        if on_person:
            assignments = ", ".join(f"{quote(c)} = {table}.{quote(c)}" for c in on_person)
            person = quote(Person._meta.db_table)
            cursor.execute(
                f"UPDATE {person} SET {assignments} FROM {table} WHERE {person}.id = {table}.id"  # noqa: S608
            )
        if "path" in columns:
            position = quote(TreePosition._meta.db_table)
            # "WHERE true": SQLite needs it to read ON CONFLICT after a SELECT.
            cursor.execute(
                f"INSERT INTO {position} (person_id, path, depth) "  # noqa: S608
                f"SELECT id, path, depth FROM {table} WHERE true "
                "ON CONFLICT (person_id) DO UPDATE SET path = excluded.path, depth = excluded.depth"
            )
        cursor.execute(f"DROP TABLE {table}")
    return count
