"""Writes for the organisation settings and the audit log."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import models, transaction

from essaim.accounts.models import User

from . import pagecache
from .models import AuditLog, Organisation
from .selectors import ORGANISATION_CACHE_KEY


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Record one sensitive change in the audit log."""
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:255] if target is not None else "",
        details=details or {},
    )


def _as_audit_value(value: Any) -> Any:
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return value


@transaction.atomic
def organisation_update(
    *, actor: User | None, organisation: Organisation, data: dict[str, Any]
) -> Organisation:
    """Save new organisation settings and record what changed."""
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changes: dict[str, list[Any]] = {}
    for field, value in data.items():
        before = _as_audit_value(getattr(locked, field))
        # save_form_data knows that an untouched file field (None) keeps its file and that
        # False clears it; for other fields it is a plain assignment.
        Organisation._meta.get_field(field).save_form_data(locked, value)  # type: ignore[union-attr]
        after = _as_audit_value(getattr(locked, field))
        if before != after:
            changes[field] = [before, after]
    locked.full_clean()
    locked.save()
    for field in changes:
        # A new upload gets its final storage name only when saved.
        if isinstance(getattr(locked, field), models.fields.files.FieldFile):
            changes[field][1] = _as_audit_value(getattr(locked, field))
    if changes:
        audit_record(actor=actor, action="organisation.update", target=locked, details=changes)
        # Every public page shows the organisation (name, colours, links).
        pagecache.bump(pagecache.SITE)
    transaction.on_commit(lambda: _forget_organisation(bool(changes)))
    return locked


def _forget_organisation(changed: bool) -> None:
    cache.delete(ORGANISATION_CACHE_KEY)
    if changed:
        # A public page rendered between the commit and the line above read the old
        # organisation from the cache under the new version: bump again to drop it.
        pagecache.bump(pagecache.SITE)
