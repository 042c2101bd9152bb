"""Writes for circle discussions: threads, messages, reactions, reports, moderation."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError

from essaim.core.markdown import render_markdown
from essaim.core.services import audit_record
from essaim.feed.models import Activity, Notification, NotificationKind, Verb
from essaim.feed.services import (
    activity_record,
    notifications_create,
    notifications_create_for_ids,
)
from essaim.people.models import Person, fold

from .models import (
    REPORT_TRANSITIONS,
    Attachment,
    Circle,
    Membership,
    MembershipRole,
    Message,
    Reaction,
    Report,
    ReportStatus,
    Thread,
    ThreadRead,
)
from .policies import can_manage_circle

MAX_BODY = 20_000
MAX_TITLE = 200
MAX_FILE_SIZE = 10 * 1024 * 1024
MAX_FILES = 5
MAX_IMAGE_SIDE = 2560
# Past this many pixels Pillow would spend seconds and hundreds of MB decoding: a bomb.
MAX_IMAGE_PIXELS = 40_000_000

# The reactions on offer: a small fixed set, each with a spoken label for screen readers.
REACTIONS: dict[str, Any] = {
    "👍": gettext_lazy("D'accord"),
    "❤️": gettext_lazy("J'adore"),
    "🎉": gettext_lazy("Bravo"),
    "😄": gettext_lazy("Drôle"),
    "🤔": gettext_lazy("Je m'interroge"),
    "🙏": gettext_lazy("Merci"),
}

IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "jpg", {"jpg", "jpeg"}),
    "PNG": ("image/png", "png", {"png"}),
    "WEBP": ("image/webp", "webp", {"webp"}),
}
PDF_MAGIC = b"%PDF-"


# --- attachments -------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedFile:
    """An upload that passed the checks, ready to store (images already re-encoded)."""

    name: str
    content: bytes
    content_type: str
    width: int | None = None
    height: int | None = None


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def attachment_prepare(upload: UploadedFile) -> PreparedFile:
    """Check an uploaded file by its content and re-encode images, or raise ValidationError."""
    name = (upload.name or "fichier").rsplit("/", 1)[-1][:200]
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
    extension = _extension(name)
    if raw.startswith(PDF_MAGIC):
        if extension != "pdf":
            raise ValidationError(
                _("« %(name)s » est un PDF mais son nom ne finit pas par .pdf.") % {"name": name},
                code="mismatch",
            )
        return PreparedFile(name=name, content=raw, content_type="application/pdf")
    if extension == "pdf":
        raise ValidationError(
            _("« %(name)s » n'est pas un vrai PDF : son contenu ne correspond pas.")
            % {"name": name},
            code="mismatch",
        )
    return _prepare_image(name, extension, raw)


def _refuse_type(name: str) -> ValidationError:
    return ValidationError(
        _(
            "« %(name)s » n'est pas accepté : seules les images JPEG, PNG ou WebP "
            "et les documents PDF peuvent être joints."
        )
        % {"name": name},
        code="type",
    )


def _prepare_image(name: str, extension: str, raw: bytes) -> PreparedFile:
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            image_format = probe.format or ""
            if image_format not in IMAGE_FORMATS:
                raise _refuse_type(name)
            if probe.width * probe.height > MAX_IMAGE_PIXELS:
                raise ValidationError(
                    _("« %(name)s » est une image trop grande (plus de 40 millions de pixels).")
                    % {"name": name},
                    code="too_big",
                )
            content_type, clean_extension, extensions = IMAGE_FORMATS[image_format]
            if extension not in extensions:
                raise ValidationError(
                    _(
                        "Le contenu de « %(name)s » ne correspond pas à son extension "
                        "(c'est une image %(format)s)."
                    )
                    % {"name": name, "format": image_format},
                    code="mismatch",
                )
            probe.load()
            # Re-encoding drops metadata (GPS position in photos) and any payload hidden after it.
            image = ImageOps.exif_transpose(probe) or probe
            image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
            if image_format == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            elif image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                image = image.convert("RGBA")
            out = io.BytesIO()
            options: dict[str, Any] = {"optimize": True}
            if image_format in ("JPEG", "WEBP"):
                options["quality"] = 85
            image.save(out, format=image_format, **options)
            width, height = image.size
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise _refuse_type(name) from error
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return PreparedFile(
        name=f"{stem}.{clean_extension}",
        content=out.getvalue(),
        content_type=content_type,
        width=width,
        height=height,
    )


def _attachments_store(message: Message, files: Sequence[PreparedFile]) -> list[Attachment]:
    stored = []
    for prepared in files[:MAX_FILES]:
        attachment = Attachment(
            message=message,
            original_name=prepared.name,
            content_type=prepared.content_type,
            size=len(prepared.content),
            width=prepared.width,
            height=prepared.height,
        )
        attachment.file.save(prepared.name, ContentFile(prepared.content), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


# --- mentions ----------------------------------------------------------------------

# "@Prénom Nom": the @ starts a word; up to three words follow, the longest member name wins.
MAX_MENTIONS = 20
MENTION = re.compile(r"(?<![\w@.])@(\w[\w'’-]*)((?:[ \t]+\w[\w'’-]*){0,2})")


@dataclass
class Mentions:
    people: list[Person] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def mentions_resolve(*, circle: Circle, text: str) -> Mentions:
    """Find the circle members named with @ in a text; list the names that match nobody."""
    found: list[tuple[str, list[str]]] = []
    prefixes: set[str] = set()
    for index, match in enumerate(MENTION.finditer(text or "")):
        if index >= MAX_MENTIONS:
            # A post cannot turn into a mass mailing, nor into a query too large to run.
            break
        words = [match.group(1), *match.group(2).split()]
        candidates = [fold(" ".join(words[:n])) for n in range(len(words), 0, -1)]
        found.append((match.group(1), candidates))
        prefixes.update(candidates)
    result = Mentions()
    if not found:
        return result
    condition = Q()
    for prefix in prefixes:
        condition |= Q(search_text__startswith=prefix)
    members = list(
        Person.objects.filter(condition, memberships__circle=circle, erased_at__isnull=True)[:200]
    )
    by_name: dict[str, list[Person]] = {}
    for person in members:
        by_name.setdefault(fold(person.full_name), []).append(person)
    seen: set[int] = set()
    for first_word, candidates in found:
        match_people = next((by_name[c] for c in candidates if c in by_name), None)
        if match_people is None:
            if f"@{first_word}" not in result.unknown:
                result.unknown.append(f"@{first_word}")
            continue
        for person in match_people:
            if person.pk not in seen:
                seen.add(person.pk)
                result.people.append(person)
    return result


# --- threads and messages ----------------------------------------------------------


def _person_of(actor: Any) -> Person:
    person = Person.objects.filter(user=actor).first() if actor.is_authenticated else None
    if person is None:
        raise ValidationError(_("Votre compte n'est lié à aucune fiche de membre."))
    return person


def _require_member(person: Person, circle: Circle) -> None:
    if not Membership.objects.filter(circle=circle, person=person).exists():
        raise ValidationError(
            _("Seuls les membres de ce cercle peuvent y écrire."), code="not_member"
        )


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Le message est vide : écrivez quelques mots."), code="empty")
    if len(body) > MAX_BODY:
        raise ValidationError(
            _("Le message est trop long (%(count)s caractères, 20 000 au plus).")
            % {"count": len(body)},
            code="too_long",
        )
    return body


def thread_url(thread: Thread, circle: Circle | None = None) -> str:
    circle = circle or thread.circle
    return reverse("circles:thread_detail", kwargs={"slug": circle.slug, "thread_id": thread.pk})


def message_url(message: Message, thread: Thread, circle: Circle | None = None) -> str:
    return f"{thread_url(thread, circle)}#message-{message.pk}"


def _notify_mentions(
    *,
    mentions: Sequence[Person],
    author: Person,
    circle: Circle,
    thread: Thread,
    message: Message,
    activity: Any = None,
) -> None:
    recipients = [p for p in mentions if p.pk != author.pk]
    if recipients:
        notifications_create(
            recipients=recipients,
            kind=NotificationKind.MENTION,
            summary=_("%(name)s vous mentionne dans « %(title)s »")
            % {"name": author.full_name or author, "title": thread.title},
            url=message_url(message, thread, circle),
            activity=activity,
            circle=circle,
        )


@dataclass
class Posted:
    thread: Thread
    message: Message
    unknown_mentions: list[str]


@transaction.atomic
def thread_create(
    *,
    actor: Any,
    circle: Circle,
    title: str,
    body: str,
    files: Sequence[PreparedFile] = (),
) -> Posted:
    """Open a thread in a circle with its first message."""
    person = _person_of(actor)
    _require_member(person, circle)
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Donnez un titre à la discussion."), code="empty_title")
    if len(title) > MAX_TITLE:
        raise ValidationError(_("Le titre est trop long (200 caractères au plus)."))
    body = _check_body(body)
    now = timezone.now()
    thread = Thread.objects.create(circle=circle, title=title, author=person, last_activity_at=now)
    message = Message.objects.create(
        thread=thread, author=person, body=body, body_html=render_markdown(body)
    )
    _attachments_store(message, files)
    ThreadRead.objects.create(thread=thread, person=person, last_read_at=message.created_at)
    activity = activity_record(
        circle=circle,
        actor=person,
        verb=Verb.THREAD_CREATED,
        thread=thread,
        message=message,
        summary=title,
    )
    mentions = mentions_resolve(circle=circle, text=body)
    _notify_mentions(
        mentions=mentions.people,
        author=person,
        circle=circle,
        thread=thread,
        message=message,
        activity=activity,
    )
    _enqueue_new_thread_fan_out(activity)
    return Posted(thread=thread, message=message, unknown_mentions=mentions.unknown)


def _enqueue_new_thread_fan_out(activity: Any) -> None:
    from .discussion_tasks import thread_notify_members

    # One task per thread, whatever the circle's size; after commit, so the worker finds it.
    # Robust: a queue that is down must not turn a saved thread into an error page.
    activity_id = activity.pk
    transaction.on_commit(lambda: thread_notify_members.enqueue(activity_id), robust=True)


@transaction.atomic
def message_post(
    *, actor: Any, thread: Thread, body: str, files: Sequence[PreparedFile] = ()
) -> Posted:
    """Reply in a thread."""
    person = _person_of(actor)
    # Lock the row: a coordinator locking the thread at the same moment wins cleanly.
    locked_thread = Thread.objects.select_for_update().select_related("circle").get(pk=thread.pk)
    circle = locked_thread.circle
    _require_member(person, circle)
    if locked_thread.locked:
        raise ValidationError(
            _("Cette discussion est verrouillée : on ne peut plus y répondre."), code="locked"
        )
    body = _check_body(body)
    message = Message.objects.create(
        thread=locked_thread, author=person, body=body, body_html=render_markdown(body)
    )
    _attachments_store(message, files)
    Thread.objects.filter(pk=locked_thread.pk).update(
        reply_count=F("reply_count") + 1, last_activity_at=message.created_at
    )
    ThreadRead.objects.update_or_create(
        thread=locked_thread, person=person, defaults={"last_read_at": message.created_at}
    )
    activity = activity_record(
        circle=circle,
        actor=person,
        verb=Verb.MESSAGE_POSTED,
        thread=locked_thread,
        message=message,
        summary=locked_thread.title,
    )
    mentions = mentions_resolve(circle=circle, text=body)
    _notify_mentions(
        mentions=mentions.people,
        author=person,
        circle=circle,
        thread=locked_thread,
        message=message,
        activity=activity,
    )
    _notify_participants(
        thread=locked_thread,
        circle=circle,
        message=message,
        author=person,
        skip={p.pk for p in mentions.people},
        activity=activity,
    )
    return Posted(thread=locked_thread, message=message, unknown_mentions=mentions.unknown)


def _notify_participants(
    *,
    thread: Thread,
    circle: Circle,
    message: Message,
    author: Person,
    skip: set[int],
    activity: Any,
) -> None:
    # Those who wrote in the thread follow it; people who left the circle are not told.
    writers = Message.objects.filter(thread=thread, hidden_at__isnull=True).values("author_id")
    participants = (
        Person.objects.filter(pk__in=writers, memberships__circle=circle)
        .exclude(pk=author.pk)
        .exclude(pk__in=skip)
    )
    notifications_create(
        recipients=participants,
        kind=NotificationKind.REPLY,
        summary=_("%(name)s a répondu dans « %(title)s »")
        % {"name": author.full_name or author, "title": thread.title},
        url=message_url(message, thread, circle),
        activity=activity,
        circle=circle,
    )


@transaction.atomic
def message_edit(*, actor: Any, message: Message, body: str) -> Posted:
    """Change one's own message; it shows as edited, with the time."""
    person = _person_of(actor)
    current = (
        Message.objects.select_for_update().select_related("thread__circle").get(pk=message.pk)
    )
    thread = current.thread
    if current.author_id != person.pk:
        raise ValidationError(_("Vous ne pouvez modifier que vos propres messages."))
    if current.hidden_at is not None:
        raise ValidationError(_("Ce message a été masqué par la coordination."))
    if thread.locked:
        raise ValidationError(
            _("Cette discussion est verrouillée : ses messages ne peuvent plus être modifiés."),
            code="locked",
        )
    _require_member(person, thread.circle)
    body = _check_body(body)
    before = mentions_resolve(circle=thread.circle, text=current.body)
    current.body = body
    current.body_html = render_markdown(body)
    current.edited_at = timezone.now()
    current.save(update_fields=["body", "body_html", "edited_at"])
    after = mentions_resolve(circle=thread.circle, text=body)
    already = {p.pk for p in before.people}
    # Only people newly named are told: an edit does not notify everyone again.
    _notify_mentions(
        mentions=[p for p in after.people if p.pk not in already],
        author=person,
        circle=thread.circle,
        thread=thread,
        message=current,
    )
    return Posted(thread=thread, message=current, unknown_mentions=after.unknown)


