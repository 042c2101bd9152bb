"""Reads for the organisation and the audit log."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from essaim.accounts.models import Role, RoleGrant

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


# What each audit action means, in words a volunteer understands. Other apps add theirs.
AUDIT_ACTION_LABELS: dict[str, Any] = {
    "organisation.update": _("Paramètres de l'organisation modifiés"),
    "role.grant": _("Rôle attribué"),
    "role.revoke": _("Rôle retiré"),
    "person.merge": _("Fiches fusionnées"),
    "person.erase": _("Personne effacée"),
}


def audit_action_label(action: str) -> str:
    return str(AUDIT_ACTION_LABELS.get(action, action))


def audit_log_filtered(*, action: str = "") -> QuerySet[AuditLog]:
    """Return audit entries newest first, optionally of one action only."""
    entries = audit_log_list()
    if action:
        entries = entries.filter(action=action)
    return entries


def audit_action_choices() -> list[tuple[str, str]]:
    """Return the actions present in the log, labelled, for the filter."""
    actions = set(AUDIT_ACTION_LABELS) | set(
        AuditLog.objects.order_by().values_list("action", flat=True).distinct()
    )
    return sorted(((a, audit_action_label(a)) for a in actions), key=lambda item: item[1])


def audit_details_display(entry: AuditLog) -> list[tuple[str, str]]:
    """Return the details of an entry as (label, text) pairs for display."""
    rows: list[tuple[str, str]] = []
    details = entry.details if isinstance(entry.details, dict) else {}
    for key, value in details.items():
        label = _field_label(entry.target_type, key)
        if isinstance(value, list) and len(value) == 2:
            before, after = (_display_value(v) for v in value)
            rows.append((label, f"« {before} » → « {after} »"))
        else:
            rows.append((label, _display_value(value)))
    return rows


def _field_label(target_type: str, key: str) -> str:
    if target_type == "core.organisation":
        try:
            return str(getattr(Organisation._meta.get_field(key), "verbose_name", key))
        except FieldDoesNotExist:
            return key
    if key == "role":
        return str(_("rôle"))
    if key == "email":
        return str(_("compte"))
    return key


def _display_value(value: Any) -> str:
    if value in (None, ""):
        return str(_("(vide)"))
    if isinstance(value, str) and value in Role.values:
        return str(Role(value).label)
    return str(value)


def role_grant_list() -> QuerySet[RoleGrant]:
    """Return every staff role granted, with accounts and their people."""
    return RoleGrant.objects.select_related("user", "user__person", "granted_by").order_by(
        "user__email", "role"
    )
