"""Reads for the organisation and the audit log."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet

from .models import AuditLog, Organisation

ORGANISATION_CACHE_KEY = "essaim:organisation:v1"


def organisation_get() -> Organisation:
    """Return the organisation row, from the cache when it is there."""
    organisation = cache.get(ORGANISATION_CACHE_KEY)
    if organisation is None:
        organisation, _ = Organisation.objects.get_or_create(pk=Organisation.SINGLETON_PK)
        cache.set(ORGANISATION_CACHE_KEY, organisation, 300)
    return organisation


def audit_log_list() -> QuerySet[AuditLog]:
    """Return audit entries newest first, with their authors."""
    return AuditLog.objects.select_related("actor").order_by("-created_at", "-id")
