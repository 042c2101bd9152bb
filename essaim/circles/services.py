"""Writes for circles and their memberships, join requests and invitations.

Every function that adds or removes a membership keeps ``Circle.member_count`` right
with an ``UPDATE ... SET member_count = member_count ± 1`` in the same transaction,
so two people joining at once both count. Changes that could leave a circle without
a coordinator lock the circle row first, so two coordinators stepping down at the same
time cannot both succeed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from essaim.accounts.models import User
from essaim.core.services import audit_record
from essaim.feed.models import NotificationKind, Verb
from essaim.feed.services import activity_record, notifications_create
from essaim.people.models import Person
from essaim.people.services import person_ensure_for_user

from .models import (
    INVITATION_TRANSITIONS,
    REQUEST_TRANSITIONS,
    Circle,
    CircleInvitation,
    InvitationStatus,
    JoinPolicy,
    JoinRequest,
    Membership,
    MembershipRole,
    RequestStatus,
)
from .policies import forget_circle_roles

logger = logging.getLogger(__name__)

# Addresses under /cercles/ that are pages, not circles.
RESERVED_SLUGS = frozenset({"nouveau", "invitation", "mes-cercles"})
CIRCLE_FIELDS = ("name", "slug", "kind", "description", "parent", "visibility", "join_policy")


def _person(actor: User) -> Person:
    return person_ensure_for_user(user=actor)


def _unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = (slugify(name) or "cercle")[:120]
    slug = base
    number = 2
    taken = Circle.objects.filter(slug__startswith=base)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    used = set(taken.values_list("slug", flat=True)) | RESERVED_SLUGS
    while slug in used:
        slug = f"{base}-{number}"
        number += 1
    return slug


def _check_parent(circle: Circle | None, parent: Circle | None) -> None:
    if parent is None:
        return
    if parent.archived_at is not None:
        raise ValidationError(_("Le cercle parent est archivé : choisissez-en un autre."))
    if circle is None or circle.pk is None:
        return
    # Walk up from the new parent: meeting the circle itself would make a loop.
    seen: set[int] = set()
    node: Circle | None = parent
    while node is not None and node.pk not in seen:
        if node.pk == circle.pk:
            raise ValidationError(
                _(
                    "Un cercle ne peut pas être rangé sous lui-même "
                    "ni sous l'un de ses sous-cercles."
                )
            )
        seen.add(node.pk)
        node = Circle.objects.filter(pk=node.parent_id).first() if node.parent_id else None


def _count(circle_id: int, delta: int) -> None:
    Circle.objects.filter(pk=circle_id).update(member_count=F("member_count") + delta)


def _coordinators(circle: Circle) -> list[Person]:
    return list(
        Person.objects.filter(
            memberships__circle=circle, memberships__role=MembershipRole.COORDINATOR
        )
    )


def _absolute(path: str, base_url: str | None = None) -> str:
    if base_url:
        return f"{base_url.rstrip('/')}{path}"
    return f"{settings.SITE_ORIGIN}{path}"


def _send_email(*, to: str, subject: str, body: str) -> None:
    """Enqueue an email once the transaction commits; a failing queue must not undo the change."""
    from .tasks import send_circle_email

    def enqueue() -> None:
        try:
            send_circle_email.enqueue(to, subject, body)
        except Exception:
            logger.exception("Could not enqueue a circle email to %s", to)

    transaction.on_commit(enqueue)


def _add_member(
    *, circle: Circle, person: Person, role: str = MembershipRole.MEMBER
) -> Membership | None:
    """Create the membership and count it; None if the person already belongs."""
    try:
        with transaction.atomic():
            membership = Membership.objects.create(circle=circle, person=person, role=role)
    except IntegrityError:
        return None
    _count(circle.pk, 1)
    circle.member_count = Circle.objects.values_list("member_count", flat=True).get(pk=circle.pk)
    return membership


def _announce_member(*, circle: Circle, person: Person) -> None:
    activity = activity_record(
        circle=circle, actor=person, verb=Verb.MEMBER_JOINED, summary=str(person)
    )
    coordinators = [p for p in _coordinators(circle) if p.pk != person.pk]
    if coordinators:
        notifications_create(
            recipients=coordinators,
            kind=NotificationKind.NEW_MEMBER,
            summary=_("%(person)s a rejoint le cercle « %(circle)s ».")
            % {"person": person, "circle": circle},
            url=reverse("circles:members", kwargs={"slug": circle.slug}),
            activity=activity,
            circle=circle,
        )


# --- Circles ------------------------------------------------------------------------


@transaction.atomic
def circle_create(
    *,
    actor: User | None,
    name: str,
    slug: str = "",
    kind: str = "branch",
    description: str = "",
    parent: Circle | None = None,
    visibility: str = "private",
    join_policy: str = JoinPolicy.REQUEST,
    coordinator: Person | None = None,
) -> Circle:
    """Create a circle; its creator (or the given person) becomes its first coordinator."""
    _check_parent(None, parent)
    if slug and (slug in RESERVED_SLUGS or Circle.objects.filter(slug=slug).exists()):
        raise ValidationError(_("Cette adresse est déjà prise : choisissez-en une autre."))
    circle = Circle(
        name=name.strip(),
        slug=slug or _unique_slug(name),
        kind=kind,
        description=description,
        parent=parent,
        visibility=visibility,
        join_policy=join_policy,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    circle.full_clean()
    circle.save()
    first = coordinator or (_person(actor) if actor is not None else None)
    if first is not None:
        _add_member(circle=circle, person=first, role=MembershipRole.COORDINATOR)
    audit_record(
        actor=actor,
        action="circle.create",
        target=circle,
        details={"parent": parent.slug if parent else None, "visibility": visibility},
    )
    activity_record(circle=circle, actor=first, verb=Verb.CIRCLE_CREATED, summary=circle.name)
    if actor is not None:
        forget_circle_roles(actor)
    return circle


@transaction.atomic
def circle_update(*, actor: User | None, circle: Circle, data: dict[str, Any]) -> Circle:
    """Change a circle's settings and record what changed."""
    locked = Circle.objects.select_for_update().get(pk=circle.pk)
    if "parent" in data:
        _check_parent(locked, data["parent"])
    if data.get("slug") and data["slug"] in RESERVED_SLUGS:
        raise ValidationError(_("Cette adresse est réservée : choisissez-en une autre."))
    changes: dict[str, list[Any]] = {}
    for field in CIRCLE_FIELDS:
        if field not in data:
            continue
        before = getattr(locked, field)
        setattr(locked, field, data[field])
        after = getattr(locked, field)
        if before != after:
            changes[field] = [
                getattr(before, "slug", before),
                getattr(after, "slug", after),
            ]
    locked.full_clean()
    locked.save()
    if changes:
        audit_record(actor=actor, action="circle.update", target=locked, details=changes)
    if "visibility" in changes or "name" in changes:
        # The public home lists public actions, never a secret circle's.
        from essaim.core import pagecache

        pagecache.bump("actions")
    return locked


