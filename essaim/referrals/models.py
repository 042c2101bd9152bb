"""Capillarity: personal links, their visits, invitations, suppression list, campaigns.

The who-brought-whom tree: `people.Person.referred_by` is the truth, with the cached
downline counts beside it; each person's materialized path and depth live in the narrow
:class:`TreePosition` table. Both are kept by essaim.referrals.tree.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from essaim.core.models import TimeStampedModel


class TreePosition(models.Model):
    """Where a person hangs in the tree: their materialized path and generation.

    The path holds the ids of the ancestors and the person, each a fixed-width base-36
    segment (essaim.referrals.tree); ``path >= p AND path < p || '~'`` is the subtree of
    p, a range of the path index (byte order: COLLATE "C" on PostgreSQL, migration 0008).
    Kept apart from people_person so that moving a subtree rewrites rows with two indexes,
    not a contact row with fifteen (the directory's trigram index among them).
    """

    person = models.OneToOneField(
        "people.Person",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="tree_position",
    )
    path = models.CharField(max_length=1000)
    depth = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["path"], name="referrals_position_path_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.path}"


class LinkGoal(models.TextChoices):
    JOIN = "join", _("Rejoindre le réseau")
    VOLUNTEER = "volunteer", _("S'engager comme bénévole")
    GIVE = "give", _("Faire un don")
    NEWS = "news", _("Recevoir les nouvelles")


class Channel(models.TextChoices):
    """How a person arrived (for the figures by channel)."""

    LINK = "link", _("Lien personnel")
    QR = "qr", _("QR code")
    EMAIL = "email", _("Invitation par e-mail")
    SMS = "sms", _("SMS")
    MESSAGING = "messaging", _("Messagerie")
    SOCIAL = "social", _("Réseaux sociaux")
    MANUAL = "manual", _("Saisie par l'équipe")


class GoalKind(models.TextChoices):
    MEMBERS = "members", _("nouveaux membres")
    VOLUNTEERS = "volunteers", _("nouveaux bénévoles")
    DONORS = "donors", _("nouveaux donateurs")
    MONTHLY_DONORS = "monthly_donors", _("nouveaux donateurs mensuels")
    SUBSCRIBERS = "subscribers", _("nouveaux abonnés aux nouvelles")


class Campaign(TimeStampedModel):
    """A time-boxed recruitment goal ("200 new volunteers before June")."""

    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("adresse"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    goal_kind = models.CharField(_("objectif"), max_length=20, choices=GoalKind.choices)
    target = models.PositiveIntegerField(_("nombre visé"))
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))
    is_public = models.BooleanField(
        _("afficher sur le site public"),
        default=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("campagne de recrutement")
        verbose_name_plural = _("campagnes de recrutement")
        ordering = ("-starts_on", "-id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="referrals_campaign_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ReferralLink(models.Model):
    """A person's personal link for one goal (and, for volunteering, one action or mission)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    owner = models.ForeignKey(
        "people.Person",
        verbose_name=_("personne"),
        on_delete=models.CASCADE,
        related_name="referral_links",
    )
    goal = models.CharField(_("objectif"), max_length=12, choices=LinkGoal.choices)
    action = models.ForeignKey(
        "actions.Action", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    mission = models.ForeignKey(
        "actions.Mission", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="links"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("lien personnel")
        verbose_name_plural = _("liens personnels")
        constraints = [
            # One link per owner, goal, action, mission and campaign, an empty one counting
            # as a value (expressions: SQLite has no NULLS NOT DISTINCT).
            models.UniqueConstraint(
                models.F("owner"),
                models.F("goal"),
                Coalesce(models.F("action"), models.Value(0)),
                Coalesce(models.F("mission"), models.Value(0)),
                Coalesce(models.F("campaign"), models.Value(0)),
                name="referrals_link_one_per_goal",
            )
        ]

    def __str__(self) -> str:
        return self.code


class LinkVisitDay(models.Model):
    """Visits of a link, counted per day and channel: no address, no visitor identity kept."""

    link = models.ForeignKey(ReferralLink, on_delete=models.CASCADE, related_name="visit_days")
    day = models.DateField()
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.LINK)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["link", "day", "channel"], name="referrals_visitday_unique"
            )
        ]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.link_id} {self.day} {self.count}"