@transaction.atomic
def thread_set_pinned(*, actor: Any, thread: Thread, pinned: bool) -> Thread:
    """Pin a thread at the top of the list, or unpin it."""
    Thread.objects.filter(pk=thread.pk).update(pinned=pinned)
    thread.pinned = pinned
    audit_record(
        actor=actor,
        action="circles.thread_pin" if pinned else "circles.thread_unpin",
        target=thread,
    )
    return thread


@transaction.atomic
def thread_set_locked(*, actor: Any, thread: Thread, locked: bool) -> Thread:
    """Lock a thread against replies, or unlock it."""
    Thread.objects.filter(pk=thread.pk).update(locked=locked)
    thread.locked = locked
    audit_record(
        actor=actor,
        action="circles.thread_lock" if locked else "circles.thread_unlock",
        target=thread,
    )
    return thread


def thread_mark_read(
    *, person: Person, thread: Thread, already_read_at: datetime | None = None
) -> None:
    """Remember that the person has read the thread up to now."""
    if already_read_at is not None and already_read_at >= thread.last_activity_at:
        # Nothing new since the last visit: reading a thread again writes nothing.
        return
    ThreadRead.objects.update_or_create(
        thread=thread, person=person, defaults={"last_read_at": timezone.now()}
    )


@transaction.atomic
def reaction_toggle(*, actor: Any, message: Message, emoji: str) -> bool:
    """Add the person's reaction to a message, or take it back; return whether it is now on."""
    if emoji not in REACTIONS:
        raise ValidationError(_("Cette réaction n'est pas proposée."), code="emoji")
    person = _person_of(actor)
    _require_member(person, message.thread.circle)
    if message.hidden_at is not None:
        raise ValidationError(_("Ce message a été masqué par la coordination."))
    deleted, _rows = Reaction.objects.filter(message=message, person=person, emoji=emoji).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            Reaction.objects.create(message=message, person=person, emoji=emoji)
    except IntegrityError:
        pass  # a double click raced us: the reaction is there, which is what was asked
    return True


