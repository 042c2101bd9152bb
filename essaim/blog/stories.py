"""Writes of stories and of the consents of the people they feature.

A story is shown only while every featured person's consent holds (see
``story_selectors``). Withdrawing a consent, or a consent reaching its end date,
unpublishes the story at once and alerts the communication staff.
"""

from __future__ import annotations

import datetime
import io
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from essaim.core import pagecache
from essaim.core.services import audit_record

from .models import (
    PUBLICATION_TRANSITIONS,
    BlogImage,
    ConsentUse,
    ImageRights,
    PublicationChange,
    PublicationStatus,
    Story,
    StoryConsent,
)
from .story_selectors import story_blockers, today

# Fields a story form may set (the *_html copies are derived, the status has its services).
STORY_FIELDS = (
    "title",
    "slug",
    "subject",
    "summary",
    "situation",
    "what_happened",
    "what_changed",
    "call_to_action",
    "call_to_action_text",
    "cover",
    "language",
    "seo_title",
    "meta_description",
    "canonical_url",
    "noindex",
    "social_image",
)
# The parts a reader sees: changing one moves content_updated_at (feeds, JSON-LD).
READER_FIELDS = frozenset(
    {"title", "subject", "summary", "situation", "what_happened", "what_changed", "cover"}
)
MARKDOWN_PARTS = ("situation", "what_happened", "what_changed")

MAX_DOCUMENT_SIZE = 10 * 1024 * 1024
DOCUMENT_TYPES = {
    # extension -> (content type, magic bytes the file must start with)
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}
EXTENSION_ALIASES = {"jpeg": "jpg"}
# Warn the staff this many days before a consent ends.
EXPIRY_WARNING_DAYS = 14


def render_part(text: str) -> str:
    """Render one part of a story (the articles' Markdown: sanitised, responsive images)."""
    from .markdown import render_article_markdown

    return str(render_article_markdown(text))


