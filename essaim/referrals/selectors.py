"""Reads of personal links, share texts, invitations and campaigns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.actions.models import Action, Mission
from essaim.actions.selectors import actions_for_user, upcoming
from essaim.core.selectors import organisation_get
from essaim.people.models import Person

from .models import (
    Campaign,
    Channel,
    GoalKind,
    Invitation,
    LinkGoal,
    LinkVisitDay,
    ReferralEvent,
    ReferralEventKind,
    ReferralLink,
    ShareChannel,
    ShareText,
)

# The event that counts towards each kind of campaign goal.
GOAL_EVENT = {
    GoalKind.MEMBERS: ReferralEventKind.SIGNED_UP,
    GoalKind.VOLUNTEERS: ReferralEventKind.VOLUNTEERED,
    GoalKind.DONORS: ReferralEventKind.GAVE,
    GoalKind.MONTHLY_DONORS: ReferralEventKind.GAVE,
    GoalKind.SUBSCRIBERS: ReferralEventKind.SUBSCRIBED,
}
# Goals counted from the gifts themselves (essaim.giving), not from referral events.
GIFT_GOALS = frozenset({GoalKind.DONORS, GoalKind.MONTHLY_DONORS})
ACTIONS_OFFERED = 50  # upcoming actions offered in the "link for an action" menu


def absolute(path: str) -> str:
    return f"{settings.SITE_ORIGIN}{path}"


def link_url(link: ReferralLink, channel: str = "") -> str:
    """The public short address of a link, naming the channel it is shared on."""
    url = absolute(reverse("capillarity:link", kwargs={"code": link.code}))
    return f"{url}?c={channel}" if channel else url


# --- Share texts ---------------------------------------------------------------------------


def default_share_text(goal: str, channel: str) -> tuple[str, str]:
    """The wording used while staff wrote none: (subject, text) with {lien} and {prenom}."""
    name = organisation_get().display_name
    invitation = {
        LinkGoal.JOIN: _("Je fais partie de %(name)s et j'aimerais que tu nous rejoignes."),
        LinkGoal.VOLUNTEER: _("%(name)s cherche des bénévoles : viens agir avec moi !"),
        LinkGoal.GIVE: _("Je soutiens %(name)s : tu peux aussi faire un don."),
        LinkGoal.NEWS: _("Je suis les nouvelles de %(name)s, elles pourraient t'intéresser."),
    }[LinkGoal(goal)] % {"name": name}
    subject = {
        LinkGoal.JOIN: _("Rejoins-moi chez %(name)s"),
        LinkGoal.VOLUNTEER: _("Viens agir avec moi chez %(name)s"),
        LinkGoal.GIVE: _("Soutiens %(name)s"),
        LinkGoal.NEWS: _("Les nouvelles de %(name)s"),
    }[LinkGoal(goal)] % {"name": name}
    if channel == ShareChannel.EMAIL:
        text = _("Bonjour,\n\n%(invitation)s\n\n{lien}\n\nÀ bientôt,\n{prenom}") % {
            "invitation": invitation
        }
        return subject, text
    if channel == ShareChannel.SOCIAL:
        return "", f"{invitation} {{lien}}"
    return "", _("%(invitation)s {lien} — {prenom}") % {"invitation": invitation}


def share_texts_for(goals: list[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """Return (goal, channel) → (subject, text), staff's wording first, else the default."""
    texts = {
        (goal, channel): default_share_text(goal, channel)
        for goal in goals
        for channel in ShareChannel.values
    }
    for row in ShareText.objects.filter(goal__in=goals):
        texts[(row.goal, row.channel)] = (row.subject, row.text)
    return texts


def fill(text: str, *, url: str, first_name: str) -> str:
    # Plain replacement, not str.format: braces staff typed elsewhere stay as they are.
    return text.replace("{lien}", url).replace("{prenom}", first_name)


@dataclass(frozen=True)
class ShareOption:
    label: str
    url: str
    kind: str


