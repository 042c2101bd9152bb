"""Personal links: creation, visit counting, the attribution cookie and its use.

A visit of ``/r/<code>/`` adds one to the link's count of the day and channel (no address,
no user agent, no visitor identity is kept) and, when the visitor carries no unexpired
attribution yet, sets the first-party signed cookie ``essaim_ref``: the link (or
invitation) code, the channel and the first-touch time. Sign-up, mission sign-up and
public registration read it back with :func:`attribution_from_request` and credit the
referrer through the tree's services (essaim.referrals.tree).
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.actions.models import Action, Mission
from essaim.actions.policies import is_public
from essaim.core.selectors import organisation_get
from essaim.people.models import Person

from .models import (
    Campaign,
    Channel,
    Invitation,
    InvitationStatus,
    LinkGoal,
    LinkVisitDay,
    ReferralEventKind,
    ReferralLink,
)
from .tally import VISITS, tally_add

COOKIE_NAME = "essaim_ref"
COOKIE_SALT = "essaim.referrals.attribution"
CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 12  # 62**12 ≈ 3e21: not guessable, short enough to type from a poster
LINK_CODE_RE = re.compile(r"^[A-Za-z0-9]{10,16}$")
INVITATION_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{16,32}$")
# Goals a person gets a personal link for (giving links lead to the default giving page).
OFFERED_GOALS = (LinkGoal.JOIN, LinkGoal.VOLUNTEER, LinkGoal.GIVE, LinkGoal.NEWS)
# Channels a shared address may name with ?c= (manual entries are staff-only).
VISIT_CHANNELS = frozenset(Channel.values) - {Channel.MANUAL}
# A cheap test, not a defence: link previews and crawlers are not visits of people.
BOT_MARKERS = ("bot", "crawler", "spider", "preview")


def new_link_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def is_bot(user_agent: str) -> bool:
    lowered = (user_agent or "").lower()
    return any(marker in lowered for marker in BOT_MARKERS)


def channel_of(value: str | None) -> str:
    return value if value in VISIT_CHANNELS else Channel.LINK


# --- Links ---------------------------------------------------------------------------------


def link_get_or_create(
    *,
    owner: Person,
    goal: str,
    action: Action | None = None,
    mission: Mission | None = None,
    campaign: Campaign | None = None,
) -> ReferralLink:
    """Return the person's link for this goal (and action, mission, campaign), creating it."""
    if goal not in OFFERED_GOALS:
        raise ValidationError(_("Ce type de lien n'est pas proposé."))
    if mission is not None:
        action = None  # a mission link points to its action already
    if (action is not None or mission is not None) and goal != LinkGoal.VOLUNTEER:
        raise ValidationError(_("Seuls les liens de bénévolat visent une action ou une mission."))
    lookup = {
        "owner": owner,
        "goal": goal,
        "action": action,
        "mission": mission,
        "campaign": campaign,
    }
    link = ReferralLink.objects.filter(**lookup).first()
    if link is not None:
        return link
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return ReferralLink.objects.create(code=new_link_code(), **lookup)
        except IntegrityError:
            # Created at the same moment by another request (or, once in 1e21, a code clash).
            link = ReferralLink.objects.filter(**lookup).first()
            if link is not None:
                return link
    raise IntegrityError("could not create a referral link")


@transaction.atomic
def link_renew(*, owner: Person, link: ReferralLink) -> ReferralLink:
    """Give a link a new code: the old address stops working (a link shared too widely)."""
    locked = ReferralLink.objects.select_for_update().filter(pk=link.pk, owner=owner).first()
    if locked is None:
        raise PermissionDenied
    locked.code = new_link_code()
    locked.save(update_fields=["code"])
    return locked


def link_resolve(code: str) -> ReferralLink | None:
    """Return the active link of a code, or None for a forged, unknown or inactive one."""
    if not LINK_CODE_RE.match(code or ""):
        return None
    return (
        ReferralLink.objects.select_related("owner", "action", "mission__action", "campaign")
        .filter(code=code, is_active=True, owner__erased_at__isnull=True)
        .first()
    )


def link_target(link: ReferralLink) -> str:
    """Where a visitor of the link lands: the page of the link's goal."""
    if link.goal == LinkGoal.VOLUNTEER:
        action = link.mission.action if link.mission_id else link.action  # type: ignore[union-attr]
        if action is not None:
            if is_public(action):
                return reverse("public_actions:detail", kwargs={"slug": action.slug})
            return reverse("actions:detail", kwargs={"slug": action.slug})
        return reverse("blog:home")
    if link.goal == LinkGoal.GIVE:
        from essaim.blog.public import public_reverse

        return public_reverse("give")
    # Joining and the news both go to the sign-up form (it holds the newsletter consent).
    return reverse("account_signup")


@transaction.atomic
def visit_record(
    *, link: ReferralLink, channel: str = Channel.LINK, day: date | None = None
) -> None:
    """Count one visit of a link for its day and channel (race-safe, no visitor data)."""
    day = day or timezone.localdate()
    tally_add([(VISITS, day.strftime("%Y-%m"), 1, 0)])
    rows = LinkVisitDay.objects.filter(link=link, day=day, channel=channel)
    if rows.update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            LinkVisitDay.objects.create(link=link, day=day, channel=channel, count=1)
    except IntegrityError:
        # Another visit created the day's row first: add to it.
        rows.update(count=F("count") + 1)


# --- The attribution cookie ----------------------------------------------------------------


