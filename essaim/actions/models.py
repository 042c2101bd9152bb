"""A circle's actions: prepare (objectives, tasks, missions), run (check-in), evaluate."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from essaim.circles.models import Circle
from essaim.core.models import TimeStampedModel
from essaim.people.models import Person, private_storage


def new_code() -> str:
    return secrets.token_urlsafe(24)


class ActionKind(models.TextChoices):
    EVENT = "event", _("Événement")
    STREET = "street", _("Action de rue")
    CAMPAIGN = "campaign", _("Campagne")
    FUNDRAISER = "fundraiser", _("Collecte de fonds")
    TRAINING = "training", _("Formation")
    MEETING = "meeting", _("Réunion")


class ActionVisibility(models.TextChoices):
    CIRCLE = "circle", _("Membres du cercle")
    MEMBERS = "members", _("Tous les membres du réseau")
    PUBLIC = "public", _("Public (page visible de tous)")


class ActionStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PREPARING = "preparing", _("En préparation")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminée")
    EVALUATED = "evaluated", _("Évaluée")
    CANCELLED = "cancelled", _("Annulée")


# The declared lifecycle: each status and the statuses it may move to.
ACTION_TRANSITIONS: dict[str, frozenset[str]] = {
    ActionStatus.DRAFT: frozenset({ActionStatus.PREPARING, ActionStatus.CANCELLED}),
    ActionStatus.PREPARING: frozenset(
        {ActionStatus.DRAFT, ActionStatus.RUNNING, ActionStatus.CANCELLED}
    ),
    ActionStatus.RUNNING: frozenset({ActionStatus.DONE, ActionStatus.CANCELLED}),
    ActionStatus.DONE: frozenset({ActionStatus.EVALUATED}),
    ActionStatus.EVALUATED: frozenset(),
    ActionStatus.CANCELLED: frozenset(),
}
# Statuses in which the action is announced (visible beyond its coordinators, open to sign-ups).
ANNOUNCED = frozenset({ActionStatus.PREPARING, ActionStatus.RUNNING})


class Action(TimeStampedModel):
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("type"), max_length=20, choices=ActionKind.choices)
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("adresse"), max_length=160, unique=True)
    summary = models.CharField(_("résumé"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=20000)
    description_html = models.TextField(editable=False, blank=True)
    place_name = models.CharField(_("lieu"), max_length=200, blank=True)
    address = models.CharField(_("adresse du lieu"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    online_url = models.URLField(_("lien de connexion (en ligne)"), blank=True)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    visibility = models.CharField(
        _("visibilité"),
        max_length=10,
        choices=ActionVisibility.choices,
        default=ActionVisibility.CIRCLE,
    )
    status = models.CharField(
        _("état"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.DRAFT
    )
    cancel_reason = models.TextField(_("motif de l'annulation"), blank=True, max_length=2000)
    cover = models.ImageField(_("image de couverture"), upload_to="actions/", blank=True)
    cover_alt = models.CharField(_("description de l'image"), max_length=200, blank=True)
    # Participants (not volunteers on missions): None means no limit.
    capacity = models.PositiveIntegerField(_("places pour les participants"), null=True, blank=True)
    registrations_open = models.BooleanField(_("inscriptions ouvertes"), default=True)
    registered_count = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set once the feedback survey went out, so it is sent only once.
    feedback_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["circle", "starts_at"], name="actions_circle_start_idx"),
            models.Index(fields=["status", "starts_at"], name="actions_status_start_idx"),
            models.Index(fields=["visibility", "starts_at"], name="actions_visibility_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="actions_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title


class ActionTransition(models.Model):
    """One row per status change: who moved the action, when, from what to what."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=12, choices=ActionStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ActionStatus.choices)
    actor = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("changement d'état")
        verbose_name_plural = _("changements d'état")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.from_status} -> {self.to_status}"


class Metric(models.TextChoices):
    PARTICIPANTS = "participants", _("Participants")
    VOLUNTEERS = "volunteers", _("Bénévoles mobilisés")
    MONEY = "money", _("Montant collecté (€)")
    SIGNATURES = "signatures", _("Signatures")
    MEALS = "meals", _("Repas servis")
    CUSTOM = "custom", _("Autre (à préciser)")


class Objective(models.Model):
    """A measurable objective: a metric and a target, later compared with what was achieved.

    Amounts of money (metric MONEY) are stored in cents in ``target`` and ``achieved``.
    """

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="objectives")
    metric = models.CharField(_("indicateur"), max_length=20, choices=Metric.choices)
    label = models.CharField(_("intitulé"), max_length=100, blank=True)
    unit = models.CharField(_("unité"), max_length=30, blank=True)
    target = models.PositiveBigIntegerField(_("objectif"))
    achieved = models.PositiveBigIntegerField(_("réalisé"), null=True, blank=True)
    achieved_updated_at = models.DateTimeField(null=True, blank=True)
    achieved_updated_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("objectif")
        verbose_name_plural = _("objectifs")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label or self.get_metric_display()


