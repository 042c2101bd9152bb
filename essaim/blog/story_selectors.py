"""Reads of stories: which may be shown, where, and with their consents.

A story is visible for a use ("blog" for the public site, "giving" for giving pages,
"social" for social networks) when it is published, has at least one consent, and
every one of its consents is active (not withdrawn, not past its end date in Paris
time) and allows that use. The rule is evaluated by the database in one query, with
dates, so a consent that expired at midnight hides its story before any job runs.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from .models import ConsentUse, ImageRights, PublicationStatus, Story, StoryConsent


def today() -> datetime.date:
    """Return today's date in the association's time zone (Europe/Paris)."""
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())


def _use_marker(use: str) -> str:
    if use not in ConsentUse.values:
        raise ValueError(f"Unknown consent use: {use!r}")
    # Uses are stored as a JSON list of fixed codes; its text holds '"blog"' exactly when
    # "blog" is in the list (no code is a part of another with its quotes). Portable
    # between SQLite and PostgreSQL, which do not share a JSON containment lookup.
    return f'"{use}"'


def blocking_consents(use: str, *, on: datetime.date | None = None) -> QuerySet[StoryConsent]:
    """Return the consents that forbid their story for a use (withdrawn, expired, not allowed)."""
    day = on or today()
    return (
        StoryConsent.objects.annotate(uses_text=Cast("uses", TextField()))
        .filter(
            Q(withdrawn_at__isnull=False)
            | Q(valid_until__lt=day)
            | ~Q(uses_text__contains=_use_marker(use))
        )
        .order_by()
    )


def stories_usable_for(
    use: str, *, language: str | None = None, on: datetime.date | None = None
) -> QuerySet[Story]:
    """Return published stories whose every consent is active and allows this use."""
    day = on or today()
    consents = StoryConsent.objects.filter(story=OuterRef("pk")).order_by()
    blocking = blocking_consents(use, on=day).filter(story=OuterRef("pk"))
    no_image = consents.filter(image_rights=ImageRights.NONE)
    stories = (
        Story.objects.filter(status=PublicationStatus.PUBLISHED)
        .filter(Exists(consents), ~Exists(blocking))
        .annotate(show_cover=~Exists(no_image))
        .select_related("cover")
        .order_by("-published_at", "-id")
    )
    if language:
        stories = stories.filter(language=language)
    return stories


def public_stories(language: str, limit: int | None = None) -> QuerySet[Story]:
    """Return the stories shown on the public site in a language, newest first."""
    stories = stories_usable_for(ConsentUse.BLOG, language=language)
    if limit is not None:
        stories = stories[:limit]
    return stories


def public_story(slug: str, language: str) -> Story | None:
    """Return the public story with this address in this language, or None."""
    return public_stories(language).filter(slug=slug).first()


def consent_is_active(consent: StoryConsent, *, on: datetime.date | None = None) -> bool:
    """Tell whether a consent still holds (not withdrawn, not past its end date)."""
    day = on or today()
    if consent.withdrawn_at is not None:
        return False
    return consent.valid_until is None or consent.valid_until >= day


def consent_allows(consent: StoryConsent, use: str) -> bool:
    """Tell whether a consent allows a use (blog, giving, social)."""
    return use in (consent.uses or [])


def consent_state(consent: StoryConsent, *, on: datetime.date | None = None) -> str:
    """Return 'withdrawn', 'expired', 'expiring' (within 14 days) or 'active'."""
    day = on or today()
    if consent.withdrawn_at is not None:
        return "withdrawn"
    if consent.valid_until is not None:
        if consent.valid_until < day:
            return "expired"
        if consent.valid_until <= day + datetime.timedelta(days=14):
            return "expiring"
    return "active"


def story_is_public(story: Story, use: str = ConsentUse.BLOG) -> bool:
    """Tell whether a story may be shown for a use (uses its consents, prefetched or not)."""
    if story.status != PublicationStatus.PUBLISHED:
        return False
    consents = list(story.consents.all())
    if not consents:
        return False
    day = today()
    return all(consent_is_active(c, on=day) and consent_allows(c, use) for c in consents)


def story_blockers(story: Story, use: str = ConsentUse.BLOG) -> list[str]:
    """Return the reasons (in French) why a story may not be shown for a use; empty if it may."""
    from django.utils.translation import gettext as _

    consents = list(story.consents.all())
    if not consents:
        return [_("Ce récit n'a aucun consentement enregistré.")]
    day = today()
    reasons: list[str] = []
    label = ConsentUse(use).label
    for consent in consents:
        if consent.withdrawn_at is not None:
            reasons.append(
                _("Le consentement de %(name)s a été retiré.") % {"name": consent.featured_name}
            )
        elif consent.valid_until is not None and consent.valid_until < day:
            reasons.append(
                _("Le consentement de %(name)s a expiré le %(date)s.")
                % {"name": consent.featured_name, "date": consent.valid_until.strftime("%d/%m/%Y")}
            )
        elif not consent_allows(consent, use):
            reasons.append(
                _("Le consentement de %(name)s n'autorise pas l'usage « %(use)s ».")
                % {"name": consent.featured_name, "use": label}
            )
    return reasons


def story_cover_allowed(story: Story) -> bool:
    """Tell whether every featured person allows photos (the cover may then be shown)."""
    return all(c.image_rights != ImageRights.NONE for c in story.consents.all())


def staff_stories(status: str | None = None) -> QuerySet[Story]:
    """Return stories for the staff list, with what the list shows, newest change first."""
    from django.db.models import Count

    stories: QuerySet[Story] = (
        Story.objects.select_related("cover", "author")
        .annotate(consent_count=Count("consents"))
        .order_by("-updated_at", "-id")
    )
    if status:
        stories = stories.filter(status=status)
    return stories


def story_with_consents(story_id: int) -> Any:
    """Return a story with its consents (and their linked contacts) prefetched, or None."""
    from django.db.models import Prefetch

    return (
        Story.objects.select_related("cover", "author", "social_image")
        .prefetch_related(
            Prefetch(
                "consents",
                queryset=StoryConsent.objects.select_related("person", "recorded_by").order_by(
                    "featured_name", "id"
                ),
            )
        )
        .filter(pk=story_id)
        .first()
    )
