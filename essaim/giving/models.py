"""Giving: giving pages, gifts and monthly schedules, provider events, tax receipts, excuses.

Money is integer cents in euros. A gift (`Donation`) is one payment; a monthly gift is a
`RecurringGift` schedule whose payments are `Donation` rows pointing to it. Each gift keeps
a copy of the donor's identity and address as given (the receipt prints what the donor
typed, even if their contact record changes later). Public addresses of private objects
use random codes, never ids.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from essaim.core.models import TimeStampedModel

CURRENCY = "EUR"


def new_code() -> str:
    """Return an unguessable public code (about 190 bits)."""
    return secrets.token_urlsafe(24)


class Frequency(models.TextChoices):
    ONE_OFF = "one_off", _("Don ponctuel")
    MONTHLY = "monthly", _("Don mensuel")


class Provider(models.TextChoices):
    STRIPE = "stripe", _("Stripe (carte bancaire)")
    HELLOASSO = "helloasso", _("HelloAsso")
    OFFLINE = "offline", _("Hors ligne (chèque, virement, espèces)")
    DEMO = "demo", _("Démonstration (aucun paiement réel)")


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Carte bancaire")
    SEPA_DEBIT = "sepa_debit", _("Prélèvement SEPA")
    TRANSFER = "transfer", _("Virement")
    CHEQUE = "cheque", _("Chèque")
    CASH = "cash", _("Espèces")
    OTHER = "other", _("Autre")


class DonationStatus(models.TextChoices):
    PENDING = "pending", _("En attente de paiement")
    PAID = "paid", _("Payé")
    FAILED = "failed", _("Échoué")
    REFUNDED = "refunded", _("Remboursé")
    DISPUTED = "disputed", _("Contesté")


# The declared lifecycle: a gift moves only along these arrows (history row each time).
DONATION_TRANSITIONS: dict[str, frozenset[str]] = {
    DonationStatus.PENDING: frozenset({DonationStatus.PAID, DonationStatus.FAILED}),
    DonationStatus.PAID: frozenset({DonationStatus.REFUNDED, DonationStatus.DISPUTED}),
    DonationStatus.FAILED: frozenset({DonationStatus.PAID}),  # a late success wins
    DonationStatus.DISPUTED: frozenset({DonationStatus.PAID, DonationStatus.REFUNDED}),
    DonationStatus.REFUNDED: frozenset(),
}


class RecurringStatus(models.TextChoices):
    PENDING = "pending", _("En attente du premier paiement")
    ACTIVE = "active", _("Actif")
    PAUSED = "paused", _("En pause")
    CANCELLED = "cancelled", _("Arrêté")


RECURRING_TRANSITIONS: dict[str, frozenset[str]] = {
    RecurringStatus.PENDING: frozenset({RecurringStatus.ACTIVE, RecurringStatus.CANCELLED}),
    RecurringStatus.ACTIVE: frozenset({RecurringStatus.PAUSED, RecurringStatus.CANCELLED}),
    RecurringStatus.PAUSED: frozenset({RecurringStatus.ACTIVE, RecurringStatus.CANCELLED}),
    RecurringStatus.CANCELLED: frozenset(),
}


class GivingPageKind(models.TextChoices):
    GENERAL = "general", _("Générale")
    CAMPAIGN = "campaign", _("Campagne")
    ACTION = "action", _("Action")


class GivingPage(TimeStampedModel):
    """A public page where people give (general, for a campaign or for an action)."""

    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("adresse"), max_length=200, unique=True)
    kind = models.CharField(
        _("type"), max_length=10, choices=GivingPageKind.choices, default=GivingPageKind.GENERAL
    )
    intro = models.TextField(_("texte d'introduction"), blank=True, help_text=_("Markdown."))
    campaign = models.ForeignKey(
        "referrals.Campaign",
        verbose_name=_("campagne"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="giving_pages",
    )
    action = models.ForeignKey(
        "actions.Action",
        verbose_name=_("action"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="giving_pages",
    )
    story = models.ForeignKey(
        "blog.Story",
        verbose_name=_("récit affiché à côté du formulaire"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="giving_pages",
    )
    allow_one_off = models.BooleanField(_("dons ponctuels"), default=True)
    allow_monthly = models.BooleanField(_("dons mensuels"), default=True)
    default_frequency = models.CharField(
        _("fréquence proposée d'abord"),
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.ONE_OFF,
    )
    allow_free_amount = models.BooleanField(_("montant libre"), default=True)
    minimum_cents = models.PositiveIntegerField(_("montant minimum (centimes)"), default=100)
    goal_cents = models.PositiveBigIntegerField(
        _("objectif de collecte (centimes)"), default=0, help_text=_("0 : pas d'objectif affiché.")
    )
    is_default = models.BooleanField(
        _("page de don principale"),
        default=False,
        help_text=_("La page où mènent « Soutenir l'association » et les liens de don."),
    )
    is_active = models.BooleanField(_("en ligne"), default=True)
    thank_you_text = models.TextField(_("texte de remerciement"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("page de don")
        verbose_name_plural = _("pages de don")
        ordering = ("-is_default", "title")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="giving_one_default_page",
            )
        ]

    def __str__(self) -> str:
        return self.title


class SuggestedAmount(models.Model):
    """One suggested amount of a giving page, with what it makes possible."""

    page = models.ForeignKey(GivingPage, on_delete=models.CASCADE, related_name="amounts")
    frequency = models.CharField(_("fréquence"), max_length=10, choices=Frequency.choices)
    amount_cents = models.PositiveIntegerField(_("montant (centimes)"))
    impact = models.CharField(
        _("ce que ce don permet"),
        max_length=200,
        blank=True,
        help_text=_("Par exemple : « 30 € = un mois de fournitures scolaires pour un enfant »."),
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("montant suggéré")
        verbose_name_plural = _("montants suggérés")
        ordering = ("page", "frequency", "position", "amount_cents")
        constraints = [
            models.UniqueConstraint(
                fields=["page", "frequency", "amount_cents"], name="giving_amount_unique"
            ),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="giving_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.page_id} {self.frequency} {self.amount_cents}"


class DonorFields(models.Model):
    """The donor's identity and postal address as typed for this gift (printed on receipts)."""

    given_name = models.CharField(_("prénom"), max_length=100)
    family_name = models.CharField(_("nom"), max_length=100)
    email = models.EmailField(_("adresse e-mail"), max_length=254)
    address_line1 = models.CharField(_("adresse"), max_length=200, blank=True)
    address_line2 = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    country = models.CharField(_("pays"), max_length=2, default="FR")

    class Meta:
        abstract = True

    @property
    def donor_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def has_postal_address(self) -> bool:
        return bool(self.address_line1 and self.postal_code and self.city)


