"""Compose and send notification emails: immediate ones and the daily or weekly digests.

Every email claims its notifications before it leaves: an UPDATE stamps ``emailed_at``
with a value unique to this run on rows still unstamped, and only the rows carrying that
stamp are sent. Two runs racing on the same person therefore never send an item twice;
if a digest fails, the stamp is removed so that the next run picks the items up again.

A failed immediate email is retried by the ``email_retries`` periodic job, with growing
delays (RETRY_DELAYS): the notification counts its failures and carries the time of its
next try; after EMAIL_MAX_ATTEMPTS attempts it is given up (logged) and keeps its stamp,
so that no digest sends it later either.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from itertools import groupby
from typing import NamedTuple

from django.conf import settings
from django.core import signing
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from essaim.core.selectors import organisation_get
from essaim.people.models import Person

from .mime import DigestEmail
from .models import Delivery, Notification
from .selectors import delivery_q

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
UNSUBSCRIBE_SALT = "essaim.feed.unsubscribe"
# A link in an old email stops working after this long; the preferences page always works.
UNSUBSCRIBE_MAX_AGE = timedelta(days=90)
# Older unsent items are stale news: leaving them out also bounds the scan.
LOOKBACK = {
    Delivery.IMMEDIATE: timedelta(days=2),
    Delivery.DAILY: timedelta(days=3),
    Delivery.WEEKLY: timedelta(days=15),
}
PERIODS = (Delivery.DAILY, Delivery.WEEKLY)
# Wait before the 2nd, 3rd… attempt of an immediate email; then it is given up.
RETRY_DELAYS = (
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
)
EMAIL_MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Notifications retried per batch; a run takes at most RETRY_MAX_BATCHES batches.
RETRY_BATCH_SIZE = 500
RETRY_MAX_BATCHES = 20


def unsubscribe_token(person_id: int, delivery: str) -> str:
    """Sign the person and the delivery they may stop, for a link that needs no login."""
    return signing.dumps({"p": person_id, "d": delivery}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[int, str]:
    """Return (person id, delivery) from a token; raise signing.BadSignature if invalid."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    if not isinstance(data, dict) or data.get("d") not in Delivery.values:
        raise signing.BadSignature("malformed")
    return int(data["p"]), str(data["d"])