def share_options(
    *, link: ReferralLink, texts: dict[tuple[str, str], tuple[str, str]], first_name: str
) -> list[ShareOption]:
    """Plain share links (mailto:, sms:, messaging and social share pages): no script."""
    goal = link.goal

    def text_for(channel: str, url_channel: str) -> tuple[str, str, str]:
        url = link_url(link, url_channel)
        subject, text = texts[(goal, channel)]
        return (
            fill(subject, url=url, first_name=first_name),
            fill(text, url=url, first_name=first_name),
            url,
        )

    subject, body, _url = text_for(ShareChannel.EMAIL, Channel.EMAIL)
    options = [
        ShareOption(
            _("E-mail"),
            "mailto:?" + urlencode({"subject": subject, "body": body}, quote_via=quote),
            "email",
        )
    ]
    _subject, sms, _url = text_for(ShareChannel.SMS, Channel.SMS)
    options.append(
        ShareOption(_("SMS"), "sms:?" + urlencode({"body": sms}, quote_via=quote), "sms")
    )
    _subject, message, url = text_for(ShareChannel.MESSAGING, Channel.MESSAGING)
    options.append(
        ShareOption(
            "WhatsApp",
            "https://wa.me/?" + urlencode({"text": message}, quote_via=quote),
            "whatsapp",
        )
    )
    options.append(
        ShareOption(
            "Telegram",
            "https://t.me/share/url?" + urlencode({"url": url, "text": message}, quote_via=quote),
            "telegram",
        )
    )
    _subject, post, url = text_for(ShareChannel.SOCIAL, Channel.SOCIAL)
    options += [
        ShareOption(
            "Facebook",
            "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}, quote_via=quote),
            "facebook",
        ),
        ShareOption(
            "LinkedIn",
            "https://www.linkedin.com/sharing/share-offsite/?"
            + urlencode({"url": url}, quote_via=quote),
            "linkedin",
        ),
        ShareOption(
            "X", "https://x.com/intent/post?" + urlencode({"text": post}, quote_via=quote), "x"
        ),
    ]
    return options


# --- Links of a person ---------------------------------------------------------------------


def person_links(person: Person) -> QuerySet[ReferralLink]:
    """Return a person's active links with what they point to."""
    return (
        ReferralLink.objects.filter(owner=person, is_active=True)
        .select_related("action", "mission__action", "campaign")
        .order_by("id")
    )


def actions_offered(user: object) -> list[Action]:
    """Upcoming actions the person may see, for a volunteering link."""
    return list(upcoming(actions_for_user(user).exclude(status="cancelled"))[:ACTIONS_OFFERED])


def missions_of(action: Action) -> list[Mission]:
    return list(
        Mission.objects.filter(action=action, starts_at__gt=timezone.now()).order_by(
            "starts_at", "id"
        )
    )


def link_visits(links: list[ReferralLink]) -> dict[int, int]:
    """Total visits per link id, in one query."""
    rows = LinkVisitDay.objects.filter(link__in=links).values("link").annotate(total=Sum("count"))
    return {row["link"]: row["total"] or 0 for row in rows}


def link_arrivals(links: list[ReferralLink]) -> dict[int, int]:
    """People who signed up, volunteered or subscribed through each link, in one query."""
    rows = (
        ReferralEvent.objects.filter(link__in=links)
        .values("link")
        .annotate(total=Count("person", distinct=True))
    )
    return {row["link"]: row["total"] for row in rows}


# --- Invitations ---------------------------------------------------------------------------


def invitations_of(person: Person) -> QuerySet[Invitation]:
    """Return a person's invitations, newest first."""
    return Invitation.objects.filter(inviter=person).order_by("-created_at", "-id")


def invitations_sent_since(person: Person, since: datetime) -> int:
    return Invitation.objects.filter(inviter=person, created_at__gte=since).count()