def _unique_slug(wanted: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(wanted)[:190].strip("-") or "recit"
    taken = Story.objects.filter(Q(slug=base) | Q(slug__startswith=f"{base}-"))
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    used = set(taken.values_list("slug", flat=True))
    if base not in used:
        return base
    number = 2
    while f"{base}-{number}" in used:
        number += 1
    return f"{base}-{number}"


def _check_slug(slug: str, *, exclude_pk: int | None) -> str:
    cleaned = slugify(slug)[:200].strip("-")
    if not cleaned:
        raise ValidationError(
            {"slug": _("L'adresse doit contenir au moins une lettre ou un chiffre.")}
        )
    clash = Story.objects.filter(slug=cleaned)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError(
            {
                "slug": _("L'adresse « %(slug)s » est déjà celle d'un autre récit.")
                % {"slug": cleaned}
            }
        )
    return cleaned


def _bump(story: Story) -> None:
    pagecache.bump("stories", f"story:{story.pk}")


def _check_images(data: dict[str, Any]) -> None:
    for field in ("cover", "social_image"):
        value = data.get(field)
        if value is not None and not isinstance(value, BlogImage):
            raise TypeError(f"{field} must be a BlogImage")


@transaction.atomic
def story_create(*, actor: Any, title: str, subject: str, **fields: Any) -> Story:
    """Create a story as a draft, its parts rendered once."""
    unknown = set(fields) - set(STORY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown story fields: {sorted(unknown)}")
    _check_images(fields)
    wanted_slug = fields.pop("slug", "") or ""
    story = Story(
        title=title.strip(),
        subject=subject.strip(),
        author=actor if actor is not None and actor.is_authenticated else None,
        **fields,
    )
    story.slug = (
        _check_slug(wanted_slug, exclude_pk=None) if wanted_slug else _unique_slug(story.title)
    )
    for part in MARKDOWN_PARTS:
        setattr(story, f"{part}_html", render_part(getattr(story, part)))
    story.content_updated_at = timezone.now()
    story.full_clean()
    story.save()
    PublicationChange.objects.create(
        story=story, from_status="", to_status=story.status, actor=_actor(actor)
    )
    audit_record(actor=actor, action="story.create", target=story)
    _bump(story)
    return story


@transaction.atomic
def story_update(*, actor: Any, story: Story, data: dict[str, Any]) -> Story:
    """Change a story's fields; re-render the parts that changed."""
    unknown = set(data) - set(STORY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown story fields: {sorted(unknown)}")
    _check_images(data)
    locked = Story.objects.select_for_update().get(pk=story.pk)
    changed: list[str] = []
    for field in STORY_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if field == "slug":
            value = _check_slug(value or locked.title, exclude_pk=locked.pk)
        elif isinstance(value, str) and field in ("title", "subject"):
            value = value.strip()
        if getattr(locked, field) != value:
            setattr(locked, field, value)
            changed.append(field)
    for part in MARKDOWN_PARTS:
        if part in changed:
            setattr(locked, f"{part}_html", render_part(getattr(locked, part)))
    if READER_FIELDS & set(changed):
        locked.content_updated_at = timezone.now()
    locked.full_clean()
    locked.save()
    if changed:
        audit_record(actor=actor, action="story.update", target=locked, details={"fields": changed})
        _bump(locked)
    return locked


def _actor(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _move(story: Story, to_status: str, *, actor: Any, note: str = "") -> None:
    """Apply one declared transition to a locked story, with its history row."""
    if to_status not in PUBLICATION_TRANSITIONS[story.status]:
        raise ValidationError(
            _("Un récit « %(from)s » ne peut pas passer à « %(to)s ».")
            % {
                "from": PublicationStatus(story.status).label,
                "to": PublicationStatus(to_status).label,
            }
        )
    PublicationChange.objects.create(
        story=story,
        from_status=story.status,
        to_status=to_status,
        actor=_actor(actor),
        note=note[:300],
    )
    story.status = to_status


@transaction.atomic
def story_publish(*, actor: Any, story: Story) -> Story:
    """Publish a story, only if every featured person's consent allows the site."""
    locked = Story.objects.select_for_update().get(pk=story.pk)
    if locked.status == PublicationStatus.PUBLISHED:
        raise ValidationError(_("Ce récit est déjà publié."))
    blockers = story_blockers(locked, ConsentUse.BLOG)
    if blockers:
        raise ValidationError(
            [_("Ce récit ne peut pas être publié :"), *blockers],
            code="consent",
        )
    labels = {
        "situation": _("la situation"),
        "what_happened": _("ce qui s'est passé"),
        "what_changed": _("ce qui a changé"),
    }
    missing = [label for part, label in labels.items() if not getattr(locked, part).strip()]
    if missing:
        raise ValidationError(
            _("Complétez d'abord : %(parts)s.") % {"parts": ", ".join(missing)}, code="incomplete"
        )
    _move(locked, PublicationStatus.PUBLISHED, actor=actor)
    now = timezone.now()
    if locked.published_at is None:
        locked.published_at = now
    locked.content_updated_at = locked.content_updated_at or now
    locked.unpublished_reason = ""
    locked.save()
    audit_record(actor=actor, action="story.publish", target=locked)
    _bump(locked)
    return locked


@transaction.atomic
def story_unpublish(*, actor: Any, story: Story, reason: str) -> Story:
    """Take a published story off the public site, saying why."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Dites en quelques mots pourquoi ce récit est retiré.")})
    locked = Story.objects.select_for_update().get(pk=story.pk)
    if locked.status != PublicationStatus.PUBLISHED:
        raise ValidationError(_("Ce récit n'est pas publié."))
    _unpublish_locked(locked, actor=actor, reason=reason)
    return locked


def _unpublish_locked(story: Story, *, actor: Any, reason: str) -> None:
    _move(story, PublicationStatus.UNPUBLISHED, actor=actor, note=reason)
    story.unpublished_reason = reason[:300]
    story.save(update_fields=["status", "unpublished_reason", "updated_at"])
    audit_record(
        actor=actor, action="story.unpublish", target=story, details={"reason": reason[:300]}
    )
    _bump(story)


# --- consents --------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentDocument:
    """A signed consent form that passed the checks, ready to store privately."""

    name: str
    content: bytes
    extension: str
    content_type: str


def consent_document_prepare(upload: UploadedFile) -> ConsentDocument:
    """Check a signed consent form (PDF, JPEG or PNG, at most 10 MB), or raise ValidationError."""
    name = (upload.name or "document").rsplit("/", 1)[-1][:200]
    too_big = ValidationError(
        _("« %(name)s » dépasse 10 Mo : numérisez-le en plus basse résolution.") % {"name": name},
        code="too_big",
    )
    if upload.size is None or upload.size > MAX_DOCUMENT_SIZE:
        raise too_big
    raw = upload.read(MAX_DOCUMENT_SIZE + 1)
    if len(raw) > MAX_DOCUMENT_SIZE:
        raise too_big
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    extension = EXTENSION_ALIASES.get(extension, extension)
    refused = ValidationError(
        _(
            "« %(name)s » n'est pas accepté : envoyez le formulaire signé en PDF, "
            "ou sa photo en JPEG ou PNG."
        )
        % {"name": name},
        code="type",
    )
    if extension not in DOCUMENT_TYPES:
        raise refused
    content_type, magics = DOCUMENT_TYPES[extension]
    if not any(raw.startswith(magic) for magic in magics):
        raise ValidationError(
            _("« %(name)s » n'est pas un vrai fichier %(ext)s : son contenu ne correspond pas.")
            % {"name": name, "ext": extension.upper()},
            code="mismatch",
        )
    if extension in ("jpg", "png"):
        from PIL import Image

        try:
            with Image.open(io.BytesIO(raw)) as probe:
                probe.verify()
        except Exception as error:
            raise ValidationError(
                _("« %(name)s » est abîmé : l'image ne peut pas être lue.") % {"name": name},
                code="broken",
            ) from error
    return ConsentDocument(name=name, content=raw, extension=extension, content_type=content_type)


def document_content_type(consent: StoryConsent) -> str:
    """Return the MIME type of a stored consent form, from its (checked) extension."""
    extension = consent.document.name.rsplit(".", 1)[-1].lower()
    return DOCUMENT_TYPES.get(extension, ("application/octet-stream", ()))[0]


def _clean_uses(uses: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(uses))
    unknown = [use for use in chosen if use not in ConsentUse.values]
    if unknown:
        raise ValidationError({"uses": _("Usage inconnu : %(use)s.") % {"use": unknown[0]}})
    if not chosen:
        raise ValidationError(
            {"uses": _("Cochez au moins un usage autorisé (le site, les pages de don…).")}
        )
    # Stored in the declared order: the same uses always give the same text.
    return [use for use in ConsentUse.values if use in chosen]


@transaction.atomic
def consent_record(
    *,
    actor: Any,
    story: Story,
    featured_name: str,
    given_by: str,
    given_on: datetime.date,
    uses: Sequence[str],
    image_rights: str = ImageRights.NONE,
    valid_until: datetime.date | None = None,
    person: Any = None,
    document: ConsentDocument | None = None,
    notes: str = "",
) -> StoryConsent:
    """Record the consent of a person featured in a story (uses, end date, image rights)."""
    errors: dict[str, str] = {}
    if not featured_name.strip():
        errors["featured_name"] = _("Indiquez le nom de la personne présente dans le récit.")
    if not given_by.strip():
        errors["given_by"] = _("Indiquez qui a donné son consentement.")
    day = today()
    if given_on > day:
        errors["given_on"] = _("La date du consentement ne peut pas être dans le futur.")
    if valid_until is not None and valid_until < given_on:
        errors["valid_until"] = _(
            "La fin de validité ne peut pas précéder la date du consentement."
        )
    if image_rights not in ImageRights.values:
        errors["image_rights"] = _("Choisissez un droit à l'image.")
    if errors:
        raise ValidationError(errors)
    locked = Story.objects.select_for_update().get(pk=story.pk)
    consent = StoryConsent(
        story=locked,
        featured_name=featured_name.strip(),
        person=person,
        given_by=given_by.strip(),
        given_on=given_on,
        uses=_clean_uses(uses),
        valid_until=valid_until,
        image_rights=image_rights,
        notes=notes.strip(),
        recorded_by=_actor(actor),
    )
    if document is not None:
        consent.document.save(
            f"{uuid.uuid4().hex}.{document.extension}", ContentFile(document.content), save=False
        )
    consent.full_clean()
    consent.save()
    audit_record(
        actor=actor,
        action="story_consent.record",
        target=locked,
        details={
            "consent": consent.pk,
            "featured_name": consent.featured_name,
            "uses": consent.uses,
            "valid_until": valid_until.isoformat() if valid_until else None,
            "image_rights": image_rights,
            "document": bool(document),
        },
    )
    # A new consent may hide a published story (a use not allowed) or its cover.
    _bump(locked)
    return consent


@transaction.atomic
def consent_withdraw(*, actor: Any, consent: StoryConsent, note: str) -> StoryConsent:
    """Withdraw a consent: its story is unpublished everywhere and the staff alerted."""
    note = note.strip()
    if not note:
        raise ValidationError(
            {"note": _("Notez comment et quand la personne a retiré son consentement.")}
        )
    locked = StoryConsent.objects.select_for_update().select_related("story").get(pk=consent.pk)
    if locked.withdrawn_at is not None:
        raise ValidationError(_("Ce consentement est déjà retiré."))
    locked.withdrawn_at = timezone.now()
    locked.withdrawn_note = note[:300]
    locked.save(update_fields=["withdrawn_at", "withdrawn_note", "updated_at"])
    story = Story.objects.select_for_update().get(pk=locked.story_id)
    audit_record(
        actor=actor,
        action="story_consent.withdraw",
        target=story,
        details={"consent": locked.pk, "featured_name": locked.featured_name, "note": note},
    )
    was_published = story.status == PublicationStatus.PUBLISHED
    if was_published:
        _unpublish_locked(
            story,
            actor=actor,
            reason=_("Consentement retiré par %(name)s") % {"name": locked.featured_name},
        )
    else:
        _bump(story)
    staff_alert(
        summary=(
            _("Récit « %(title)s » dépublié : %(name)s a retiré son consentement.")
            if was_published
            else _("Récit « %(title)s » : %(name)s a retiré son consentement.")
        )
        % {"title": story.title, "name": locked.featured_name},
        story=story,
    )
    return locked


# --- alerts and the daily check -----------------------------------------------------------


def staff_recipient_ids() -> list[int]:
    """Return the contact ids of the active accounts that write the public site."""
    from essaim.accounts.models import Role
    from essaim.people.models import Person

    return list(
        Person.objects.filter(user__is_active=True, erased_at__isnull=True)
        .filter(
            Q(user__role_grants__role__in=[Role.COMMUNICATION, Role.ADMIN])
            | Q(user__is_superuser=True)
        )
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )


def staff_alert(*, summary: str, story: Story) -> int:
    """Notify the communication staff and admins (in the app, and by e-mail at once)."""
    from essaim.feed.models import NotificationKind
    from essaim.feed.services import notifications_create_for_ids

    created = notifications_create_for_ids(
        recipient_ids=staff_recipient_ids(),
        kind=NotificationKind.STORY_CONSENT,
        summary=summary,
        url=reverse("site_admin:story_detail", kwargs={"story_id": story.pk}),
    )
    return len(created)


@dataclass
class ConsentCheck:
    """What one run of the consent check did."""

    unpublished: list[int]
    warned: list[int]


def story_consents_check(*, on: datetime.date | None = None) -> ConsentCheck:
    """Unpublish stories whose consent has expired; warn once before a consent ends."""
    day = on or today()
    result = ConsentCheck(unpublished=[], warned=[])
    expired = (
        StoryConsent.objects.filter(
            story__status=PublicationStatus.PUBLISHED,
            withdrawn_at__isnull=True,
            valid_until__lt=day,
        )
        .order_by("story_id", "featured_name", "id")
        .values_list("story_id", "featured_name")
    )
    names_by_story: dict[int, list[str]] = {}
    for story_id, name in expired:
        names_by_story.setdefault(story_id, []).append(name)
    for story_id, names in names_by_story.items():
        with transaction.atomic():
            story = Story.objects.select_for_update().get(pk=story_id)
            if story.status != PublicationStatus.PUBLISHED:
                continue  # taken down meanwhile
            who = ", ".join(names)
            _unpublish_locked(
                story, actor=None, reason=_("Consentement expiré pour %(name)s") % {"name": who}
            )
            staff_alert(
                summary=_("Récit « %(title)s » dépublié : le consentement de %(name)s a expiré.")
                % {"title": story.title, "name": who},
                story=story,
            )
            result.unpublished.append(story_id)
    horizon = day + datetime.timedelta(days=EXPIRY_WARNING_DAYS)
    ending = (
        StoryConsent.objects.filter(
            story__status=PublicationStatus.PUBLISHED,
            withdrawn_at__isnull=True,
            expiry_warned_on__isnull=True,
            valid_until__gte=day,
            valid_until__lte=horizon,
        )
        .select_related("story")
        .order_by("valid_until", "id")
    )
    for consent in ending:
        with transaction.atomic():
            # Claim the warning first: two overlapping runs never warn twice.
            claimed = StoryConsent.objects.filter(
                pk=consent.pk, expiry_warned_on__isnull=True
            ).update(expiry_warned_on=day)
            if not claimed:
                continue
            assert consent.valid_until is not None
            staff_alert(
                summary=_(
                    "Récit « %(title)s » : le consentement de %(name)s prend fin le %(date)s ; "
                    "renouvelez-le ou le récit sera dépublié."
                )
                % {
                    "title": consent.story.title,
                    "name": consent.featured_name,
                    "date": consent.valid_until.strftime("%d/%m/%Y"),
                },
                story=consent.story,
            )
            result.warned.append(consent.pk)
    return result


@transaction.atomic
def consent_renew(
    *,
    actor: Any,
    consent: StoryConsent,
    given_on: datetime.date,
    valid_until: datetime.date | None,
    document: ConsentDocument | None = None,
) -> StoryConsent:
    """Record that a person renewed their consent: new date, new end date, maybe a new form."""
    locked = StoryConsent.objects.select_for_update().select_related("story").get(pk=consent.pk)
    if locked.withdrawn_at is not None:
        raise ValidationError(
            _("Un consentement retiré ne se renouvelle pas : enregistrez-en un nouveau.")
        )
    errors: dict[str, str] = {}
    if given_on > today():
        errors["given_on"] = _("La date du consentement ne peut pas être dans le futur.")
    elif given_on < locked.given_on:
        errors["given_on"] = _("Le renouvellement ne peut pas précéder le premier consentement.")
    if valid_until is not None and valid_until < given_on:
        errors["valid_until"] = _(
            "La fin de validité ne peut pas précéder la date du consentement."
        )
    if errors:
        raise ValidationError(errors)
    before = {
        "given_on": locked.given_on.isoformat(),
        "valid_until": locked.valid_until.isoformat() if locked.valid_until else None,
    }
    locked.given_on = given_on
    locked.valid_until = valid_until
    locked.expiry_warned_on = None
    if document is not None:
        old = locked.document.name
        locked.document.save(
            f"{uuid.uuid4().hex}.{document.extension}", ContentFile(document.content), save=False
        )
        if old:
            transaction.on_commit(lambda: locked.document.storage.delete(old))
    locked.save()
    audit_record(
        actor=actor,
        action="story_consent.renew",
        target=locked.story,
        details={
            "consent": locked.pk,
            "featured_name": locked.featured_name,
            "before": before,
            "valid_until": valid_until.isoformat() if valid_until else None,
            "document": bool(document),
        },
    )
    _bump(locked.story)
    return locked