@transaction.atomic
def circle_archive(*, actor: User | None, circle: Circle) -> Circle:
    """Archive a circle: it leaves the lists and accepts no new members; nothing is deleted."""
    locked = Circle.objects.select_for_update().get(pk=circle.pk)
    if locked.archived_at is not None:
        raise ValidationError(_("Ce cercle est déjà archivé."))
    if locked.children.filter(archived_at__isnull=True).exists():
        raise ValidationError(
            _("Ce cercle a des sous-cercles actifs : archivez-les ou déplacez-les d'abord.")
        )
    locked.archived_at = timezone.now()
    locked.save(update_fields=["archived_at", "updated_at"])
    audit_record(actor=actor, action="circle.archive", target=locked)
    return locked


# --- Joining and leaving ----------------------------------------------------------------


@transaction.atomic
def membership_join(*, actor: User, circle: Circle) -> Membership:
    """Join an open circle."""
    if circle.archived_at is not None:
        raise ValidationError(_("Ce cercle est archivé : il n'accueille plus de membres."))
    if circle.join_policy == JoinPolicy.REQUEST:
        raise ValidationError(
            _(
                "Ce cercle accueille ses membres sur demande : "
                "envoyez une demande aux coordinateurs."
            )
        )
    if circle.join_policy == JoinPolicy.INVITATION:
        raise ValidationError(
            _(
                "Ce cercle accueille ses membres sur invitation seulement : "
                "demandez à l'un de ses coordinateurs de vous inviter."
            )
        )
    person = _person(actor)
    membership = _add_member(circle=circle, person=person)
    if membership is None:
        raise ValidationError(_("Vous êtes déjà membre de ce cercle."))
    _announce_member(circle=circle, person=person)
    forget_circle_roles(actor)
    return membership


