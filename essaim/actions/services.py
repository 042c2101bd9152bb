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
from essaim.core import pagecache
from essaim.core.markdown import render_markdown
from essaim.core.services import audit_record
from essaim.people.models import Person
from essaim.people.services import person_ensure_for_user

from .models import (
    ACTION_TRANSITIONS,
    Action,
    ActionStatus,
    ActionTask,
    ActionTransition,
    ActionVisibility,
    Metric,
    Objective,
)

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


def _bump_public(*visibilities: str) -> None:
    """Refresh the public pages listing actions when this one is or was public."""
    if ActionVisibility.PUBLIC in visibilities:
        pagecache.bump("actions")


def person_of(actor: Any) -> Person | None:
    """The acting user's Person (created on first use), or None for the system."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return person_ensure_for_user(user=actor)


def action_url(action: Action) -> str:
    return reverse("actions:detail", kwargs={"slug": action.slug})


def _reserved_slugs() -> set[str]:
    """First path segments of the fixed pages under /actions/: no action may take them."""
    from . import urls

    reserved = set()
    for pattern in urls.urlpatterns:
        first = str(getattr(pattern, "pattern", "")).split("/", 1)[0]
        if first and "<" not in first:
            reserved.add(first)
    return reserved


def _unique_slug(title: str) -> str:
    base = (slugify(title) or "action")[:140]
    taken = set(Action.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    taken |= _reserved_slugs()
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
    _bump_public(action.visibility)
    return action


@transaction.atomic
def action_update(*, actor: Any, action: Action, data: dict[str, Any]) -> Action:
    """Change an action's details; the slug stays so shared links keep working."""
    locked = Action.objects.select_for_update().get(pk=action.pk)
    if locked.status in (ActionStatus.EVALUATED, ActionStatus.CANCELLED):
        raise ValidationError(_("Cette action est close : elle ne peut plus être modifiée."))
    visibility_before = locked.visibility
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
        _bump_public(visibility_before, locked.visibility)
    return locked


