"""Circles (branches, commissions, teams), their members, and their discussions."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from essaim.core.models import TimeStampedModel
from essaim.people.models import Person, private_storage


def new_code() -> str:
    return secrets.token_urlsafe(24)


class CircleKind(models.TextChoices):
    NATIONAL = "national", _("Échelon national")
    REGIONAL = "regional", _("Échelon régional")
    BRANCH = "branch", _("Antenne locale")
    COMMISSION = "commission", _("Commission")
    TEAM = "team", _("Équipe projet")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public : tout le monde voit le cercle et son contenu public")
    PRIVATE = "private", _("Privé : visible de tous, contenu réservé aux membres")
    SECRET = "secret", _("Secret : invisible pour les non-membres")


class JoinPolicy(models.TextChoices):
    OPEN = "open", _("Ouvert : chacun peut rejoindre")
    REQUEST = "request", _("Sur demande : les coordinateurs acceptent ou refusent")
    INVITATION = "invitation", _("Sur invitation seulement")


class Circle(TimeStampedModel):
    name = models.CharField(_("nom"), max_length=120)
    slug = models.SlugField(_("adresse"), max_length=140, unique=True)
    kind = models.CharField(
        _("type"), max_length=20, choices=CircleKind.choices, default=CircleKind.BRANCH
    )
    description = models.TextField(_("présentation"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("cercle parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    visibility = models.CharField(
        _("visibilité"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    join_policy = models.CharField(
        _("adhésion"), max_length=12, choices=JoinPolicy.choices, default=JoinPolicy.REQUEST
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    archived_at = models.DateTimeField(_("archivé le"), null=True, blank=True)
    # Kept by the membership services: the circle list shows it without counting rows.
    member_count = models.PositiveIntegerField(_("membres"), default=0)

    class Meta:
        verbose_name = _("cercle")
        verbose_name_plural = _("cercles")
        ordering = ("name",)
        indexes = [models.Index(fields=["visibility", "name"], name="circles_visibility_name_idx")]

    def __str__(self) -> str:
        return self.name


class MembershipRole(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinateur")
    MEMBER = "member", _("Membre")


class Membership(models.Model):
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        _("rôle"), max_length=12, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    joined_at = models.DateTimeField(_("membre depuis"), auto_now_add=True)

    class Meta:
        verbose_name = _("appartenance")
        verbose_name_plural = _("appartenances")
        constraints = [
            models.UniqueConstraint(fields=["circle", "person"], name="circles_membership_unique")
        ]
        indexes = [models.Index(fields=["person", "circle"], name="circles_membership_person_idx")]

    def __str__(self) -> str:
        return f"{self.person} — {self.circle}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    APPROVED = "approved", _("Acceptée")
    REFUSED = "refused", _("Refusée")
    WITHDRAWN = "withdrawn", _("Retirée")


REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.PENDING: frozenset(
        {RequestStatus.APPROVED, RequestStatus.REFUSED, RequestStatus.WITHDRAWN}
    ),
    RequestStatus.APPROVED: frozenset(),
    RequestStatus.REFUSED: frozenset(),
    RequestStatus.WITHDRAWN: frozenset(),
}


class JoinRequest(models.Model):
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="join_requests")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="join_requests")
    message = models.TextField(_("message"), blank=True, max_length=2000)
    status = models.CharField(
        _("statut"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    response = models.TextField(_("réponse"), blank=True, max_length=2000)
    decided_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("demande d'adhésion")
        verbose_name_plural = _("demandes d'adhésion")
        constraints = [
            # One pending request per person and circle.
            models.UniqueConstraint(
                fields=["circle", "person"],
                condition=Q(status="pending"),
                name="circles_joinrequest_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.circle}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    ACCEPTED = "accepted", _("Acceptée")
    DECLINED = "declined", _("Déclinée")
    REVOKED = "revoked", _("Annulée")


INVITATION_TRANSITIONS: dict[str, frozenset[str]] = {
    InvitationStatus.PENDING: frozenset(
        {InvitationStatus.ACCEPTED, InvitationStatus.DECLINED, InvitationStatus.REVOKED}
    ),
    InvitationStatus.ACCEPTED: frozenset(),
    InvitationStatus.DECLINED: frozenset(),
    InvitationStatus.REVOKED: frozenset(),
}


class CircleInvitation(models.Model):
    """An invitation to join a circle, reached through a random code (never an id)."""

    code = models.CharField(max_length=64, unique=True, default=new_code, editable=False)
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("adresse e-mail"))
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="circle_invitations"
    )
    invited_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("statut"),
        max_length=10,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["circle", "status"], name="circles_invitation_status_idx")]

    def __str__(self) -> str:
        return f"{self.email} → {self.circle}"


class Thread(TimeStampedModel):
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(_("titre"), max_length=200)
    author = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    pinned = models.BooleanField(_("épinglée"), default=False)
    locked = models.BooleanField(_("verrouillée"), default=False)
    # Kept by the message services, for the thread list and keyset pagination.
    last_activity_at = models.DateTimeField(_("dernière activité"), db_index=True)
    reply_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("discussion")
        verbose_name_plural = _("discussions")
        indexes = [
            models.Index(
                fields=["circle", "-pinned", "-last_activity_at", "-id"],
                name="circles_thread_list_idx",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("message"), max_length=20000)
    # Markdown rendered and sanitised once, when written.
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.CharField(_("motif du masquage"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ("created_at", "id")
        indexes = [
            models.Index(fields=["thread", "created_at", "id"], name="circles_message_thread_idx")
        ]

    def __str__(self) -> str:
        return f"{self.author} : {self.body[:40]}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    # A random name: the member's file name is kept in original_name, never on disk.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"circles/attachments/{uuid.uuid4().hex}.{extension[:5]}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    # Private storage: served only through a view that checks who may read the thread.
    file = models.FileField(
        _("fichier"), upload_to=attachment_upload_to, storage=private_storage, max_length=255
    )
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return self.original_name


class Reaction(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "person", "emoji"], name="circles_reaction_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.emoji} {self.person}"


class ReportStatus(models.TextChoices):
    OPEN = "open", _("À examiner")
    HIDDEN = "hidden", _("Message masqué")
    DISMISSED = "dismissed", _("Classé sans suite")


REPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    ReportStatus.OPEN: frozenset({ReportStatus.HIDDEN, ReportStatus.DISMISSED}),
    ReportStatus.HIDDEN: frozenset(),
    ReportStatus.DISMISSED: frozenset(),
}


class Report(models.Model):
    """A member's report of a message to the circle's coordinators."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("motif"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    # Who closed the report and when (the audit log keeps each change too).
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(_("note"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        indexes = [models.Index(fields=["status", "message"], name="circles_report_status_idx")]

    def __str__(self) -> str:
        return f"{self.reporter} : {self.reason[:40]}"


class ThreadRead(models.Model):
    """Where a person stopped reading a thread: the unread marker."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    last_read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "person"], name="circles_threadread_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.thread}"