def _is_last_coordinator(membership: Membership) -> bool:
    if membership.role != MembershipRole.COORDINATOR:
        return False
    others = (
        Membership.objects.filter(circle_id=membership.circle_id, role=MembershipRole.COORDINATOR)
        .exclude(pk=membership.pk)
        .exists()
    )
    return not others


@transaction.atomic
def membership_leave(*, actor: User, circle: Circle) -> None:
    """Leave a circle; its last coordinator must name another one first."""
    Circle.objects.select_for_update().filter(pk=circle.pk).first()
    membership = Membership.objects.filter(circle=circle, person__user=actor).first()
    if membership is None:
        raise ValidationError(_("Vous n'êtes pas membre de ce cercle."))
    if _is_last_coordinator(membership):
        raise ValidationError(
            _(
                "Vous êtes le dernier coordinateur de ce cercle : "
                "nommez d'abord un autre coordinateur, puis quittez le cercle."
            )
        )
    deleted, _rows = Membership.objects.filter(pk=membership.pk).delete()
    if deleted:
        _count(circle.pk, -1)
    forget_circle_roles(actor)


@transaction.atomic
def membership_set_role(*, actor: User | None, membership: Membership, role: str) -> Membership:
    """Promote a member to coordinator or make a coordinator a plain member again."""
    if role not in MembershipRole.values:
        raise ValidationError(_("Ce rôle n'existe pas."))
    Circle.objects.select_for_update().filter(pk=membership.circle_id).first()
    locked = Membership.objects.select_related("person", "circle").get(pk=membership.pk)
    if locked.role == role:
        return locked
    if role == MembershipRole.MEMBER and _is_last_coordinator(locked):
        raise ValidationError(
            _("Un cercle garde au moins un coordinateur : nommez-en un autre d'abord.")
        )
    before = locked.role
    locked.role = role
    locked.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="circle.member_role",
        target=locked.circle,
        details={"person": str(locked.person), "role": [before, role]},
    )
    if locked.person.user_id is not None:
        forget_circle_roles(locked.person.user)
    return locked


@transaction.atomic
def membership_remove(*, actor: User | None, membership: Membership, reason: str) -> None:
    """Remove a member from a circle, with a reason kept in the audit log."""
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Indiquez le motif du retrait : il est conservé dans le journal."))
    Circle.objects.select_for_update().filter(pk=membership.circle_id).first()
    locked = Membership.objects.select_related("person", "circle").filter(pk=membership.pk).first()
    if locked is None:
        raise ValidationError(_("Cette personne n'est déjà plus membre du cercle."))
    if _is_last_coordinator(locked):
        raise ValidationError(
            _("C'est le dernier coordinateur du cercle : nommez-en un autre avant de le retirer.")
        )
    deleted, _rows = Membership.objects.filter(pk=locked.pk).delete()
    if deleted:
        _count(locked.circle_id, -1)
    audit_record(
        actor=actor,
        action="circle.member_remove",
        target=locked.circle,
        details={"person": str(locked.person), "person_id": locked.person_id, "reason": reason},
    )


# --- Join requests --------------------------------------------------------------------


