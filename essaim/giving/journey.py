"""The excuses journey ("Je n'aime pas donner"): cookies, variants, counts, services, selectors.

A visitor picks an excuse, reads one variant of its answer (a rebuttal), then clicks to
give or to volunteer. Two first-party signed cookies, no identity:

- ``essaim_variant`` keeps, per excuse, the variant this browser was shown (an A/B test
  needs a visitor to see the same answer each time), and the steps it took today (a
  reload or a double click is not a new reader); it holds ids and a day number only.
- ``essaim_give`` remembers the last click "Je donne" (excuse, variant, time) for 30 days,
  so that a gift made afterwards is credited to that answer (:func:`journey_from_request`).

Counts are per day, step, excuse and variant (``JourneyDay``), each browser once a day
per step: no address, no user agent, no visitor identity; link previews and crawlers are
not counted.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from essaim.accounts.policies import can
from essaim.blog.models import ConsentUse, Story
from essaim.blog.story_selectors import stories_usable_for
from essaim.core.services import audit_record
from essaim.referrals.links import is_bot

from .models import Excuse, GivingPage, JourneyDay, JourneySettings, Rebuttal

CLICK_COOKIE = "essaim_give"
CLICK_SALT = "essaim.giving.journey.click"
CLICK_WINDOW = timedelta(days=30)
VARIANT_COOKIE = "essaim_variant"
VARIANT_SALT = "essaim.giving.journey.variant"
VARIANT_WINDOW = timedelta(days=180)
MAX_VARIANT_ENTRIES = 50  # a cookie must stay small, whatever a forger sends
PERMISSION = "giving.pages"

_random = random.SystemRandom()


# --- Cookies -------------------------------------------------------------------------------


def _signed(request: HttpRequest, name: str, salt: str, max_age: timedelta) -> Any:
    raw = request.COOKIES.get(name)
    if not raw:
        return None
    try:
        return signing.loads(raw, salt=salt, max_age=max_age)
    except signing.BadSignature:  # forged, altered or expired
        return None


def _set_signed(
    request: HttpRequest, response: HttpResponse, name: str, salt: str, value: Any, age: timedelta
) -> None:
    response.set_cookie(
        name,
        signing.dumps(value, salt=salt, compress=True),
        max_age=int(age.total_seconds()),
        samesite="Lax",
        httponly=True,
        secure=request.is_secure(),
    )


def _positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def journey_from_request(request: HttpRequest) -> tuple[int | None, int | None]:
    """Return the (excuse id, rebuttal id) of the visitor's last give click within 30 days."""
    value = _signed(request, CLICK_COOKIE, CLICK_SALT, CLICK_WINDOW)
    if not isinstance(value, dict):
        return None, None
    excuse_id, rebuttal_id = _positive_int(value.get("e")), _positive_int(value.get("r"))
    if excuse_id is None or rebuttal_id is None:
        return None, None
    # The answer may have been deleted since (a gift must not point to a missing row).
    if not Rebuttal.objects.filter(pk=rebuttal_id, excuse_id=excuse_id).exists():
        return None, None
    return excuse_id, rebuttal_id


def journey_click_set(request: HttpRequest, response: HttpResponse, *, rebuttal: Rebuttal) -> None:
    """Remember on the visitor's browser that they clicked to give after this answer."""
    value = {"e": rebuttal.excuse_id, "r": rebuttal.pk, "t": int(timezone.now().timestamp())}
    _set_signed(request, response, CLICK_COOKIE, CLICK_SALT, value, CLICK_WINDOW)


@dataclass
class JourneyVisitor:
    """What the variant cookie says of a browser: variants shown, steps counted today."""

    variants: dict[int, int] = field(default_factory=dict)  # excuse id -> rebuttal id
    counted: dict[str, int] = field(default_factory=dict)  # step key -> day (ordinal)
    changed: bool = False

    def show(self, excuse_id: int, rebuttal_id: int) -> None:
        if self.variants.get(excuse_id) != rebuttal_id:
            self.variants[excuse_id] = rebuttal_id
            self.changed = True

    def first_today(self, key: str) -> bool:
        """Tell whether this browser takes this step for the first time today (and note it)."""
        today = timezone.localdate().toordinal()
        if self.counted.get(key) == today:
            return False
        self.counted[key] = today
        self.changed = True
        return True


