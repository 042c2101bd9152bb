"""What happened in the circles (activities) and who is told (notifications)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from essaim.circles.models import Circle, Message, Thread
from essaim.people.models import Person


class Verb(models.TextChoices):
    THREAD_CREATED = "thread_created", _("Nouvelle discussion")
    MESSAGE_POSTED = "message_posted", _("Nouvelle réponse")
    MEMBER_JOINED = "member_joined", _("Nouveau membre")
    CIRCLE_CREATED = "circle_created", _("Nouveau cercle")
    ACTION_ANNOUNCED = "action_announced", _("Nouvelle action")
    ACTION_CANCELLED = "action_cancelled", _("Action annulée")
    ACTION_EVALUATED = "action_evaluated", _("Action évaluée")
    PRACTICE_PUBLISHED = "practice_published", _("Nouvelle fiche pratique")


class Activity(models.Model):
    """One thing that happened in a circle; the home feed lists them newest first."""

    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="activities")
    actor = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    verb = models.CharField(max_length=20, choices=Verb.choices)
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # A short plain-text line (a title, a name) so the feed and digests need no joins.
    summary = models.CharField(max_length=300, blank=True)
    # The page the activity is about when it is not a thread (an action, a practice sheet).
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("activité")
        verbose_name_plural = _("activités")
        indexes = [models.Index(fields=["circle", "-id"], name="feed_activity_circle_idx")]

    def __str__(self) -> str:
        return f"{self.verb} {self.summary}"


class NotificationKind(models.TextChoices):
    MENTION = "mention", _("On vous mentionne")
    REPLY = "reply", _("Réponse dans une discussion que vous suivez")
    NEW_THREAD = "new_thread", _("Nouvelle discussion dans vos cercles")
    NEW_MEMBER = "new_member", _("Nouveau membre dans un cercle que vous coordonnez")
    JOIN_REQUEST = "join_request", _("Demande d'adhésion à un cercle que vous coordonnez")
    REPORT = "report", _("Message signalé dans un cercle que vous coordonnez")
    ACTION = "action", _("Nouvelle action ou action annulée dans vos cercles")
    TASK = "task", _("Tâche qui vous est confiée")
    MISSION = "mission", _("Vos missions bénévoles (liste d'attente, changements)")
    PRACTICE = "practice", _("Commentaire sur une fiche pratique que vous suivez")
    STORY_CONSENT = "story_consent", _("Consentement d'un récit retiré, expiré ou bientôt expiré")


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", _("Par e-mail, tout de suite")
    DAILY = "daily", _("Dans un récapitulatif quotidien")
    WEEKLY = "weekly", _("Dans un récapitulatif hebdomadaire")
    NEVER = "never", _("Pas d'e-mail")


class Notification(models.Model):
    recipient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notifications")
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    circle = models.ForeignKey(
        Circle, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    summary = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when the item left in an email (immediate or digest): a digest never repeats it.
    # Also kept when an immediate email is given up (email_failures == EMAIL_MAX_ATTEMPTS).
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Immediate emails that failed (SMTP down…): how many times, and when to try again.
    email_failures = models.PositiveSmallIntegerField(default=0)
    email_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-id"], name="feed_notif_recipient_idx"),
            models.Index(fields=["recipient", "read_at"], name="feed_notif_unread_idx"),
            models.Index(fields=["emailed_at", "recipient"], name="feed_notif_email_idx"),
            # Only the few rows awaiting a retry: the retry job's scan stays tiny at 2M rows.
            models.Index(
                fields=["email_retry_at"],
                name="feed_notif_retry_idx",
                condition=models.Q(email_retry_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} : {self.summary}"


class NotificationPreference(models.Model):
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "kind"], name="feed_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.kind} {self.delivery}"


# When a person has not chosen, this is how each kind reaches them.
DEFAULT_DELIVERY: dict[str, str] = {
    NotificationKind.MENTION: Delivery.IMMEDIATE,
    NotificationKind.REPLY: Delivery.DAILY,
    NotificationKind.NEW_THREAD: Delivery.WEEKLY,
    NotificationKind.NEW_MEMBER: Delivery.WEEKLY,
    NotificationKind.JOIN_REQUEST: Delivery.IMMEDIATE,
    NotificationKind.REPORT: Delivery.IMMEDIATE,
    NotificationKind.ACTION: Delivery.WEEKLY,
    NotificationKind.TASK: Delivery.IMMEDIATE,
    NotificationKind.MISSION: Delivery.IMMEDIATE,
    NotificationKind.PRACTICE: Delivery.DAILY,
    # A story taken down (or about to be): the communication staff must know at once.
    NotificationKind.STORY_CONSENT: Delivery.IMMEDIATE,
}

# Kinds only the holders of a permission ever receive: hidden from other people's preferences.
PERMISSION_OF_KIND: dict[str, str] = {NotificationKind.STORY_CONSENT: "blog.write"}