@transaction.atomic
def join_request_create(*, actor: User, circle: Circle, message: str = "") -> JoinRequest:
    """Ask the coordinators of a circle that accepts members on request to let one in."""
    if circle.archived_at is not None:
        raise ValidationError(_("Ce cercle est archivé : il n'accueille plus de membres."))
    if circle.join_policy == JoinPolicy.OPEN:
        raise ValidationError(_("Ce cercle est ouvert : rejoignez-le directement."))
    if circle.join_policy == JoinPolicy.INVITATION:
        raise ValidationError(
            _(
                "Ce cercle accueille ses membres sur invitation seulement : "
                "demandez à l'un de ses coordinateurs de vous inviter."
            )
        )
    person = _person(actor)
    if Membership.objects.filter(circle=circle, person=person).exists():
        raise ValidationError(_("Vous êtes déjà membre de ce cercle."))
    pending = _(
        "Vous avez déjà une demande en attente pour ce cercle : les coordinateurs y répondront."
    )
    if JoinRequest.objects.filter(
        circle=circle, person=person, status=RequestStatus.PENDING
    ).exists():
        raise ValidationError(pending)
    try:
        with transaction.atomic():
            join_request = JoinRequest.objects.create(
                circle=circle, person=person, message=message.strip()
            )
    except IntegrityError as error:
        raise ValidationError(pending) from error
    coordinators = _coordinators(circle)
    if coordinators:
        notifications_create(
            recipients=coordinators,
            kind=NotificationKind.JOIN_REQUEST,
            summary=_("%(person)s demande à rejoindre le cercle « %(circle)s ».")
            % {"person": person, "circle": circle},
            url=reverse("circles:requests", kwargs={"slug": circle.slug}),
            circle=circle,
        )
    return join_request


def _move(current: str, target: str, transitions: dict[str, frozenset[str]]) -> None:
    if target not in transitions.get(current, frozenset()):
        raise ValidationError(_("Cette demande a déjà reçu une réponse."))


@transaction.atomic
def join_request_decide(
    *, actor: User, join_request: JoinRequest, approve: bool, response: str = ""
) -> JoinRequest:
    """Accept or refuse a request to join, and tell the person by email."""
    locked = (
        JoinRequest.objects.select_for_update()
        .select_related("circle", "person")
        .get(pk=join_request.pk)
    )
    target = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    _move(locked.status, target, REQUEST_TRANSITIONS)
    locked.status = target
    locked.response = response.strip()
    locked.decided_by = _person(actor)
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "response", "decided_by", "decided_at"])
    circle = locked.circle
    if approve and _add_member(circle=circle, person=locked.person) is not None:
        _announce_member(circle=circle, person=locked.person)
    audit_record(
        actor=actor,
        action="circle.request_approve" if approve else "circle.request_refuse",
        target=circle,
        details={"person": str(locked.person), "response": locked.response},
    )
    _tell_decision(locked)
    return locked


def _tell_decision(join_request: JoinRequest) -> None:
    """Tell the person in-app; the feed's delivery settings email it (immediately by default)."""
    circle = join_request.circle
    if join_request.status == RequestStatus.APPROVED:
        summary = _("Votre demande pour rejoindre « %(circle)s » est acceptée.") % {
            "circle": circle
        }
    else:
        summary = _("Votre demande pour rejoindre « %(circle)s » n'est pas acceptée.") % {
            "circle": circle
        }
    if join_request.response:
        summary = _("%(summary)s Message des coordinateurs : %(response)s") % {
            "summary": summary,
            "response": join_request.response,
        }
    notifications_create(
        recipients=[join_request.person],
        kind=NotificationKind.JOIN_REQUEST,
        summary=summary,
        url=reverse("circles:detail", kwargs={"slug": circle.slug}),
        circle=circle,
    )


@transaction.atomic
def join_request_withdraw(*, actor: User, join_request: JoinRequest) -> JoinRequest:
    """Withdraw one's own pending request."""
    locked = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if locked.person.user_id != actor.pk:
        raise ValidationError(_("Seule la personne qui a fait la demande peut la retirer."))
    _move(locked.status, RequestStatus.WITHDRAWN, REQUEST_TRANSITIONS)
    locked.status = RequestStatus.WITHDRAWN
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_at"])
    return locked


# --- Invitations ------------------------------------------------------------------------