@transaction.atomic
def message_report(*, actor: Any, message: Message, reason: str) -> Report:
    """Report a message to the circle's coordinators, who are notified."""
    person = _person_of(actor)
    thread = message.thread
    circle = thread.circle
    _require_member(person, circle)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Dites en quelques mots ce qui pose problème."), code="empty")
    if len(reason) > 2000:
        raise ValidationError(_("Le motif est trop long (2 000 caractères au plus)."))
    if Report.objects.filter(message=message, reporter=person, status=ReportStatus.OPEN).exists():
        raise ValidationError(
            _("Vous avez déjà signalé ce message ; la coordination l'examine."), code="duplicate"
        )
    report = Report.objects.create(message=message, reporter=person, reason=reason)
    coordinators = Person.objects.filter(
        memberships__circle=circle, memberships__role=MembershipRole.COORDINATOR
    )
    notifications_create(
        recipients=coordinators,
        kind=NotificationKind.REPORT,
        summary=_("Un message est signalé dans « %(title)s »") % {"title": thread.title},
        url=message_url(message, thread, circle),
        circle=circle,
    )
    return report


@transaction.atomic
def message_hide(*, actor: Any, message: Message, reason: str) -> Message:
    """Hide a message from members, keeping it (and why) for the coordinators and the audit."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Indiquez le motif du masquage."), code="empty")
    if len(reason) > 300:
        raise ValidationError(_("Le motif est trop long (300 caractères au plus)."))
    current = Message.objects.select_for_update().get(pk=message.pk)
    if current.hidden_at is not None:
        raise ValidationError(_("Ce message est déjà masqué."), code="already")
    moderator = Person.objects.filter(user=actor).first()
    now = timezone.now()
    current.hidden_at = now
    current.hidden_by = moderator
    current.hidden_reason = reason
    current.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    # Hiding answers every open report of the message at once. The rows are locked first:
    # a report being dismissed at this moment is waited for, then left as dismissed.
    closed = list(
        Report.objects.select_for_update()
        .filter(message=current, status=ReportStatus.OPEN)
        .values_list("pk", flat=True)
    )
    if closed:
        Report.objects.filter(pk__in=closed, status=ReportStatus.OPEN).update(
            status=ReportStatus.HIDDEN, resolved_at=now, resolved_by=moderator
        )
    details: dict[str, Any] = {"reason": reason}
    if closed:
        details["reports"] = closed
    audit_record(actor=actor, action="circles.message_hide", target=current, details=details)
    return current


def _require_moderator(actor: Any, circle: Circle) -> None:
    if not can_manage_circle(actor, circle):
        raise ValidationError(
            _("Seuls les coordinateurs du cercle et les administrateurs peuvent modérer."),
            code="not_moderator",
        )


@transaction.atomic
def message_unhide(*, actor: Any, message: Message, reason: str = "") -> Message:
    """Show a hidden message to members again; the audit log keeps why it had been hidden."""
    reason = (reason or "").strip()
    if len(reason) > 300:
        raise ValidationError(_("Le motif est trop long (300 caractères au plus)."))
    current = (
        Message.objects.select_for_update(of=("self",))
        .select_related("thread__circle", "hidden_by")
        .get(pk=message.pk)
    )
    _require_moderator(actor, current.thread.circle)
    if current.hidden_at is None:
        raise ValidationError(
            _("Ce message n'est pas masqué : il est déjà visible par les membres."),
            code="not_hidden",
        )
    details = {
        "reason": reason,
        "hidden_reason": current.hidden_reason,
        "hidden_at": current.hidden_at.isoformat(),
        "hidden_by": str(current.hidden_by) if current.hidden_by else "",
    }
    current.hidden_at = None
    current.hidden_by = None
    current.hidden_reason = ""
    current.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    audit_record(actor=actor, action="circles.message_unhide", target=current, details=details)
    return current


def _report_move(current: Report, to: str) -> None:
    if to not in REPORT_TRANSITIONS[current.status]:
        raise ValidationError(
            _("Ce signalement est déjà traité (%(status)s) : rien n'a été changé.")
            % {"status": current.get_status_display()},
            code="closed",
        )


@transaction.atomic
def report_dismiss(*, actor: Any, report: Report, note: str = "") -> Report:
    """Close a report without hiding the message, with an optional note for the coordination."""
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError(_("La note est trop longue (2 000 caractères au plus)."))
    current = (
        Report.objects.select_for_update(of=("self",))
        .select_related("message__thread__circle")
        .get(pk=report.pk)
    )
    _require_moderator(actor, current.message.thread.circle)
    _report_move(current, ReportStatus.DISMISSED)
    current.status = ReportStatus.DISMISSED
    current.resolved_at = timezone.now()
    current.resolved_by = Person.objects.filter(user=actor).first()
    current.resolution_note = note
    current.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note"])
    audit_record(
        actor=actor,
        action="circles.report_dismiss",
        target=current,
        details={"message": current.message_id, "note": note},
    )
    return current


# --- new-thread fan-out ------------------------------------------------------------

FAN_OUT_BATCH = 2_000


def thread_notify_members_run(*, activity_id: int, batch_size: int = FAN_OUT_BATCH) -> int:
    """Tell every member of the circle about a new thread, in batches; return how many were told.

    Resumable: members are taken in id order and each batch commits on its own, so a task run
    again after a crash starts after the last person already told, and nobody is told twice.
    """
    activity = (
        Activity.objects.select_related("thread", "circle", "actor")
        .filter(pk=activity_id, verb=Verb.THREAD_CREATED)
        .first()
    )
    if activity is None or activity.thread is None:
        return 0  # the thread was deleted before the task ran
    thread, circle, author = activity.thread, activity.circle, activity.actor
    summary = _("%(name)s ouvre une discussion dans « %(circle)s » : « %(title)s »") % {
        "name": (author.full_name if author else "") or _("Un membre"),
        "circle": circle.name,
        "title": thread.title,
    }
    url = thread_url(thread, circle)
    already = Notification.objects.filter(activity=activity)
    last_id = (
        already.filter(kind=NotificationKind.NEW_THREAD).aggregate(last=Max("recipient_id"))["last"]
        or 0
    )
    members = Membership.objects.filter(circle=circle, person__erased_at__isnull=True)
    if activity.actor_id is not None:
        members = members.exclude(person_id=activity.actor_id)
    member_ids = (
        # Those named in the first message were already told, by the mention.
        members.exclude(
            person_id__in=already.filter(kind=NotificationKind.MENTION).values("recipient_id")
        )
        .order_by("person_id")
        .values_list("person_id", flat=True)
    )
    told = 0
    while True:
        ids = list(member_ids.filter(person_id__gt=last_id)[:batch_size])
        if not ids:
            return told
        with transaction.atomic():
            notifications_create_for_ids(
                recipient_ids=ids,
                kind=NotificationKind.NEW_THREAD,
                summary=summary,
                url=url,
                activity=activity,
                circle=circle,
            )
        told += len(ids)
        last_id = ids[-1]
        if len(ids) < batch_size:
            return told


# The sweep looks back this far, and leaves the newest threads to their own task.
SWEEP_WINDOW = timedelta(days=1)
SWEEP_GRACE = timedelta(minutes=10)


def thread_fan_out_sweep(*, now: datetime | None = None) -> int:
    """Run the fan-out of recent threads whose task never ran (queue down); return how many."""
    now = now or timezone.now()
    told = Notification.objects.filter(activity=OuterRef("pk"), kind=NotificationKind.NEW_THREAD)
    missed = list(
        Activity.objects.filter(
            verb=Verb.THREAD_CREATED,
            created_at__gte=now - SWEEP_WINDOW,
            created_at__lte=now - SWEEP_GRACE,
            # A circle of one (the author) has nobody to tell.
            circle__member_count__gt=1,
        )
        .exclude(Exists(told))
        .order_by("id")
        .values_list("pk", flat=True)[:1000]
    )
    for activity_id in missed:
        thread_notify_members_run(activity_id=activity_id)
    return len(missed)