@dataclass(frozen=True)
class Attribution:
    """Who brought the visitor (read back from the cookie, still within the window)."""

    referrer: Person
    at: datetime
    channel: str
    link: ReferralLink | None = None
    invitation: Invitation | None = None

    @property
    def campaign(self) -> Campaign | None:
        if self.invitation is not None and self.invitation.campaign_id:
            return self.invitation.campaign
        return self.link.campaign if self.link is not None else None


def window() -> timedelta:
    return timedelta(days=organisation_get().referral_window_days)


def _cookie_value(request: HttpRequest) -> dict[str, Any] | None:
    raw = request.COOKIES.get(COOKIE_NAME)
    if not raw:
        return None
    try:
        value = signing.loads(raw, salt=COOKIE_SALT, max_age=window())
    except signing.BadSignature:  # forged, altered or older than the window
        return None
    if not isinstance(value, dict) or not isinstance(value.get("t"), int | float):
        return None
    return value


def attribution_from_request(request: HttpRequest) -> Attribution | None:
    """Read the attribution cookie: its referrer if signed, within the window and still valid."""
    value = _cookie_value(request)
    if value is None:
        return None
    at = datetime.fromtimestamp(value["t"], tz=timezone.get_current_timezone())
    if timezone.now() - at > window():
        return None
    kind, code = value.get("k"), str(value.get("c", ""))
    if kind == "i":
        invitation = (
            Invitation.objects.select_related("inviter", "link", "campaign")
            .filter(code=code, status__in=(InvitationStatus.SENT, InvitationStatus.QUEUED))
            .exclude(email="")
            .first()
        )
        if invitation is None or invitation.inviter.erased_at is not None:
            return None
        return Attribution(
            referrer=invitation.inviter,
            at=at,
            channel=Channel.EMAIL,
            link=invitation.link,
            invitation=invitation,
        )
    link = link_resolve(code)
    if link is None:
        return None
    return Attribution(referrer=link.owner, at=at, channel=channel_of(value.get("h")), link=link)


def has_attribution(request: HttpRequest) -> bool:
    return attribution_from_request(request) is not None


def attribution_set(
    request: HttpRequest,
    response: HttpResponse,
    *,
    code: str,
    kind: str = "l",
    channel: str = Channel.LINK,
) -> bool:
    """Set the attribution cookie unless an unexpired one is there (first touch wins)."""
    if has_attribution(request):
        return False
    value = {"k": kind, "c": code, "h": channel, "t": int(timezone.now().timestamp())}
    response.set_cookie(
        COOKIE_NAME,
        signing.dumps(value, salt=COOKIE_SALT, compress=True),
        max_age=int(window().total_seconds()),
        samesite="Lax",
        httponly=True,
        secure=request.is_secure(),
    )
    return True


def attribution_apply(
    *,
    attribution: Attribution | None,
    person: Person,
    kind: str,
    at: datetime | None = None,
    amount_cents: int = 0,
) -> bool:
    """Credit the referrer with what the person just did; tell whether the tree changed."""
    if attribution is None:
        return False
    from .tree import referral_attribute, referral_event_record

    at = at or timezone.now()
    campaign = attribution.campaign
    with transaction.atomic():
        attributed = referral_attribute(
            person=person,
            referrer=attribution.referrer,
            at=at,
            link=attribution.link,
            campaign=campaign,
            channel=attribution.channel,
        )
        referred_by = Person.objects.filter(pk=person.pk).values_list("referred_by", flat=True)
        if referred_by.first() == attribution.referrer.pk:
            # Only a step taken within this referrer's tree is theirs: a person brought by
            # someone else first (first touch wins) is not credited to this link.
            referral_event_record(
                person=person,
                kind=kind,
                at=at,
                link=attribution.link,
                campaign=campaign,
                channel=attribution.channel,
                amount_cents=amount_cents,
            )
        invitation = attribution.invitation
        if invitation is not None and kind == ReferralEventKind.SIGNED_UP:
            Invitation.objects.filter(
                pk=invitation.pk, status__in=(InvitationStatus.SENT, InvitationStatus.QUEUED)
            ).update(status=InvitationStatus.ACCEPTED, accepted_at=at, accepted_person=person)
    return attributed


def attribution_apply_from_request(*, request: HttpRequest, person: Person, kind: str) -> bool:
    """Credit the referrer named by the request's cookie (if any) with the person's step."""
    return attribution_apply(
        attribution=attribution_from_request(request), person=person, kind=kind
    )


# --- Share texts ---------------------------------------------------------------------------


@transaction.atomic
def share_texts_update(*, actor: Any, texts: dict[tuple[str, str], tuple[str, str]]) -> int:
    """Save staff's wording of the share texts; return how many changed."""
    from essaim.accounts.policies import can
    from essaim.core.services import audit_record

    from .models import ShareText
    from .selectors import share_texts_for

    if not can(actor, "share_texts.edit"):
        raise PermissionDenied
    for _subject, text in texts.values():
        if "{lien}" not in text:
            raise ValidationError(
                _("Chaque texte doit contenir {lien}, remplacé par le lien personnel.")
            )
    current = share_texts_for(sorted({goal for goal, _channel in texts}))
    changed = []
    for key, (subject, text) in texts.items():
        if current.get(key) == (subject, text):
            continue
        goal, channel = key
        ShareText.objects.update_or_create(
            goal=goal, channel=channel, defaults={"subject": subject, "text": text}
        )
        changed.append(f"{goal}/{channel}")
    if changed:
        audit_record(actor=actor, action="share_text.update", details={"changed": changed})
    return len(changed)