class ActionTask(models.Model):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("tâche"), max_length=200)
    notes = models.TextField(_("précisions"), blank=True, max_length=2000)
    assignee = models.ForeignKey(
        Person,
        verbose_name=_("confiée à"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_tasks",
    )
    due_on = models.DateField(_("à faire pour le"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tâche")
        verbose_name_plural = _("tâches")
        ordering = ["done_at", "due_on", "id"]
        indexes = [models.Index(fields=["assignee", "done_at"], name="actions_task_assignee_idx")]

    def __str__(self) -> str:
        return self.title


class Mission(models.Model):
    """A volunteer role on an action, in a time slot, for a limited number of people."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="missions")
    role = models.CharField(_("rôle"), max_length=100)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    skills = models.CharField(_("compétences requises"), max_length=300, blank=True)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    capacity = models.PositiveIntegerField(_("nombre de places"))
    # Kept equal to the number of CONFIRMED sign-ups, under a row lock on the mission.
    confirmed_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mission bénévole")
        verbose_name_plural = _("missions bénévoles")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="actions_mission_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(confirmed_count__lte=models.F("capacity")),
                name="actions_mission_within_capacity",
            ),
        ]

    def __str__(self) -> str:
        return self.role


class SignupStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Inscrit")
    WAITING = "waiting", _("Sur liste d'attente")
    WITHDRAWN = "withdrawn", _("Désisté")


class MissionSignup(models.Model):
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="signups")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="mission_signups")
    status = models.CharField(max_length=10, choices=SignupStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Check-in on the day: None until marked, then present (True) or absent (False).
    attended = models.BooleanField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # Volunteer time: computed from the mission's slot at check-in, editable by coordinators.
    minutes = models.PositiveIntegerField(null=True, blank=True)
    minutes_edited_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    minutes_edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inscription à une mission")
        verbose_name_plural = _("inscriptions aux missions")
        constraints = [
            models.UniqueConstraint(fields=["mission", "person"], name="actions_signup_unique")
        ]
        indexes = [
            models.Index(
                fields=["mission", "status", "created_at"], name="actions_signup_queue_idx"
            ),
            models.Index(fields=["person", "status"], name="actions_signup_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.mission}"


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("En attente de confirmation")
    CONFIRMED = "confirmed", _("Inscrit")
    CANCELLED = "cancelled", _("Annulée")


class RegistrationSource(models.TextChoices):
    MEMBER = "member", _("Membre")
    PUBLIC = "public", _("Formulaire public")
    WALK_IN = "walk_in", _("Sur place")


class Registration(models.Model):
    """A participant in an action (not a volunteer on a mission)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="registrations")
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="action_registrations"
    )
    # Random code for the confirmation and cancellation links of people without an account.
    code = models.CharField(max_length=64, unique=True, default=new_code, editable=False)
    status = models.CharField(
        max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.PENDING
    )
    source = models.CharField(
        max_length=10, choices=RegistrationSource.choices, default=RegistrationSource.MEMBER
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    feedback_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        constraints = [
            models.UniqueConstraint(fields=["action", "person"], name="actions_registration_unique")
        ]
        indexes = [
            models.Index(fields=["action", "status"], name="actions_registration_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.action}"


class Debrief(models.Model):
    action = models.OneToOneField(Action, on_delete=models.CASCADE, related_name="debrief")
    what_worked = models.TextField(_("ce qui a marché"), blank=True, max_length=10000)
    to_improve = models.TextField(_("ce qui est à améliorer"), blank=True, max_length=10000)
    notes = models.TextField(_("notes libres"), blank=True, max_length=20000)
    notes_html = models.TextField(editable=False, blank=True)
    updated_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bilan")
        verbose_name_plural = _("bilans")

    def __str__(self) -> str:
        return str(self.action)


def debrief_file_upload_to(instance: DebriefFile, filename: str) -> str:
    # Random names: the original name is kept in the row, never in the path.
    return f"actions/debriefs/{instance.action_id}/{secrets.token_urlsafe(16)}"


class DebriefFile(models.Model):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="debrief_files")
    file = models.FileField(upload_to=debrief_file_upload_to, storage=private_storage)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fichier du bilan")
        verbose_name_plural = _("fichiers du bilan")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Feedback(models.Model):
    """A participant's answer to the survey sent after the action: a rating and a comment."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="feedback")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(_("note (1 à 5)"))
    comment = models.TextField(_("commentaire"), blank=True, max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("avis")
        verbose_name_plural = _("avis")
        constraints = [
            models.UniqueConstraint(fields=["action", "person"], name="actions_feedback_unique"),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="actions_feedback_rating"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.rating}"


class CalendarFeed(models.Model):
    """A private iCalendar address: a person's missions (circle empty) or a circle's actions."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="calendar_feeds")
    circle = models.ForeignKey(
        Circle, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=new_code, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "circle"], name="actions_calendar_unique_circle"
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(circle__isnull=True),
                name="actions_calendar_unique_personal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}/{self.circle_id or '-'}"
