"""The one way a gift or a monthly gift changes status: along its declared transitions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

M = TypeVar("M", bound=models.Model)


def lifecycle_move(
    *,
    instance: M,
    to_status: str,
    transitions: Mapping[str, frozenset[str]],
    statuses: type[models.TextChoices],
    refusal: str,
    fields: dict[str, Any],
    history: Callable[[M, str], object],
    actor_is_person: bool = False,
) -> M:
    """Lock the row, check the move, save the status and fields, write the history row.

    ``refusal`` is a translated message with ``%(from)s`` and ``%(to)s``; ``history`` is
    called with the locked row and the status it left. The caller's instance is updated
    too, so it never holds a stale status.
    """
    model = type(instance)
    locked = model._default_manager.select_for_update().get(pk=instance.pk)
    current = locked.status  # type: ignore[attr-defined]
    if to_status not in transitions.get(current, frozenset()):
        raise ValidationError(
            refusal
            % {
                "from": statuses(current).label,
                "to": statuses(to_status).label if to_status in statuses.values else to_status,
            }
        )
    locked.status = to_status  # type: ignore[attr-defined]
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "updated_at", *fields])
    history(locked, current)
    if actor_is_person:
        # A treasurer's change shows on the dashboard at once; the providers' changes (many,
        # concurrent) do not write this shared row and show within the cache's minute.
        from .treasury import figures_changed

        figures_changed()
    instance.__dict__.update({"status": to_status, **fields})
    return locked