@transaction.atomic
def invitation_create(
    *, actor: User, circle: Circle, email: str, base_url: str | None = None
) -> CircleInvitation:
    """Invite someone by email; the email carries a link with the invitation's random code."""
    email = email.strip()
    if circle.archived_at is not None:
        raise ValidationError(_("Ce cercle est archivé : il n'accueille plus de membres."))
    invited_user = User.objects.filter(email__iexact=email).first()
    person = Person.objects.filter(user=invited_user).first() if invited_user else None
    if person is not None and Membership.objects.filter(circle=circle, person=person).exists():
        raise ValidationError(_("Cette personne est déjà membre du cercle."))
    if CircleInvitation.objects.filter(
        circle=circle, email__iexact=email, status=InvitationStatus.PENDING
    ).exists():
        raise ValidationError(_("Une invitation attend déjà une réponse à cette adresse."))
    invitation = CircleInvitation.objects.create(
        circle=circle, email=email, person=person, invited_by=_person(actor)
    )
    audit_record(actor=actor, action="circle.invite", target=circle, details={"email": email})
    link = _absolute(reverse("circles:invitation", kwargs={"code": invitation.code}), base_url)
    inviter = invitation.invited_by
    lines = [
        _("Bonjour,"),
        "",
        _("%(inviter)s vous invite à rejoindre le cercle « %(circle)s ».")
        % {"inviter": inviter, "circle": circle},
        "",
        _("Pour répondre, ouvrez ce lien :"),
        link,
        "",
    ]
    if person is None:
        lines.append(
            _(
                "Vous n'avez pas encore de compte : créez-le avec cette adresse e-mail, "
                "puis revenez sur ce lien pour accepter."
            )
        )
    else:
        lines.append(_("Connectez-vous avec cette adresse e-mail pour accepter."))
    lines += ["", _("Si vous ne souhaitez pas rejoindre ce cercle, ignorez ce message.")]
    _send_email(
        to=email,
        subject=_("Invitation à rejoindre « %(circle)s »") % {"circle": circle},
        body="\n".join(lines),
    )
    return invitation


def _lock_invitation(invitation: CircleInvitation) -> CircleInvitation:
    return (
        # "of self": the invited person is a nullable join, which FOR UPDATE cannot lock.
        CircleInvitation.objects.select_for_update(of=("self",))
        .select_related("circle", "person")
        .get(pk=invitation.pk)
    )


def _check_invited(actor: User, invitation: CircleInvitation) -> None:
    from .policies import is_invited_person

    if not is_invited_person(actor, invitation):
        raise ValidationError(
            _(
                "Cette invitation a été envoyée à une autre adresse e-mail. "
                "Connectez-vous avec le compte de cette adresse pour y répondre."
            )
        )


def _answerable(invitation: CircleInvitation, target: str) -> None:
    if target not in INVITATION_TRANSITIONS.get(invitation.status, frozenset()):
        raise ValidationError(
            _(
                "Cette invitation n'est plus valable : "
                "elle a déjà reçu une réponse ou a été annulée."
            )
        )


@transaction.atomic
def invitation_accept(*, actor: User, invitation: CircleInvitation) -> Membership | None:
    """Accept an invitation (only its invited person may); return the new membership."""
    locked = _lock_invitation(invitation)
    _check_invited(actor, locked)
    _answerable(locked, InvitationStatus.ACCEPTED)
    if locked.circle.archived_at is not None:
        raise ValidationError(_("Ce cercle est archivé : il n'accueille plus de membres."))
    person = _person(actor)
    locked.status = InvitationStatus.ACCEPTED
    locked.person = person
    locked.answered_at = timezone.now()
    locked.save(update_fields=["status", "person", "answered_at"])
    membership = _add_member(circle=locked.circle, person=person)
    if membership is not None:
        _announce_member(circle=locked.circle, person=person)
    forget_circle_roles(actor)
    return membership


@transaction.atomic
def invitation_decline(*, actor: User, invitation: CircleInvitation) -> CircleInvitation:
    """Decline an invitation (only its invited person may)."""
    locked = _lock_invitation(invitation)
    _check_invited(actor, locked)
    _answerable(locked, InvitationStatus.DECLINED)
    locked.status = InvitationStatus.DECLINED
    locked.answered_at = timezone.now()
    locked.save(update_fields=["status", "answered_at"])
    return locked


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: CircleInvitation) -> CircleInvitation:
    """Cancel a pending invitation: its link stops working."""
    locked = _lock_invitation(invitation)
    _answerable(locked, InvitationStatus.REVOKED)
    locked.status = InvitationStatus.REVOKED
    locked.answered_at = timezone.now()
    locked.save(update_fields=["status", "answered_at"])
    audit_record(
        actor=actor,
        action="circle.invite_revoke",
        target=locked.circle,
        details={"email": locked.email},
    )
    return locked
