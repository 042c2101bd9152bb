"""The practice library: sheets that turn what a circle learnt into shared know-how."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from essaim.actions.models import Action
from essaim.circles.models import Circle
from essaim.core.models import TimeStampedModel
from essaim.people.models import Person


class PracticeVisibility(models.TextChoices):
    CIRCLE = "circle", _("Membres du cercle")
    NETWORK = "network", _("Tout le réseau")


class PracticeStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publiée")


class PracticeTag(models.Model):
    name = models.CharField(_("nom"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("thème")
        verbose_name_plural = _("thèmes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PracticeSheet(TimeStampedModel):
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("adresse"), max_length=160, unique=True)
    summary = models.CharField(_("résumé"), max_length=300, blank=True)
    body = models.TextField(_("contenu"), max_length=50000, blank=True)
    body_html = models.TextField(editable=False, blank=True)
    tags = models.ManyToManyField(PracticeTag, blank=True, related_name="sheets")
    author = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The circle the sheet belongs to: its members read it when visibility is CIRCLE.
    circle = models.ForeignKey(
        Circle, null=True, blank=True, on_delete=models.SET_NULL, related_name="practice_sheets"
    )
    visibility = models.CharField(
        _("visibilité"),
        max_length=10,
        choices=PracticeVisibility.choices,
        default=PracticeVisibility.NETWORK,
    )
    status = models.CharField(
        _("état"), max_length=10, choices=PracticeStatus.choices, default=PracticeStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    actions = models.ManyToManyField(Action, blank=True, related_name="practice_sheets")
    # The debrief lesson the sheet was drafted from, if any.
    source_action = models.ForeignKey(
        Action, null=True, blank=True, on_delete=models.SET_NULL, related_name="lesson_sheets"
    )
    useful_count = models.PositiveIntegerField(default=0, editable=False)
    comment_count = models.PositiveIntegerField(default=0, editable=False)
    revision_count = models.PositiveIntegerField(default=0, editable=False)
    # Accent-folded title, summary and tags for the library's search.
    search_text = models.CharField(max_length=700, blank=True, editable=False)
    # SQLite only: the folded body, searched word by word (PostgreSQL searches the body
    # through search_vector and leaves this empty).
    body_text = models.TextField(blank=True, editable=False)
    # PostgreSQL only: the folded title (weight A), summary and tags (B) and body (C) as a
    # French full-text vector, written by services.search_vectors_write (GIN-indexed).
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("fiche pratique")
        verbose_name_plural = _("fiches pratiques")
        indexes = [
            models.Index(fields=["status", "-published_at"], name="practices_published_idx"),
            # The library sorted by "most useful" reads this index instead of sorting every sheet.
            models.Index(
                fields=["status", "-useful_count", "-published_at"], name="practices_useful_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(visibility="circle") | Q(circle__isnull=False),
                name="practices_circle_visibility_has_circle",
            )
        ]

    def __str__(self) -> str:
        return self.title


class PracticeSearchWord(models.Model):
    """A distinct word of the library's folded texts (title, summary, tags and body), kept on
    PostgreSQL with a trigram index: a misspelt search word is corrected to the closest ones by
    ``pg_trgm`` similarity in a few milliseconds, without loading a vocabulary. Words are only
    added (by services.search_vectors_write): a word whose sheets are gone corrects to a search
    that finds nothing, which is what the search would have found anyway."""

    word = models.CharField(max_length=40, unique=True)

    def __str__(self) -> str:
        return self.word


class PracticeRevision(models.Model):
    """The sheet as it was after each save: the history shows and restores any of them."""

    sheet = models.ForeignKey(PracticeSheet, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    author = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "number"], name="practices_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.sheet_id} v{self.number}"


class PracticeComment(models.Model):
    sheet = models.ForeignKey(PracticeSheet, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("commentaire"), max_length=5000)
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.sheet_id}: {self.body[:40]}"


class PracticeVote(models.Model):
    """A "useful" vote: one per person and sheet."""

    sheet = models.ForeignKey(PracticeSheet, on_delete=models.CASCADE, related_name="votes")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sheet", "person"], name="practices_vote_unique")
        ]

    def __str__(self) -> str:
        return f"{self.sheet_id}/{self.person_id}"
