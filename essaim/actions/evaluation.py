"""Writes for evaluating an action: debrief, attached files, feedback survey, volunteer hours."""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from essaim.circles.discussions import MAX_FILE_SIZE, attachment_prepare
from essaim.core.markdown import render_markdown
from essaim.core.money import format_euros, parse_euros  # noqa: F401  (re-exported)
from essaim.core.selectors import organisation_get
from essaim.core.services import audit_record
from essaim.people.models import Person

from .models import (
    Action,
    ActionStatus,
    Debrief,
    DebriefFile,
    Feedback,
    Metric,
    MissionSignup,
    Objective,
    Registration,
    RegistrationStatus,
    SignupStatus,
)
from .services import person_of

logger = logging.getLogger(__name__)

# The debrief is written once the action took place.
EVALUABLE = frozenset({ActionStatus.DONE, ActionStatus.EVALUATED})
MAX_DEBRIEF_FILES = 20
# A survey link stays valid this long after it was sent.
SURVEY_MAX_AGE = timedelta(days=60)
SURVEY_SALT = "essaim.actions.feedback"
# Surveys go out a little after the end, once people are home, and never weeks later.
SURVEY_DELAY = timedelta(hours=2)
SURVEY_WINDOW = timedelta(days=14)
MAX_MINUTES = 24 * 60


def format_objective_value(objective: Objective, value: int | None) -> str:
    if value is None:
        return "—"
    if objective.metric == Metric.MONEY:
        return format_euros(value)
    number = f"{value:,}".replace(",", "\u202f")
    return f"{number} {objective.unit}".strip()


# --- debrief -------------------------------------------------------------------------


def _require_evaluable(action: Action) -> None:
    if action.status not in EVALUABLE:
        raise ValidationError(
            _("Le bilan s'écrit une fois l'action terminée (elle est « %(status)s »).")
            % {"status": ActionStatus(action.status).label}
        )


@transaction.atomic
def debrief_update(
    *,
    actor: Any,
    action: Action,
    what_worked: str,
    to_improve: str,
    notes: str,
    achieved: dict[int, int | None] | None = None,
) -> Debrief:
    """Write the debrief of a done action and, optionally, what each objective achieved."""
    locked = Action.objects.select_for_update().get(pk=action.pk)
    _require_evaluable(locked)
    author = person_of(actor)
    debrief, _created = Debrief.objects.get_or_create(action=locked)
    debrief.what_worked = what_worked.strip()
    debrief.to_improve = to_improve.strip()
    debrief.notes = notes.strip()
    debrief.notes_html = render_markdown(debrief.notes)
    debrief.updated_by = author
    debrief.full_clean()
    debrief.save()
    changed_objectives = []
    if achieved:
        now = timezone.now()
        for objective in Objective.objects.filter(action=locked, pk__in=list(achieved)):
            value = achieved[objective.pk]
            if value is not None and value < 0:
                raise ValidationError(_("Un résultat ne peut pas être négatif."))
            if objective.achieved != value:
                objective.achieved = value
                objective.achieved_updated_at = now
                objective.achieved_updated_by = author
                objective.save(
                    update_fields=["achieved", "achieved_updated_at", "achieved_updated_by"]
                )
                changed_objectives.append(objective.pk)
    audit_record(
        actor=actor,
        action="action.debrief_update",
        target=locked,
        details={"objectives": changed_objectives} if changed_objectives else None,
    )
    return debrief


# --- debrief files -------------------------------------------------------------------

# Office documents are ZIP containers (OOXML, OpenDocument): recognised by their inside.
OFFICE_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
OOXML_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}


@dataclass(frozen=True)
class DebriefUpload:
    name: str
    content: bytes
    content_type: str


def _office_refusal(name: str) -> ValidationError:
    return ValidationError(
        _(
            "« %(name)s » n'est pas accepté : joignez un PDF, une image (JPEG, PNG, WebP) "
            "ou un document bureautique (Word, Excel, PowerPoint, LibreOffice)."
        )
        % {"name": name},
        code="type",
    )


def _prepare_office(name: str, extension: str, raw: bytes) -> DebriefUpload:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = set(archive.namelist())
            if extension in OOXML_PARTS:
                valid = "[Content_Types].xml" in names and any(
                    entry.startswith(OOXML_PARTS[extension]) for entry in names
                )
            else:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                valid = mimetype == OFFICE_TYPES[extension]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        valid = False
    if not valid:
        raise ValidationError(
            _("Le contenu de « %(name)s » ne correspond pas à un document %(ext)s.")
            % {"name": name, "ext": extension.upper()},
            code="mismatch",
        )
    return DebriefUpload(name=name, content=raw, content_type=OFFICE_TYPES[extension])


