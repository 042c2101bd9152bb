"""Writes for volunteer missions, participant registrations, check-in and calendar feeds.

Capacity is guarded twice: every write that takes a place locks the row that holds the
count (the mission, or the action for participants) and a database check constraint
refuses a mission count above its capacity should a bug ever slip through.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.circles.models import Circle
from essaim.circles.policies import can_see_circle
from essaim.core.services import audit_record
from essaim.people.models import Person, Source
from essaim.people.services import person_create, person_update

from . import policies
from .models import (
    ANNOUNCED,
    Action,
    ActionStatus,
    CalendarFeed,
    Mission,
    MissionSignup,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    SignupStatus,
    new_code,
)
from .services import action_url, person_of

if TYPE_CHECKING:
    from essaim.referrals.links import Attribution

logger = logging.getLogger(__name__)

MISSION_FIELDS = ("role", "description", "skills", "starts_at", "ends_at", "capacity")
REMINDER_BATCH_SIZE = 200


def _absolute(path: str) -> str:
    return f"{settings.SITE_ORIGIN}{path}"


def _require_person(actor: Any) -> Person:
    person = person_of(actor)
    if person is None:
        raise PermissionDenied
    return person


def _check_announced(action: Action) -> None:
    if action.status not in ANNOUNCED:
        raise ValidationError(
            _(
                "Les inscriptions ne sont possibles que pour une action annoncée "
                "et pas encore finie."
            )
        )


# --- Missions (coordinators) ------------------------------------------------------------


def _check_mission(mission: Mission) -> None:
    if mission.ends_at < mission.starts_at:
        raise ValidationError({"ends_at": _("La fin doit venir après le début.")})
    if mission.capacity < 1:
        raise ValidationError({"capacity": _("Une mission compte au moins une place.")})


@transaction.atomic
def _check_not_closed(action: Action) -> None:
    # Evaluated or cancelled: its missions are history (volunteer hours, debrief).
    if action.status in (ActionStatus.EVALUATED, ActionStatus.CANCELLED):
        raise ValidationError(_("Cette action est close : ses missions ne changent plus."))


def mission_create(*, actor: Any, action: Action, data: dict[str, Any]) -> Mission:
    """Add a volunteer mission to an action."""
    if not policies.can_manage_action(actor, action):
        raise PermissionDenied
    _check_not_closed(action)
    mission = Mission(action=action, **{k: data[k] for k in MISSION_FIELDS if k in data})
    _check_mission(mission)
    mission.full_clean()
    mission.save()
    audit_record(
        actor=actor, action="mission.create", target=action, details={"role": mission.role}
    )
    return mission


@transaction.atomic
def mission_update(*, actor: Any, mission: Mission, data: dict[str, Any]) -> Mission:
    """Change a mission; its capacity may not go below the people already confirmed."""
    locked = Mission.objects.select_for_update().select_related("action").get(pk=mission.pk)
    if not policies.can_manage_action(actor, locked.action):
        raise PermissionDenied
    _check_not_closed(locked.action)
    for field in MISSION_FIELDS:
        if field in data:
            setattr(locked, field, data[field])
    _check_mission(locked)
    if locked.capacity < locked.confirmed_count:
        raise ValidationError(
            {
                "capacity": _(
                    "%(count)s bénévoles sont déjà inscrits : gardez au moins %(count)s places."
                )
                % {"count": locked.confirmed_count}
            }
        )
    locked.full_clean()
    locked.save()
    # More places: the first people waiting move up.
    _promote_waiting(locked)
    audit_record(actor=actor, action="mission.update", target=locked.action)
    return locked


@transaction.atomic
def mission_delete(*, actor: Any, mission: Mission) -> None:
    """Remove a mission; the volunteers who had signed up are told."""
    locked = Mission.objects.select_for_update().select_related("action").get(pk=mission.pk)
    action = locked.action
    if not policies.can_manage_action(actor, action):
        raise PermissionDenied
    _check_not_closed(action)
    people = list(
        Person.objects.filter(
            mission_signups__mission=locked,
            mission_signups__status__in=(SignupStatus.CONFIRMED, SignupStatus.WAITING),
        )
    )
    _notify(
        people,
        action,
        _("La mission « %(role)s » de l'action « %(action)s » est supprimée.")
        % {"role": locked.role, "action": action.title},
    )
    audit_record(actor=actor, action="mission.delete", target=action, details={"role": locked.role})
    locked.delete()


def _notify(people: list[Person], action: Action, summary: str) -> None:
    from essaim.feed.models import NotificationKind
    from essaim.feed.services import notifications_create

    if people:
        notifications_create(
            recipients=people,
            kind=NotificationKind.MISSION,
            summary=summary,
            url=action_url(action),
            circle=action.circle,
        )


# --- Sign-ups (volunteers) ---------------------------------------------------------------


@transaction.atomic
def mission_signup(
    *, actor: Any, mission: Mission, referral: Attribution | None = None
) -> MissionSignup:
    """Sign the actor up for a mission: confirmed while places remain, else on the waiting list.

    ``referral`` (read from the visitor's attribution cookie by the view) credits the person
    who shared the link (essaim.referrals).
    """
    person = _require_person(actor)
    # The mission row lock serialises every sign-up and withdrawal of this mission.
    locked = (
        Mission.objects.select_for_update(of=("self",))
        .select_related("action", "action__circle")
        .get(pk=mission.pk)
    )
    action = locked.action
    if not policies.can_see_action(actor, action):
        raise PermissionDenied
    _check_announced(action)
    if locked.starts_at <= timezone.now():
        raise ValidationError(
            _(
                "Cette mission a déjà commencé : les inscriptions sont closes. "
                "Pour aider quand même, contactez les coordinateurs de l'action."
            )
        )
    signup = MissionSignup.objects.filter(mission=locked, person=person).first()
    if signup is not None and signup.status != SignupStatus.WITHDRAWN:
        raise ValidationError(_("Vous êtes déjà inscrit à cette mission."))
    now = timezone.now()
    status = (
        SignupStatus.CONFIRMED if locked.confirmed_count < locked.capacity else SignupStatus.WAITING
    )
    if signup is None:
        signup = MissionSignup(mission=locked, person=person)
    # Re-signing reuses the row: a new place in the queue, a fresh check-in and reminder.
    signup.status = status
    signup.created_at = now
    signup.withdrawn_at = None
    signup.promoted_at = None
    signup.reminded_at = None
    signup.attended = None
    signup.checked_in_at = None
    signup.minutes = None
    signup.save()  # on insert, auto_now_add stamps created_at itself
    if status == SignupStatus.CONFIRMED:
        Mission.objects.filter(pk=locked.pk).update(confirmed_count=F("confirmed_count") + 1)
        locked.confirmed_count += 1
    mission.confirmed_count = locked.confirmed_count
    _credit_referrer(referral, person)
    return signup


def _credit_referrer(referral: Attribution | None, person: Person, *extra_kinds: str) -> None:
    if referral is None:
        return
    from essaim.referrals.links import attribution_apply
    from essaim.referrals.models import ReferralEventKind

    for kind in (ReferralEventKind.VOLUNTEERED, *extra_kinds):
        attribution_apply(attribution=referral, person=person, kind=kind)


@transaction.atomic
def mission_withdraw(*, actor: Any, signup: MissionSignup) -> MissionSignup:
    """Withdraw from a mission; a freed place goes to the first person waiting, who is told."""
    locked_mission = (
        Mission.objects.select_for_update(of=("self",))
        .select_related("action", "action__circle")
        .get(pk=signup.mission_id)
    )
    locked = MissionSignup.objects.select_for_update().get(pk=signup.pk)
    person = person_of(actor)
    if person is None or (
        locked.person_id != person.pk
        and not policies.can_manage_action(actor, locked_mission.action)
    ):
        raise PermissionDenied
    if locked.status == SignupStatus.WITHDRAWN:
        raise ValidationError(_("Cette inscription est déjà annulée."))
    was_confirmed = locked.status == SignupStatus.CONFIRMED
    locked.status = SignupStatus.WITHDRAWN
    locked.withdrawn_at = timezone.now()
    locked.save(update_fields=["status", "withdrawn_at"])
    if was_confirmed:
        Mission.objects.filter(pk=locked_mission.pk).update(
            confirmed_count=F("confirmed_count") - 1
        )
        locked_mission.confirmed_count -= 1
        _promote_waiting(locked_mission)
    signup.status = locked.status
    signup.withdrawn_at = locked.withdrawn_at
    return locked


def _promote_waiting(mission: Mission) -> list[MissionSignup]:
    """Confirm the first people waiting while places remain (the mission row is locked)."""
    free = mission.capacity - mission.confirmed_count
    if free <= 0:
        return []
    promoted = list(
        MissionSignup.objects.select_for_update()
        .select_related("person")
        .filter(mission=mission, status=SignupStatus.WAITING)
        .order_by("created_at", "id")[:free]
    )
    if not promoted:
        return []
    now = timezone.now()
    MissionSignup.objects.filter(pk__in=[s.pk for s in promoted]).update(
        status=SignupStatus.CONFIRMED, promoted_at=now
    )
    Mission.objects.filter(pk=mission.pk).update(
        confirmed_count=F("confirmed_count") + len(promoted)
    )
    mission.confirmed_count += len(promoted)
    action = mission.action
    _notify(
        [s.person for s in promoted],
        action,
        _(
            "Une place s'est libérée : vous êtes inscrit à la mission « %(role)s » "
            "de l'action « %(action)s »."
        )
        % {"role": mission.role, "action": action.title},
    )
    return promoted


# --- Reminders --------------------------------------------------------------------------


def reminders_due(now: datetime | None = None) -> Any:
    """Confirmed sign-ups of missions starting in 24 to 36 hours, not reminded yet."""
    now = now or timezone.now()
    return MissionSignup.objects.filter(
        status=SignupStatus.CONFIRMED,
        reminded_at__isnull=True,
        mission__starts_at__gte=now + timedelta(hours=24),
        mission__starts_at__lt=now + timedelta(hours=36),
        mission__action__status__in=ANNOUNCED,
    )


def mission_reminders_send(
    *, now: datetime | None = None, batch_size: int = REMINDER_BATCH_SIZE
) -> int:
    """Email the day-before reminders, batch after batch; each sign-up is reminded once."""
    sent = 0
    while True:
        ids = list(reminders_due(now).order_by("id").values_list("id", flat=True)[:batch_size])
        if not ids:
            return sent
        stamp = timezone.now()
        # Claim first: a run racing this one finds the rows stamped and skips them.
        MissionSignup.objects.filter(pk__in=ids, reminded_at__isnull=True).update(reminded_at=stamp)
        batch = list(
            MissionSignup.objects.filter(pk__in=ids, reminded_at=stamp).select_related(
                "person", "mission", "mission__action"
            )
        )
        messages = []
        for signup in batch:
            email = signup.person.email
            if not email or signup.person.erased_at is not None:
                continue
            action = signup.mission.action
            context = {
                "signup": signup,
                "mission": signup.mission,
                "action": action,
                "url": _absolute(action_url(action)),
                "my_missions": _absolute(reverse("actions:my_missions")),
            }
            messages.append(
                EmailMessage(
                    subject=_("Rappel : votre mission « %(role)s » demain")
                    % {"role": signup.mission.role},
                    body=render_to_string("actions/missions/emails/reminder.txt", context),
                    to=[email],
                )
            )
        try:
            get_connection().send_messages(messages)
        except Exception:
            logger.exception("Mission reminders failed; they will be retried")
            MissionSignup.objects.filter(pk__in=ids, reminded_at=stamp).update(reminded_at=None)
            return sent
        sent += len(messages)


# --- Participant registrations -----------------------------------------------------------


def _take_place(action: Action) -> None:
    """Count one more participant, under the action's row lock (held by the caller)."""
    if action.capacity is not None and action.registered_count >= action.capacity:
        raise ValidationError(_("Désolé, cette action est complète."))
    Action.objects.filter(pk=action.pk).update(registered_count=F("registered_count") + 1)
    action.registered_count += 1


def _lock_action(action: Action) -> Action:
    return Action.objects.select_for_update(of=("self",)).select_related("circle").get(pk=action.pk)


def _check_open(action: Action) -> None:
    _check_announced(action)
    if not action.registrations_open:
        raise ValidationError(_("Les inscriptions à cette action sont fermées."))
    if action.starts_at <= timezone.now():
        raise ValidationError(
            _("Cette action a déjà commencé : les inscriptions sont closes, venez sur place.")
        )


@transaction.atomic
def registration_create(*, actor: Any, action: Action) -> Registration:
    """Register the signed-in actor as a participant (confirmed at once)."""
    person = _require_person(actor)
    locked = _lock_action(action)
    if not policies.can_see_action(actor, locked):
        raise PermissionDenied
    _check_open(locked)
    registration = Registration.objects.filter(action=locked, person=person).first()
    if registration is not None and registration.status == RegistrationStatus.CONFIRMED:
        raise ValidationError(_("Vous êtes déjà inscrit à cette action."))
    _take_place(locked)
    if registration is None:
        registration = Registration(action=locked, person=person, source=RegistrationSource.MEMBER)
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = timezone.now()
    registration.cancelled_at = None
    registration.save()
    action.registered_count = locked.registered_count
    return registration


def _cancel(registration: Registration) -> Registration:
    locked_action = _lock_action(registration.action)
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    if locked.status == RegistrationStatus.CANCELLED:
        raise ValidationError(_("Cette inscription est déjà annulée."))
    if locked.status == RegistrationStatus.CONFIRMED:
        Action.objects.filter(pk=locked_action.pk).update(
            registered_count=F("registered_count") - 1
        )
    locked.status = RegistrationStatus.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.save(update_fields=["status", "cancelled_at"])
    return locked


@transaction.atomic
def registration_cancel(*, actor: Any, registration: Registration) -> Registration:
    """Cancel one's own registration (or, for coordinators, anyone's)."""
    person = person_of(actor)
    if person is None or (
        registration.person_id != person.pk
        and not policies.can_manage_action(actor, registration.action)
    ):
        raise PermissionDenied
    return _cancel(registration)


@transaction.atomic
def registration_cancel_by_code(*, code: str) -> Registration:
    """Cancel a registration from the link of its email (no account needed)."""
    registration = Registration.objects.select_related("action").filter(code=code).first()
    if registration is None:
        raise ValidationError(_("Ce lien d'inscription n'existe pas ou plus."))
    return _cancel(registration)


def _match_person(*, email: str, given_name: str, family_name: str, phone: str) -> Person:
    """The person with this email (oldest first), else a new one; names are never overwritten."""
    email = email.strip()
    person = (
        Person.objects.filter(email__iexact=email, erased_at__isnull=True).order_by("id").first()
    )
    if person is None:
        return person_create(
            actor=None,
            data={
                "given_name": given_name.strip(),
                "family_name": family_name.strip(),
                "email": email.lower(),
                "phone": phone.strip(),
                "is_sympathiser": True,
                "source": Source.EVENT,
            },
        )
    if phone.strip() and not person.phone:
        person_update(actor=None, person=person, data={"phone": phone.strip()})
    return person


@transaction.atomic
def registration_request_public(
    *,
    action: Action,
    given_name: str,
    family_name: str,
    email: str,
    phone: str = "",
    newsletter_consent: bool = False,
    referral: Attribution | None = None,
) -> Registration:
    """Register someone without an account: pending until they follow the emailed link.

    ``referral`` (read from the visitor's attribution cookie by the view) credits the person
    who shared the link (essaim.referrals).
    """
    locked = _lock_action(action)
    if not policies.is_public(locked):
        raise PermissionDenied
    _check_open(locked)
    if locked.capacity is not None and locked.registered_count >= locked.capacity:
        raise ValidationError(_("Désolé, cette action est complète."))
    person = _match_person(email=email, given_name=given_name, family_name=family_name, phone=phone)
    if newsletter_consent and not person.newsletter_consent:
        person_update(
            actor=None,
            person=person,
            data={},
            newsletter_consent=True,
            consent_proof=f"Formulaire public de l'action {locked.slug}",
        )
    registration = Registration.objects.filter(action=locked, person=person).first()
    if registration is not None and registration.status == RegistrationStatus.CONFIRMED:
        # Say nothing more than for a new registration: the email tells the rest.
        _send_registration_email(registration, already=True)
        return registration
    if registration is None:
        registration = Registration(action=locked, person=person)
    registration.source = RegistrationSource.PUBLIC
    registration.status = RegistrationStatus.PENDING
    registration.code = new_code()
    registration.cancelled_at = None
    registration.save()
    _send_registration_email(registration)
    if newsletter_consent:
        _credit_referrer(referral, person, "subscribed")
    else:
        _credit_referrer(referral, person)
    return registration


def _send_registration_email(registration: Registration, already: bool = False) -> None:
    registration_id = registration.pk

    def send() -> None:
        from .tasks import registration_email

        registration_email.enqueue(registration_id, already)

    transaction.on_commit(send)


def registration_email_send(*, registration_id: int, already: bool = False) -> bool:
    """Send the confirmation email of a public registration (with its cancel link)."""
    registration = (
        Registration.objects.select_related("person", "action").filter(pk=registration_id).first()
    )
    if registration is None or not registration.person.email:
        return False
    action = registration.action
    context = {
        "registration": registration,
        "action": action,
        "already": already,
        "confirm_url": _absolute(
            reverse("public_actions:confirm", kwargs={"code": registration.code})
        ),
        "cancel_url": _absolute(
            reverse("public_actions:cancel", kwargs={"code": registration.code})
        ),
        "page_url": _absolute(reverse("public_actions:detail", kwargs={"slug": action.slug})),
    }
    EmailMessage(
        subject=_("Votre inscription à « %(action)s »") % {"action": action.title},
        body=render_to_string("actions/public/emails/registration.txt", context),
        to=[registration.person.email],
    ).send()
    return True


@transaction.atomic
def registration_confirm(*, code: str) -> Registration:
    """Confirm a public registration from its emailed link, if a place remains."""
    registration = Registration.objects.filter(code=code).first()
    if registration is None:
        raise ValidationError(_("Ce lien d'inscription n'existe pas ou plus."))
    locked_action = _lock_action(registration.action)
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    if locked.status == RegistrationStatus.CONFIRMED:
        return locked
    if locked.status == RegistrationStatus.CANCELLED:
        raise ValidationError(
            _("Cette inscription a été annulée : inscrivez-vous de nouveau depuis la page.")
        )
    _check_open(locked_action)
    _take_place(locked_action)
    locked.status = RegistrationStatus.CONFIRMED
    locked.confirmed_at = timezone.now()
    locked.save(update_fields=["status", "confirmed_at"])
    return locked


# --- Check-in ---------------------------------------------------------------------------


def can_check_in(action: Action) -> bool:
    """Check-in is open while the action runs, on its day, and afterwards for corrections."""
    if action.status in (ActionStatus.RUNNING, ActionStatus.DONE):
        return True
    if action.status == ActionStatus.PREPARING:
        return timezone.localdate(action.starts_at) <= timezone.localdate()
    return False


def _check_checkin(actor: Any, action: Action) -> None:
    if not policies.can_manage_action(actor, action):
        raise PermissionDenied
    if not can_check_in(action):
        raise ValidationError(
            _("Le pointage s'ouvre le jour de l'action (ou quand elle est en cours).")
        )


def slot_minutes(mission: Mission) -> int:
    return max(0, int((mission.ends_at - mission.starts_at).total_seconds() // 60))


@transaction.atomic
def registration_check_in(
    *, actor: Any, registration: Registration, attended: bool
) -> Registration:
    """Mark a participant present or absent."""
    _check_checkin(actor, registration.action)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise ValidationError(_("Seules les inscriptions confirmées se pointent."))
    registration.attended = attended
    registration.checked_in_at = timezone.now()
    registration.save(update_fields=["attended", "checked_in_at"])
    return registration


@transaction.atomic
def signup_check_in(*, actor: Any, signup: MissionSignup, attended: bool) -> MissionSignup:
    """Mark a volunteer present (their time is the mission's slot) or absent."""
    _check_checkin(actor, signup.mission.action)
    if signup.status != SignupStatus.CONFIRMED:
        raise ValidationError(_("Seuls les bénévoles inscrits se pointent."))
    signup.attended = attended
    signup.checked_in_at = timezone.now()
    # Time already corrected by a coordinator is kept.
    if signup.minutes_edited_at is None:
        signup.minutes = slot_minutes(signup.mission) if attended else None
    signup.save(update_fields=["attended", "checked_in_at", "minutes"])
    return signup


@transaction.atomic
def walk_in_add(*, actor: Any, action: Action, name: str, email: str = "") -> Registration:
    """Register someone who came without signing up: present, counted as a participant."""
    _check_checkin(actor, action)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Indiquez le nom de la personne.")})
    given, _sep, family = name.partition(" ")
    locked = _lock_action(action)
    if email.strip():
        person = _match_person(email=email, given_name=given, family_name=family, phone="")
    else:
        person = person_create(
            actor=actor,
            data={
                "given_name": given,
                "family_name": family,
                "is_sympathiser": True,
                "source": Source.EVENT,
            },
        )
    registration = Registration.objects.filter(action=locked, person=person).first()
    now = timezone.now()
    if registration is None or registration.status != RegistrationStatus.CONFIRMED:
        # On the day, the count follows who is really there: no capacity check here.
        Action.objects.filter(pk=locked.pk).update(registered_count=F("registered_count") + 1)
    if registration is None:
        registration = Registration(action=locked, person=person, source=RegistrationSource.WALK_IN)
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = registration.confirmed_at or now
    registration.cancelled_at = None
    registration.attended = True
    registration.checked_in_at = now
    registration.save()
    audit_record(actor=actor, action="action.walk_in", target=locked)
    return registration


# --- Calendar feeds -----------------------------------------------------------------------


@transaction.atomic
def calendar_feed_get(*, actor: Any, circle: Circle | None = None) -> CalendarFeed:
    """The actor's private calendar address (their missions, or a circle's actions)."""
    person = _require_person(actor)
    if circle is not None and not can_see_circle(actor, circle):
        raise PermissionDenied
    feed, _created = CalendarFeed.objects.get_or_create(person=person, circle=circle)
    return feed


@transaction.atomic
def calendar_feed_regenerate(*, actor: Any, circle: Circle | None = None) -> CalendarFeed:
    """Give a calendar a new address: the old one stops working at once."""
    feed = calendar_feed_get(actor=actor, circle=circle)
    feed.token = new_code()
    feed.save(update_fields=["token"])
    return feed
