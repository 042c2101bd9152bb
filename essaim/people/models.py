"""People: every contact of the association, with or without an account."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any, cast

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _

from essaim.core.models import TimeStampedModel


def fold(text: str) -> str:
    """Lower-case a text and strip its accents, for accent-insensitive search."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def person_search_text(*, given_name: str, family_name: str, email: str, city: str) -> str:
    return " ".join(fold(part) for part in (given_name, family_name, email, city) if part)


class Tag(models.Model):
    name = models.CharField(_("nom"), max_length=60, unique=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("étiquette")
        verbose_name_plural = _("étiquettes")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Source(models.TextChoices):
    WEBSITE = "website", _("Inscription sur le site")
    IMPORT = "import", _("Import de fichier")
    REFERRAL = "referral", _("Parrainage")
    EVENT = "event", _("Événement")
    MANUAL = "manual", _("Saisie par l'équipe")
    OTHER = "other", _("Autre")


ROLE_FIELDS: tuple[tuple[str, str], ...] = (
    ("is_member", "member"),
    ("is_volunteer", "volunteer"),
    ("is_donor", "donor"),
    ("is_sympathiser", "sympathiser"),
)


class PersonRole(models.TextChoices):
    MEMBER = "member", _("Adhérent")
    VOLUNTEER = "volunteer", _("Bénévole")
    DONOR = "donor", _("Donateur")
    SYMPATHISER = "sympathiser", _("Sympathisant")


class Person(TimeStampedModel):
    """A contact: member, volunteer, donor or sympathiser (any of them, or none yet)."""

    given_name = models.CharField(_("prénom"), max_length=100, blank=True)
    family_name = models.CharField(_("nom"), max_length=100, blank=True)
    # Not unique: a couple may share one address.
    email = models.EmailField(_("adresse e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    address_line1 = models.CharField(_("adresse"), max_length=200, blank=True)
    address_line2 = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    country = models.CharField(_("pays"), max_length=2, default="FR")

    is_member = models.BooleanField(_("adhérent"), default=False)
    is_volunteer = models.BooleanField(_("bénévole"), default=False)
    is_donor = models.BooleanField(_("donateur"), default=False)
    is_sympathiser = models.BooleanField(_("sympathisant"), default=False)

    tags = models.ManyToManyField(
        Tag, verbose_name=_("étiquettes"), blank=True, related_name="people"
    )
    source = models.CharField(
        _("origine"), max_length=20, choices=Source.choices, default=Source.MANUAL
    )
    source_detail = models.CharField(_("précision sur l'origine"), max_length=200, blank=True)
    last_contact_at = models.DateTimeField(_("dernier contact"), null=True, blank=True)

    newsletter_consent = models.BooleanField(_("accepte la lettre d'information"), default=False)
    newsletter_consent_at = models.DateTimeField(_("consentement donné le"), null=True, blank=True)
    newsletter_consent_proof = models.CharField(
        _("preuve du consentement"), max_length=255, blank=True
    )

    notes = models.TextField(_("notes internes"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    erased_at = models.DateTimeField(_("effacé le"), null=True, blank=True)
    # Capillarity (essaim/referrals): who brought this person in. `referred_by` is the
    # truth; the cached counts (and the path and depth, in referrals.TreePosition) exist
    # for fast downline queries and are kept correct only by essaim.referrals.tree.
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("amené par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
        # Served by people_person_tree_children_idx (referred_by_id, downline_count, id).
        db_index=False,
    )
    referred_at = models.DateTimeField(_("arrivé par parrainage le"), null=True, blank=True)
    downline_count = models.PositiveIntegerField(default=0, editable=False)
    direct_referrals_count = models.PositiveIntegerField(default=0, editable=False)
    # Folded copy of name, email and city: accent-insensitive search without a function index.
    search_text = models.CharField(max_length=600, blank=True, editable=False)

    # Not columns: the person's referrals.TreePosition, copied here by the tree services
    # and selectors that read it (essaim.referrals.tree.positions_load); "" and 0 otherwise.
    referral_path: str = ""
    referral_depth: int = 0

    class Meta:
        verbose_name = _("personne")
        verbose_name_plural = _("personnes")
        ordering = ("family_name", "given_name", "id")
        indexes = [
            models.Index(fields=["family_name", "given_name", "id"], name="people_person_name_idx"),
            models.Index(fields=["-created_at"], name="people_person_created_idx"),
            models.Index(fields=["email"], name="people_person_email_idx"),
            # The directory filtered by role, in its name order: only that role's people.
            *(
                models.Index(
                    fields=["family_name", "given_name", "id"],
                    condition=models.Q(**{field: True}),
                    name=f"people_person_{role}_idx",
                )
                for field, role in ROLE_FIELDS
            ),
            # The referral tree (essaim.referrals): a person's children biggest first,
            # 50 a page, and the hard core (referred_by IS NULL) in the same order...
            models.Index(
                fields=["referred_by", "-downline_count", "id"],
                name="people_tree_children_idx",
            ),
            # ...the hard core counted from the index alone, and the top relays; these
            # hold only relays, so moving people who brought nobody writes none of them.
            models.Index(
                fields=["id"],
                condition=models.Q(
                    referred_by__isnull=True, downline_count__gt=0, erased_at__isnull=True
                ),
                name="people_hard_core_idx",
            ),
            models.Index(
                fields=["downline_count"],
                condition=models.Q(downline_count__gt=0),
                name="people_downline_idx",
            ),
            models.Index(
                fields=["direct_referrals_count"],
                condition=models.Q(direct_referrals_count__gt=0),
                name="people_direct_idx",
            ),
        ]
        # Every index is written again when a person's row moves to a new version (any
        # change of an indexed column, e.g. a referral path): no index nobody reads (no
        # LIKE variants, none on source or last contact, no lone booleans).

    def __str__(self) -> str:
        return self.full_name or self.email or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)

    @property
    def roles(self) -> list[str]:
        return [role for field, role in ROLE_FIELDS if getattr(self, field)]

    @property
    def role_labels(self) -> list[str]:
        return [str(PersonRole(role).label) for role in self.roles]

    def refresh_search_text(self) -> None:
        self.search_text = person_search_text(
            given_name=self.given_name,
            family_name=self.family_name,
            email=self.email,
            city=self.city,
        )


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Fichier envoyé")
    MAPPED = "mapped", _("Colonnes associées")
    VALIDATED = "validated", _("Vérifié, à confirmer")
    QUEUED = "queued", _("En attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminé")
    FAILED = "failed", _("Échoué")


class PrivateStorage(LazyObject):
    """The "private" entry of settings.STORAGES, looked up on first use (as default_storage)."""

    def _setup(self) -> None:
        self._wrapped = storages["private"]


private_files = PrivateStorage()


def private_storage() -> Storage:
    """Return the storage for uploads that must never be served publicly."""
    return cast(Storage, private_files)


def import_upload_to(instance: Any, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"imports/{uuid.uuid4().hex}.{extension[:5]}"


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


# The declared lifecycle of an import: services refuse any other move.
# An import never confirmed may fail too: its file is deleted after a while (abandoned).
IMPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    ImportStatus.UPLOADED: frozenset({ImportStatus.MAPPED, ImportStatus.FAILED}),
    ImportStatus.MAPPED: frozenset(
        {ImportStatus.MAPPED, ImportStatus.VALIDATED, ImportStatus.FAILED}
    ),
    ImportStatus.VALIDATED: frozenset(
        {ImportStatus.MAPPED, ImportStatus.VALIDATED, ImportStatus.QUEUED, ImportStatus.FAILED}
    ),
    ImportStatus.QUEUED: frozenset({ImportStatus.RUNNING, ImportStatus.FAILED}),
    ImportStatus.RUNNING: frozenset({ImportStatus.DONE, ImportStatus.FAILED}),
    ImportStatus.DONE: frozenset(),
    ImportStatus.FAILED: frozenset(),
}


class ImportJob(models.Model):
    """One contact import: the uploaded file, its column mapping, checks and progress."""

    # Random: the id appears in URLs and must not be guessable.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("importé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Contact files hold personal data: kept in private storage (never under MEDIA_URL),
    # under a random name, and deleted once the import is over.
    file = models.FileField(
        _("fichier"), upload_to=import_upload_to, storage=private_storage, max_length=255
    )
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    format = models.CharField(_("format"), max_length=10, choices=ImportFormat.choices)
    encoding = models.CharField(_("encodage"), max_length=20, blank=True)
    delimiter = models.CharField(_("séparateur"), max_length=1, blank=True)
    header: models.JSONField[list[str]] = models.JSONField(_("en-tête"), default=list)
    # The first data lines: {"line": int, "cells": [str, ...]}.
    sample_rows: models.JSONField[list[dict[str, Any]]] = models.JSONField(
        _("premières lignes"), default=list
    )
    # Column index (as a string) -> Person field name, "" for an ignored column.
    mapping: models.JSONField[dict[str, str]] = models.JSONField(
        _("association des colonnes"), default=dict
    )
    status = models.CharField(
        _("état"),
        max_length=20,
        choices=ImportStatus.choices,
        default=ImportStatus.UPLOADED,
        db_index=True,
    )
    total_rows = models.PositiveIntegerField(_("lignes"), default=0)
    valid_rows = models.PositiveIntegerField(_("lignes valides"), default=0)
    error_rows = models.PositiveIntegerField(_("lignes en erreur"), default=0)
    error_count = models.PositiveIntegerField(_("erreurs"), default=0)
    processed_rows = models.PositiveIntegerField(_("lignes traitées"), default=0)
    # The first ERRORS_KEPT errors: {"line": int, "column": str, "message": str}.
    errors: models.JSONField[list[dict[str, object]]] = models.JSONField(
        _("erreurs relevées"), default=list
    )
    skip_invalid = models.BooleanField(_("ignorer les lignes en erreur"), default=False)
    tag_name = models.CharField(_("étiquette ajoutée"), max_length=60, blank=True)
    tag = models.ForeignKey(
        Tag,
        verbose_name=_("étiquette"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_count = models.PositiveIntegerField(_("personnes créées"), default=0)
    updated_count = models.PositiveIntegerField(_("personnes mises à jour"), default=0)
    skipped_count = models.PositiveIntegerField(_("lignes ignorées"), default=0)
    failure_message = models.TextField(_("motif de l'échec"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    queued_at = models.DateTimeField(_("confirmé le"), null=True, blank=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    ERRORS_KEPT = 1000

    class Meta:
        verbose_name = _("import de contacts")
        verbose_name_plural = _("imports de contacts")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.original_name

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def is_active(self) -> bool:
        return self.status in {ImportStatus.QUEUED, ImportStatus.RUNNING}

    @property
    def is_editable(self) -> bool:
        return self.status in {ImportStatus.UPLOADED, ImportStatus.MAPPED, ImportStatus.VALIDATED}

    @property
    def errors_truncated(self) -> bool:
        return self.error_count > len(self.errors)
