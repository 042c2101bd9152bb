"""Deterministic French demo and scale data, one section per domain.

Each section is a function ``populate_<domain>(ctx)`` listed in :data:`SECTIONS`;
later domains (circles, actions, gifts...) add their own function and one line there.
Pools of names come from Faker once, then ``random.Random(seed)`` samples them:
Faker itself is far too slow to call a million times.
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker

from essaim.people.models import Person, Source, Tag, person_search_text

# Real communes with one of their postal codes: addresses look right on screen and in exports.
TOWNS: tuple[tuple[str, str], ...] = (
    ("Paris", "75011"),
    ("Paris", "75018"),
    ("Paris", "75020"),
    ("Marseille", "13001"),
    ("Marseille", "13005"),
    ("Lyon", "69003"),
    ("Lyon", "69007"),
    ("Toulouse", "31000"),
    ("Nice", "06000"),
    ("Nantes", "44000"),
    ("Montpellier", "34000"),
    ("Strasbourg", "67000"),
    ("Bordeaux", "33000"),
    ("Lille", "59000"),
    ("Rennes", "35000"),
    ("Reims", "51100"),
    ("Saint-Étienne", "42000"),
    ("Le Havre", "76600"),
    ("Toulon", "83000"),
    ("Grenoble", "38000"),
    ("Dijon", "21000"),
    ("Angers", "49000"),
    ("Nîmes", "30000"),
    ("Villeurbanne", "69100"),
    ("Clermont-Ferrand", "63000"),
    ("Le Mans", "72000"),
    ("Aix-en-Provence", "13100"),
    ("Brest", "29200"),
    ("Tours", "37000"),
    ("Amiens", "80000"),
    ("Limoges", "87000"),
    ("Annecy", "74000"),
    ("Perpignan", "66000"),
    ("Besançon", "25000"),
    ("Metz", "57000"),
    ("Orléans", "45000"),
    ("Rouen", "76000"),
    ("Mulhouse", "68100"),
    ("Caen", "14000"),
    ("Nancy", "54000"),
    ("Saint-Denis", "93200"),
    ("Montreuil", "93100"),
    ("Argenteuil", "95100"),
    ("Roubaix", "59100"),
    ("Tourcoing", "59200"),
    ("Avignon", "84000"),
    ("Poitiers", "86000"),
    ("Pau", "64000"),
    ("La Rochelle", "17000"),
    ("Quimper", "29000"),
    ("Valence", "26000"),
    ("Bayonne", "64100"),
    ("Chambéry", "73000"),
    ("Lorient", "56100"),
    ("Niort", "79000"),
    ("Vannes", "56000"),
    ("Colmar", "68000"),
    ("Troyes", "10000"),
    ("Albi", "81000"),
    ("Arles", "13200"),
    ("Saint-Malo", "35400"),
    ("Auch", "32000"),
    ("Millau", "12100"),
    ("Dole", "39100"),
    ("Guéret", "23000"),
    ("Mende", "48000"),
)

TAGS: tuple[str, ...] = (
    "Bénévole actif",
    "Collecte alimentaire",
    "Conseil d'administration",
    "Fête de quartier",
    "Jardin partagé",
    "Soutien scolaire",
    "Maraude",
    "Grand donateur",
    "Presse",
    "Élu local",
    "Partenaire",
    "Ancien salarié",
    "Parrain",
    "À rappeler",
    "Atelier vélo",
)

SOURCE_DETAILS: dict[str, tuple[str, ...]] = {
    Source.WEBSITE: ("Formulaire d'adhésion", "Inscription à la lettre", "Page de don"),
    Source.IMPORT: ("Fichier des adhérents 2023", "Ancien tableur de la trésorerie"),
    Source.REFERRAL: ("Parrainé par un adhérent", "Invitation personnelle"),
    Source.EVENT: ("Fête de quartier", "Forum des associations", "Collecte de printemps"),
    Source.MANUAL: ("Rencontré à la permanence", "Appel téléphonique"),
    Source.OTHER: ("Bouche-à-oreille",),
}
SOURCES: tuple[str, ...] = tuple(SOURCE_DETAILS)
# Weights: most contacts come from the site and events, few from elsewhere.
SOURCE_WEIGHTS = (30, 15, 15, 20, 15, 5)
EMAIL_DOMAINS = ("example.org", "example.com", "example.net")
CONSENT_PROOFS = (
    "Case cochée sur le formulaire du site",
    "Bulletin papier signé, classé au local",
    "Réponse par e-mail",
)


def ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return "".join(c if c.isalnum() else "-" for c in plain).strip("-")


@dataclass
class Pools:
    first_names: list[str]
    last_names: list[str]
    streets: list[str]

    @classmethod
    def build(cls, seed: int) -> Pools:
        fake = Faker("fr_FR")
        fake.seed_instance(seed)
        provider = fake.provider("faker.providers.person")
        first_names = sorted(
            set(provider.first_names_male) | set(provider.first_names_female)  # type: ignore[union-attr]
        )
        last_names = sorted(set(provider.last_names))  # type: ignore[union-attr]
        streets = sorted({fake.street_name() for _ in range(1500)})
        return cls(first_names=first_names, last_names=last_names, streets=streets)


@dataclass
class Context:
    """What every section shares: the random source, the scale and a progress printer."""

    seed: int
    persons: int
    # None: derived from persons (one circle per 20 contacts, as in a federation).
    circles: int | None = None
    # Published blog articles (0: no blog section: no categories, tags or stories either).
    articles: int = 0
    batch_size: int = 5000
    log: Callable[[str], None] = print
    rng: random.Random = field(init=False)
    pools: Pools = field(init=False)
    now: datetime = field(init=False)
    counts: dict[str, int] = field(default_factory=dict)
    # Tables a section filled: their planner statistics are refreshed at the end.
    tables: set[str] = field(default_factory=set)
    # Circles this run created: later sections fill only those.
    circle_ids: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - demo data, not secrets
        self.pools = Pools.build(self.seed)
        # A fixed reference date keeps dates deterministic within a day.
        self.now = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)


def _batches(total: int, size: int) -> Iterator[int]:
    done = 0
    while done < total:
        step = min(size, total - done)
        yield step
        done += step


def _phone(rng: random.Random) -> str:
    prefix = rng.choice(("06", "07", "01", "02", "03", "04", "05", "09"))
    return prefix + "".join(f" {rng.randrange(100):02d}" for _ in range(4))


def _person(ctx: Context, index: int) -> tuple[Person, list[int]]:
    rng = ctx.rng
    pools = ctx.pools
    given = rng.choice(pools.first_names)
    family = rng.choice(pools.last_names)
    town, postcode = rng.choice(TOWNS)
    has_email = rng.random() < 0.9
    email = (
        f"{ascii_slug(given)}.{ascii_slug(family)}{index}@{rng.choice(EMAIL_DOMAINS)}"
        if has_email
        else ""
    )
    draw = rng.random()
    # A plausible mix: most contacts are sympathisers, a core are members and volunteers.
    is_member = draw < 0.25
    is_volunteer = draw < 0.12 or (is_member and rng.random() < 0.3)
    is_donor = rng.random() < 0.3
    is_sympathiser = not (is_member or is_volunteer or is_donor) or rng.random() < 0.2
    source = rng.choices(SOURCES, weights=SOURCE_WEIGHTS)[0]
    consent = has_email and rng.random() < 0.45
    consent_at = ctx.now - timedelta(days=rng.randrange(1, 2000)) if consent else None
    last_contact = (
        ctx.now - timedelta(days=rng.randrange(0, 1500), hours=rng.randrange(0, 12))
        if rng.random() < 0.8
        else None
    )
    person = Person(
        given_name=given,
        family_name=family,
        email=email,
        phone=_phone(rng) if rng.random() < 0.6 else "",
        address_line1=f"{rng.randrange(1, 180)} {rng.choice(pools.streets)}",
        postal_code=postcode,
        city=town,
        is_member=is_member,
        is_volunteer=is_volunteer,
        is_donor=is_donor,
        is_sympathiser=is_sympathiser,
        source=source,
        source_detail=rng.choice(SOURCE_DETAILS[source]),
        last_contact_at=last_contact,
        newsletter_consent=consent,
        newsletter_consent_at=consent_at,
        newsletter_consent_proof=(
            f"{rng.choice(CONSENT_PROOFS)}, le {consent_at:%d/%m/%Y}" if consent_at else ""
        ),
        search_text=person_search_text(
            given_name=given, family_name=family, email=email, city=town
        ),
    )
    tag_count = rng.choices((0, 1, 2, 3), weights=(45, 30, 17, 8))[0]
    tags = rng.sample(range(len(TAGS)), tag_count)
    return person, tags


def populate_people(ctx: Context) -> None:
    """Create ``ctx.persons`` contacts with tags, in bulk batches."""
    tag_ids = [Tag.objects.get_or_create(name=name)[0].pk for name in TAGS]
    through = Person.tags.through
    start = Person.objects.count()
    created = 0
    started = time.monotonic()
    for size in _batches(ctx.persons, ctx.batch_size):
        rows = [_person(ctx, start + created + i + 1) for i in range(size)]
        with transaction.atomic():
            people = Person.objects.bulk_create([person for person, _ in rows])
            links = [
                through(person_id=person.pk, tag_id=tag_ids[tag])
                for person, (_, tags) in zip(people, rows, strict=True)
                for tag in tags
            ]
            through.objects.bulk_create(links)
        created += size
        if created % (ctx.batch_size * 20) == 0 or created == ctx.persons:
            elapsed = time.monotonic() - started
            ctx.log(f"  {created:,} personnes ({elapsed:.0f} s)".replace(",", " "))
    ctx.counts["persons"] = created
    ctx.tables |= {Person._meta.db_table, through._meta.db_table, Tag._meta.db_table}


REGIONS: tuple[str, ...] = (
    "Auvergne-Rhône-Alpes",
    "Bourgogne-Franche-Comté",
    "Bretagne",
    "Centre-Val de Loire",
    "Corse",
    "Grand Est",
    "Hauts-de-France",
    "Île-de-France",
    "Normandie",
    "Nouvelle-Aquitaine",
    "Occitanie",
    "Pays de la Loire",
    "Provence-Alpes-Côte d'Azur",
)
COMMISSIONS: tuple[str, ...] = (
    "Commission plaidoyer",
    "Commission formation",
    "Commission communication",
    "Commission solidarité",
    "Commission jeunesse",
    "Commission environnement",
)
# (visibility, join policy, weight) of local branches: most are private and on request.
BRANCH_SETTINGS: tuple[tuple[str, str, int], ...] = (
    ("private", "request", 55),
    ("public", "open", 25),
    ("private", "open", 12),
    ("secret", "invitation", 8),
)


@dataclass
class PlannedCircle:
    name: str
    kind: str
    parent: int | None  # index in the plan
    visibility: str
    join_policy: str
    description: str = ""
    members: list[int] = field(default_factory=list)  # person ids, coordinators first


def circle_count(ctx: Context) -> int:
    if ctx.circles is not None:
        return ctx.circles
    from essaim.circles.models import Circle

    # A small top-up run (a benchmark adding a few people) adds no lone circle.
    derived = ctx.persons // 20
    return derived or int(ctx.persons > 0 and not Circle.objects.exists())


def _plan_circles(ctx: Context, total: int) -> list[PlannedCircle]:
    """A federation: national -> regions -> local branches, plus commissions."""
    rng = ctx.rng
    plan = [
        PlannedCircle(
            "Échelon national",
            "national",
            None,
            "public",
            "open",
            "Le cercle de tout le réseau : annonces, campagnes nationales, entraide.",
        )
    ]
    remaining = total - 1
    regions = min(len(REGIONS), max(1, remaining // 10)) if remaining > 0 else 0
    for name in REGIONS[:regions]:
        plan.append(
            PlannedCircle(
                name,
                "regional",
                0,
                "public",
                "request",
                f"Coordination des antennes de la région {name}.",
            )
        )
    remaining -= regions
    commissions = min(len(COMMISSIONS), remaining // 40)
    for name in COMMISSIONS[:commissions]:
        plan.append(PlannedCircle(name, "commission", 0, "private", "request"))
    remaining -= commissions
    region_indexes = list(range(1, 1 + regions)) or [0]
    weights = [w for *_rest, w in BRANCH_SETTINGS]
    for number in range(remaining):
        town, _postcode = TOWNS[number % len(TOWNS)]
        round_ = number // len(TOWNS)
        name = f"Antenne de {town}" + (f" {round_ + 1}" if round_ else "")
        visibility, policy, _weight = rng.choices(BRANCH_SETTINGS, weights=weights)[0]
        plan.append(
            PlannedCircle(
                name,
                "branch",
                region_indexes[number % len(region_indexes)],
                visibility,
                policy,
                f"Les bénévoles et adhérents de {town} : permanences, actions locales.",
            )
        )
    return plan


def _assign_members(ctx: Context, plan: list[PlannedCircle]) -> None:
    rng = ctx.rng
    # Only the people this run created: a second run must not pour the whole existing
    # membership into its few new circles.
    created = ctx.counts.get("persons", 0)
    if created <= 0:
        return
    floor = Person.objects.order_by("-id").values_list("id", flat=True)[created - 1]
    people = list(
        Person.objects.filter(id__gte=floor, erased_at__isnull=True)
        .filter(models.Q(is_member=True) | models.Q(is_volunteer=True))
        .order_by("id")
        .values_list("id", flat=True)
    )
    branches = [i for i, c in enumerate(plan) if c.kind == "branch"] or [0]
    commissions = [i for i, c in enumerate(plan) if c.kind == "commission"]
    for person_id in people:
        if rng.random() < 0.9:
            branch = rng.choice(branches)
            plan[branch].members.append(person_id)
            parent = plan[branch].parent
            if parent is not None and parent != 0 and rng.random() < 0.2:
                plan[parent].members.append(person_id)
        if rng.random() < 0.15 and 0 not in branches:
            plan[0].members.append(person_id)
        if commissions and rng.random() < 0.05:
            plan[rng.choice(commissions)].members.append(person_id)


def populate_circles(ctx: Context) -> None:
    """Create a federation of circles with members and coordinators, in bulk."""
    from essaim.circles.models import Circle, Membership, MembershipRole

    total = circle_count(ctx)
    if total <= 0:
        ctx.counts["circles"] = 0
        return
    plan = _plan_circles(ctx, total)
    _assign_members(ctx, plan)
    taken = set(Circle.objects.values_list("slug", flat=True)) | {
        "nouveau",
        "invitation",
        "mes-cercles",
    }
    pks: dict[int, int] = {}
    # Parents before children: each level is one bulk insert that returns its keys.
    levels = [
        [i for i, c in enumerate(plan) if c.parent is None],
        [i for i, c in enumerate(plan) if c.parent == 0],
        [i for i, c in enumerate(plan) if c.parent not in (None, 0)],
    ]
    for level in levels:
        rows = []
        for index in level:
            planned = plan[index]
            slug = base = ascii_slug(planned.name)[:120]
            number = 2
            while slug in taken:
                slug = f"{base}-{number}"
                number += 1
            taken.add(slug)
            rows.append(
                Circle(
                    name=planned.name,
                    slug=slug,
                    kind=planned.kind,
                    description=planned.description,
                    parent_id=pks[planned.parent] if planned.parent is not None else None,
                    visibility=planned.visibility,
                    join_policy=planned.join_policy,
                    member_count=len(set(planned.members)),
                )
            )
        for start in range(0, len(rows), ctx.batch_size):
            with transaction.atomic():
                created = Circle.objects.bulk_create(rows[start : start + ctx.batch_size])
            for index, circle in zip(level[start : start + ctx.batch_size], created, strict=True):
                pks[index] = circle.pk
    ctx.circle_ids = sorted(pks.values())
    memberships = 0
    batch: list[Membership] = []
    for index, planned in enumerate(plan):
        seen: set[int] = set()
        for person_id in planned.members:
            if person_id in seen:
                continue
            seen.add(person_id)
            # The first one or two members of each circle coordinate it.
            role = MembershipRole.COORDINATOR if len(seen) <= 2 else MembershipRole.MEMBER
            batch.append(Membership(circle_id=pks[index], person_id=person_id, role=role))
        if len(batch) >= ctx.batch_size:
            Membership.objects.bulk_create(batch)
            memberships += len(batch)
            batch = []
    if batch:
        Membership.objects.bulk_create(batch)
        memberships += len(batch)
    ctx.log(f"  {len(plan)} cercles, {memberships} appartenances")
    ctx.counts["circles"] = len(plan)
    ctx.counts["memberships"] = memberships
    ctx.tables |= {Circle._meta.db_table, Membership._meta.db_table}


THREAD_TITLES = (
    "Préparation de la collecte de printemps",
    "Compte rendu de la réunion mensuelle",
    "Qui peut tenir la permanence de samedi ?",
    "Idées pour la fête de quartier",
    "Bilan de la maraude",
    "Formation des nouveaux bénévoles",
    "Covoiturage pour l'assemblée générale",
    "Retours sur la distribution alimentaire",
)
REPLIES = (
    "Je peux venir samedi matin, à partir de 9 h.",
    "Merci pour le compte rendu, très clair.",
    "Bonne idée ! Il faudrait prévenir la mairie.",
    "Je m'occupe des affiches et des tracts.",
    "Quelqu'un a les clés du local ?",
    "On pourrait en parler à la prochaine réunion.",
)
# Scale of the discussions, per circle membership: about 1 thread per 3 and 20 feed
# activities each (300,000 contacts give about 100,000 members and 2,000,000 activities,
# the scale of the feed benchmark).
THREADS_PER_MEMBER = 0.3
ACTIVITIES_PER_MEMBER = 20
LONG_THREAD_MESSAGES = 120


def populate_discussions(ctx: Context) -> None:
    """Create threads, replies and feed activities in the circles this run created."""
    from essaim.circles.models import Membership, Message, Thread
    from essaim.core.markdown import render_markdown
    from essaim.feed.models import Activity, Verb

    rng = ctx.rng
    members: dict[int, list[int]] = {}
    for circle_id, person_id in Membership.objects.filter(circle_id__in=ctx.circle_ids).values_list(
        "circle_id", "person_id"
    ):
        members.setdefault(circle_id, []).append(person_id)
    circles = [pk for pk in ctx.circle_ids if pk in members]
    membership_count = sum(len(people) for people in members.values())
    if not circles:
        ctx.counts["threads"] = ctx.counts["activities"] = 0
        return
    weights = [len(members[pk]) for pk in circles]
    biggest = circles[weights.index(max(weights))]
    total_threads = max(len(circles), int(membership_count * THREADS_PER_MEMBER))
    # Every circle with members gets one thread; the rest go where the members are.
    owners = circles + rng.choices(circles, weights=weights, k=total_threads - len(circles))
    rendered = {text: str(render_markdown(text)) for text in REPLIES}
    threads = [
        Thread(
            circle_id=circle_id,
            title=rng.choice(THREAD_TITLES),
            author_id=rng.choice(members[circle_id]),
            last_activity_at=ctx.now - timedelta(minutes=rng.randrange(60 * 24 * 90)),
        )
        for circle_id in owners
    ]
    by_circle: dict[int, list[Thread]] = {}
    for start in range(0, len(threads), ctx.batch_size):
        for thread in Thread.objects.bulk_create(threads[start : start + ctx.batch_size]):
            by_circle.setdefault(thread.circle_id, []).append(thread)
    messages: list[Message] = []
    message_count = 0
    long_thread = by_circle[biggest][0]
    for thread in threads:
        # One long discussion in the biggest circle: its page is the benchmark's thread page.
        replies = LONG_THREAD_MESSAGES if thread is long_thread else rng.randrange(1, 9)
        thread.reply_count = replies - 1
        for _ in range(replies):
            text = rng.choice(REPLIES)
            messages.append(
                Message(
                    thread=thread,
                    author_id=rng.choice(members[thread.circle_id]),
                    body=text,
                    body_html=rendered[text],
                )
            )
        if len(messages) >= ctx.batch_size:
            Message.objects.bulk_create(messages)
            message_count += len(messages)
            messages = []
    Message.objects.bulk_create(messages)
    message_count += len(messages)
    Thread.objects.bulk_update(threads, ["reply_count"], batch_size=ctx.batch_size)
    verbs = (Verb.MESSAGE_POSTED,) * 8 + (Verb.THREAD_CREATED, Verb.MEMBER_JOINED)
    activity_count = 0
    for size in _batches(membership_count * ACTIVITIES_PER_MEMBER, ctx.batch_size * 2):
        rows = []
        for circle_id in rng.choices(circles, weights=weights, k=size):
            thread = rng.choice(by_circle.get(circle_id) or [long_thread])
            verb = rng.choice(verbs)
            rows.append(
                Activity(
                    circle_id=circle_id,
                    actor_id=rng.choice(members[circle_id]),
                    verb=verb,
                    thread_id=thread.pk if verb != Verb.MEMBER_JOINED else None,
                    summary=thread.title if verb != Verb.MEMBER_JOINED else "",
                )
            )
        with transaction.atomic():
            Activity.objects.bulk_create(rows)
        activity_count += size
    ctx.log(f"  {len(threads)} discussions, {message_count} messages, {activity_count} activités")
    ctx.counts["threads"] = len(threads)
    ctx.counts["messages"] = message_count
    ctx.counts["activities"] = activity_count
    ctx.tables |= {Thread._meta.db_table, Message._meta.db_table, Activity._meta.db_table}


ACTION_TITLES = (
    ("street", "Maraude du jeudi soir"),
    ("event", "Fête de quartier"),
    ("fundraiser", "Collecte au marché"),
    ("training", "Formation des nouveaux bénévoles"),
    ("meeting", "Réunion de bilan trimestriel"),
    ("campaign", "Campagne de signatures pour le logement"),
)
MISSION_ROLES = ("Accueil", "Logistique", "Distribution", "Tenue du stand")
PRACTICE_TITLES = (
    ("Organiser une collecte alimentaire", "collecte, logistique"),
    ("Accueillir un nouveau bénévole", "accueil, bénévolat"),
    ("Tenir un stand sur un marché", "stand, sensibilisation"),
    ("Animer une réunion courte et utile", "réunion, animation"),
)
# One action per circle with members, a fifth of them past and evaluated; one practice
# sheet per 20 circles.
PAST_ACTION_SHARE = 0.2
CIRCLES_PER_SHEET = 20


def populate_actions(ctx: Context) -> None:
    """Create actions with objectives and volunteer missions, and practice sheets."""
    from essaim.actions.models import (
        Action,
        ActionStatus,
        ActionTransition,
        ActionVisibility,
        Debrief,
        Metric,
        Mission,
        MissionSignup,
        Objective,
        Registration,
        RegistrationStatus,
        SignupStatus,
    )
    from essaim.circles.models import Membership
    from essaim.practices.models import (
        PracticeSheet,
        PracticeStatus,
        PracticeTag,
        PracticeVisibility,
    )
    from essaim.practices.services import (
        body_text_for,
        render_body,
        search_text_for,
        search_vectors_write,
    )

    rng = ctx.rng
    members: dict[int, list[int]] = {}
    for circle_id, person_id in Membership.objects.filter(circle_id__in=ctx.circle_ids).values_list(
        "circle_id", "person_id"
    ):
        members.setdefault(circle_id, []).append(person_id)
    circles = [pk for pk in ctx.circle_ids if pk in members]
    taken = set(Action.objects.values_list("slug", flat=True))
    actions: list[Action] = []
    for circle_id in circles:
        kind, title = rng.choice(ACTION_TITLES)
        past = rng.random() < PAST_ACTION_SHARE
        starts = ctx.now + timedelta(days=rng.randrange(-60, -1) if past else rng.randrange(1, 60))
        slug = base = ascii_slug(title)[:140]
        number = 2
        while slug in taken:
            slug = f"{base}-{number}"
            number += 1
        taken.add(slug)
        description = f"{title} : rendez-vous devant le local, nous répartirons les rôles."
        actions.append(
            Action(
                circle_id=circle_id,
                kind=kind,
                title=title,
                slug=slug,
                summary=description[:300],
                description=description,
                description_html=f"<p>{description}</p>",
                place_name="Local de l'association",
                city=rng.choice(TOWNS)[0],
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                visibility=rng.choice(ActionVisibility.values),
                status=ActionStatus.EVALUATED if past else ActionStatus.PREPARING,
                created_by_id=members[circle_id][0],
            )
        )
    created: list[Action] = []
    for start in range(0, len(actions), ctx.batch_size):
        with transaction.atomic():
            created += Action.objects.bulk_create(actions[start : start + ctx.batch_size])
    history: list[ActionTransition] = []
    objectives: list[Objective] = []
    missions: list[Mission] = []
    for action in created:
        steps = [ActionStatus.DRAFT, ActionStatus.PREPARING]
        if action.status == ActionStatus.EVALUATED:
            steps += [ActionStatus.RUNNING, ActionStatus.DONE, ActionStatus.EVALUATED]
        history += [
            ActionTransition(action=action, from_status=before, to_status=after)
            for before, after in zip(["", *steps], steps, strict=False)
        ]
        done = action.status == ActionStatus.EVALUATED
        objectives.append(
            Objective(
                action=action,
                metric=Metric.VOLUNTEERS,
                target=8,
                achieved=rng.randrange(3, 11) if done else None,
            )
        )
        for position, role in enumerate(rng.sample(MISSION_ROLES, 2)):
            slot = action.starts_at + timedelta(hours=position)
            missions.append(
                Mission(
                    action=action,
                    role=role,
                    starts_at=slot,
                    ends_at=slot + timedelta(hours=2),
                    capacity=rng.randrange(2, 7),
                )
            )
    ActionTransition.objects.bulk_create(history, batch_size=ctx.batch_size)
    Objective.objects.bulk_create(objectives, batch_size=ctx.batch_size)
    Mission.objects.bulk_create(missions, batch_size=ctx.batch_size)
    signups: list[MissionSignup] = []
    for mission in missions:
        people = members[mission.action.circle_id]
        chosen = rng.sample(people, min(len(people), rng.randrange(0, mission.capacity + 1)))
        mission.confirmed_count = len(chosen)
        past = mission.action.status == ActionStatus.EVALUATED
        signups += [
            MissionSignup(
                mission=mission,
                person_id=person_id,
                status=SignupStatus.CONFIRMED,
                attended=True if past else None,
                minutes=120 if past else None,
            )
            for person_id in chosen
        ]
    MissionSignup.objects.bulk_create(signups, batch_size=ctx.batch_size)
    Mission.objects.bulk_update(missions, ["confirmed_count"], batch_size=ctx.batch_size)
    # Participants (a few circle members per action) and, for past actions, a debrief.
    registrations: list[Registration] = []
    debriefs: list[Debrief] = []
    for action in created:
        people = members[action.circle_id]
        chosen = rng.sample(people, min(len(people), rng.randrange(0, 6)))
        past = action.status == ActionStatus.EVALUATED
        registrations += [
            Registration(
                action=action,
                person_id=person_id,
                status=RegistrationStatus.CONFIRMED,
                confirmed_at=action.starts_at - timedelta(days=3),
                attended=True if past else None,
            )
            for person_id in chosen
        ]
        action.registered_count = len(chosen)
        if past:
            debriefs.append(
                Debrief(
                    action=action,
                    what_worked="Un bon emplacement, beaucoup de passage.",
                    to_improve="Prévenir les bénévoles plus tôt.",
                    notes="Merci à toutes et à tous.",
                    notes_html="<p>Merci à toutes et à tous.</p>",
                )
            )
    Registration.objects.bulk_create(registrations, batch_size=ctx.batch_size)
    Action.objects.bulk_update(created, ["registered_count"], batch_size=ctx.batch_size)
    Debrief.objects.bulk_create(debriefs, batch_size=ctx.batch_size)
    sheets = []
    sheet_tags: list[list[str]] = []
    taken_sheets = set(PracticeSheet.objects.values_list("slug", flat=True))
    for number, circle_id in enumerate(circles[::CIRCLES_PER_SHEET]):
        title, tags = PRACTICE_TITLES[number % len(PRACTICE_TITLES)]
        slug = base = ascii_slug(title)[:140]
        suffix = 2
        while slug in taken_sheets:
            slug = f"{base}-{suffix}"
            suffix += 1
        taken_sheets.add(slug)
        body = f"## Avant\n\nPrévenir l'équipe.\n\n## Pendant\n\n{title}, pas à pas.\n"
        summary = f"Ce que nos antennes ont appris : {title.lower()}."
        sheet_tags.append(tags.split(", "))
        sheets.append(
            PracticeSheet(
                title=title,
                slug=slug,
                summary=summary,
                body=body,
                body_html=render_body(body),
                author_id=members[circle_id][0],
                circle_id=circle_id,
                visibility=PracticeVisibility.NETWORK,
                status=PracticeStatus.PUBLISHED,
                published_at=ctx.now,
                search_text=search_text_for(title=title, summary=summary, tag_names=sheet_tags[-1]),
                body_text=body_text_for(body),
            )
        )
    PracticeSheet.objects.bulk_create(sheets, batch_size=ctx.batch_size)
    search_vectors_write(
        rows=[
            (s.pk, s.title, s.summary, group, s.body)
            for s, group in zip(sheets, sheet_tags, strict=True)
        ]
    )
    names = {name for group in sheet_tags for name in group}
    PracticeTag.objects.bulk_create([PracticeTag(name=n) for n in names], ignore_conflicts=True)
    tag_ids = dict(PracticeTag.objects.filter(name__in=names).values_list("name", "id"))
    PracticeSheet.tags.through.objects.bulk_create(
        [
            PracticeSheet.tags.through(practicesheet_id=sheet.pk, practicetag_id=tag_ids[name])
            for sheet, group in zip(sheets, sheet_tags, strict=True)
            for name in group
        ],
        batch_size=ctx.batch_size,
    )
    ctx.log(f"  {len(created)} actions, {len(missions)} missions, {len(sheets)} fiches pratiques")
    ctx.counts["actions"] = len(created)
    ctx.counts["missions"] = len(missions)
    ctx.counts["registrations"] = len(registrations)
    ctx.counts["debriefs"] = len(debriefs)
    ctx.counts["practice_sheets"] = len(sheets)
    ctx.tables |= {
        Action._meta.db_table,
        Mission._meta.db_table,
        MissionSignup._meta.db_table,
        Registration._meta.db_table,
        PracticeSheet._meta.db_table,
    }


# --- Blog: articles, categories, tags, stories ------------------------------------------
BLOG_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("Vie de l'association", "Assemblées, bilans, nouvelles de l'équipe."),
    ("Solidarité", "Distributions, maraudes, accompagnement."),
    ("Bénévolat", "Devenir bénévole, témoignages, formations."),
    ("Environnement", "Jardins partagés, réemploi, sobriété."),
    ("Jeunesse", "Soutien scolaire, sorties, colonies."),
    ("Plaidoyer", "Nos positions et nos campagnes."),
    ("Partenaires", "Collectivités, entreprises, fondations."),
    ("Événements", "Fêtes de quartier, forums, collectes."),
)
BLOG_TAGS: tuple[str, ...] = (
    "accueil",
    "aide alimentaire",
    "alimentation",
    "assemblée générale",
    "atelier",
    "budget",
    "collecte",
    "compostage",
    "conseil d'administration",
    "culture",
    "dons",
    "école",
    "emploi",
    "enfance",
    "entraide",
    "été",
    "familles",
    "fête de quartier",
    "formation",
    "hiver",
    "inclusion",
    "jardin partagé",
    "logement",
    "maraude",
    "mécénat",
    "numérique",
    "partenariat",
    "permanence",
    "presse",
    "quartier",
    "rapport annuel",
    "recrutement",
    "réemploi",
    "santé",
    "seniors",
    "sport",
    "témoignage",
    "transport",
    "vélo",
    "vacances",
)
BLOG_SUBJECTS: tuple[str, ...] = (
    "La collecte de printemps",
    "Le jardin partagé de la rue des Lilas",
    "Notre maraude du jeudi soir",
    "L'atelier vélo solidaire",
    "Le soutien scolaire du mercredi",
    "La fête de quartier",
    "Notre assemblée générale",
    "La permanence d'accès aux droits",
    "Les paniers solidaires",
    "Le repair café",
    "La bourse aux vêtements",
    "Les sorties des familles",
)
BLOG_ANGLES: tuple[str, ...] = (
    "ce que nous avons appris",
    "le bilan en chiffres",
    "les bénévoles racontent",
    "comment nous rejoindre",
    "trois questions à l'équipe",
    "un an après",
    "les coulisses",
    "ce qui change cette année",
    "merci à nos partenaires",
    "retour en images",
)
BLOG_PARAGRAPHS: tuple[str, ...] = (
    "Tout a commencé par une réunion au local, un mardi soir, autour d'un café et de "
    "quelques gâteaux apportés par les voisins. Nous étions une douzaine, certains "
    "bénévoles depuis des années, d'autres venus pour la première fois après avoir lu "
    "une affiche chez le boulanger. L'idée était simple : faire mieux avec ce que nous "
    "avons déjà, et surtout ne laisser personne de côté.",
    "Les chiffres disent une partie de l'histoire. En six mois, nous avons accueilli "
    "plus de quatre cents personnes, distribué près de deux tonnes de denrées et organisé "
    "trente-deux permanences. Mais ce qui compte le plus, ce sont les liens qui se sont "
    "créés : une voisine qui revient chaque semaine donner un coup de main, un jeune qui "
    "a trouvé un stage grâce à un autre bénévole, une famille qui ne se sent plus seule.",
    "Rien de tout cela ne serait possible sans les bénévoles. Ils donnent en moyenne "
    "trois heures par semaine, parfois bien plus lors des grandes collectes. Nous avons "
    "voulu mieux organiser leur accueil : un livret pour les nouveaux, un binôme avec une "
    "personne expérimentée, et un moment convivial chaque fin de mois pour se retrouver.",
    "Nous avons aussi appris de nos erreurs. La première édition avait lieu trop tard "
    "dans la journée, les familles avec enfants ne pouvaient pas venir. Nous avons "
    "changé les horaires, ajouté un coin pour les plus petits et prévu des traductions "
    "en arabe, en anglais et en tamoul. La fréquentation a doublé en un mois.",
    "Nos partenaires ont joué un rôle décisif. La mairie d'arrondissement nous prête une "
    "salle, une épicerie du quartier nous confie ses invendus, et une fondation finance "
    "désormais une partie du matériel. Chaque partenariat est suivi par un binôme de "
    "bénévoles qui fait le point tous les trimestres.",
    "Reste beaucoup à faire. Les demandes augmentent, surtout en fin de mois, et nous "
    "manquons de bras le samedi matin. Si vous avez deux heures à donner, même une fois "
    "par mois, votre aide changera réellement les choses. Aucune compétence particulière "
    "n'est demandée : nous formons chaque nouveau bénévole.",
    "Nous publions chaque année un rapport d'activité détaillé, avec nos comptes "
    "certifiés. La transparence est une exigence : chaque euro donné doit servir la "
    "mission de l'association, et nous voulons que chacun puisse le vérifier. Le rapport "
    "est disponible sur simple demande et lors de l'assemblée générale.",
    "Pour la suite, trois priorités : ouvrir une seconde permanence dans le nord du "
    "quartier, former dix nouveaux bénévoles à l'écoute, et lancer un atelier cuisine "
    "avec les familles accompagnées. Chacune de ces idées vient des personnes elles-mêmes, "
    "réunies en comité de quartier au printemps dernier.",
)
BLOG_HEADINGS: tuple[str, ...] = (
    "D'où nous partons",
    "Ce qui a marché",
    "Ce que nous changeons",
    "Les bénévoles au cœur du projet",
    "Et maintenant ?",
)
BLOG_STORIES: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "Amina, de la file d'attente à l'équipe d'accueil",
        "Amina, 34 ans",
        "Arrivée dans le quartier avec ses deux enfants, Amina ne connaissait personne.",
        "Elle est venue à la distribution du samedi, puis est revenue aider au rangement.",
        "Aujourd'hui elle coordonne l'accueil et forme les nouveaux bénévoles.",
    ),
    (
        "Le jardin qui a réuni trois immeubles",
        "Les habitants de la cité des Lilas",
        "Une friche entre trois immeubles, des voisins qui ne se parlaient pas.",
        "Une dizaine d'habitants ont défriché, planté, arrosé, avec notre aide.",
        "Le jardin nourrit vingt familles l'été et accueille une fête chaque juin.",
    ),
    (
        "Jules, 17 ans, réparateur de vélos",
        "Jules, 17 ans",
        "Jules avait quitté le lycée et passait ses journées seul.",
        "Il a poussé la porte de l'atelier vélo un mercredi, par curiosité.",
        "Il prépare un CAP de mécanicien cycle et anime l'atelier deux fois par mois.",
    ),
    (
        "Madeleine ne passe plus l'hiver seule",
        "Madeleine, 82 ans",
        "Veuve depuis cinq ans, Madeleine ne sortait presque plus de chez elle.",
        "Deux bénévoles lui rendent visite chaque semaine depuis l'automne.",
        "Elle a rejoint le club de lecture et y a retrouvé une amie d'enfance.",
    ),
)
BLOG_ARTICLE_VARIANTS = 6
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _blog_body(rng: random.Random) -> str:
    """Return a Markdown article of about 800 words: headings, paragraphs, a list, a quote."""
    parts: list[str] = []
    for heading in rng.sample(BLOG_HEADINGS, 4):
        parts.append(f"## {heading}")
        parts += rng.sample(BLOG_PARAGRAPHS, 3)
    parts.insert(
        5,
        "- un accueil **chaque samedi** de 9 h à 12 h ;\n"
        "- une permanence téléphonique le mardi ;\n"
        "- un [formulaire en ligne](https://exemple.org/contact) pour nous écrire.",
    )
    parts.insert(
        9,
        "> Ici, personne ne vous demande d'où vous venez : on vous demande "
        "comment vous allez. — une bénévole",
    )
    return "\n\n".join(parts) + "\n"


def populate_blog(ctx: Context) -> None:
    """Create categories, tags, ``ctx.articles`` published articles and a few stories."""
    if ctx.articles <= 0:
        return
    from essaim.blog.markdown import render_article_markdown
    from essaim.blog.models import (
        Article,
        Category,
        ConsentUse,
        ImageRights,
        PublicationStatus,
        Story,
        StoryConsent,
    )
    from essaim.blog.models import Tag as BlogTag

    rng = ctx.rng
    for position, (name, description) in enumerate(BLOG_CATEGORIES):
        Category.objects.get_or_create(
            slug=slugify(name),
            defaults={"name": name, "description": description, "position": position},
        )
    categories = list(
        Category.objects.filter(slug__in=[slugify(n) for n, _d in BLOG_CATEGORIES])
        .order_by("position")
        .values_list("pk", "name")
    )
    for name in BLOG_TAGS:
        BlogTag.objects.get_or_create(slug=slugify(name), defaults={"name": name})
    tag_ids = list(
        BlogTag.objects.filter(slug__in=[slugify(n) for n in BLOG_TAGS]).values_list(
            "pk", flat=True
        )
    )
    # Rendering Markdown costs about a millisecond: render a few bodies once, reuse them.
    variants = []
    for _number in range(BLOG_ARTICLE_VARIANTS):
        body = _blog_body(rng)
        variants.append((body, str(render_article_markdown(body))))
    taken = set(Article.objects.values_list("slug", flat=True))
    authors = [
        f"{rng.choice(ctx.pools.first_names)} {rng.choice(ctx.pools.last_names)}" for _ in range(30)
    ]
    through = Article.tags.through
    # Spread over the past years, newest first: about one article every 8 hours.
    step = timedelta(hours=8)
    created = 0
    started = time.monotonic()
    for size in _batches(ctx.articles, ctx.batch_size):
        rows: list[Article] = []
        row_tags: list[list[int]] = []
        for _index in range(size):
            subject = rng.choice(BLOG_SUBJECTS)
            published = (
                ctx.now - step * (created + len(rows)) - timedelta(minutes=rng.randrange(0, 300))
            )
            month = f"{MONTHS[published.month - 1]} {published.year}"
            title = f"{subject} : {rng.choice(BLOG_ANGLES)} ({month})"
            slug = base = slugify(title)[:180]
            number = 2
            while slug in taken:
                slug = f"{base}-{number}"
                number += 1
            taken.add(slug)
            body, html = rng.choice(variants)
            category_id, category_name = rng.choice(categories)
            rows.append(
                Article(
                    title=title,
                    slug=slug,
                    summary=f"{subject} ({category_name.lower()}) : {rng.choice(BLOG_ANGLES)}, "
                    "en quelques minutes de lecture.",
                    body=body,
                    body_html=html,
                    author_name=rng.choice(authors),
                    category_id=category_id,
                    language="fr",
                    status=PublicationStatus.PUBLISHED,
                    published_at=published,
                    content_updated_at=published,
                )
            )
            row_tags.append(rng.sample(tag_ids, rng.randrange(0, 4)))
        with transaction.atomic():
            articles = Article.objects.bulk_create(rows)
            through.objects.bulk_create(
                [
                    through(article_id=article.pk, tag_id=tag_id)
                    for article, tags in zip(articles, row_tags, strict=True)
                    for tag_id in tags
                ]
            )
        created += size
        if created % (ctx.batch_size * 4) == 0 or created == ctx.articles:
            elapsed = time.monotonic() - started
            ctx.log(f"  {created:,} articles ({elapsed:.0f} s)".replace(",", " "))
    stories = 0
    for title, subject, situation, happened, changed in BLOG_STORIES:
        slug = slugify(title)[:180]
        if Story.objects.filter(slug=slug).exists():
            continue
        published = ctx.now - timedelta(days=30 * (stories + 1))
        story = Story.objects.create(
            title=title,
            slug=slug,
            subject=subject,
            summary=situation,
            situation=situation,
            what_happened=happened,
            what_changed=changed,
            situation_html=str(render_article_markdown(situation)),
            what_happened_html=str(render_article_markdown(happened)),
            what_changed_html=str(render_article_markdown(changed)),
            status=PublicationStatus.PUBLISHED,
            published_at=published,
            content_updated_at=published,
        )
        StoryConsent.objects.create(
            story=story,
            featured_name=subject.split(",")[0],
            given_by=subject.split(",")[0],
            given_on=(published - timedelta(days=7)).date(),
            uses=[ConsentUse.BLOG, ConsentUse.GIVING],
            valid_until=(ctx.now + timedelta(days=730)).date(),
            image_rights=ImageRights.NONE,
            notes="Consentement recueilli par écrit lors d'un entretien.",
        )
        stories += 1
    ctx.log(
        f"  {created} articles, {len(categories)} catégories, {len(tag_ids)} étiquettes, "
        f"{stories} récits"
    )
    ctx.counts["articles"] = created
    ctx.counts["stories"] = stories
    ctx.tables |= {Article._meta.db_table, through._meta.db_table, Story._meta.db_table}


def populate_referrals(ctx: Context) -> None:
    """Hang the new people in a referral forest (one deep chain), with links and activity."""
    from essaim.referrals.populate import populate_referral_tree

    counts = populate_referral_tree(
        rng=ctx.rng, now=ctx.now, batch_size=ctx.batch_size, log=ctx.log
    )
    ctx.counts.update(counts)
    ctx.tables |= {
        "people_person",
        "referrals_referrallink",
        "referrals_referralevent",
        "referrals_invitation",
        "referrals_linkvisitday",
    }


SECTIONS: list[tuple[str, Callable[[Context], None]]] = [
    ("people", populate_people),
    ("circles", populate_circles),
    ("discussions", populate_discussions),
    ("actions", populate_actions),
    ("blog", populate_blog),
    ("referrals", populate_referrals),
]


def populate(
    *,
    persons: int,
    circles: int | None = None,
    articles: int = 0,
    seed: int = 1,
    batch_size: int = 5000,
    log: Callable[[str], None] = print,
    only: Iterable[str] | None = None,
) -> dict[str, int]:
    """Fill the database with deterministic demo data; return what each section created.

    ``only`` names the sections to run (in their usual order), e.g. people and referrals
    for the 1M-person tree benchmark without a million circle members.
    """
    wanted = set(only) if only else {name for name, _ in SECTIONS}
    unknown = wanted - {name for name, _ in SECTIONS}
    if unknown:
        raise ValueError(f"Unknown sections: {', '.join(sorted(unknown))}")
    ctx = Context(
        seed=seed,
        persons=persons,
        circles=circles,
        articles=articles,
        batch_size=batch_size,
        log=log,
    )
    for name, section in SECTIONS:
        if name not in wanted:
            continue
        log(f"{name}…")
        section(ctx)
    analyze(ctx.tables)
    if "referrals" not in wanted:
        # People were bulk-written: count their arrivals in the network figures' totals
        # (the referrals section counts everything it wrote itself).
        from essaim.referrals.tally import network_tally_rebuild

        network_tally_rebuild()
    # Written without the services: invalidate the cached public pages, as they would.
    from essaim.core.pagecache import bump

    bump("site", "articles", "stories", "actions")
    return ctx.counts


def analyze(tables: set[str]) -> None:
    """Refresh planner statistics after a bulk load.

    Without it PostgreSQL still believes the tables are nearly empty until autovacuum
    passes, and picks sequential scans: the directory took 70 ms instead of 1 ms at 100k.
    """
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