def _id_map(value: Any) -> dict[int, int]:
    found: dict[int, int] = {}
    if isinstance(value, dict):
        for key, item in list(value.items())[:MAX_VARIANT_ENTRIES]:
            excuse_id = int(key) if isinstance(key, str) and key.isdigit() else None
            rebuttal_id = _positive_int(item)
            if excuse_id and rebuttal_id is not None:
                found[excuse_id] = rebuttal_id
    return found


def visitor_from_request(request: HttpRequest) -> JourneyVisitor:
    """Read the variant cookie (forged, altered or expired ones read as a new visitor)."""
    value = _signed(request, VARIANT_COOKIE, VARIANT_SALT, VARIANT_WINDOW)
    if not isinstance(value, dict):
        return JourneyVisitor()
    today = timezone.localdate().toordinal()
    counted = value.get("c")
    kept = {}
    if isinstance(counted, dict):
        # Only today's steps matter: older ones are dropped, the cookie stays small.
        for key, day in list(counted.items())[: 4 * MAX_VARIANT_ENTRIES]:
            if isinstance(key, str) and len(key) <= 24 and day == today:
                kept[key] = today
    return JourneyVisitor(variants=_id_map(value.get("s")), counted=kept)


def visitor_save(request: HttpRequest, response: HttpResponse, visitor: JourneyVisitor) -> None:
    """Store the variants shown and today's counted steps, when they changed."""
    if not visitor.changed:
        return
    value = {
        "s": {str(excuse_id): rebuttal_id for excuse_id, rebuttal_id in visitor.variants.items()},
        "c": visitor.counted,
    }
    _set_signed(request, response, VARIANT_COOKIE, VARIANT_SALT, value, VARIANT_WINDOW)


def variants_from_request(request: HttpRequest) -> dict[int, int]:
    """Return the variants this browser was shown: {excuse id: rebuttal id} (forgeries ignored)."""
    return visitor_from_request(request).variants


def variant_pick(rebuttals: Sequence[Rebuttal], shown_id: int | None) -> Rebuttal:
    """Return the variant already shown if still active, else one at random (equal weights)."""
    for rebuttal in rebuttals:
        if rebuttal.pk == shown_id:
            return rebuttal
    return _random.choice(list(rebuttals))


# --- Counting ------------------------------------------------------------------------------


def counts_visit(request: HttpRequest) -> bool:
    """Tell whether a request is a person's visit (link previews and crawlers are not)."""
    return not is_bot(request.headers.get("User-Agent", ""))


def journey_count(
    *,
    step: str,
    excuse: Excuse | None = None,
    rebuttal: Rebuttal | None = None,
    day: date | None = None,
) -> None:
    """Add one to the day's count of a step (race-safe, no visitor data)."""
    day = day or timezone.localdate()
    rows = JourneyDay.objects.filter(day=day, step=step)
    rows = rows.filter(excuse=excuse) if excuse is not None else rows.filter(excuse__isnull=True)
    if rebuttal is not None:
        rows = rows.filter(rebuttal=rebuttal)
    else:
        rows = rows.filter(rebuttal__isnull=True)
    if rows.update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            JourneyDay.objects.create(day=day, step=step, excuse=excuse, rebuttal=rebuttal, count=1)
    except IntegrityError:
        # Another request created the day's row first: add to it.
        rows.update(count=F("count") + 1)


# --- Selectors -----------------------------------------------------------------------------


def journey_settings_get() -> JourneySettings:
    """Return the journey's title and introduction (the row is created if missing)."""
    found, _created = JourneySettings.objects.get_or_create(
        pk=JourneySettings.SINGLETON_PK, defaults={"title": _("Je n'aime pas donner")}
    )
    return found


def _active_rebuttals() -> QuerySet[Rebuttal]:
    return Rebuttal.objects.filter(is_active=True).select_related("giving_page", "story")


def public_excuses() -> QuerySet[Excuse]:
    """Return the excuses shown to visitors: active, with at least one active answer, in order."""
    answered = Rebuttal.objects.filter(excuse=OuterRef("pk"), is_active=True)
    return Excuse.objects.filter(is_active=True).filter(Exists(answered)).order_by("position", "id")