def _has_people(action: Action) -> bool:
    from .models import MissionSignup, Registration, RegistrationStatus, SignupStatus

    return (
        Registration.objects.filter(action=action)
        .exclude(status=RegistrationStatus.CANCELLED)
        .exists()
        or MissionSignup.objects.filter(mission__action=action)
        .exclude(status=SignupStatus.WITHDRAWN)
        .exists()
    )


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
    if target == ActionStatus.DRAFT and _has_people(locked):
        # A draft is hidden from them: they would lose the action without a word.
        raise ValidationError(
            _(
                "Des personnes sont déjà inscrites à cette action : elle ne peut plus "
                "redevenir un brouillon. Modifiez-la, ou annulez-la pour les prévenir."
            )
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
    _after_transition(actor=actor, action=locked, previous=previous)
    _bump_public(locked.visibility)
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


# --- What a move tells others: feed activities and notifications -------------------------


def _announced_before(action: Action) -> bool:
    from essaim.feed.models import Activity, Verb

    return Activity.objects.filter(
        circle_id=action.circle_id, verb=Verb.ACTION_ANNOUNCED, url=action_url(action)
    ).exists()


def _after_transition(*, actor: Any, action: Action, previous: str) -> None:
    """Record the feed activity of a move and enqueue the notifications it calls for."""
    from essaim.feed.models import Verb
    from essaim.feed.services import activity_record

    author = person_of(actor)
    url = action_url(action)
    if action.status == ActionStatus.PREPARING and previous == ActionStatus.DRAFT:
        # Back to draft and announced again: the circle is told only once.
        if _announced_before(action):
            return
        activity = activity_record(
            circle=action.circle,
            actor=author,
            verb=Verb.ACTION_ANNOUNCED,
            summary=action.title,
            url=url,
        )
        activity_id = activity.pk
        from .tasks_core import action_notify_members

        transaction.on_commit(lambda: action_notify_members.enqueue(activity_id))
    elif action.status == ActionStatus.CANCELLED:
        if previous != ActionStatus.DRAFT:
            activity_record(
                circle=action.circle,
                actor=author,
                verb=Verb.ACTION_CANCELLED,
                summary=action.title,
                url=url,
            )
        action_id = action.pk
        from .tasks_core import action_cancel_notify

        transaction.on_commit(lambda: action_cancel_notify.enqueue(action_id))
    elif action.status == ActionStatus.EVALUATED:
        activity_record(
            circle=action.circle,
            actor=author,
            verb=Verb.ACTION_EVALUATED,
            summary=action.title,
            url=url,
        )


FAN_OUT_BATCH = 2_000
EMAIL_BATCH = 100


def action_notify_members_run(*, activity_id: int, batch_size: int = FAN_OUT_BATCH) -> int:
    """Tell every member of the circle about an announced action, in batches; return how many.

    Resumable like the new-thread fan-out: members in id order, each batch committed on its own.
    """
    from django.db.models import Max

    from essaim.circles.models import Membership
    from essaim.feed.models import Activity, Notification, NotificationKind, Verb
    from essaim.feed.services import notifications_create_for_ids

    activity = (
        Activity.objects.select_related("circle", "actor")
        .filter(pk=activity_id, verb=Verb.ACTION_ANNOUNCED)
        .first()
    )
    if activity is None:
        return 0
    circle, author = activity.circle, activity.actor
    summary = _("Nouvelle action dans « %(circle)s » : « %(title)s »") % {
        "circle": circle.name,
        "title": activity.summary,
    }
    last_id = (
        Notification.objects.filter(activity=activity).aggregate(last=Max("recipient_id"))["last"]
        or 0
    )
    members = Membership.objects.filter(circle=circle, person__erased_at__isnull=True)
    if author is not None:
        members = members.exclude(person_id=author.pk)
    member_ids = members.order_by("person_id").values_list("person_id", flat=True)
    told = 0
    while True:
        ids = list(member_ids.filter(person_id__gt=last_id)[:batch_size])
        if not ids:
            return told
        with transaction.atomic():
            notifications_create_for_ids(
                recipient_ids=ids,
                kind=NotificationKind.ACTION,
                summary=summary,
                url=activity.url,
                activity=activity,
                circle=circle,
            )
        told += len(ids)
        last_id = ids[-1]
        if len(ids) < batch_size:
            return told


def cancel_recipients(action: Action) -> list[tuple[int, int | None, str]]:
    """(person id, user id, email) of the registrants and volunteers of an action, once each."""
    from .models import MissionSignup, Registration, RegistrationStatus, SignupStatus

    people: dict[int, tuple[int, int | None, str]] = {}
    registrants = Registration.objects.filter(
        action=action,
        status__in=(RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING),
        person__erased_at__isnull=True,
    ).values_list("person_id", "person__user_id", "person__email")
    volunteers = MissionSignup.objects.filter(
        mission__action=action,
        status__in=(SignupStatus.CONFIRMED, SignupStatus.WAITING),
        person__erased_at__isnull=True,
    ).values_list("person_id", "person__user_id", "person__email")
    for row in [*registrants, *volunteers]:
        people.setdefault(row[0], row)
    return sorted(people.values())


def action_cancel_notify_run(*, action_id: int, batch_size: int = FAN_OUT_BATCH) -> int:
    """Tell registrants and volunteers that an action is cancelled, and why; return how many.

    Account holders get an in-app notification; everyone with an email address gets an email.
    Emails leave in batches over one connection, never one task per person.
    """
    from email.utils import formataddr, parseaddr

    from django.conf import settings
    from django.core.mail import EmailMessage, get_connection
    from django.utils import timezone

    from essaim.core.selectors import organisation_get
    from essaim.feed.models import Delivery, Notification, NotificationKind, NotificationPreference
    from essaim.feed.services import notifications_create_for_ids

    action = Action.objects.select_related("circle").filter(pk=action_id).first()
    if action is None or action.status != ActionStatus.CANCELLED:
        return 0
    recipients = cancel_recipients(action)
    if not recipients:
        return 0
    summary = _("L'action « %(title)s » est annulée : %(reason)s") % {
        "title": action.title,
        "reason": action.cancel_reason,
    }
    url = action_url(action)
    with_account = [person_id for person_id, user_id, _email in recipients if user_id]
    # Those who asked for immediate emails of this kind get the notification's own email.
    immediate = set(
        NotificationPreference.objects.filter(
            person_id__in=with_account, kind=NotificationKind.ACTION, delivery=Delivery.IMMEDIATE
        ).values_list("person_id", flat=True)
    )
    created: list[Notification] = []
    for start in range(0, len(with_account), batch_size):
        with transaction.atomic():
            created += notifications_create_for_ids(
                recipient_ids=with_account[start : start + batch_size],
                kind=NotificationKind.ACTION,
                summary=summary,
                url=url,
                circle=action.circle,
            )
    organisation = organisation_get()
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    sender = formataddr((organisation.display_name, address or "ne-pas-repondre@localhost"))
    subject = f"[{organisation.display_name}] " + _("Action annulée : %(title)s") % {
        "title": action.title
    }
    site = settings.SITE_ORIGIN
    body = _(
        "Bonjour,\n\n"
        "L'action « %(title)s » prévue le %(when)s est annulée.\n\n"
        "Motif : %(reason)s\n\n"
        "Vous receviez ce message parce que vous y étiez inscrit ou bénévole.\n"
        "%(link)s\n\n"
        "%(organisation)s"
    ) % {
        "title": action.title,
        "when": format_when(action.starts_at),
        "reason": action.cancel_reason,
        "link": f"{site}{url}" if site else "",
        "organisation": organisation.display_name,
    }
    direct = [(pid, email) for pid, _uid, email in recipients if email and pid not in immediate]
    connection = get_connection()
    for start in range(0, len(direct), EMAIL_BATCH):
        connection.send_messages(
            [
                EmailMessage(subject=subject, body=body, from_email=sender, to=[email])
                for _pid, email in direct[start : start + EMAIL_BATCH]
            ]
        )
    # Told by email already: a later digest does not repeat it.
    emailed = {pid for pid, _email in direct}
    Notification.objects.filter(pk__in=[n.pk for n in created if n.recipient_id in emailed]).update(
        emailed_at=timezone.now()
    )
    return len(recipients)


def format_when(moment: datetime) -> str:
    """A moment in French, in Paris time: « samedi 12 décembre 2026, 14 h 00 »."""
    from django.utils import timezone
    from django.utils.dateformat import format as date_format

    return date_format(timezone.localtime(moment), _("l j F Y, G \\h i"))


# --- Objectives ---------------------------------------------------------------------------


def _require_open(action: Action) -> None:
    if action.status in (ActionStatus.EVALUATED, ActionStatus.CANCELLED):
        raise ValidationError(_("Cette action est close : elle ne peut plus être modifiée."))


def _clean_objective(metric: str, label: str, unit: str, target: int) -> tuple[str, str]:
    if metric not in Metric.values:
        raise ValidationError({"metric": _("Choisissez un indicateur dans la liste.")})
    label, unit = label.strip(), unit.strip()
    if metric == Metric.CUSTOM and not label:
        raise ValidationError({"label": _("Donnez un intitulé à cet indicateur.")})
    if target < 0:
        raise ValidationError({"target": _("L'objectif ne peut pas être négatif.")})
    return label, unit


@transaction.atomic
def objective_create(
    *, actor: Any, action: Action, metric: str, target: int, label: str = "", unit: str = ""
) -> Objective:
    """Add a measurable objective to an action (money in cents)."""
    _require_open(action)
    label, unit = _clean_objective(metric, label, unit, target)
    position = action.objectives.count()
    objective = Objective.objects.create(
        action=action, metric=metric, label=label, unit=unit, target=target, position=position
    )
    audit_record(actor=actor, action="action.objective_create", target=action)
    return objective


@transaction.atomic
def objective_update(
    *, actor: Any, objective: Objective, metric: str, target: int, label: str = "", unit: str = ""
) -> Objective:
    """Change an objective's metric, wording or target."""
    _require_open(objective.action)
    label, unit = _clean_objective(metric, label, unit, target)
    objective.metric, objective.label, objective.unit, objective.target = (
        metric,
        label,
        unit,
        target,
    )
    objective.save(update_fields=["metric", "label", "unit", "target"])
    return objective


@transaction.atomic
def objective_delete(*, actor: Any, objective: Objective) -> None:
    """Remove an objective from an action."""
    _require_open(objective.action)
    audit_record(actor=actor, action="action.objective_delete", target=objective.action)
    objective.delete()


@transaction.atomic
def objective_record(*, actor: Any, objective: Objective, achieved: int | None) -> Objective:
    """Record what an objective achieved so far (live during the action, final at the debrief)."""
    from django.utils import timezone

    if objective.action.status in (ActionStatus.DRAFT, ActionStatus.CANCELLED):
        raise ValidationError(
            _("Les résultats se notent une fois l'action annoncée, et pas si elle est annulée.")
        )
    if achieved is not None and achieved < 0:
        raise ValidationError({"achieved": _("Un résultat ne peut pas être négatif.")})
    if objective.achieved == achieved:
        return objective
    objective.achieved = achieved
    objective.achieved_updated_at = timezone.now()
    objective.achieved_updated_by = person_of(actor)
    objective.save(update_fields=["achieved", "achieved_updated_at", "achieved_updated_by"])
    return objective


# --- Tasks --------------------------------------------------------------------------------


def _check_assignee(action: Action, assignee: Person | None) -> None:
    from essaim.circles.models import Membership

    if (
        assignee is not None
        and not Membership.objects.filter(circle_id=action.circle_id, person=assignee).exists()
    ):
        raise ValidationError(
            {"assignee": _("Une tâche se confie à un membre du cercle de l'action.")}
        )


def _notify_assignee(*, actor: Any, task: ActionTask, action: Action) -> None:
    from essaim.feed.models import NotificationKind
    from essaim.feed.services import notifications_create

    author = person_of(actor)
    if task.assignee is None or (author is not None and task.assignee_id == author.pk):
        return
    if task.assignee.user_id is None:
        return  # no account: nowhere to show the notification
    due = ""
    if task.due_on:
        from django.utils.dateformat import format as date_format

        due = " " + _("(pour le %(date)s)") % {"date": date_format(task.due_on, "j F Y")}
    notifications_create(
        recipients=[task.assignee],
        kind=NotificationKind.TASK,
        summary=_("Tâche pour « %(action)s » : %(task)s")
        % {"action": action.title, "task": task.title}
        + due,
        url=action_url(action) + "#taches",
        circle=action.circle,
    )


@transaction.atomic
def task_create(
    *,
    actor: Any,
    action: Action,
    title: str,
    notes: str = "",
    assignee: Person | None = None,
    due_on: Any = None,
) -> ActionTask:
    """Add a task to an action's checklist; its assignee is told."""
    _require_open(action)
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Décrivez la tâche en quelques mots.")})
    _check_assignee(action, assignee)
    task = ActionTask.objects.create(
        action=action,
        title=title,
        notes=notes.strip(),
        assignee=assignee,
        due_on=due_on,
        created_by=person_of(actor),
    )
    _notify_assignee(actor=actor, task=task, action=action)
    return task


@transaction.atomic
def task_update(
    *,
    actor: Any,
    task: ActionTask,
    title: str,
    notes: str = "",
    assignee: Person | None = None,
    due_on: Any = None,
) -> ActionTask:
    """Change a task; a new assignee is told."""
    action = task.action
    _require_open(action)
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Décrivez la tâche en quelques mots.")})
    _check_assignee(action, assignee)
    new_assignee = assignee is not None and assignee.pk != task.assignee_id
    task.title, task.notes, task.assignee, task.due_on = title, notes.strip(), assignee, due_on
    task.save(update_fields=["title", "notes", "assignee", "due_on"])
    if new_assignee:
        _notify_assignee(actor=actor, task=task, action=action)
    return task


@transaction.atomic
def task_set_done(*, actor: Any, task: ActionTask, done: bool) -> ActionTask:
    """Tick a task off, or back on."""
    from django.utils import timezone

    locked = ActionTask.objects.select_for_update().get(pk=task.pk)
    if done and locked.done_at is None:
        locked.done_at, locked.done_by = timezone.now(), person_of(actor)
    elif not done and locked.done_at is not None:
        locked.done_at, locked.done_by = None, None
    else:
        return locked
    locked.save(update_fields=["done_at", "done_by"])
    return locked


@transaction.atomic
def task_delete(*, actor: Any, task: ActionTask) -> None:
    """Remove a task from the checklist."""
    _require_open(task.action)
    task.delete()
