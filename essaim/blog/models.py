"""The public site: articles, stories with their consents, images and fixed pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core.models import TimeStampedModel
from essaim.people.models import private_storage


class Language(models.TextChoices):
    FR = "fr", _("Français")
    EN = "en", _("English")


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SCHEDULED = "scheduled", _("Programmé")
    PUBLISHED = "published", _("Publié")
    UNPUBLISHED = "unpublished", _("Dépublié")


# Declared lifecycle of articles and stories: which status may follow which.
PUBLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    PublicationStatus.DRAFT: frozenset({PublicationStatus.SCHEDULED, PublicationStatus.PUBLISHED}),
    PublicationStatus.SCHEDULED: frozenset({PublicationStatus.DRAFT, PublicationStatus.PUBLISHED}),
    PublicationStatus.PUBLISHED: frozenset({PublicationStatus.UNPUBLISHED}),
    PublicationStatus.UNPUBLISHED: frozenset(
        {PublicationStatus.DRAFT, PublicationStatus.SCHEDULED, PublicationStatus.PUBLISHED}
    ),
}


class BlogImage(TimeStampedModel):
    """An uploaded picture with its mandatory text alternative and responsive variants."""

    file = models.ImageField(
        _("image"), upload_to="blog/%Y/%m/", width_field="width", height_field="height"
    )
    alt_text = models.CharField(
        _("texte alternatif"),
        max_length=250,
        help_text=_("Décrivez l'image pour les personnes qui ne la voient pas."),
    )
    caption = models.CharField(_("légende"), max_length=250, blank=True)
    credit = models.CharField(_("crédit"), max_length=150, blank=True)
    width = models.PositiveIntegerField(_("largeur"), default=0)
    height = models.PositiveIntegerField(_("hauteur"), default=0)
    # [{"width": 640, "height": 427, "format": "webp", "name": "blog/variants/…"}, …]
    variants: models.JSONField[Any] = models.JSONField(_("variantes"), default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("envoyée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("image")
        verbose_name_plural = _("images")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.alt_text


class SeoFields(models.Model):
    """Search-engine and social-network fields; each falls back to a sensible default."""

    seo_title = models.CharField(
        _("titre pour les moteurs de recherche"),
        max_length=70,
        blank=True,
        help_text=_("Laissé vide : le titre de la page."),
    )
    meta_description = models.CharField(
        _("description pour les moteurs de recherche"),
        max_length=160,
        blank=True,
        help_text=_("Laissée vide : le résumé."),
    )
    canonical_url = models.URLField(
        _("adresse canonique"),
        blank=True,
        help_text=_("Seulement si ce texte a d'abord paru ailleurs ; sinon laissez vide."),
    )
    noindex = models.BooleanField(
        _("ne pas référencer"),
        default=False,
        help_text=_("Demande aux moteurs de recherche de ne pas afficher cette page."),
    )
    social_image = models.ForeignKey(
        BlogImage,
        verbose_name=_("image pour les réseaux sociaux"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Laissée vide : l'image de couverture."),
    )

    class Meta:
        abstract = True


class Category(models.Model):
    name = models.CharField(_("nom"), max_length=80)
    slug = models.SlugField(_("adresse"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("catégorie")
        verbose_name_plural = _("catégories")
        ordering = ("position", "name")

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("nom"), max_length=60)
    slug = models.SlugField(_("adresse"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("étiquette")
        verbose_name_plural = _("étiquettes")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class PublishableQuerySet(models.QuerySet[Any]):
    def published(self) -> PublishableQuerySet:
        return self.filter(status=PublicationStatus.PUBLISHED)


class Article(TimeStampedModel, SeoFields):
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("adresse"), max_length=200, unique=True)
    summary = models.TextField(_("résumé"), max_length=500, blank=True)
    body = models.TextField(_("texte"), blank=True)
    # Rendered and sanitised once when written, never at each view.
    body_html = models.TextField(editable=False, blank=True)
    cover = models.ForeignKey(
        BlogImage,
        verbose_name=_("image de couverture"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The name printed under the title (kept if the account goes).
    author_name = models.CharField(_("signé par"), max_length=120, blank=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("catégorie"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("étiquettes"), blank=True, related_name="articles"
    )
    language = models.CharField(
        _("langue"), max_length=5, choices=Language.choices, default=Language.FR
    )
    # The same article in the other language (for hreflang links).
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("traduction de"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translations",
    )
    status = models.CharField(
        _("état"),
        max_length=12,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
    )
    publish_at = models.DateTimeField(_("publication programmée le"), null=True, blank=True)
    # Date shown and used for ordering and archives: first publication.
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    # Last change a reader can see (feeds' <updated>, JSON-LD dateModified).
    content_updated_at = models.DateTimeField(_("mis à jour le"), null=True, blank=True)

    objects = PublishableQuerySet.as_manager()

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ("-published_at", "-id")
        indexes = [
            models.Index(fields=["status", "language", "-published_at", "-id"]),
            models.Index(fields=["status", "publish_at"]),
        ]

    def __str__(self) -> str:
        return self.title


class ArticleSlugRedirect(models.Model):
    """An article's former address, answered with a permanent redirect."""

    slug = models.SlugField(_("ancienne adresse"), max_length=200, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="old_slugs")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ancienne adresse d'article")
        verbose_name_plural = _("anciennes adresses d'articles")

    def __str__(self) -> str:
        return self.slug