def public_excuse(slug: str) -> Excuse | None:
    """Return the shown excuse with this address and its active answers, or None."""
    excuse = (
        public_excuses()
        .filter(slug=slug)
        .prefetch_related(Prefetch("rebuttals", queryset=_active_rebuttals(), to_attr="active"))
        .first()
    )
    return excuse


def rebuttal_story(rebuttal: Rebuttal, language: str) -> Story | None:
    """Return the answer's story if its consents allow giving pages and the public site."""
    if rebuttal.story_id is None:
        return None
    blog = stories_usable_for(ConsentUse.BLOG, language=language).values("pk")
    return (
        stories_usable_for(ConsentUse.GIVING)
        .filter(pk=rebuttal.story_id, pk__in=blog)
        .select_related("cover")
        .first()
    )


def staff_excuses() -> QuerySet[Excuse]:
    """Return every excuse with all its answers, in the public order."""
    rebuttals = Rebuttal.objects.select_related("giving_page", "story").order_by("name", "id")
    return Excuse.objects.prefetch_related(Prefetch("rebuttals", queryset=rebuttals)).order_by(
        "position", "id"
    )


def staff_excuse(pk: int) -> Excuse | None:
    """Return one excuse with its answers (staff), or None."""
    return staff_excuses().filter(pk=pk).first()


def giving_pages_for_choice() -> QuerySet[GivingPage]:
    """Return the giving pages an answer may lead to."""
    return GivingPage.objects.filter(is_active=True).order_by("-is_default", "title")


def stories_for_choice() -> QuerySet[Story]:
    """Return the stories an answer may show (consents allow giving pages)."""
    return stories_usable_for(ConsentUse.GIVING).order_by("title")


# --- Services ------------------------------------------------------------------------------


def _check(actor: Any) -> None:
    if not can(actor, PERMISSION):
        raise PermissionDenied