def debrief_file_prepare(upload: UploadedFile) -> DebriefUpload:
    """Check an uploaded debrief file by its content, or raise ValidationError."""
    name = (upload.name or "fichier").rsplit("/", 1)[-1][:200]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in OFFICE_TYPES:
        if upload.size is None or upload.size > MAX_FILE_SIZE:
            raise ValidationError(
                _("« %(name)s » dépasse 10 Mo : réduisez-le ou partagez-le autrement.")
                % {"name": name},
                code="too_big",
            )
        raw = upload.read(MAX_FILE_SIZE + 1)
        if len(raw) > MAX_FILE_SIZE:
            raise ValidationError(
                _("« %(name)s » dépasse 10 Mo : réduisez-le ou partagez-le autrement.")
                % {"name": name},
                code="too_big",
            )
        return _prepare_office(name, extension, raw)
    # PDF and images: the discussions' checks (content sniffing, images re-encoded).
    try:
        prepared = attachment_prepare(upload)
    except ValidationError as error:
        if error.code == "type":
            raise _office_refusal(name) from error
        raise
    return DebriefUpload(
        name=prepared.name, content=prepared.content, content_type=prepared.content_type
    )


@transaction.atomic
def debrief_file_add(*, actor: Any, action: Action, upload: DebriefUpload) -> DebriefFile:
    """Attach a checked file to the debrief of a done action."""
    locked = Action.objects.select_for_update().get(pk=action.pk)
    _require_evaluable(locked)
    if DebriefFile.objects.filter(action=locked).count() >= MAX_DEBRIEF_FILES:
        raise ValidationError(
            _("Ce bilan a déjà %(count)d fichiers : supprimez-en un avant d'en ajouter.")
            % {"count": MAX_DEBRIEF_FILES}
        )
    stored = DebriefFile(
        action=locked,
        original_name=upload.name,
        content_type=upload.content_type,
        size=len(upload.content),
        uploaded_by=person_of(actor),
    )
    stored.file.save(upload.name, ContentFile(upload.content), save=False)
    stored.save()
    audit_record(
        actor=actor, action="action.debrief_file_add", target=locked, details={"file": upload.name}
    )
    return stored


@transaction.atomic
def debrief_file_delete(*, actor: Any, debrief_file: DebriefFile) -> None:
    """Remove a debrief file; the stored bytes go once the transaction commits."""
    name, storage = debrief_file.file.name, debrief_file.file.storage
    audit_record(
        actor=actor,
        action="action.debrief_file_delete",
        target=debrief_file.action,
        details={"file": debrief_file.original_name},
    )
    debrief_file.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


# --- feedback survey -----------------------------------------------------------------


def survey_code(action: Action, person_id: int) -> str:
    """A signed code for one person's answer: no login needed, cannot be guessed or altered."""
    return signing.dumps({"a": action.pk, "p": person_id}, salt=SURVEY_SALT, compress=True)


