"""Writes of the blog: articles and their lifecycle, revisions, categories, images.

Every status change follows :data:`~essaim.blog.models.PUBLICATION_TRANSITIONS`,
leaves a :class:`PublicationChange` row (and an audit row for publish, unpublish,
schedule and restore), and bumps the page-cache keys of what the public sees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from essaim.accounts.models import User
from essaim.core.pagecache import bump
from essaim.core.services import audit_record

from .images import as_content_file, clean_upload, delete_variants, make_variants
from .markdown import check_article_markdown, render_article_markdown
from .models import (
    PUBLICATION_TRANSITIONS,
    Article,
    ArticleRevision,
    ArticleSlugRedirect,
    BlogImage,
    Category,
    Language,
    PublicationChange,
    PublicationStatus,
    Tag,
)
from .slugs import slugify_fr

ARTICLES = "articles"
# The fields a writer edits (the form's), each saved in revisions.
EDITABLE_FIELDS = (
    "title",
    "slug",
    "summary",
    "body",
    "category",
    "tags",
    "language",
    "translation_of",
    "cover",
    "author_name",
    "seo_title",
    "meta_description",
    "canonical_url",
    "noindex",
    "social_image",
)
# What a reader sees change (content_updated_at moves when one of them does).
VISIBLE_FIELDS = ("title", "summary", "body", "cover", "category", "tags")
FOREIGN_KEYS = {
    "category": Category,
    "translation_of": Article,
    "cover": BlogImage,
    "social_image": BlogImage,
}
SLUG_MAX = 200
DUE_BATCH = 100


def article_key(article: Article | int) -> str:
    return f"article:{article if isinstance(article, int) else article.pk}"


def _is_public(article: Article) -> bool:
    return article.status == PublicationStatus.PUBLISHED


# --- Slugs ---------------------------------------------------------------------------------


def slug_owner(slug: str, *, exclude: Article | None = None) -> Article | None:
    """Return the article that already uses this address, if any."""
    others = Article.objects.filter(slug=slug)
    if exclude is not None and exclude.pk:
        others = others.exclude(pk=exclude.pk)
    return others.only("pk", "title", "slug").first()


def unique_slug(title: str, *, exclude: Article | None = None) -> str:
    """Make a free address from a title: "mon-titre", else "mon-titre-2", "mon-titre-3"…"""
    base = slugify_fr(title)[: SLUG_MAX - 6].strip("-") or "article"
    taken_articles = Article.objects.filter(slug__startswith=base)
    if exclude is not None and exclude.pk:
        taken_articles = taken_articles.exclude(pk=exclude.pk)
    # A former address of another article stays reserved for its redirect.
    taken_redirects = ArticleSlugRedirect.objects.filter(slug__startswith=base)
    if exclude is not None and exclude.pk:
        taken_redirects = taken_redirects.exclude(article=exclude)
    taken = set(taken_articles.values_list("slug", flat=True)) | set(
        taken_redirects.values_list("slug", flat=True)
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _check_typed_slug(slug: str, article: Article | None) -> str:
    cleaned = slugify_fr(slug)[:SLUG_MAX].strip("-")
    if not cleaned:
        raise ValidationError(
            {"slug": _("L'adresse doit contenir au moins une lettre ou un chiffre.")}
        )
    owner = slug_owner(cleaned, exclude=article)
    if owner is not None:
        raise ValidationError(
            {
                "slug": _("Cette adresse est déjà prise par l'article « %(title)s ».")
                % {"title": owner.title}
            }
        )
    return cleaned


def _move_slug(article: Article, old_slug: str) -> None:
    """Keep the former address as a redirect and free the new one of any redirect."""
    # The new address may have been a former address (of this article or another):
    # the live article now answers there.
    ArticleSlugRedirect.objects.filter(slug=article.slug).delete()
    if old_slug and old_slug != article.slug:
        ArticleSlugRedirect.objects.update_or_create(slug=old_slug, defaults={"article": article})


# --- Tags ----------------------------------------------------------------------------------


def parse_tag_names(text: str | Iterable[str]) -> list[str]:
    """Split "climat, Bénévolat ; climat" into distinct names, in their typed order."""
    parts = text.replace(";", ",").split(",") if isinstance(text, str) else list(text)
    names: dict[str, str] = {}
    for part in parts:
        name = " ".join(str(part).split())[:60]
        slug = slugify_fr(name)[:60]
        if slug and slug not in names:
            names[slug] = name
    return list(names.values())


def _tags_for(names: Iterable[str]) -> list[Tag]:
    wanted = {slugify_fr(name)[:60]: name for name in parse_tag_names(list(names))}
    existing = {tag.slug: tag for tag in Tag.objects.filter(slug__in=wanted)}
    for slug, name in wanted.items():
        if slug not in existing:
            existing[slug], _created = Tag.objects.get_or_create(slug=slug, defaults={"name": name})
    return [existing[slug] for slug in wanted]


# --- Revisions -----------------------------------------------------------------------------


def article_snapshot(article: Article, *, tags: list[str] | None = None) -> dict[str, Any]:
    """Return the writer-edited fields of an article as JSON-ready data."""
    if tags is None:
        tags = sorted(article.tags.values_list("name", flat=True))
    return {
        "title": article.title,
        "slug": article.slug,
        "summary": article.summary,
        "body": article.body,
        "category": article.category_id,
        "tags": sorted(tags),
        "language": article.language,
        "translation_of": article.translation_of_id,
        "cover": article.cover_id,
        "author_name": article.author_name,
        "seo_title": article.seo_title,
        "meta_description": article.meta_description,
        "canonical_url": article.canonical_url,
        "noindex": article.noindex,
        "social_image": article.social_image_id,
    }


def _save_revision(article: Article, actor: User | None, note: str = "") -> ArticleRevision:
    return ArticleRevision.objects.create(
        article=article,
        author=actor if actor is not None and actor.is_authenticated else None,
        data=article_snapshot(article),
        note=note[:200],
    )


# --- Writing -------------------------------------------------------------------------------


def _resolve(field: str, value: Any) -> Any:
    """Accept an instance or a primary key for foreign keys (revisions hold ids)."""
    model = FOREIGN_KEYS[field]
    if value is None or value == "":
        return None
    if isinstance(value, model):
        return value
    return model._default_manager.filter(pk=value).first()


def _apply(article: Article, data: Mapping[str, Any]) -> list[str]:
    """Copy editable fields onto the article (after checking them); return the tag names."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    title = " ".join(str(data.get("title", article.title) or "").split())
    if not title:
        errors.setdefault("title", []).append(_("Donnez un titre à l'article."))
    body = str(data.get("body", article.body) or "")
    try:
        check_article_markdown(body)
    except ValidationError as error:
        errors.setdefault("body", []).extend(error.messages)
    language = data.get("language", article.language) or Language.FR
    if language not in Language.values:
        errors.setdefault("language", []).append(_("Choisissez le français ou l'anglais."))
    translation = _resolve("translation_of", data.get("translation_of", article.translation_of))
    if translation is not None:
        if article.pk and translation.pk == article.pk:
            errors.setdefault("translation_of", []).append(
                _("Un article ne peut pas être sa propre traduction.")
            )
        elif translation.language == language:
            errors.setdefault("translation_of", []).append(
                _("Choisissez un article écrit dans l'autre langue.")
            )
    typed_slug = str(data.get("slug", "") or "").strip()
    slug = article.slug
    if typed_slug:
        try:
            slug = _check_typed_slug(typed_slug, article)
        except ValidationError as error:
            errors.setdefault("slug", []).extend(error.messages)
    elif not article.slug or "slug" in data:
        slug = unique_slug(title or "article", exclude=article)
    # Every problem at once, so the writer fixes them in one go.
    if errors:
        raise ValidationError(errors)
    article.title = title[:200]
    article.slug = slug
    article.body = body
    article.body_html = str(render_article_markdown(body))
    article.language = language
    article.translation_of = translation
    for field in ("summary", "author_name", "seo_title", "meta_description", "canonical_url"):
        if field in data:
            setattr(article, field, str(data[field] or "").strip())
    if "noindex" in data:
        article.noindex = bool(data["noindex"])
    for field in ("category", "cover", "social_image"):
        if field in data:
            setattr(article, field, _resolve(field, data[field]))
    if "tags" in data:
        return parse_tag_names(data["tags"] or [])
    return list(article.tags.values_list("name", flat=True)) if article.pk else []