def invitations_left_today(person: Person) -> int:
    """How many more invitations the person may send in the rolling 24 hours."""
    used = invitations_sent_since(person, timezone.now() - timedelta(hours=24))
    return max(organisation_get().invitations_per_day - used, 0)


# --- Campaigns -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignProgress:
    campaign: Campaign
    count: int
    via_links: int

    @property
    def percent(self) -> int:
        if not self.campaign.target:
            return 0
        return min(100, round(100 * self.count / self.campaign.target))

    @property
    def value(self) -> int:
        # A <progress> element's value may not exceed its max.
        return min(self.count, self.campaign.target)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def campaigns_progress(campaigns: list[Campaign]) -> list[CampaignProgress]:
    """Progress of campaigns in one query: arrivals of the goal's kind within their dates.

    Every arrival in the period counts (the goal is the network's, whoever brought the
    person); those through the campaign's own links are counted apart.
    """
    if not campaigns:
        return []
    gifts = _gift_counts([c for c in campaigns if c.goal_kind in GIFT_GOALS])
    campaigns_of_events = [c for c in campaigns if c.goal_kind not in GIFT_GOALS]
    totals = _event_counts(campaigns_of_events) if campaigns_of_events else {}
    totals.update(gifts)
    return [
        CampaignProgress(
            campaign=campaign,
            count=totals[f"all_{campaign.pk}"] or 0,
            via_links=totals[f"own_{campaign.pk}"] or 0,
        )
        for campaign in campaigns
    ]


def _gift_counts(campaigns: list[Campaign]) -> dict[str, Any]:
    """Donors of the period from the gifts themselves (every donor, referred or not).

    A donors' goal counts the people whose gift was paid within the campaign's dates; a
    monthly donors' goal, the people whose monthly gift started within them. Those whose
    gift names the campaign (its page, its links) are counted apart. One query.
    """
    if not campaigns:
        return {}
    from essaim.giving.models import Donation, DonationStatus, Frequency

    aggregates = {}
    for campaign in campaigns:
        start = _day_start(campaign.starts_on)
        end = _day_start(campaign.ends_on + timedelta(days=1))
        if campaign.goal_kind == GoalKind.MONTHLY_DONORS:
            period = Q(
                frequency=Frequency.MONTHLY,
                recurring__started_at__gte=start,
                recurring__started_at__lt=end,
            )
        else:
            period = Q(paid_at__gte=start, paid_at__lt=end)
        aggregates[f"all_{campaign.pk}"] = Count("person", distinct=True, filter=period)
        aggregates[f"own_{campaign.pk}"] = Count(
            "person", distinct=True, filter=period & Q(campaign=campaign.pk)
        )
    return Donation.objects.filter(status=DonationStatus.PAID).aggregate(**aggregates)


def _event_counts(campaigns: list[Campaign]) -> dict[str, Any]:
    aggregates = {}
    for campaign in campaigns:
        period = Q(
            kind=GOAL_EVENT[GoalKind(campaign.goal_kind)],
            created_at__gte=_day_start(campaign.starts_on),
            created_at__lt=_day_start(campaign.ends_on + timedelta(days=1)),
        )
        aggregates[f"all_{campaign.pk}"] = Count("person", distinct=True, filter=period)
        aggregates[f"own_{campaign.pk}"] = Count(
            "person", distinct=True, filter=period & Q(campaign=campaign.pk)
        )
    earliest = min(campaign.starts_on for campaign in campaigns)
    return ReferralEvent.objects.filter(created_at__gte=_day_start(earliest)).aggregate(
        **aggregates
    )


def campaigns_running(*, public_only: bool = False) -> list[Campaign]:
    """Campaigns whose dates include today."""
    today = timezone.localdate()
    campaigns = Campaign.objects.filter(starts_on__lte=today, ends_on__gte=today)
    if public_only:
        campaigns = campaigns.filter(is_public=True)
    return list(campaigns.order_by("ends_on", "id")[:10])


def campaigns_all() -> QuerySet[Campaign]:
    return Campaign.objects.order_by("-starts_on", "-id")
