"""Reads for the public giving pages and the donor space (joins applied, no N+1)."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Sum, Value, When

from essaim.blog.models import ConsentUse, Story
from essaim.blog.story_selectors import stories_usable_for
from essaim.people.models import Person

from .models import (
    Donation,
    DonationStatus,
    GivingPage,
    Receipt,
    RecurringGift,
    RecurringStatus,
    SuggestedAmount,
)


def _public_pages() -> QuerySet[GivingPage]:
    return GivingPage.objects.filter(is_active=True).prefetch_related(
        Prefetch("amounts", queryset=SuggestedAmount.objects.order_by("position", "amount_cents"))
    )


def giving_page_default() -> GivingPage | None:
    """Return the active default giving page, or None."""
    return _public_pages().filter(is_default=True).first()


def giving_page_default_exists() -> bool:
    """Tell whether an active default giving page exists (one cheap query)."""
    return GivingPage.objects.filter(is_active=True, is_default=True).exists()


def giving_page_for(*, action: Any = None, campaign: Any = None) -> GivingPage | None:
    """Return the online giving page of an action or a campaign (the default one first)."""
    pages = GivingPage.objects.filter(is_active=True).only("slug", "title")
    if action is not None:
        pages = pages.filter(action=action)
    elif campaign is not None:
        pages = pages.filter(campaign=campaign)
    else:
        return None
    return pages.order_by("-is_default", "title", "id").first()


def giving_page_public(slug: str) -> GivingPage | None:
    """Return the active giving page with this address, or None."""
    return _public_pages().filter(slug=slug).first()


def giving_page_raised_cents(page: GivingPage) -> int:
    """Return the sum of the page's paid gifts, in cents."""
    total = Donation.objects.filter(page=page, status=DonationStatus.PAID).aggregate(
        total=Sum("amount_cents")
    )["total"]
    return int(total or 0)


def giving_page_story(page: GivingPage, *, language: str) -> Story | None:
    """Return the story shown beside the form: the page's own if usable, else the newest usable."""
    usable = stories_usable_for(ConsentUse.GIVING, language=language)
    if page.story_id is not None:
        own = usable.filter(pk=page.story_id).first()
        if own is not None:
            return own
    return usable.first()


def donation_public(code: str) -> Donation | None:
    """Return the gift with this public code (page and donor joined), or None."""
    return Donation.objects.select_related("page", "person", "recurring").filter(code=code).first()


def donation_issued_receipt(donation: Donation) -> Receipt | None:
    """Return the gift's issued receipt, or None."""
    return (
        Receipt.objects.filter(donations=donation, status="issued").order_by("-issued_at").first()
    )


def donor_donations(person: Person) -> QuerySet[Donation]:
    """Return a donor's gifts, newest first, with their page."""
    return (
        Donation.objects.filter(person=person).select_related("page").order_by("-created_at", "-id")
    )


def donor_recurring_gifts(person: Person) -> QuerySet[RecurringGift]:
    """Return a donor's monthly gifts, the stopped ones last, newest first."""
    return (
        RecurringGift.objects.filter(person=person)
        .exclude(status=RecurringStatus.PENDING, provider_reference="", payments__isnull=True)
        .select_related("page")
        .annotate(
            stopped=Case(
                When(status=RecurringStatus.CANCELLED, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("stopped", "-created_at")
        .distinct()
    )


def donor_receipts(person: Person) -> QuerySet[Receipt]:
    """Return a donor's receipts, issued and cancelled, newest first."""
    return Receipt.objects.filter(person=person).order_by("-issued_at", "-id")
