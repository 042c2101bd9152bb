"""Writes for actions: creation, changes and the declared lifecycle.

Objectives and tasks live here too; missions and registrations are in ``missions.py``,
the debrief, survey and volunteer hours in ``evaluation.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from essaim.circles.models import Circle
from essaim.core.markdown import render_markdown
from essaim.core.services import audit_record
from essaim.people.models import Person
from essaim.people.services import person_ensure_for_user

from .models import ACTION_TRANSITIONS, Action, ActionStatus, ActionTransition

# Fields a coordinator may change with action_update.
ACTION_FIELDS = (
    "kind",
    "title",
    "summary",
    "description",
    "place_name",
    "address",
    "postal_code",
    "city",
    "online_url",
    "starts_at",
    "ends_at",
    "visibility",
    "cover",
    "cover_alt",
    "capacity",
    "registrations_open",
)


def person_of(actor: Any) -> Person | None:
    """The acting user's Person (created on first use), or None for the system."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return person_ensure_for_user(user=actor)


def action_url(action: Action) -> str:
    return reverse("actions:detail", kwargs={"slug": action.slug})


def _unique_slug(title: str) -> str:
    base = (slugify(title) or "action")[:140]
    taken = set(Action.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug = f"{base}-{number}"
        number += 1
    return slug


def _check_dates(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at < starts_at:
        raise ValidationError({"ends_at": _("La fin doit venir après le début.")})


@transaction.atomic
def action_create(
    *,
    actor: Any,
    circle: Circle,
    title: str,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    **fields: Any,
) -> Action:
    """Create an action as a draft in a circle, with its first history row."""
    unknown = set(fields) - set(ACTION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown action fields: {sorted(unknown)}")
    if circle.archived_at is not None:
        raise ValidationError(_("Ce cercle est archivé : il ne prépare plus d'actions."))
    _check_dates(starts_at, ends_at)
    author = person_of(actor)
    action = Action(
        circle=circle,
        title=title.strip(),
        slug=_unique_slug(title),
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=author,
        **fields,
    )
    action.description_html = render_markdown(action.description)
    action.full_clean()
    action.save()
    ActionTransition.objects.create(
        action=action, from_status="", to_status=ActionStatus.DRAFT, actor=author
    )
    audit_record(actor=actor, action="action.create", target=action)
    return action


@transaction.atomic
def action_update(*, actor: Any, action: Action, data: dict[str, Any]) -> Action:
    """Change an action's details; the slug stays so shared links keep working."""
    locked = Action.objects.select_for_update().get(pk=action.pk)
    if locked.status in (ActionStatus.EVALUATED, ActionStatus.CANCELLED):
        raise ValidationError(_("Cette action est close : elle ne peut plus être modifiée."))
    changed = []
    for field in ACTION_FIELDS:
        if field in data and getattr(locked, field) != data[field]:
            setattr(locked, field, data[field])
            changed.append(field)
    _check_dates(locked.starts_at, locked.ends_at)
    if "description" in changed:
        locked.description_html = render_markdown(locked.description)
    locked.full_clean()
    locked.save()
    if changed:
        audit_record(
            actor=actor, action="action.update", target=locked, details={"fields": changed}
        )
    return locked


def _transition(*, actor: Any, action: Action, target: str, note: str = "") -> Action:
    """Move an action along its declared lifecycle, locking it so two moves cannot cross."""
    locked = Action.objects.select_for_update().select_related("circle").get(pk=action.pk)
    if target not in ACTION_TRANSITIONS[locked.status]:
        raise ValidationError(
            _("Une action « %(current)s » ne peut pas passer à « %(target)s ».")
            % {
                "current": ActionStatus(locked.status).label,
                "target": ActionStatus(target).label,
            }
        )
    previous = locked.status
    locked.status = target
    if target == ActionStatus.CANCELLED:
        locked.cancel_reason = note
    locked.save(update_fields=["status", "cancel_reason", "updated_at"])
    ActionTransition.objects.create(
        action=locked, from_status=previous, to_status=target, actor=person_of(actor), note=note
    )
    audit_record(
        actor=actor,
        action="action.transition",
        target=locked,
        details={"from": previous, "to": target},
    )
    return locked


@transaction.atomic
def action_transition(*, actor: Any, action: Action, target: str, note: str = "") -> Action:
    """Move an action to another status of its lifecycle (cancelling goes through action_cancel)."""
    if target == ActionStatus.CANCELLED:
        return action_cancel(actor=actor, action=action, reason=note)
    return _transition(actor=actor, action=action, target=target, note=note)


@transaction.atomic
def action_cancel(*, actor: Any, action: Action, reason: str) -> Action:
    """Cancel an action before it is done; the reason is required and told to registrants."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez le motif de l'annulation.")})
    return _transition(actor=actor, action=action, target=ActionStatus.CANCELLED, note=reason)