def survey_read(code: str) -> tuple[int, int] | None:
    """Return (action id, person id) from a survey code, or None if forged or expired."""
    try:
        data = signing.loads(code, salt=SURVEY_SALT, max_age=SURVEY_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    action_id, person_id = data.get("a"), data.get("p")
    if not isinstance(action_id, int) or not isinstance(person_id, int):
        return None
    return action_id, person_id


def survey_recipient_ids(action: Action) -> list[int]:
    """People asked for feedback: confirmed participants not marked absent, present volunteers."""
    participants = Registration.objects.filter(
        action=action, status=RegistrationStatus.CONFIRMED
    ).filter(Q(attended=True) | Q(attended__isnull=True))
    volunteers = MissionSignup.objects.filter(
        mission__action=action, status=SignupStatus.CONFIRMED, attended=True
    )
    ids = set(participants.values_list("person_id", flat=True))
    ids |= set(volunteers.values_list("person_id", flat=True))
    return sorted(ids)


@transaction.atomic
def feedback_submit(
    *, action: Action, person_id: int, rating: int, comment: str = ""
) -> Feedback | None:
    """Record a person's answer to the survey; None when they already answered."""
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Choisissez une note de 1 à 5.")})
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise ValidationError(_("Ce lien ne correspond plus à aucune personne."))
    try:
        with transaction.atomic():
            return Feedback.objects.create(
                action=action, person=person, rating=rating, comment=comment.strip()[:4000]
            )
    except IntegrityError:
        return None


def _survey_email(*, action: Action, person: Person, org_name: str) -> EmailMultiAlternatives:
    url = settings.SITE_ORIGIN + reverse(
        "actions:survey", kwargs={"code": survey_code(action, person.pk)}
    )
    context = {"action": action, "person": person, "url": url, "org_name": org_name}
    text = render_to_string("actions/debrief/emails/survey.txt", context)
    html = render_to_string("actions/debrief/emails/survey.html", context)
    message = EmailMultiAlternatives(
        subject=_("Votre avis sur « %(title)s »") % {"title": action.title},
        body=text,
        to=[person.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message


def _claim_survey(action_id: int, now: datetime) -> Action | None:
    """Mark the action's survey as sent, once: a second run finds nothing to claim."""
    with transaction.atomic():
        claimed = Action.objects.filter(
            pk=action_id, feedback_sent_at__isnull=True, status__in=EVALUABLE
        ).update(feedback_sent_at=now)
        if not claimed:
            return None
        action = Action.objects.select_related("circle").get(pk=action_id)
        Registration.objects.filter(
            action=action, status=RegistrationStatus.CONFIRMED, feedback_requested_at__isnull=True
        ).filter(Q(attended=True) | Q(attended__isnull=True)).update(feedback_requested_at=now)
        return action


def feedback_surveys_dispatch(*, now: datetime | None = None) -> int:
    """Email the survey for every done action not yet surveyed; return the emails sent.

    One run handles every due action; each action is claimed before its emails go, so two
    runs never send twice (a failed email is logged, not retried: better one missed than spam).
    """
    now = now or timezone.now()
    due = list(
        # An action evaluated within hours of its end is still surveyed; an old one is not.
        Action.objects.filter(
            status__in=EVALUABLE,
            feedback_sent_at__isnull=True,
            ends_at__lte=now - SURVEY_DELAY,
            ends_at__gte=now - SURVEY_WINDOW,
        )
        .order_by("ends_at")
        .values_list("pk", flat=True)
    )
    sent = 0
    if not due:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        org_name = organisation_get().display_name
        connection = get_connection()
        connection.open()
        try:
            for action_id in due:
                action = _claim_survey(action_id, now)
                if action is None:
                    continue
                recipients = Person.objects.filter(
                    pk__in=survey_recipient_ids(action), erased_at__isnull=True
                ).exclude(email="")
                for person in recipients.only("pk", "email", "given_name", "family_name"):
                    try:
                        message = _survey_email(action=action, person=person, org_name=org_name)
                        connection.send_messages([message])
                        sent += 1
                    except Exception:
                        logger.exception("Survey email to person %s failed", person.pk)
        finally:
            connection.close()
    return sent


# --- volunteer hours -----------------------------------------------------------------


def slot_minutes(starts_at: datetime, ends_at: datetime) -> int:
    return max(0, int((ends_at - starts_at).total_seconds() // 60))


def signup_minutes(signup: MissionSignup) -> int:
    """The time a volunteer gave on a mission: as recorded, else the mission's slot if present."""
    if signup.minutes is not None:
        return signup.minutes
    if signup.attended:
        return slot_minutes(signup.mission.starts_at, signup.mission.ends_at)
    return 0


@transaction.atomic
def signup_minutes_update(*, actor: Any, signup: MissionSignup, minutes: int) -> MissionSignup:
    """Correct the volunteer time of one sign-up (a coordinator's edit, audited)."""
    if minutes < 0 or minutes > MAX_MINUTES:
        raise ValidationError(
            {"minutes": _("Indiquez une durée entre 0 et 24 heures pour une mission.")}
        )
    locked = MissionSignup.objects.select_for_update().select_related("mission").get(pk=signup.pk)
    if locked.status != SignupStatus.CONFIRMED:
        raise ValidationError(_("Cette personne n'est pas inscrite sur la mission."))
    if locked.attended is False:
        raise ValidationError(_("Cette personne est notée absente : corrigez d'abord le pointage."))
    before = signup_minutes(locked)
    locked.minutes = minutes
    locked.minutes_edited_by = person_of(actor)
    locked.minutes_edited_at = timezone.now()
    locked.save(update_fields=["minutes", "minutes_edited_by", "minutes_edited_at"])
    audit_record(
        actor=actor,
        action="mission.minutes_update",
        target=locked,
        details={"before": before, "after": minutes, "action_id": locked.mission.action_id},
    )
    return locked