def absolute(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return f"{settings.SITE_ORIGIN}{url}"


class Item(NamedTuple):
    """What an email shows of one notification: read as a plain row, not a model instance."""

    pk: int
    summary: str
    url: str
    circle_id: int | None
    circle_name: str


def as_item(notification: Item | Notification) -> Item:
    if isinstance(notification, Item):
        return notification
    circle = notification.circle if notification.circle_id else None
    return Item(
        notification.pk,
        notification.summary,
        notification.url,
        notification.circle_id,
        circle.name if circle is not None else "",
    )


class Recipient(NamedTuple):
    pk: int
    email: str
    given_name: str


@dataclass
class CircleGroup:
    name: str
    items: list[Item] = field(default_factory=list)


def group_by_circle(items: Iterable[Item]) -> list[CircleGroup]:
    """Group items by circle (by circle name; items without a circle come last)."""

    def key(n: Item) -> tuple[int, str, int]:
        return (0, n.circle_name, n.circle_id) if n.circle_id else (1, "", 0)

    groups = []
    for (_last, name, _id), rows in groupby(sorted(items, key=lambda n: (key(n), n.pk)), key=key):
        groups.append(CircleGroup(name=name or _("Général"), items=list(rows)))
    return groups


ITEM_HTML = '<li style="margin-bottom: .4rem;">{}</li>'
GROUP_HTML = (
    '<h2 style="font-size: 1.1rem; border-bottom: 1px solid #ccc; margin-top: 1.5rem;">'
    "{}</h2>\n<ul>\n{}</ul>\n"
)


class ItemLines:
    """Text and HTML lines of notifications, built once per distinct item in a batch.

    The same new thread reaches hundreds of people: building its lines once, in plain
    Python rather than in a template loop, is most of what keeps a digest cheap.
    """

    def __init__(self) -> None:
        self.text: dict[tuple[str, str], str] = {}
        self.html: dict[tuple[str, str], str] = {}
        self.headings: dict[str, tuple[str, str]] = {}

    def body(self, groups: list[CircleGroup]) -> tuple[str, SafeString]:
        text_parts: list[str] = []
        html_parts: list[str] = []
        for group in groups:
            if group.name not in self.headings:
                self.headings[group.name] = (
                    f"== {group.name} ==\n",
                    GROUP_HTML.format(escape(group.name), "\x00"),
                )
            text_heading, html_heading = self.headings[group.name]
            text_parts.append(text_heading)
            lines = []
            for item in group.items:
                key = (item.summary, item.url)
                if key not in self.text:
                    link = absolute(item.url) if item.url else ""
                    self.text[key] = f"- {item.summary}\n" + (f"  {link}\n" if link else "")
                    inner = (
                        f'<a href="{escape(link)}">{escape(item.summary)}</a>'
                        if link
                        else escape(item.summary)
                    )
                    self.html[key] = ITEM_HTML.format(inner) + "\n"
                text_parts.append(self.text[key])
                lines.append(self.html[key])
            text_parts.append("\n")
            # The heading was escaped once; NUL cannot come from escaped text.
            html_parts.append(html_heading.replace("\x00", "".join(lines)))
        return "".join(text_parts), mark_safe("".join(html_parts))  # parts are all escaped


def subject_for(delivery: str, items: Sequence[Item], org_name: str) -> str:
    if delivery == Delivery.DAILY:
        return _("Votre récapitulatif du jour — %(org)s") % {"org": org_name}
    if delivery == Delivery.WEEKLY:
        return _("Votre récapitulatif de la semaine — %(org)s") % {"org": org_name}
    if len(items) == 1:
        # A header cannot hold a line break: a summary typed with one must not block the email.
        return f"{' '.join(items[0].summary.split())} — {org_name}"
    return _("%(count)s nouvelles notifications — %(org)s") % {
        "count": len(items),
        "org": org_name,
    }


@dataclass(frozen=True)
class Links:
    """The absolute URLs every email carries, resolved once per batch rather than per email."""

    preferences: str
    notifications: str
    unsubscribe_pattern: str

    @classmethod
    def resolve(cls) -> Links:
        placeholder = "TOKEN"
        return cls(
            preferences=absolute(reverse("feed:preferences")),
            notifications=absolute(reverse("feed:notifications")),
            unsubscribe_pattern=absolute(
                reverse("feed:unsubscribe", kwargs={"token": placeholder})
            ).replace(placeholder, "{}"),
        )


# Holes left in the rendered templates, filled per person. Control characters: no text
# a member typed reaches a template frame, and escaping leaves them as they are.
NAME_HOLE, BODY_HOLE, UNSUBSCRIBE_HOLE = "\x01name\x01", "\x01body\x01", "\x01unsubscribe\x01"
HOLES = re.compile("\x01(?:name|body|unsubscribe)\x01")


class Frames:
    """The digest templates rendered once per batch and shape, then filled per person.

    An email's words depend only on the delivery, whether the person has a first name and
    the number of items; rendering the two templates once per such shape instead of once
    per person takes the template engine out of the per-email cost.
    """

    def __init__(self, *, delivery: str, org_name: str, links: Links) -> None:
        self.delivery = delivery
        self.org_name = org_name
        self.links = links
        self.rendered: dict[tuple[bool, int], tuple[str, str]] = {}

    def fill(
        self, *, person: Recipient, count: int, body: tuple[str, str], unsubscribe_url: str
    ) -> tuple[str, str]:
        shape = (bool(person.given_name), count)
        if shape not in self.rendered:
            context = {
                "person": {"given_name": NAME_HOLE if person.given_name else ""},
                "delivery": self.delivery,
                "body_text": BODY_HOLE,
                "body_html": mark_safe(BODY_HOLE),
                "count": count,
                "org_name": self.org_name,
                "site_url": settings.SITE_URL,
                "preferences_url": self.links.preferences,
                "notifications_url": self.links.notifications,
                "unsubscribe_url": UNSUBSCRIBE_HOLE,
            }
            self.rendered[shape] = (
                render_to_string("feed/emails/digest.txt", context),
                render_to_string("feed/emails/digest.html", context),
            )
        text, html = self.rendered[shape]
        # One pass each: what fills a hole is never searched for holes again.
        text_values = {NAME_HOLE: person.given_name, UNSUBSCRIBE_HOLE: unsubscribe_url}
        text_values[BODY_HOLE] = body[0]
        html_values: dict[str, str] = {
            NAME_HOLE: escape(person.given_name),
            UNSUBSCRIBE_HOLE: escape(unsubscribe_url),
        }
        html_values[BODY_HOLE] = body[1]
        return (
            HOLES.sub(lambda match: text_values[match[0]], text),
            HOLES.sub(lambda match: html_values[match[0]], html),
        )


def compose(
    *,
    person: Recipient | Person,
    delivery: str,
    items: Sequence[Item | Notification],
    org_name: str,
    links: Links | None = None,
    lines: ItemLines | None = None,
    frames: Frames | None = None,
) -> DigestEmail:
    """Build one email (plain text and HTML) for a person's notifications."""
    rows = [as_item(item) for item in items]
    links = links or Links.resolve()
    frames = frames or Frames(delivery=delivery, org_name=org_name, links=links)
    recipient = Recipient(person.pk, person.email, person.given_name or "")
    unsubscribe_url = links.unsubscribe_pattern.format(unsubscribe_token(person.pk, delivery))
    body = (lines or ItemLines()).body(group_by_circle(rows))
    text, html = frames.fill(
        person=recipient, count=len(rows), body=body, unsubscribe_url=unsubscribe_url
    )
    message = DigestEmail(
        subject=subject_for(delivery, rows, org_name),
        body=text,
        to=[recipient.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _claim_stamp() -> datetime:
    # Unique per run: the random microseconds keep two runs started together apart.
    return timezone.now().replace(microsecond=random.randrange(1_000_000))  # noqa: S311


class Claimed(NamedTuple):
    """A notification taken by a run: what its email shows and how its earlier tries went."""

    item: Item
    recipient: Recipient
    erased: bool
    failures: int
    retrying: bool


def _claim(pending: QuerySet[Notification], *, lock: bool) -> tuple[datetime, list[int]]:
    """Stamp the pending rows nobody else holds; return the stamp and the ids it took."""
    stamp = _claim_stamp()
    with transaction.atomic():
        if lock:
            # Immediate emails and their retries run from several workers at once: on
            # PostgreSQL rows another run is claiming are skipped rather than waited for.
            # (SQLite ignores the lock; the UPDATE's IS NULL test alone keeps runs apart.)
            pending = pending.select_for_update(skip_locked=True, of=("self",))
        # Digests skip the lock: their batches never share a person, and locking 100k
        # people's rows before stamping them would write every row twice.
        ids = list(pending.values_list("id", flat=True))
        if ids:
            Notification.objects.filter(id__in=ids, emailed_at__isnull=True).update(
                emailed_at=stamp
            )
    return stamp, ids


def send_for(
    *, delivery: str, recipient_ids: Sequence[int] = (), notification_ids: Sequence[int] = ()
) -> int:
    """Email the pending notifications of these recipients (or these ids); return emails sent."""
    since = timezone.now() - LOOKBACK[Delivery(delivery)]
    pending = Notification.objects.filter(
        delivery_q(delivery), emailed_at__isnull=True, read_at__isnull=True, created_at__gte=since
    )
    if notification_ids:
        pending = pending.filter(id__in=list(notification_ids))
    elif recipient_ids:
        pending = pending.filter(recipient_id__in=list(recipient_ids))
    else:
        return 0
    stamp, ids = _claim(pending, lock=delivery == Delivery.IMMEDIATE)
    if not ids:
        return 0
    # Plain rows, not model instances: a 500-person batch reads thousands of them.
    rows = (
        Notification.objects.filter(id__in=ids, emailed_at=stamp)
        .order_by("recipient_id", "id")
        .values_list(
            "id",
            "summary",
            "url",
            "circle_id",
            "circle__name",
            "recipient_id",
            "recipient__email",
            "recipient__given_name",
            "recipient__erased_at",
            "email_failures",
            "email_retry_at",
        )
    )
    claimed: list[Claimed] = []
    for (
        pk,
        summary,
        url,
        circle_id,
        circle_name,
        person_id,
        email,
        given_name,
        erased_at,
        failures,
        retry_at,
    ) in rows:
        claimed.append(
            Claimed(
                item=Item(pk, summary, url, circle_id, circle_name or ""),
                recipient=Recipient(person_id, email or "", given_name or ""),
                erased=erased_at is not None,
                failures=failures,
                retrying=retry_at is not None,
            )
        )
    sent = 0
    failed: list[Claimed] = []
    with translation.override(settings.LANGUAGE_CODE):
        org_name = organisation_get().display_name
        links = Links.resolve()
        lines = ItemLines()
        frames = Frames(delivery=delivery, org_name=org_name, links=links)
        connection = get_connection()
        try:
            connection.open()
        except Exception:
            # The mail server is unreachable: nothing leaves, every claimed item failed.
            logger.exception("Could not reach the mail server for %s emails", delivery)
            failed, claimed = claimed, []
        try:
            for _pid, group in groupby(claimed, key=lambda c: c.recipient.pk):
                entries = list(group)
                person = entries[0].recipient
                if not person.email or entries[0].erased:
                    continue  # nowhere to send: the items stay stamped, nothing to repeat
                try:
                    message = compose(
                        person=person,
                        delivery=delivery,
                        items=[c.item for c in entries],
                        org_name=org_name,
                        links=links,
                        lines=lines,
                        frames=frames,
                    )
                    connection.send_messages([message])
                    sent += 1
                except Exception:
                    logger.exception("Notification email to person %s failed", person.pk)
                    failed.extend(entries)
        finally:
            connection.close()
    failed_ids = {c.item.pk for c in failed}
    if delivery == Delivery.IMMEDIATE:
        _after_immediate(stamp, failed)
        # Items that went out after earlier failures no longer await a retry.
        done = [c.item.pk for c in claimed if c.retrying and c.item.pk not in failed_ids]
        if done:
            Notification.objects.filter(id__in=done).update(email_retry_at=None)
    elif failed_ids:
        Notification.objects.filter(id__in=failed_ids, emailed_at=stamp).update(emailed_at=None)
    return sent


def _after_immediate(stamp: datetime, failed: list[Claimed]) -> None:
    """Schedule the next try of failed immediate emails, or give them up after the last."""
    now = timezone.now()
    by_failures: dict[int, list[int]] = {}
    for entry in failed:
        by_failures.setdefault(entry.failures + 1, []).append(entry.item.pk)
    # One UPDATE per failure count (at most EMAIL_MAX_ATTEMPTS), not one per item.
    for failures, ids in sorted(by_failures.items()):
        rows = Notification.objects.filter(id__in=ids, emailed_at=stamp)
        if failures < EMAIL_MAX_ATTEMPTS:
            rows.update(
                emailed_at=None,
                email_failures=failures,
                email_retry_at=now + RETRY_DELAYS[failures - 1],
            )
        else:
            # Given up: the stamp stays, so neither a retry nor a digest sends it later.
            rows.update(email_failures=failures, email_retry_at=None)
            logger.error(
                "Gave up emailing notifications %s after %s attempts", sorted(ids), failures
            )


def retry_failed_immediate(*, now: datetime | None = None) -> int:
    """Send the immediate emails whose next try is due, in batches; return emails sent."""
    now = now or timezone.now()
    since = now - LOOKBACK[Delivery.IMMEDIATE]
    # Rows that no longer await a retry (read, too old, emailed by a digest, preference
    # changed) leave the retry index, so that they are not scanned every few minutes.
    Notification.objects.filter(email_retry_at__isnull=False).filter(
        Q(emailed_at__isnull=False)
        | Q(read_at__isnull=False)
        | Q(created_at__lt=since)
        | ~delivery_q(Delivery.IMMEDIATE)
    ).update(email_retry_at=None)
    sent = 0
    for _batch in range(RETRY_MAX_BATCHES):
        ids = list(
            Notification.objects.filter(email_retry_at__lte=now, emailed_at__isnull=True)
            .order_by("email_retry_at", "id")
            .values_list("id", flat=True)[:RETRY_BATCH_SIZE]
        )
        if not ids:
            break
        sent += send_for(delivery=Delivery.IMMEDIATE, notification_ids=ids)
        if len(ids) < RETRY_BATCH_SIZE:
            break
    return sent


def recipient_ids_for(delivery: str) -> list[int]:
    """Return, in order, the people with notifications waiting for this delivery."""
    since = timezone.now() - LOOKBACK[Delivery(delivery)]
    return list(
        Notification.objects.filter(
            delivery_q(delivery),
            emailed_at__isnull=True,
            read_at__isnull=True,
            created_at__gte=since,
        )
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def batches(ids: Sequence[int], size: int = BATCH_SIZE) -> list[list[int]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]
