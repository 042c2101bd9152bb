"""Compose and send notification emails: immediate ones and the daily or weekly digests.

Every email claims its notifications before it leaves: an UPDATE stamps ``emailed_at``
with a value unique to this run on rows still unstamped, and only the rows carrying that
stamp are sent. Two runs racing on the same person therefore never send an item twice;
if sending fails, the stamp is removed so that the next run picks the items up again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from essaim.core.selectors import organisation_get
from essaim.people.models import Person

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
    return f"{settings.SITE_URL}{url}"


@dataclass
class CircleGroup:
    name: str
    items: list[Notification] = field(default_factory=list)


def group_by_circle(items: Iterable[Notification]) -> list[CircleGroup]:
    """Group notifications by circle (by circle name; items without a circle come last)."""

    def key(n: Notification) -> tuple[int, str, int]:
        return (0, n.circle.name, n.circle_id) if n.circle else (1, "", 0)  # type: ignore[return-value]

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

    def body(self, groups: list[CircleGroup]) -> tuple[str, SafeString]:
        text_parts: list[str] = []
        html_parts: list[str] = []
        for group in groups:
            text_parts.append(f"== {group.name} ==\n")
            lines = []
            for item in group.items:
                key = (item.summary, item.url)
                if key not in self.text:
                    link = absolute(item.url) if item.url else ""
                    self.text[key] = f"- {item.summary}\n" + (f"  {link}\n" if link else "")
                    inner = (
                        format_html('<a href="{}">{}</a>', link, item.summary)
                        if link
                        else escape(item.summary)
                    )
                    self.html[key] = format_html(ITEM_HTML, inner) + "\n"
                text_parts.append(self.text[key])
                lines.append(self.html[key])
            text_parts.append("\n")
            html_parts.append(
                format_html(GROUP_HTML, group.name, mark_safe("".join(lines)))
            )  # every part went through format_html
        return "".join(text_parts), mark_safe("".join(html_parts))


def subject_for(delivery: str, items: Sequence[Notification], org_name: str) -> str:
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


def compose(
    *,
    person: Person,
    delivery: str,
    items: Sequence[Notification],
    org_name: str,
    links: Links | None = None,
    lines: ItemLines | None = None,
) -> EmailMultiAlternatives:
    """Build one email (plain text and HTML) for a person's notifications."""
    links = links or Links.resolve()
    unsubscribe_url = links.unsubscribe_pattern.format(unsubscribe_token(person.pk, delivery))
    body_text, body_html = (lines or ItemLines()).body(group_by_circle(items))
    context = {
        "person": person,
        "delivery": delivery,
        "body_text": body_text,
        "body_html": body_html,
        "count": len(items),
        "org_name": org_name,
        "site_url": settings.SITE_URL,
        "preferences_url": links.preferences,
        "notifications_url": links.notifications,
        "unsubscribe_url": unsubscribe_url,
    }
    text = render_to_string("feed/emails/digest.txt", context)
    html = render_to_string("feed/emails/digest.html", context)
    message = EmailMultiAlternatives(
        subject=subject_for(delivery, items, org_name),
        body=text,
        to=[person.email],
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
    ids = list(pending.values_list("id", flat=True))
    if not ids:
        return 0
    stamp = _claim_stamp()
    Notification.objects.filter(id__in=ids, emailed_at__isnull=True).update(emailed_at=stamp)
    claimed = list(
        Notification.objects.filter(id__in=ids, emailed_at=stamp)
        .select_related("circle", "recipient")
        .only(
            "id",
            "kind",
            "summary",
            "url",
            "recipient_id",
            "circle_id",
            "circle__name",
            "recipient__email",
            "recipient__given_name",
            "recipient__erased_at",
        )
        .order_by("recipient_id", "id")
    )
    sent = 0
    failed: list[int] = []
    with translation.override(settings.LANGUAGE_CODE):
        org_name = organisation_get().display_name
        links = Links.resolve()
        lines = ItemLines()
        connection = get_connection()
        connection.open()
        try:
            for _pid, rows in groupby(claimed, key=lambda n: n.recipient_id):
                items = list(rows)
                person = items[0].recipient
                if not person.email or person.erased_at is not None:
                    continue  # nowhere to send: the items stay stamped, nothing to repeat
                try:
                    message = compose(
                        person=person,
                        delivery=delivery,
                        items=items,
                        org_name=org_name,
                        links=links,
                        lines=lines,
                    )
                    connection.send_messages([message])
                    sent += 1
                except Exception:
                    logger.exception("Notification email to person %s failed", person.pk)
                    failed.extend(n.pk for n in items)
        finally:
            connection.close()
    if failed:
        Notification.objects.filter(id__in=failed, emailed_at=stamp).update(emailed_at=None)
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