class ReferralEventKind(models.TextChoices):
    SIGNED_UP = "signed_up", _("A rejoint le réseau")
    VOLUNTEERED = "volunteered", _("S'est engagé comme bénévole")
    GAVE = "gave", _("A fait un don")
    SUBSCRIBED = "subscribed", _("S'est abonné aux nouvelles")


class ReferralEvent(models.Model):
    """What a referred person did, credited to the referrer (for the funnel and results)."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="referral_events"
    )
    referrer = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="credited_referral_events",
    )
    kind = models.CharField(max_length=12, choices=ReferralEventKind.choices)
    link = models.ForeignKey(
        ReferralLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.LINK)
    # Money given, for "gave" events (integer cents).
    amount_cents = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["referrer", "kind"]),
            models.Index(fields=["campaign", "kind"]),
            models.Index(fields=["kind", "created_at"]),
            # Distinct people who volunteered or gave, read from the index alone.
            models.Index(fields=["kind", "person"], name="referrals_event_kind_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind}"


class NetworkTally(models.Model):
    """One running total of the whole-network figures (see essaim.referrals.tally)."""

    metric = models.CharField(max_length=12)
    key = models.CharField(max_length=80)
    count = models.BigIntegerField(default=0)
    amount_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["metric", "key"], name="referrals_tally_unique")
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.key}: {self.count}"


class InvitationStatus(models.TextChoices):
    QUEUED = "queued", _("En attente d'envoi")
    SENT = "sent", _("Envoyée")
    ACCEPTED = "accepted", _("Acceptée")
    REFUSED = "refused", _("Refusée (ne plus me contacter)")
    FAILED = "failed", _("Échec de l'envoi")
    EXPIRED = "expired", _("Expirée")


class Invitation(TimeStampedModel):
    """An e-mail invitation sent by a person; the address is erased after the retention period."""

    code = models.CharField(max_length=32, unique=True)
    inviter = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="invitations_sent"
    )
    # Emptied by the retention job once the invitation expires unaccepted.
    email = models.EmailField(_("adresse e-mail"), blank=True)
    message = models.TextField(_("message personnel"), blank=True)
    link = models.ForeignKey(
        ReferralLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.QUEUED
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    # A failed sending is tried again later (mail server down): how many tries, and when next.
    attempts = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["inviter", "created_at"]),
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "retry_at"]),
        ]

    def __str__(self) -> str:
        return self.code


class SuppressedAddress(models.Model):
    """An address that asked never to be invited again, kept only as a hash."""

    email_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("adresse à ne plus contacter")
        verbose_name_plural = _("adresses à ne plus contacter")

    def __str__(self) -> str:
        return self.email_hash[:12]


class ShareChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    MESSAGING = "messaging", _("Messageries (WhatsApp, Signal…)")
    SOCIAL = "social", _("Réseaux sociaux")


class ShareText(models.Model):
    """The organisation's wording of a ready-to-share message, per goal and channel."""

    goal = models.CharField(max_length=12, choices=LinkGoal.choices)
    channel = models.CharField(max_length=12, choices=ShareChannel.choices)
    subject = models.CharField(_("objet (e-mail)"), max_length=200, blank=True)
    text = models.TextField(
        _("texte"),
        help_text=_("{lien} est remplacé par le lien personnel, {prenom} par le prénom."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("texte de partage")
        verbose_name_plural = _("textes de partage")
        constraints = [
            models.UniqueConstraint(fields=["goal", "channel"], name="referrals_sharetext_unique")
        ]

    def __str__(self) -> str:
        return f"{self.goal}/{self.channel}"
