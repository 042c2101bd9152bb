"""Factories of the public site: categories, tags, articles, images, stories and consents.

Shared by every blog test: keep their parameters stable. Articles and stories are written
straight to the database (no service): ``body_html`` is rendered from ``body`` so the
public pages show real text.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from essaim.blog.markdown import render_article_markdown
from essaim.blog.models import (
    Article,
    BlogImage,
    Category,
    ConsentUse,
    PublicationStatus,
    Story,
    StoryConsent,
    Tag,
)


def jpeg_bytes(
    width: int = 32, height: int = 24, color: tuple[int, int, int] = (200, 80, 40)
) -> bytes:
    """Return a real small JPEG picture."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="JPEG")
    return buffer.getvalue()


def png_bytes(width: int = 32, height: int = 24, *, transparent: bool = False) -> bytes:
    buffer = io.BytesIO()
    mode, color = ("RGBA", (0, 120, 200, 0)) if transparent else ("RGB", (0, 120, 200))
    Image.new(mode, (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Catégorie {n}")
    slug = factory.Sequence(lambda n: f"categorie-{n}")


class TagFactory(factory.django.DjangoModelFactory[Tag]):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"étiquette {n}")
    slug = factory.Sequence(lambda n: f"etiquette-{n}")


class BlogImageFactory(factory.django.DjangoModelFactory[BlogImage]):
    """A real JPEG (``width`` x ``height``, 32 x 24 by default), without variants."""

    class Meta:
        model = BlogImage

    class Params:
        pixels = (32, 24)

    file = factory.LazyAttribute(
        lambda o: ContentFile(jpeg_bytes(*o.pixels), name="photo-test.jpg")
    )
    alt_text = factory.Sequence(lambda n: f"Des bénévoles rangent des cartons ({n})")


def _published_at(o: Any) -> dt.datetime | None:
    if o.status in (PublicationStatus.PUBLISHED, PublicationStatus.UNPUBLISHED):
        return timezone.now() - dt.timedelta(hours=1)
    return None


def _publish_at(o: Any) -> dt.datetime | None:
    if o.status == PublicationStatus.SCHEDULED:
        return timezone.now() + dt.timedelta(days=1)
    return None


class ArticleFactory(factory.django.DjangoModelFactory[Article]):
    """A published French article by default; pass ``status=`` / ``published_at=`` / ``tags=``."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Article numéro {n}")
    slug = factory.Sequence(lambda n: f"article-numero-{n}")
    summary = "Ce que l'association a fait ce mois-ci."
    body = "Un **texte** de démonstration.\n\n## Une partie\n\nAvec un paragraphe."
    body_html = factory.LazyAttribute(lambda o: str(render_article_markdown(o.body)))
    author_name = "Équipe communication"
    language = "fr"
    status = PublicationStatus.PUBLISHED
    published_at = factory.LazyAttribute(_published_at)
    publish_at = factory.LazyAttribute(_publish_at)
    content_updated_at = factory.LazyAttribute(lambda o: o.published_at)

    @factory.post_generation
    def tags(self, create: bool, extracted: list[Tag] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.tags.set(extracted)


class StoryFactory(factory.django.DjangoModelFactory[Story]):
    """A published French story by default (add consents with StoryConsentFactory)."""

    class Meta:
        model = Story

    title = factory.Sequence(lambda n: f"Récit numéro {n}")
    slug = factory.Sequence(lambda n: f"recit-numero-{n}")
    subject = "Amina, 34 ans"
    summary = "Comment Amina a trouvé sa place dans l'association."
    situation = "Amina venait d'arriver dans le quartier."
    what_happened = "Elle a rejoint la distribution du samedi."
    what_changed = "Elle coordonne aujourd'hui l'équipe."
    situation_html = factory.LazyAttribute(lambda o: str(render_article_markdown(o.situation)))
    what_happened_html = factory.LazyAttribute(
        lambda o: str(render_article_markdown(o.what_happened))
    )
    what_changed_html = factory.LazyAttribute(
        lambda o: str(render_article_markdown(o.what_changed))
    )
    language = "fr"
    status = PublicationStatus.PUBLISHED
    published_at = factory.LazyAttribute(_published_at)
    content_updated_at = factory.LazyAttribute(lambda o: o.published_at)


class StoryConsentFactory(factory.django.DjangoModelFactory[StoryConsent]):
    """A valid consent for every use, without end date."""

    class Meta:
        model = StoryConsent

    story = factory.SubFactory(StoryFactory)
    featured_name = "Amina"
    given_by = "Amina"
    given_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    uses = factory.LazyFunction(lambda: [ConsentUse.BLOG, ConsentUse.GIVING, ConsentUse.SOCIAL])
    valid_until = None