class ArticleRevision(models.Model):
    """A saved state of an article (title, text, fields), to compare and restore."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    data: models.JSONField[Any] = models.JSONField(_("contenu"), default=dict)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("version d'article")
        verbose_name_plural = _("versions d'articles")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.article_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class PublicationChange(models.Model):
    """History of an article's or a story's status: who moved it, when, and why."""

    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.CASCADE, related_name="status_changes"
    )
    story = models.ForeignKey(
        "Story", null=True, blank=True, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=12, choices=PublicationStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=PublicationStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(_("motif"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("changement d'état")
        verbose_name_plural = _("changements d'état")
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(article__isnull=False, story__isnull=True)
                | models.Q(article__isnull=True, story__isnull=False),
                name="blog_publicationchange_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"


class CallToAction(models.TextChoices):
    VOLUNTEER = "volunteer", _("Devenir bénévole")
    GIVE = "give", _("Faire un don")
    SHARE = "share", _("Partager ce récit")


class Story(TimeStampedModel, SeoFields):
    """A told story: the person or group at its heart, what happened, what changed."""

    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("adresse"), max_length=200, unique=True)
    subject = models.CharField(
        _("au cœur du récit"),
        max_length=200,
        help_text=_(
            "La personne ou le groupe dont on raconte l'histoire (ex. : « Amina, 34 ans »)."
        ),
    )
    summary = models.TextField(_("résumé"), max_length=500, blank=True)
    situation = models.TextField(_("la situation"), blank=True)
    what_happened = models.TextField(_("ce qui s'est passé"), blank=True)
    what_changed = models.TextField(_("ce qui a changé"), blank=True)
    # The three parts rendered and sanitised once when written.
    situation_html = models.TextField(editable=False, blank=True)
    what_happened_html = models.TextField(editable=False, blank=True)
    what_changed_html = models.TextField(editable=False, blank=True)
    call_to_action = models.CharField(
        _("appel à l'action"),
        max_length=12,
        choices=CallToAction.choices,
        default=CallToAction.VOLUNTEER,
    )
    call_to_action_text = models.CharField(_("texte de l'appel"), max_length=200, blank=True)
    cover = models.ForeignKey(
        BlogImage,
        verbose_name=_("image de couverture"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    language = models.CharField(
        _("langue"), max_length=5, choices=Language.choices, default=Language.FR
    )
    status = models.CharField(
        _("état"),
        max_length=12,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
    )
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    content_updated_at = models.DateTimeField(_("mis à jour le"), null=True, blank=True)
    # Why the story was taken down (a consent expired or was withdrawn…).
    unpublished_reason = models.CharField(_("motif du retrait"), max_length=300, blank=True)

    objects = PublishableQuerySet.as_manager()

    class Meta:
        verbose_name = _("récit")
        verbose_name_plural = _("récits")
        ordering = ("-published_at", "-id")
        indexes = [models.Index(fields=["status", "language", "-published_at", "-id"])]

    def __str__(self) -> str:
        return self.title


class ConsentUse(models.TextChoices):
    BLOG = "blog", _("Site et blog")
    GIVING = "giving", _("Pages de don")
    SOCIAL = "social", _("Réseaux sociaux")


class ImageRights(models.TextChoices):
    NONE = "none", _("Pas de photo ni de vidéo")
    PHOTO = "photo", _("Photos")
    PHOTO_VIDEO = "photo_video", _("Photos et vidéos")


class StoryConsent(TimeStampedModel):
    """The consent of one person featured in a story: uses, duration, image rights."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="consents")
    featured_name = models.CharField(_("personne présente dans le récit"), max_length=150)
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("fiche contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="story_consents",
    )
    given_by = models.CharField(
        _("consentement donné par"),
        max_length=150,
        help_text=_("La personne elle-même, ou son représentant légal pour un mineur."),
    )
    given_on = models.DateField(_("date du consentement"))
    uses: models.JSONField[Any] = models.JSONField(_("usages autorisés"), default=list)
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    image_rights = models.CharField(
        _("droit à l'image"), max_length=12, choices=ImageRights.choices, default=ImageRights.NONE
    )
    document = models.FileField(
        _("formulaire signé"), upload_to="consents/", storage=private_storage, blank=True
    )
    notes = models.TextField(_("remarques"), blank=True)
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    withdrawn_note = models.CharField(_("motif du retrait"), max_length=300, blank=True)
    # Day the staff were warned that this consent ends soon (warned once, 14 days before).
    expiry_warned_on = models.DateField(_("fin prochaine signalée le"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("enregistré par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("consentement")
        verbose_name_plural = _("consentements")
        ordering = ("featured_name", "id")

    def __str__(self) -> str:
        return f"{self.featured_name} ({self.story_id})"


class SitePageKind(models.TextChoices):
    ABOUT = "about", _("À propos")
    LEGAL = "legal", _("Mentions légales")
    PRIVACY = "privacy", _("Confidentialité")


class SitePage(TimeStampedModel, SeoFields):
    """A fixed page of the public site (about, legal notice, privacy), one per kind and language."""

    kind = models.CharField(_("page"), max_length=10, choices=SitePageKind.choices)
    language = models.CharField(
        _("langue"), max_length=5, choices=Language.choices, default=Language.FR
    )
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"), blank=True)
    body_html = models.TextField(editable=False, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("page du site")
        verbose_name_plural = _("pages du site")
        constraints = [
            models.UniqueConstraint(fields=["kind", "language"], name="blog_sitepage_kind_language")
        ]

    def __str__(self) -> str:
        return self.title
