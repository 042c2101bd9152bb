"""Reads for circle discussions, and who may do what in them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from essaim.people.models import Person

from .models import (
    Attachment,
    Circle,
    Message,
    Reaction,
    Report,
    ReportStatus,
    Thread,
    ThreadRead,
)
from .policies import (
    can_manage_circle,
    can_read_circle_content,
    can_see_circle,
    circle_role,
    get_circle_for_user,
)

THREADS_PER_PAGE = 25
PINNED_MAX = 20


@dataclass(frozen=True)
class DiscussionAccess:
    """What one user may do in the discussions of one circle."""

    circle: Circle
    person: Person | None
    role: str | None
    can_read: bool
    can_moderate: bool

    @property
    def is_member(self) -> bool:
        return self.role is not None

    @property
    def can_write(self) -> bool:
        # Members write; others (admins, readers of a public circle) only read.
        return self.is_member and self.person is not None and self.circle.archived_at is None


def discussion_access(user: Any, slug: str, *, with_unread: bool = False) -> DiscussionAccess:
    """Return the user's rights in a circle's discussions; 404 for a circle they may not see.

    ``with_unread``: read the person's unread notifications (``person.unread_count``, the
    header badge) in the same query.
    """
    return _access_in(user, get_circle_for_user(user, slug), with_unread=with_unread)


def _access_in(user: Any, circle: Circle, *, with_unread: bool) -> DiscussionAccess:
    person: Person | None = None
    if user.is_authenticated:
        if with_unread:
            from essaim.feed.selectors import person_with_unread_count

            person = person_with_unread_count(user)
        else:
            person = Person.objects.filter(user=user).first()
    return DiscussionAccess(
        circle=circle,
        person=person,
        role=circle_role(user, circle),
        # Public circles: readable by signed-in people of the network, not by the open web.
        can_read=bool(user.is_authenticated) and can_read_circle_content(user, circle),
        can_moderate=can_manage_circle(user, circle),
    )


def thread_page_get(
    *, user: Any, slug: str, thread_id: int
) -> tuple[DiscussionAccess, Thread] | None:
    """Return the user's rights and a thread with what its page needs, circle and all at once.

    ``thread.message_count``: the messages the user sees (hidden ones only for moderators);
    ``thread.last_read_at``: when they last read it (None: never); ``person.unread_count``
    as with ``discussion_access(with_unread=True)``. Raise Http404 for a circle they may
    not see; None when there is no such thread in a circle of that address (the caller
    then answers as for any page of the circle: 404 or 403, else 404).
    """
    counted = Message.objects.filter(thread=OuterRef("pk")).order_by().values("thread")
    every = counted.annotate(n=Count("id")).values("n")
    visible = counted.filter(hidden_at__isnull=True).annotate(n=Count("id")).values("n")
    threads: QuerySet[Thread] = (
        Thread.objects.filter(circle__slug=slug, pk=thread_id)
        .select_related("circle__parent")
        .annotate(
            every_count=Coalesce(Subquery(every, output_field=IntegerField()), 0),
            visible_count=Coalesce(Subquery(visible, output_field=IntegerField()), 0),
        )
    )
    if user.is_authenticated:
        last_read = ThreadRead.objects.filter(thread=OuterRef("pk"), person__user=user)
        threads = threads.annotate(last_read_at=Subquery(last_read.values("last_read_at")[:1]))
    thread = threads.first()
    if thread is None:
        return None
    if not can_see_circle(user, thread.circle):
        raise Http404
    access = _access_in(user, thread.circle, with_unread=True)
    thread.message_count = (  # type: ignore[attr-defined]
        thread.every_count if access.can_moderate else thread.visible_count  # type: ignore[attr-defined]
    )
    if not user.is_authenticated:
        thread.last_read_at = None  # type: ignore[attr-defined]
    return access, thread


def _with_last_read(threads: QuerySet[Thread], person: Person | None) -> QuerySet[Thread]:
    if person is None:
        return threads
    last_read = ThreadRead.objects.filter(thread=OuterRef("pk"), person=person).values(
        "last_read_at"
    )[:1]
    return threads.annotate(last_read_at=Subquery(last_read))


def _mark_unread(threads: list[Thread], person: Person | None) -> list[Thread]:
    for thread in threads:
        last_read = getattr(thread, "last_read_at", None)
        thread.unread = person is not None and (  # type: ignore[attr-defined]
            last_read is None or thread.last_activity_at > last_read
        )
    return threads


@dataclass
class ThreadPage:
    pinned: list[Thread]
    threads: list[Thread]
    next_cursor: str


def encode_cursor(thread: Thread) -> str:
    return f"{thread.last_activity_at.timestamp():.6f}_{thread.pk}"


def decode_cursor(value: str) -> tuple[datetime, int] | None:
    """Read a "before" cursor from a URL; None when it is missing or malformed."""
    from datetime import UTC

    try:
        stamp, pk = value.split("_", 1)
        return datetime.fromtimestamp(float(stamp), tz=UTC), int(pk)
    except (ValueError, OverflowError, OSError):
        return None


def thread_list(
    *, circle: Circle, person: Person | None, before: str = "", limit: int = THREADS_PER_PAGE
) -> ThreadPage:
    """List a circle's threads: pinned first, then by last activity, one keyset page."""
    base = _with_last_read(Thread.objects.filter(circle=circle).select_related("author"), person)
    cursor = decode_cursor(before) if before else None
    pinned: list[Thread] = []
    if cursor is None:
        pinned = list(base.filter(pinned=True).order_by("-last_activity_at", "-id")[:PINNED_MAX])
    rest = base.filter(pinned=False).order_by("-last_activity_at", "-id")
    if cursor is not None:
        stamp, pk = cursor
        rest = rest.filter(Q(last_activity_at__lt=stamp) | Q(last_activity_at=stamp, id__lt=pk))
    rows = list(rest[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else ""
    return ThreadPage(
        pinned=_mark_unread(pinned, person),
        threads=_mark_unread(rows[:limit], person),
        next_cursor=next_cursor,
    )


def thread_get(*, circle: Circle, thread_id: int) -> Thread:
    """Return a thread of this circle, or raise Http404."""
    thread = Thread.objects.filter(circle=circle, pk=thread_id).select_related("author").first()
    if thread is None:
        raise Http404
    return thread


def thread_get_for_reader(
    *, circle: Circle, thread_id: int, person: Person | None, include_hidden: bool
) -> Thread:
    """Return a thread of this circle with what its page needs, in one query, or raise Http404.

    ``thread.last_read_at``: when the person last read it (None: never, or no person);
    ``thread.message_count``: the messages they see (hidden ones only for moderators).
    """
    visible = Message.objects.filter(thread=OuterRef("pk"))
    if not include_hidden:
        visible = visible.filter(hidden_at__isnull=True)
    count = visible.order_by().values("thread").annotate(n=Count("id")).values("n")
    threads: QuerySet[Thread] = Thread.objects.filter(circle=circle, pk=thread_id).annotate(
        message_count=Coalesce(Subquery(count, output_field=IntegerField()), 0)
    )
    if person is not None:
        threads = _with_last_read(threads, person)
    thread = threads.first()
    if thread is None:
        raise Http404
    if person is None:
        thread.last_read_at = None  # type: ignore[attr-defined]
    return thread


# What a message on the thread page shows (its raw Markdown is only for the edit form).
MESSAGE_SHOWN = (
    "id",
    "thread_id",
    "body_html",
    "created_at",
    "edited_at",
    "hidden_at",
    "hidden_reason",
    "author__given_name",
    "author__family_name",
    "hidden_by__given_name",
    "hidden_by__family_name",
)


def thread_messages(*, thread: Thread, include_hidden: bool) -> QuerySet[Message]:
    """Messages of a thread in order, with their authors; hidden ones only for moderators.

    Attachments are not prefetched: the page loads them only for the messages it renders
    (``prefetch_related_objects(messages, "attachments")``).
    """
    messages = (
        Message.objects.filter(thread=thread)
        .select_related("author", "hidden_by")
        .only(*MESSAGE_SHOWN)
        .order_by("created_at", "id")
    )
    if not include_hidden:
        messages = messages.filter(hidden_at__isnull=True)
    return messages


def message_get(*, circle: Circle, message_id: int, include_hidden: bool) -> Message:
    """Return a message of this circle's threads, or raise Http404."""
    messages = Message.objects.filter(pk=message_id, thread__circle=circle).select_related(
        "thread", "thread__circle", "author"
    )
    if not include_hidden:
        messages = messages.filter(hidden_at__isnull=True)
    message = messages.first()
    if message is None:
        raise Http404
    return message


def attachment_get(*, circle: Circle, attachment_id: int, include_hidden: bool) -> Attachment:
    """Return an attachment of this circle's messages, or raise Http404."""
    attachments = Attachment.objects.filter(
        pk=attachment_id, message__thread__circle=circle
    ).select_related("message")
    if not include_hidden:
        attachments = attachments.filter(message__hidden_at__isnull=True)
    attachment = attachments.first()
    if attachment is None:
        raise Http404
    return attachment


@dataclass(frozen=True)
class ReactionCount:
    emoji: str
    label: str
    count: int
    mine: bool


def reaction_summaries(
    *, message_ids: list[int], person: Person | None, choices: dict[str, Any]
) -> dict[int, list[ReactionCount]]:
    """Count each offered reaction per message, and tell which ones are the person's own."""
    counts: dict[tuple[int, str], int] = {}
    mine: set[tuple[int, str]] = set()
    if message_ids:
        rows = Reaction.objects.filter(message_id__in=message_ids).values_list(
            "message_id", "emoji", "person_id"
        )
        for message_id, emoji, person_id in rows:
            counts[(message_id, emoji)] = counts.get((message_id, emoji), 0) + 1
            if person is not None and person_id == person.pk:
                mine.add((message_id, emoji))
    labels = {emoji: str(label) for emoji, label in choices.items()}  # translated once
    return {
        message_id: [
            ReactionCount(
                emoji=emoji,
                label=label,
                count=counts.get((message_id, emoji), 0),
                mine=(message_id, emoji) in mine,
            )
            for emoji, label in labels.items()
        ]
        for message_id in message_ids
    }


def reports_open(*, circle: Circle) -> QuerySet[Report]:
    """Open reports of a circle's messages, newest first, with what the list shows."""
    return (
        Report.objects.filter(status=ReportStatus.OPEN, message__thread__circle=circle)
        .select_related("reporter", "message__author", "message__thread")
        .order_by("-created_at", "-id")
    )


def reports_closed(*, circle: Circle) -> QuerySet[Report]:
    """Reports of a circle already handled, the most recently closed first, with who closed them."""
    return (
        Report.objects.filter(message__thread__circle=circle)
        .exclude(status=ReportStatus.OPEN)
        .select_related("reporter", "resolved_by", "message__author", "message__thread")
        .order_by("-resolved_at", "-id")
    )


def open_report_count(*, circle: Circle) -> int:
    return Report.objects.filter(status=ReportStatus.OPEN, message__thread__circle=circle).count()


def report_get(*, circle: Circle, report_id: int) -> Report:
    """Return a report on a message of this circle, or raise Http404."""
    report = (
        Report.objects.filter(pk=report_id, message__thread__circle=circle)
        .select_related("reporter", "message__author", "message__thread")
        .first()
    )
    if report is None:
        raise Http404
    return report


def circle_files(*, circle: Circle, include_hidden: bool) -> QuerySet[Attachment]:
    """Files attached to a circle's messages, newest first; hidden ones only for moderators."""
    files = (
        Attachment.objects.filter(message__thread__circle=circle)
        .select_related("message__author", "message__thread")
        .order_by("-id")
    )
    if not include_hidden:
        files = files.filter(message__hidden_at__isnull=True)
    return files