@transaction.atomic
def article_create(
    *, actor: User | None, data: Mapping[str, Any], author_name: str = ""
) -> Article:
    """Write a new draft article and its first revision."""
    article = Article(
        author=actor if actor is not None and actor.is_authenticated else None,
        status=PublicationStatus.DRAFT,
    )
    tag_names = _apply(article, data)
    if not article.author_name:
        article.author_name = author_name or _default_author_name(actor)
    article.full_clean(exclude=["slug", "tags"], validate_unique=False)
    article.save()
    _move_slug(article, "")
    article.tags.set(_tags_for(tag_names))
    _save_revision(article, actor, _("Création"))
    bump(article_key(article))
    return article


def _default_author_name(actor: User | None) -> str:
    if actor is None or not actor.is_authenticated:
        return ""
    from essaim.people.models import Person

    person = Person.objects.filter(user=actor).first()
    return (person.full_name if person is not None else "")[:120]


def _check_not_overwriting(article: Article, base_revision: int) -> None:
    """Refuse to save over a version written by someone else since the form was opened."""
    latest = (
        ArticleRevision.objects.filter(article=article)
        .select_related("author")
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None or latest.pk == base_revision:
        return
    from essaim.people.models import Person

    person = Person.objects.filter(user_id=latest.author_id).first() if latest.author_id else None
    who = (person.full_name if person else "") or (
        latest.author.email if latest.author else _("quelqu'un")
    )
    when = formats.date_format(timezone.localtime(latest.created_at), "DATETIME_FORMAT")
    raise ValidationError(
        _(
            "Pendant que vous écriviez, %(who)s a enregistré une autre version de cet article "
            "(%(when)s). Vos modifications ne sont pas encore enregistrées : regardez les "
            "versions précédentes, puis enregistrez à nouveau pour garder les vôtres."
        )
        % {"who": who, "when": when},
        code="conflict",
    )


def latest_revision_id(article: Article) -> int | None:
    """Return the id of the article's latest revision (the version a form starts from)."""
    return (
        ArticleRevision.objects.filter(article=article)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )


@transaction.atomic
def article_update(
    *,
    actor: User | None,
    article: Article,
    data: Mapping[str, Any],
    note: str = "",
    base_revision: int | None = None,
) -> Article:
    """Save a writer's changes: new revision, old address kept as a redirect."""
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if base_revision is not None:
        _check_not_overwriting(locked, base_revision)
    before = article_snapshot(locked)
    old_slug = locked.slug
    tag_names = _apply(locked, data)
    if not locked.author_name:
        # "Left empty: your name" (the form's promise), the first author's if known.
        locked.author_name = _default_author_name(locked.author or actor)
    locked.full_clean(exclude=["slug", "tags"], validate_unique=False)
    after_tags = sorted(tag_names)
    after = article_snapshot(locked, tags=after_tags)
    changed_fields = {key for key, value in after.items() if before.get(key) != value}
    if sorted(before["tags"]) != after_tags:
        changed_fields.add("tags")
    if not changed_fields:
        return locked
    if locked.published_at is not None and changed_fields & set(VISIBLE_FIELDS):
        locked.content_updated_at = timezone.now()
    locked.save()
    _move_slug(locked, old_slug)
    if "tags" in changed_fields:
        locked.tags.set(_tags_for(tag_names))
    _save_revision(locked, actor, note)
    _bump_article(locked, was_public=_is_public(locked))
    return locked


def _bump_article(article: Article, *, was_public: bool) -> None:
    keys = [article_key(article)]
    if was_public or _is_public(article):
        keys.append(ARTICLES)
        # The other language's page links here (hreflang).
        if article.translation_of_id:
            keys.append(article_key(article.translation_of_id))
    bump(*keys)


# --- Lifecycle -----------------------------------------------------------------------------


def _status_label(status: str) -> str:
    return str(PublicationStatus(status).label)


def _transition(
    article: Article, to_status: str, *, actor: User | None, note: str = ""
) -> tuple[Article, str]:
    """Lock the article and check that it may move to ``to_status``."""
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if to_status not in PUBLICATION_TRANSITIONS[locked.status]:
        raise ValidationError(
            _("Impossible : l'article est « %(current)s », il ne peut pas passer à « %(wanted)s ».")
            % {"current": _status_label(locked.status), "wanted": _status_label(to_status)},
            code="transition",
        )
    return locked, locked.status


def _record_change(
    article: Article, from_status: str, *, actor: User | None, note: str = ""
) -> PublicationChange:
    return PublicationChange.objects.create(
        article=article,
        from_status=from_status,
        to_status=article.status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        note=note[:300],
    )


def _publish_locked(article: Article, from_status: str, *, actor: User | None, note: str) -> None:
    now = timezone.now()
    article.status = PublicationStatus.PUBLISHED
    article.publish_at = None
    if article.published_at is None:
        # The date readers see is the first publication's, kept on re-publication.
        article.published_at = now
        article.content_updated_at = now
    article.content_updated_at = article.content_updated_at or now
    article.save(
        update_fields=["status", "publish_at", "published_at", "content_updated_at", "updated_at"]
    )
    _record_change(article, from_status, actor=actor, note=note)
    audit_record(
        actor=actor,
        action="blog.article_publish",
        target=article,
        details={"from": from_status, "note": note} if note else {"from": from_status},
    )
    _bump_article(article, was_public=False)


@transaction.atomic
def article_publish(*, actor: User | None, article: Article, note: str = "") -> Article:
    """Publish an article now (the first publication date is kept on re-publication)."""
    locked, previous = _transition(article, PublicationStatus.PUBLISHED, actor=actor)
    _publish_locked(locked, previous, actor=actor, note=note)
    return locked


@transaction.atomic
def article_schedule(
    *, actor: User | None, article: Article, publish_at: dt.datetime, note: str = ""
) -> Article:
    """Program an article's publication at a future time."""
    if publish_at is None or publish_at <= timezone.now():
        raise ValidationError(
            {
                "publish_at": _(
                    "Choisissez une date et une heure à venir : celle-ci est déjà passée."
                )
            },
            code="past",
        )
    locked = Article.objects.select_for_update().get(pk=article.pk)
    previous = locked.status
    if previous != PublicationStatus.SCHEDULED:
        locked, previous = _transition(article, PublicationStatus.SCHEDULED, actor=actor)
    locked.status = PublicationStatus.SCHEDULED
    locked.publish_at = publish_at
    locked.save(update_fields=["status", "publish_at", "updated_at"])
    when = formats.date_format(timezone.localtime(publish_at), "DATETIME_FORMAT")
    _record_change(
        locked, previous, actor=actor, note=note or _("Pour le %(when)s") % {"when": when}
    )
    audit_record(
        actor=actor,
        action="blog.article_schedule",
        target=locked,
        details={"from": previous, "publish_at": publish_at.isoformat()},
    )
    _bump_article(locked, was_public=previous == PublicationStatus.PUBLISHED)
    return locked


@transaction.atomic
def article_unpublish(*, actor: User | None, article: Article, reason: str) -> Article:
    """Take a published article off the site, saying why."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(
            {"reason": _("Dites en quelques mots pourquoi l'article est retiré.")},
            code="reason",
        )
    locked, previous = _transition(article, PublicationStatus.UNPUBLISHED, actor=actor)
    locked.status = PublicationStatus.UNPUBLISHED
    locked.save(update_fields=["status", "updated_at"])
    _record_change(locked, previous, actor=actor, note=reason)
    audit_record(
        actor=actor, action="blog.article_unpublish", target=locked, details={"reason": reason}
    )
    _bump_article(locked, was_public=True)
    return locked


@transaction.atomic
def article_return_to_draft(*, actor: User | None, article: Article, note: str = "") -> Article:
    """Bring a scheduled or unpublished article back to draft."""
    locked, previous = _transition(article, PublicationStatus.DRAFT, actor=actor)
    locked.status = PublicationStatus.DRAFT
    locked.publish_at = None
    locked.save(update_fields=["status", "publish_at", "updated_at"])
    _record_change(locked, previous, actor=actor, note=note)
    _bump_article(locked, was_public=False)
    return locked


@transaction.atomic
def article_restore(*, actor: User | None, revision: ArticleRevision) -> Article:
    """Bring back an article's fields as they were in a revision (itself a new revision)."""
    article = revision.article
    data = {key: value for key, value in revision.data.items() if key in EDITABLE_FIELDS}
    if slug_owner(str(data.get("slug") or ""), exclude=article) is not None:
        # Another article took that address since: keep the current one.
        data["slug"] = article.slug
    # Things deleted since (a category, an image) are simply left empty.
    when = formats.date_format(timezone.localtime(revision.created_at), "DATETIME_FORMAT")
    note = _("Version du %(when)s rétablie") % {"when": when}
    restored = article_update(actor=actor, article=article, data=data, note=note)
    audit_record(
        actor=actor,
        action="blog.article_restore",
        target=restored,
        details={"revision": revision.pk},
    )
    return restored


def articles_are_due(*, now: dt.datetime | None = None) -> bool:
    """Tell whether a scheduled article's publication time has come."""
    return Article.objects.filter(
        status=PublicationStatus.SCHEDULED, publish_at__lte=now or timezone.now()
    ).exists()


def articles_publish_due(*, now: dt.datetime | None = None, batch_size: int = DUE_BATCH) -> int:
    """Publish every scheduled article whose time has come; return how many were published."""
    moment = now or timezone.now()
    published = 0
    while True:
        with transaction.atomic():
            due = Article.objects.filter(
                status=PublicationStatus.SCHEDULED, publish_at__lte=moment
            ).order_by("publish_at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                # Two runs at once each take the rows the other has not locked.
                due = due.select_for_update(skip_locked=True)
            batch = list(due[:batch_size])
            for article in batch:
                _publish_locked(
                    article,
                    PublicationStatus.SCHEDULED,
                    actor=None,
                    note=_("Publication programmée"),
                )
            published += len(batch)
        if len(batch) < batch_size:
            return published


# --- Categories ----------------------------------------------------------------------------


def _category_slug(name: str, slug: str, category: Category | None) -> str:
    typed = slugify_fr(slug)[:80].strip("-")
    others = Category.objects.all()
    if category is not None and category.pk:
        others = others.exclude(pk=category.pk)
    if typed:
        owner = others.filter(slug=typed).first()
        if owner is not None:
            raise ValidationError(
                {
                    "slug": _("Cette adresse est déjà prise par la catégorie « %(name)s ».")
                    % {"name": owner.name}
                }
            )
        return typed
    base = slugify_fr(name)[:74].strip("-") or "categorie"
    taken = set(others.filter(slug__startswith=base).values_list("slug", flat=True))
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _category_name(name: str, category: Category | None) -> str:
    cleaned = " ".join((name or "").split())[:80]
    if not cleaned:
        raise ValidationError({"name": _("Donnez un nom à la catégorie.")})
    others = Category.objects.filter(name__iexact=cleaned)
    if category is not None and category.pk:
        others = others.exclude(pk=category.pk)
    if others.exists():
        raise ValidationError({"name": _("Une catégorie porte déjà ce nom.")})
    return cleaned


@transaction.atomic
def category_create(
    *, actor: User | None, name: str, slug: str = "", description: str = ""
) -> Category:
    """Add a category of articles."""
    cleaned = _category_name(name, None)
    category = Category.objects.create(
        name=cleaned,
        slug=_category_slug(cleaned, slug, None),
        description=(description or "").strip(),
        position=Category.objects.count(),
    )
    audit_record(actor=actor, action="blog.category_create", target=category)
    bump(ARTICLES)
    return category


@transaction.atomic
def category_update(
    *, actor: User | None, category: Category, name: str, slug: str = "", description: str = ""
) -> Category:
    """Rename a category (or change its address or description)."""
    locked = Category.objects.select_for_update().get(pk=category.pk)
    cleaned = _category_name(name, locked)
    locked.name = cleaned
    locked.slug = _category_slug(cleaned, slug or locked.slug, locked)
    locked.description = (description or "").strip()
    locked.save()
    audit_record(actor=actor, action="blog.category_update", target=locked)
    bump(ARTICLES)
    return locked


@transaction.atomic
def category_delete(*, actor: User | None, category: Category) -> int:
    """Delete a category; its articles stay, without category. Return how many they were."""
    count = Article.objects.filter(category=category).update(category=None)
    audit_record(
        actor=actor,
        action="blog.category_delete",
        target=category,
        details={"name": category.name, "articles": count},
    )
    category.delete()
    bump(ARTICLES)
    return count


# --- Images --------------------------------------------------------------------------------


@transaction.atomic
def image_upload(
    *,
    actor: User | None,
    file: UploadedFile,
    alt_text: str,
    caption: str = "",
    credit: str = "",
) -> BlogImage:
    """Check, clean and store an image, then have its responsive variants made."""
    alt = _clean_alt(alt_text)
    if file.size is not None and file.size > 10 * 1024 * 1024:
        raise ValidationError(
            {"file": _("Ce fichier dépasse 10 Mo : réduisez l'image avant de l'envoyer.")}
        )
    try:
        cleaned = clean_upload(file.read())
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    image = BlogImage(
        alt_text=alt,
        caption=" ".join((caption or "").split())[:250],
        credit=" ".join((credit or "").split())[:150],
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    content = as_content_file(cleaned, file.name or "image")
    image.file.save(content.name or "image", content, save=False)
    image.save()
    from .tasks import blog_image_variants

    image_id = image.pk
    transaction.on_commit(lambda: blog_image_variants.enqueue(image_id))
    return image


def _clean_alt(alt_text: str) -> str:
    alt = " ".join((alt_text or "").split())
    if not alt:
        raise ValidationError(
            {
                "alt_text": _(
                    "Décrivez l'image en quelques mots : ce texte est lu aux personnes qui ne "
                    "la voient pas."
                )
            }
        )
    return alt[:250]


@transaction.atomic
def image_update(
    *, actor: User | None, image: BlogImage, alt_text: str, caption: str = "", credit: str = ""
) -> BlogImage:
    """Change an image's text alternative, caption or credit (pages showing it as cover follow)."""
    locked = BlogImage.objects.select_for_update().get(pk=image.pk)
    locked.alt_text = _clean_alt(alt_text)
    locked.caption = " ".join((caption or "").split())[:250]
    locked.credit = " ".join((credit or "").split())[:150]
    locked.save(update_fields=["alt_text", "caption", "credit", "updated_at"])
    keys: list[str] = []
    for article in Article.objects.filter(Q(cover=locked) | Q(social_image=locked)).only(
        "pk", "status"
    ):
        keys.append(article_key(article))
        if _is_public(article):
            keys.append(ARTICLES)
    keys += _story_and_page_keys(locked, rerender=False)
    if keys:
        bump(*keys)
    return locked


STORY_PARTS = ("situation", "what_happened", "what_changed")


def _story_and_page_keys(image: BlogImage, *, rerender: bool) -> list[str]:
    """Return the cache keys of the stories and fixed pages showing an image.

    With ``rerender``, texts that show the image are rendered again (with its variants).
    """
    from .models import SitePage, Story

    name = image.file.name
    keys: list[str] = []
    in_text = Q()
    for part in STORY_PARTS:
        in_text |= Q(**{f"{part}__contains": name})
    for story in Story.objects.filter(Q(cover=image) | Q(social_image=image) | in_text).only(
        "pk", *STORY_PARTS
    ):
        if rerender:
            changes = {
                f"{part}_html": str(render_article_markdown(getattr(story, part)))
                for part in STORY_PARTS
                if name in getattr(story, part)
            }
            if changes:
                Story.objects.filter(pk=story.pk).update(**changes)
        keys += ["stories", f"story:{story.pk}"]
    pages = SitePage.objects.filter(Q(social_image=image) | Q(body__contains=name))
    for page in pages.only("pk", "body"):
        if rerender and name in page.body:
            html = str(render_article_markdown(page.body))
            SitePage.objects.filter(pk=page.pk).update(body_html=html)
        keys.append("site")
    return keys


def image_uses(image: BlogImage, *, limit: int = 5) -> list[str]:
    """Return the titles of the articles, stories and pages that show an image (a few)."""
    from .models import SitePage, Story

    name = image.file.name
    articles = Article.objects.filter(
        Q(cover=image) | Q(social_image=image) | Q(body__contains=name)
    )
    stories = Story.objects.filter(
        Q(cover=image)
        | Q(social_image=image)
        | Q(situation__contains=name)
        | Q(what_happened__contains=name)
        | Q(what_changed__contains=name)
    )
    pages = SitePage.objects.filter(Q(social_image=image) | Q(body__contains=name))
    titles: list[str] = []
    for queryset in (articles, stories, pages):
        titles += list(queryset.order_by("pk").values_list("title", flat=True)[: limit + 1])
    return titles[: limit + 1]


@transaction.atomic
def image_delete(*, actor: User | None, image: BlogImage) -> None:
    """Delete an image nothing shows any more, with its file and variants."""
    locked = BlogImage.objects.select_for_update().get(pk=image.pk)
    uses = image_uses(locked)
    if uses:
        shown = ", ".join(f"« {title} »" for title in uses[:5])
        if len(uses) > 5:
            shown += ", …"
        raise ValidationError(
            _(
                "Cette image est encore utilisée par : %(uses)s. Retirez-la de ces textes "
                "(couverture, image pour les réseaux sociaux ou texte), puis supprimez-la."
            )
            % {"uses": shown},
            code="in_use",
        )
    audit_record(
        actor=actor,
        action="blog.image_delete",
        target=locked,
        details={"file": locked.file.name, "alt_text": locked.alt_text},
    )
    files = [variant.get("name") for variant in locked.variants or []] + [locked.file.name]
    locked.delete()

    def remove_files() -> None:
        from django.core.files.storage import default_storage

        for name in files:
            if name:
                default_storage.delete(name)

    transaction.on_commit(remove_files)


def image_variants_make(*, image_id: int) -> int:
    """Write an image's variants, then refresh the articles, stories and pages that show it."""
    image = BlogImage.objects.filter(pk=image_id).first()
    if image is None or not image.file:
        return 0
    variants = make_variants(image)
    with transaction.atomic():
        locked = BlogImage.objects.select_for_update().filter(pk=image_id).first()
        if locked is None:  # deleted meanwhile
            delete_variants(variants)
            return 0
        previous = locked.variants
        locked.variants = variants
        locked.save(update_fields=["variants", "updated_at"])
        transaction.on_commit(lambda: delete_variants(_unused(previous, variants)))
        # Bodies were rendered with the original only: render them again with the variants.
        keys: list[str] = []
        users = Article.objects.filter(
            Q(cover=locked) | Q(social_image=locked) | Q(body__contains=locked.file.name)
        )
        for article in users.only("pk", "body", "status"):
            if locked.file.name in article.body:
                html = str(render_article_markdown(article.body))
                Article.objects.filter(pk=article.pk).update(body_html=html)
            keys.append(article_key(article))
            if _is_public(article):
                keys.append(ARTICLES)
        keys += _story_and_page_keys(locked, rerender=True)
        if keys:
            bump(*keys)
    return len(variants)


def _unused(previous: list[dict[str, Any]], current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kept = {variant.get("name") for variant in current}
    return [variant for variant in previous or [] if variant.get("name") not in kept]
