"""The organisation's settings, the audit log and the shared base model."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .validators import validate_readable_on_white, validate_rna, validate_siren


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        abstract = True


class TaxReduction(models.IntegerChoices):
    GENERAL = 66, _("66 % (article 200 du CGI, cas général)")
    AID = 75, _("75 % (aide aux personnes en difficulté, dans la limite du plafond)")


class LegalType(models.TextChoices):
    """The organisation's category, as the Cerfa n°11580 receipt names it."""

    GENERAL_INTEREST = "general_interest", _("Œuvre ou organisme d'intérêt général")
    PUBLIC_UTILITY = "public_utility", _("Association ou fondation reconnue d'utilité publique")
    WORSHIP = "worship", _("Association cultuelle ou de bienfaisance")
    OTHER = "other", _("Autre organisme habilité à recevoir des dons")


class Organisation(TimeStampedModel):
    """The one association this installation serves (a single row, pk=1)."""

    SINGLETON_PK = 1

    name = models.CharField(_("nom"), max_length=200, default="Mon association")
    short_name = models.CharField(_("nom court"), max_length=60, blank=True)
    tagline = models.CharField(_("accroche"), max_length=200, blank=True)
    logo = models.ImageField(_("logo"), upload_to="organisation/", blank=True)
    primary_color = models.CharField(
        _("couleur principale"),
        max_length=7,
        default="#1f5f8b",
        validators=[validate_readable_on_white],
    )
    accent_color = models.CharField(
        _("couleur d'accent"),
        max_length=7,
        default="#a6422b",
        validators=[validate_readable_on_white],
    )
    website_url = models.URLField(_("site institutionnel"), blank=True)
    contact_email = models.EmailField(_("adresse de contact"), blank=True)
    # Legal identity, printed on tax receipts.
    rna_number = models.CharField(
        _("numéro RNA"), max_length=10, blank=True, validators=[validate_rna]
    )
    siren = models.CharField(_("SIREN"), max_length=11, blank=True, validators=[validate_siren])
    address_line1 = models.CharField(_("adresse"), max_length=200, blank=True)
    address_line2 = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    purpose = models.TextField(_("objet de l'association"), blank=True)
    tax_reduction_rate = models.PositiveSmallIntegerField(
        _("réduction d'impôt des dons"),
        choices=TaxReduction.choices,
        default=TaxReduction.GENERAL,
    )
    receipt_signer_name = models.CharField(
        _("signataire des reçus fiscaux"), max_length=120, blank=True
    )
    receipt_signer_role = models.CharField(_("qualité du signataire"), max_length=120, blank=True)
    receipt_signature = models.ImageField(
        _("signature (image)"), upload_to="organisation/", blank=True
    )
    legal_type = models.CharField(
        _("type d'organisme (reçus fiscaux)"),
        max_length=20,
        choices=LegalType.choices,
        default=LegalType.GENERAL_INTEREST,
    )
    aid_ceiling_cents = models.PositiveIntegerField(
        _("plafond des dons à 75 % (centimes)"),
        default=100000,
        help_text=_(
            "Au-delà de ce montant par an et par donateur, la réduction retombe à 66 % "
            "(aide aux personnes en difficulté)."
        ),
    )
    # "Valorisation du bénévolat": volunteer hours shown in money in the annual report.
    volunteer_hourly_rate_cents = models.PositiveIntegerField(
        _("valeur d'une heure de bénévolat (centimes)"),
        default=0,
        help_text=_("0 : les heures de bénévolat ne sont pas valorisées en euros."),
    )

    # Capillarity (essaim/referrals): attribution and invitation rules.
    referral_window_days = models.PositiveSmallIntegerField(
        _("durée d'attribution d'un lien (jours)"),
        default=30,
        help_text=_(
            "Une personne arrivée par un lien personnel est attribuée à la personne qui l'a "
            "partagé si elle s'inscrit, s'engage ou donne dans ce délai."
        ),
    )
    invitations_per_day = models.PositiveSmallIntegerField(
        _("invitations par personne et par jour"), default=50
    )
    invitation_retention_days = models.PositiveSmallIntegerField(
        _("conservation des adresses invitées (jours)"),
        default=90,
        help_text=_(
            "Les adresses des invitations restées sans réponse sont effacées après ce délai."
        ),
    )
    referral_names = models.CharField(
        _("noms affichés dans les réseaux de parrainage"),
        max_length=12,
        choices=[
            ("initials", _("Prénom et initiale du nom")),
            ("full", _("Prénom et nom")),
            ("anonymous", _("Aucun nom (seulement des nombres)")),
        ],
        default="initials",
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisation")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class AuditLog(models.Model):
    """One row per sensitive change: who did what to what, and when."""

    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(_("type d'objet"), max_length=60, blank=True)
    target_id = models.CharField(_("identifiant"), max_length=64, blank=True)
    target_label = models.CharField(_("objet"), max_length=255, blank=True)
    details: models.JSONField[Any] = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal d'audit")
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_label}"


class ContentVersion(models.Model):
    """A counter per kind of public content, bumped by the services that change it.

    Cached public pages are keyed by the counters they depend on, so a change makes
    every page that shows it miss the cache at once, in every process, while pages
    that do not show it stay cached. Kept in the database (not the cache) so that a
    per-process memory cache can never serve a page older than the data.
    """

    key = models.CharField(_("clé"), max_length=120, primary_key=True)
    value = models.PositiveBigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("version de contenu")
        verbose_name_plural = _("versions de contenu")

    def __str__(self) -> str:
        return f"{self.key}={self.value}"
