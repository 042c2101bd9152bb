"""Recruitment campaigns: staff create and change time-boxed goals (with an audit row)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from essaim.accounts.policies import can
from essaim.core.services import audit_record

from .models import Campaign

CAMPAIGN_FIELDS = (
    "title",
    "description",
    "goal_kind",
    "target",
    "starts_on",
    "ends_on",
    "is_public",
)


def _check(data: dict[str, Any]) -> None:
    if data["ends_on"] < data["starts_on"]:
        raise ValidationError({"ends_on": _("La fin doit suivre le début de la campagne.")})
    if data["target"] < 1:
        raise ValidationError({"target": _("Visez au moins une personne.")})


def _unique_slug(title: str, exclude: int | None = None) -> str:
    base = slugify(title)[:180] or "campagne"
    slug, n = base, 2
    others = Campaign.objects.exclude(pk=exclude) if exclude else Campaign.objects.all()
    while others.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def campaign_create(*, actor: Any, data: dict[str, Any]) -> Campaign:
    """Create a recruitment campaign."""
    if not can(actor, "campaigns.manage"):
        raise PermissionDenied
    _check(data)
    campaign = Campaign(created_by=actor, **{name: data[name] for name in CAMPAIGN_FIELDS})
    campaign.slug = _unique_slug(campaign.title)
    try:
        with transaction.atomic():
            campaign.save()
    except IntegrityError as error:
        raise ValidationError(_("Une campagne porte déjà ce titre.")) from error
    audit_record(actor=actor, action="campaign.create", target=campaign)
    return campaign


@transaction.atomic
def campaign_update(*, actor: Any, campaign: Campaign, data: dict[str, Any]) -> Campaign:
    """Change a campaign (its public address stays the same)."""
    if not can(actor, "campaigns.manage"):
        raise PermissionDenied
    _check(data)
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    changed = {
        name: str(data[name]) for name in CAMPAIGN_FIELDS if getattr(locked, name) != data[name]
    }
    for name in CAMPAIGN_FIELDS:
        setattr(locked, name, data[name])
    locked.save()
    if changed:
        audit_record(actor=actor, action="campaign.update", target=locked, details=changed)
    return locked