def _required(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(message)
    return value


def _unique_slug(label: str, *, exclude_pk: int | None = None, wanted: str = "") -> str:
    base = slugify(wanted or label)[:100].strip("-") or "excuse"
    others = Excuse.objects.all() if exclude_pk is None else Excuse.objects.exclude(pk=exclude_pk)
    taken = set(others.filter(slug__startswith=base).values_list("slug", flat=True))
    if wanted:
        if base in taken:
            raise ValidationError(_("Cette adresse est déjà prise par une autre excuse."))
        return base
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def journey_settings_update(*, actor: Any, title: str, intro: str) -> JourneySettings:
    """Save the journey page's title and introduction."""
    _check(actor)
    row = journey_settings_get()
    row.title = _required(title, _("Le titre ne peut pas être vide."))
    row.intro = (intro or "").strip()
    row.save(update_fields=["title", "intro"])
    audit_record(actor=actor, action="giving.journey_settings_update", target=row)
    return row


@transaction.atomic
def excuse_create(*, actor: Any, label: str, slug: str = "", is_active: bool = True) -> Excuse:
    """Add an excuse at the end of the list."""
    _check(actor)
    label = _required(label, _("L'excuse ne peut pas être vide."))
    last = Excuse.objects.aggregate(last=Max("position"))["last"]
    excuse = Excuse.objects.create(
        label=label,
        slug=_unique_slug(label, wanted=slug),
        position=0 if last is None else last + 1,
        is_active=is_active,
    )
    audit_record(actor=actor, action="giving.excuse_create", target=excuse)
    return excuse


@transaction.atomic
def excuse_update(
    *, actor: Any, excuse: Excuse, label: str, slug: str = "", is_active: bool
) -> Excuse:
    """Change an excuse's wording, address or visibility."""
    _check(actor)
    excuse.label = _required(label, _("L'excuse ne peut pas être vide."))
    excuse.slug = _unique_slug(excuse.label, exclude_pk=excuse.pk, wanted=slug or excuse.slug)
    excuse.is_active = is_active
    excuse.save(update_fields=["label", "slug", "is_active", "updated_at"])
    audit_record(
        actor=actor, action="giving.excuse_update", target=excuse, details={"active": is_active}
    )
    return excuse


@transaction.atomic
def excuse_set_active(*, actor: Any, excuse: Excuse, is_active: bool) -> Excuse:
    """Show or hide an excuse (its counts and gifts are kept)."""
    _check(actor)
    excuse.is_active = is_active
    excuse.save(update_fields=["is_active", "updated_at"])
    audit_record(
        actor=actor, action="giving.excuse_set_active", target=excuse, details={"active": is_active}
    )
    return excuse


@transaction.atomic
def excuse_move(*, actor: Any, excuse: Excuse, direction: str) -> None:
    """Move an excuse one place up or down in the public order."""
    _check(actor)
    if direction not in ("up", "down"):
        raise ValidationError(_("Sens de déplacement inconnu."))
    ordered = list(Excuse.objects.select_for_update().order_by("position", "id"))
    index = next((i for i, row in enumerate(ordered) if row.pk == excuse.pk), None)
    if index is None:
        return
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    # Positions renumbered 0..n-1: ties left by older data cannot block a move.
    changed = []
    for position, row in enumerate(ordered):
        if row.position != position:
            row.position = position
            changed.append(row)
    Excuse.objects.bulk_update(changed, ["position"])
    audit_record(
        actor=actor, action="giving.excuse_move", target=excuse, details={"direction": direction}
    )


@dataclass(frozen=True)
class RebuttalInput:
    """What staff type for one variant of an answer."""

    name: str
    text: str
    impact_figure: str = ""
    source_url: str = ""
    source_label: str = ""
    story: Story | None = None
    give_label: str = ""
    giving_page: GivingPage | None = None
    is_active: bool = True


def _rebuttal_apply(rebuttal: Rebuttal, data: RebuttalInput) -> None:
    name = _required(data.name, _("Donnez un nom à la variante (A, B, C…)."))
    taken = (
        Rebuttal.objects.filter(excuse_id=rebuttal.excuse_id, name__iexact=name)
        .exclude(pk=rebuttal.pk)
        .exists()
    )
    if taken:
        raise ValidationError(
            _("Cette excuse a déjà une variante nommée « %(name)s ».") % {"name": name}
        )
    rebuttal.name = name
    rebuttal.text = _required(data.text, _("La réponse ne peut pas être vide."))
    rebuttal.impact_figure = data.impact_figure.strip()
    rebuttal.source_url = data.source_url.strip()
    rebuttal.source_label = data.source_label.strip()
    if rebuttal.source_label and not rebuttal.source_url:
        raise ValidationError(_("Le texte du lien demande une adresse de source."))
    rebuttal.story = data.story
    rebuttal.give_label = data.give_label.strip()
    rebuttal.giving_page = data.giving_page
    rebuttal.is_active = data.is_active


@transaction.atomic
def rebuttal_create(*, actor: Any, excuse: Excuse, data: RebuttalInput) -> Rebuttal:
    """Add a variant of the answer to an excuse (two active variants make an A/B test)."""
    _check(actor)
    rebuttal = Rebuttal(excuse=excuse)
    _rebuttal_apply(rebuttal, data)
    rebuttal.save()
    audit_record(
        actor=actor,
        action="giving.rebuttal_create",
        target=rebuttal,
        details={"name": rebuttal.name},
    )
    return rebuttal


@transaction.atomic
def rebuttal_update(*, actor: Any, rebuttal: Rebuttal, data: RebuttalInput) -> Rebuttal:
    """Change a variant of an answer."""
    _check(actor)
    _rebuttal_apply(rebuttal, data)
    rebuttal.save()
    audit_record(
        actor=actor,
        action="giving.rebuttal_update",
        target=rebuttal,
        details={"name": rebuttal.name},
    )
    return rebuttal


@transaction.atomic
def rebuttal_set_active(*, actor: Any, rebuttal: Rebuttal, is_active: bool) -> Rebuttal:
    """Start or stop showing a variant (visitors who saw it get another one next time)."""
    _check(actor)
    rebuttal.is_active = is_active
    rebuttal.save(update_fields=["is_active", "updated_at"])
    audit_record(
        actor=actor,
        action="giving.rebuttal_set_active",
        target=rebuttal,
        details={"active": is_active},
    )
    return rebuttal
