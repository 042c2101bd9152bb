"""Forms of the writing pages: article, schedule, unpublish, image upload, category."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .images import MAX_UPLOAD_BYTES
from .markdown import MAX_BODY_CHARS, check_article_markdown
from .models import Article, BlogImage, Category, Language
from .services import parse_tag_names, slug_owner
from .slugs import slugify_fr

# Select lists offer the most recent images and articles (plus the one already chosen).
CHOICES_SHOWN = 100
BODY_HELP = _(
    "Mise en forme Markdown : **gras**, *italique*, [lien](https://…), listes avec « - », "
    "intertitres avec « ## ». Image : ![description de l'image](adresse copiée dans la "
    "médiathèque)."
)


class ImageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.alt_text} ({obj.width} × {obj.height})"


class ArticleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title} ({obj.get_language_display()})"


def _recent_choices(queryset: Any, current: Any, label: Any, empty: str) -> list[tuple[Any, str]]:
    rows = list(queryset[:CHOICES_SHOWN])
    if current is not None and all(row.pk != current.pk for row in rows):
        rows.insert(0, current)
    return [("", empty)] + [(row.pk, label(row)) for row in rows]


class ArticleForm(forms.Form):
    title = forms.CharField(
        label=_("Titre"),
        max_length=200,
        error_messages={
            "required": _("Donnez un titre à l'article."),
            "max_length": _("Le titre est trop long (200 caractères au plus)."),
        },
    )
    slug = forms.CharField(
        label=_("Adresse de la page"),
        max_length=200,
        required=False,
        help_text=_(
            "Faite à partir du titre si vous la laissez vide. Si vous la changez après "
            "publication, l'ancienne adresse renvoie vers la nouvelle."
        ),
    )
    summary = forms.CharField(
        label=_("Résumé"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Deux ou trois phrases, montrées dans les listes et les flux."),
        error_messages={"max_length": _("Le résumé est trop long (500 caractères au plus).")},
    )
    body = forms.CharField(
        label=_("Texte"),
        required=False,
        # The service gives the clear message on length; the browser must not cut the text.
        widget=forms.Textarea(attrs={"rows": 20}),
        help_text=BODY_HELP,
    )
    cover = ImageChoiceField(
        label=_("Image de couverture"), queryset=BlogImage.objects.all(), required=False
    )
    category = forms.ModelChoiceField(
        label=_("Catégorie"),
        queryset=Category.objects.all(),
        required=False,
        empty_label=_("(aucune)"),
    )
    tags = forms.CharField(
        label=_("Étiquettes"),
        max_length=500,
        required=False,
        help_text=_("Séparées par des virgules, par exemple : climat, bénévolat."),
    )
    author_name = forms.CharField(
        label=_("Signé par"),
        max_length=120,
        required=False,
        help_text=_("Le nom affiché sous le titre. Laissé vide : votre nom."),
    )
    language = forms.ChoiceField(label=_("Langue"), choices=Language.choices)
    translation_of = ArticleChoiceField(
        label=_("Traduction de"),
        queryset=Article.objects.all(),
        required=False,
        help_text=_("Le même article dans l'autre langue, s'il existe."),
    )
    seo_title = forms.CharField(
        label=_("Titre pour les moteurs de recherche"),
        max_length=70,
        required=False,
        help_text=_("70 caractères au plus. Laissé vide : le titre de l'article."),
    )
    meta_description = forms.CharField(
        label=_("Description pour les moteurs de recherche"),
        max_length=160,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("160 caractères au plus. Laissée vide : le résumé."),
    )
    canonical_url = forms.URLField(
        label=_("Adresse canonique"),
        required=False,
        assume_scheme="https",
        help_text=_("Seulement si ce texte a d'abord paru sur un autre site ; sinon laissez vide."),
    )
    noindex = forms.BooleanField(
        label=_("Ne pas référencer cette page dans les moteurs de recherche"), required=False
    )
    social_image = ImageChoiceField(
        label=_("Image pour les réseaux sociaux"),
        queryset=BlogImage.objects.all(),
        required=False,
        help_text=_("Laissée vide : l'image de couverture."),
    )

    # The version the writer started from: saving over a newer one is refused.
    base_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, article: Article | None = None, **kwargs: Any) -> None:
        self.article = article
        super().__init__(*args, **kwargs)
        images = BlogImage.objects.only("pk", "alt_text", "width", "height", "file")
        for name, current in (
            ("cover", article.cover if article else None),
            ("social_image", article.social_image if article else None),
        ):
            image_field = cast(ImageChoiceField, self.fields[name])
            image_field.choices = _recent_choices(
                images, current, image_field.label_from_instance, str(_("(aucune)"))
            )
        others = Article.objects.only("pk", "title", "language").order_by("-updated_at", "-id")
        if article is not None:
            others = others.exclude(pk=article.pk)
        article_field = cast(ArticleChoiceField, self.fields["translation_of"])
        article_field.choices = _recent_choices(
            others,
            article.translation_of if article else None,
            article_field.label_from_instance,
            str(_("(aucun)")),
        )
        # Placeholders show what an empty field falls back to.
        title = (self.data.get("title") if self.is_bound else None) or (
            article.title if article else ""
        )
        summary = (self.data.get("summary") if self.is_bound else None) or (
            article.summary if article else ""
        )
        if title:
            self.fields["seo_title"].widget.attrs["placeholder"] = title[:70]
            self.fields["slug"].widget.attrs["placeholder"] = slugify_fr(title)[:200]
        if summary:
            self.fields["meta_description"].widget.attrs["placeholder"] = summary[:160]
        self.fields["body"].widget.attrs["aria-describedby"] = "id_body_helptext"

    @classmethod
    def initial_for(cls, article: Article) -> dict[str, Any]:
        return {
            "title": article.title,
            "slug": article.slug,
            "summary": article.summary,
            "body": article.body,
            "cover": article.cover_id,
            "category": article.category_id,
            "tags": ", ".join(tag.name for tag in article.tags.all()),
            "author_name": article.author_name,
            "language": article.language,
            "translation_of": article.translation_of_id,
            "seo_title": article.seo_title,
            "meta_description": article.meta_description,
            "canonical_url": article.canonical_url,
            "noindex": article.noindex,
            "social_image": article.social_image_id,
        }

    def clean_slug(self) -> str:
        typed = self.cleaned_data.get("slug", "").strip()
        if not typed:
            return ""
        slug = slugify_fr(typed)[:200]
        if not slug:
            raise ValidationError(_("L'adresse doit contenir au moins une lettre ou un chiffre."))
        owner = slug_owner(slug, exclude=self.article)
        if owner is not None:
            raise ValidationError(
                _("Cette adresse est déjà prise par l'article « %(title)s ».")
                % {"title": owner.title}
            )
        return slug

    def clean_body(self) -> str:
        body = self.cleaned_data.get("body", "")
        check_article_markdown(body)
        return body

    def clean_tags(self) -> list[str]:
        return parse_tag_names(self.cleaned_data.get("tags", ""))

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("base_revision", None)
        return data


class PreviewForm(forms.Form):
    body = forms.CharField(required=False, max_length=MAX_BODY_CHARS + 1)


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=_("Publier le"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Heure de Paris."),
        error_messages={
            "required": _("Choisissez la date et l'heure de publication."),
            "invalid": _("Date ou heure non reconnue : écrivez par exemple 25/12/2026 09:00."),
        },
    )


class UnpublishForm(forms.Form):
    reason = forms.CharField(
        label=_("Pourquoi retirer l'article ?"),
        max_length=300,
        widget=forms.TextInput(),
        help_text=_("Noté dans l'historique de l'article, visible par l'équipe seulement."),
        error_messages={"required": _("Dites en quelques mots pourquoi l'article est retiré.")},
    )


class ImageUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Image"),
        help_text=_("JPEG, PNG, WebP ou GIF, 10 Mo au plus."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
        error_messages={"required": _("Choisissez une image à envoyer.")},
    )
    alt_text = forms.CharField(
        label=_("Texte alternatif"),
        max_length=250,
        help_text=_(
            "Décrivez ce que montre l'image pour les personnes qui ne la voient pas "
            "(par exemple : « Trois bénévoles trient des vêtements dans le local »)."
        ),
        error_messages={
            "required": _(
                "Décrivez l'image en quelques mots : ce texte est lu aux personnes qui ne "
                "la voient pas."
            ),
            "max_length": _("Le texte alternatif est trop long (250 caractères au plus)."),
        },
    )
    caption = forms.CharField(label=_("Légende"), max_length=250, required=False)
    credit = forms.CharField(label=_("Crédit photo"), max_length=150, required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("Ce fichier dépasse 10 Mo : réduisez l'image avant de l'envoyer.")
            )
        return upload


class ImageEditForm(forms.Form):
    alt_text = ImageUploadForm.base_fields["alt_text"]
    caption = ImageUploadForm.base_fields["caption"]
    credit = ImageUploadForm.base_fields["credit"]


class CategoryForm(forms.Form):
    name = forms.CharField(
        label=_("Nom"),
        max_length=80,
        error_messages={"required": _("Donnez un nom à la catégorie.")},
    )
    slug = forms.CharField(
        label=_("Adresse"),
        max_length=80,
        required=False,
        help_text=_("Faite à partir du nom si vous la laissez vide."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