class RecurringGift(DonorFields, TimeStampedModel):
    """A monthly gift: the schedule the donor can pause or cancel from a signed link."""

    code = models.CharField(max_length=40, unique=True, default=new_code, editable=False)
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("donateur"),
        on_delete=models.PROTECT,
        related_name="recurring_gifts",
    )
    page = models.ForeignKey(
        GivingPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="schedules"
    )
    amount_cents = models.PositiveIntegerField(_("montant mensuel (centimes)"))
    currency = models.CharField(max_length=3, default=CURRENCY, editable=False)
    provider = models.CharField(_("prestataire"), max_length=10, choices=Provider.choices)
    provider_reference = models.CharField(
        _("référence chez le prestataire"), max_length=120, blank=True, db_index=True
    )
    status = models.CharField(
        _("état"),
        max_length=10,
        choices=RecurringStatus.choices,
        default=RecurringStatus.PENDING,
        db_index=True,
    )
    wants_receipt = models.BooleanField(_("reçu fiscal demandé"), default=True)
    # The demo and offline providers have no scheduler of their own: Essaim charges them.
    next_payment_on = models.DateField(_("prochain prélèvement"), null=True, blank=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    paused_at = models.DateTimeField(_("mis en pause le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("arrêté le"), null=True, blank=True)

    class Meta:
        verbose_name = _("don mensuel")
        verbose_name_plural = _("dons mensuels")
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="giving_recurring_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.donor_name} {self.amount_cents}/mois"


class Donation(DonorFields, TimeStampedModel):
    """One gift: a payment, its lifecycle, where it came from and who brought it."""

    code = models.CharField(max_length=40, unique=True, default=new_code, editable=False)
    # One per submitted form (double click, back button, retried request: one gift).
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("donateur"),
        on_delete=models.PROTECT,
        related_name="donations",
    )
    page = models.ForeignKey(
        GivingPage,
        verbose_name=_("page de don"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="donations",
    )
    recurring = models.ForeignKey(
        RecurringGift,
        verbose_name=_("don mensuel"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    frequency = models.CharField(
        _("fréquence"), max_length=10, choices=Frequency.choices, default=Frequency.ONE_OFF
    )
    amount_cents = models.PositiveIntegerField(_("montant (centimes)"))
    currency = models.CharField(max_length=3, default=CURRENCY, editable=False)
    status = models.CharField(
        _("état"),
        max_length=10,
        choices=DonationStatus.choices,
        default=DonationStatus.PENDING,
        db_index=True,
    )
    provider = models.CharField(_("prestataire"), max_length=10, choices=Provider.choices)
    provider_reference = models.CharField(
        _("référence chez le prestataire"), max_length=120, blank=True, db_index=True
    )
    payment_method = models.CharField(
        _("moyen de paiement"),
        max_length=12,
        choices=PaymentMethod.choices,
        default=PaymentMethod.CARD,
    )
    wants_receipt = models.BooleanField(_("reçu fiscal demandé"), default=True)
    # When the money was given (a cheque's date for offline gifts; payment time otherwise).
    given_on = models.DateField(_("date du don"), null=True, blank=True, db_index=True)
    paid_at = models.DateTimeField(_("payé le"), null=True, blank=True)
    # Where it came from: the campaign, the action, the excuses journey, a personal link.
    campaign = models.ForeignKey(
        "referrals.Campaign",
        verbose_name=_("campagne"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="donations",
    )
    referrer = models.ForeignKey(
        "people.Person",
        verbose_name=_("apporté par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="brought_donations",
    )
    referral_link = models.ForeignKey(
        "referrals.ReferralLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invitation = models.ForeignKey(
        "referrals.Invitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    referral_channel = models.CharField(max_length=12, blank=True)
    referral_at = models.DateTimeField(null=True, blank=True)
    excuse = models.ForeignKey(
        "Excuse", null=True, blank=True, on_delete=models.SET_NULL, related_name="donations"
    )
    rebuttal = models.ForeignKey(
        "Rebuttal", null=True, blank=True, on_delete=models.SET_NULL, related_name="donations"
    )
    # Offline gifts: who recorded them, the bank's or cheque's reference, reconciliation.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bank_reference = models.CharField(_("référence (chèque, virement)"), max_length=120, blank=True)
    reconciled_at = models.DateTimeField(_("rapproché le"), null=True, blank=True)
    reconciled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(_("notes internes"), blank=True)
    consent_news = models.BooleanField(_("accepte les nouvelles"), default=False)

    class Meta:
        verbose_name = _("don")
        verbose_name_plural = _("dons")
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["status", "given_on"]),
            models.Index(fields=["provider", "provider_reference"]),
            models.Index(fields=["person", "status"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="giving_donation_positive")
        ]

    def __str__(self) -> str:
        return f"{self.donor_name} {self.amount_cents} {self.status}"


class DonationChange(models.Model):
    """One step of a gift's lifecycle: from, to, when, who or which provider event."""

    donation = models.ForeignKey(Donation, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=10, choices=DonationStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=DonationStatus.choices)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.ForeignKey(
        "ProviderEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.donation_id} {self.from_status}->{self.to_status}"


class RecurringChange(models.Model):
    """One step of a monthly gift's lifecycle."""

    recurring = models.ForeignKey(RecurringGift, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=10, choices=RecurringStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=RecurringStatus.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_donor = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.recurring_id} {self.from_status}->{self.to_status}"


class ProviderEvent(models.Model):
    """A webhook delivery, stored once per provider event id (replays change nothing)."""

    provider = models.CharField(max_length=10, choices=Provider.choices)
    event_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=100, blank=True)
    # When the provider says the event happened (orders out-of-order deliveries).
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    payload: models.JSONField[Any] = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="giving_event_once")
        ]
        indexes = [models.Index(fields=["received_at"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}"


# --- Tax receipts -----------------------------------------------------------------------


class ReceiptKind(models.TextChoices):
    SINGLE = "single", _("Reçu d'un don")
    ANNUAL = "annual", _("Reçu annuel récapitulatif")


class ReceiptStatus(models.TextChoices):
    ISSUED = "issued", _("Émis")
    CANCELLED = "cancelled", _("Annulé")


class GiftForm(models.TextChoices):
    """Forme du don (Cerfa n°11580)."""

    AUTHENTIC_DEED = "authentic", _("Acte authentique")
    PRIVATE_DEED = "private", _("Acte sous seing privé")
    MANUAL_DECLARATION = "declared", _("Déclaration de don manuel")
    OTHER = "other", _("Autres")


class GiftNature(models.TextChoices):
    """Nature du don (Cerfa n°11580)."""

    CASH = "cash", _("Numéraire")
    SECURITIES = "securities", _("Titres de sociétés cotés")
    OTHER = "other", _("Autres")


class ReceiptCounter(models.Model):
    """The last receipt number used in a year: locked while a number is taken (gapless)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


def receipt_upload_to(instance: Any, filename: str) -> str:
    return f"receipts/{instance.year}/{instance.code}.pdf"


class Receipt(DonorFields, models.Model):
    """A tax receipt (reçu fiscal, Cerfa n°11580): never deleted, its number never reused."""

    code = models.CharField(max_length=40, unique=True, default=new_code, editable=False)
    year = models.PositiveSmallIntegerField(_("année"))
    sequence = models.PositiveIntegerField(_("rang dans l'année"))
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    kind = models.CharField(
        _("type"), max_length=10, choices=ReceiptKind.choices, default=ReceiptKind.SINGLE
    )
    status = models.CharField(
        _("état"),
        max_length=10,
        choices=ReceiptStatus.choices,
        default=ReceiptStatus.ISSUED,
        db_index=True,
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("donateur"),
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    donations = models.ManyToManyField(Donation, related_name="receipts", blank=True)
    amount_cents = models.PositiveBigIntegerField(_("montant (centimes)"))
    amount_words = models.CharField(_("montant en toutes lettres"), max_length=300)
    # The gift's date, or the period covered by an annual receipt.
    gift_date = models.DateField(_("date du don"), null=True, blank=True)
    period_start = models.DateField(_("début de la période"), null=True, blank=True)
    period_end = models.DateField(_("fin de la période"), null=True, blank=True)
    gift_form = models.CharField(
        _("forme du don"),
        max_length=10,
        choices=GiftForm.choices,
        default=GiftForm.MANUAL_DECLARATION,
    )
    gift_nature = models.CharField(
        _("nature du don"), max_length=12, choices=GiftNature.choices, default=GiftNature.CASH
    )
    payment_methods = models.CharField(_("moyens de paiement"), max_length=200)
    cgi_articles = models.CharField(_("articles du CGI"), max_length=60, default="200")
    # The organisation and signer as they were at issue (the PDF is rebuilt from these).
    organisation_snapshot: models.JSONField[Any] = models.JSONField(default=dict)
    issued_at = models.DateTimeField(_("émis le"), db_index=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pdf = models.FileField(_("PDF"), upload_to=receipt_upload_to, blank=True, max_length=200)
    emailed_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=300, blank=True)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("remplace le reçu"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )

    class Meta:
        verbose_name = _("reçu fiscal")
        verbose_name_plural = _("reçus fiscaux")
        ordering = ("-year", "-sequence")
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="giving_receipt_sequence")
        ]
        indexes = [models.Index(fields=["person", "year"])]

    def __str__(self) -> str:
        return self.number


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("En file d'attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminé")
    FAILED = "failed", _("Échoué")


class ReceiptBatch(models.Model):
    """The yearly run that issues annual recap receipts for all donors (with its progress)."""

    year = models.PositiveSmallIntegerField(_("année"))
    status = models.CharField(
        max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.year} {self.status} {self.done}/{self.total}"


# --- The excuses journey ------------------------------------------------------------------


class JourneySettings(models.Model):
    """The excuses page's editable title and introduction (a single row, pk=1)."""

    SINGLETON_PK = 1

    title = models.CharField(_("titre"), max_length=200, default="Je n'aime pas donner")
    intro = models.TextField(_("introduction"), blank=True)

    class Meta:
        verbose_name = _("parcours des excuses")
        verbose_name_plural = _("parcours des excuses")

    def __str__(self) -> str:
        return self.title


class Excuse(TimeStampedModel):
    """An excuse for not giving ("Je n'ai pas de monnaie sur moi"), answered by rebuttals."""

    slug = models.SlugField(_("adresse"), max_length=120, unique=True)
    label = models.CharField(_("excuse"), max_length=200)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_active = models.BooleanField(_("affichée"), default=True)

    class Meta:
        verbose_name = _("excuse")
        verbose_name_plural = _("excuses")
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.label


class Rebuttal(TimeStampedModel):
    """One variant of the answer to an excuse (several active ones make an A/B test)."""

    excuse = models.ForeignKey(Excuse, on_delete=models.CASCADE, related_name="rebuttals")
    name = models.CharField(_("nom de la variante"), max_length=40, default="A")
    text = models.TextField(_("réponse"), help_text=_("Markdown."))
    impact_figure = models.CharField(_("chiffre d'impact"), max_length=200, blank=True)
    source_url = models.URLField(_("lien vers une source"), blank=True)
    source_label = models.CharField(_("texte du lien"), max_length=200, blank=True)
    story = models.ForeignKey(
        "blog.Story",
        verbose_name=_("récit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rebuttals",
    )
    give_label = models.CharField(_("bouton « donner »"), max_length=80, blank=True)
    giving_page = models.ForeignKey(
        GivingPage,
        verbose_name=_("page de don"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rebuttals",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("réponse à une excuse")
        verbose_name_plural = _("réponses aux excuses")
        ordering = ("excuse", "name", "id")
        constraints = [
            models.UniqueConstraint(fields=["excuse", "name"], name="giving_rebuttal_name")
        ]

    def __str__(self) -> str:
        return f"{self.excuse_id} {self.name}"


class JourneyStep(models.TextChoices):
    VIEW = "view", _("Vue de la page des excuses")
    READ = "read", _("Lecture d'une réponse")
    GIVE_CLICK = "give_click", _("Clic vers le don")
    VOLUNTEER_CLICK = "volunteer_click", _("Clic vers le bénévolat")


class JourneyDay(models.Model):
    """Journey counts per day, step, excuse and variant: no visitor identity kept."""

    day = models.DateField()
    step = models.CharField(max_length=16, choices=JourneyStep.choices)
    excuse = models.ForeignKey(
        Excuse, null=True, blank=True, on_delete=models.CASCADE, related_name="days"
    )
    rebuttal = models.ForeignKey(
        Rebuttal, null=True, blank=True, on_delete=models.CASCADE, related_name="days"
    )
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "day",
                "step",
                models.functions.Coalesce("excuse", models.Value(0)),
                models.functions.Coalesce("rebuttal", models.Value(0)),
                name="giving_journey_day_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.step} {self.count}"
