"""E-mail invitations: a batch per request, sent by the task worker, with a way out.

Limits: ``organisation.invitations_per_day`` per inviter over the last 24 hours, counted
inside the transaction with the inviter's Person row locked, so two batches sent at the
same moment cannot pass it together. Addresses that asked never to be contacted again are
kept only as a SHA-256 hash (SuppressedAddress) and skipped by every later invitation.
Unanswered invitations lose their address after ``invitation_retention_days``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from essaim.accounts.models import User
from essaim.core.selectors import organisation_get
from essaim.people.models import Person

from .links import link_get_or_create
from .models import (
    Campaign,
    Invitation,
    InvitationStatus,
    LinkGoal,
    ShareChannel,
    SuppressedAddress,
)
from .selectors import absolute, fill, share_texts_for

logger = logging.getLogger(__name__)

MAX_ADDRESSES = 500
MAX_CSV_BYTES = 100 * 1024
MAX_MESSAGE = 1000
SEPARATORS = re.compile(r"[\s,;]+")
CSV_EMAIL_COLUMNS = ("email", "e-mail", "courriel", "mail", "adresse e-mail")
PENDING = (InvitationStatus.QUEUED, InvitationStatus.SENT)
# A failed sending (mail server down) is tried again after 10 minutes, 1 hour, then 6 hours.
RETRY_DELAYS = (timedelta(minutes=10), timedelta(hours=1), timedelta(hours=6))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
LOST_AFTER = timedelta(hours=1)
RETRY_BATCH = 500


def normalise(address: str) -> str:
    return address.strip().strip("<>").strip().lower()


def address_hash(address: str) -> str:
    """The suppression list's key: SHA-256 of the normalised address."""
    return hashlib.sha256(normalise(address).encode("utf-8")).hexdigest()


@dataclass
class ParsedAddresses:
    valid: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def addresses_parse(raw: list[str]) -> ParsedAddresses:
    """Split, normalise, de-duplicate and check addresses; refuse more than the maximum."""
    parsed = ParsedAddresses()
    seen: set[str] = set()
    for item in raw:
        address = normalise(item)
        if not address or address in seen:
            continue
        seen.add(address)
        try:
            validate_email(address)
        except ValidationError:
            parsed.invalid.append(item.strip()[:100])
        else:
            parsed.valid.append(address)
    if len(parsed.valid) + len(parsed.invalid) > MAX_ADDRESSES:
        raise ValidationError(
            _("La liste compte %(count)d adresses : %(max)d au plus par envoi.")
            % {"count": len(seen), "max": MAX_ADDRESSES}
        )
    return parsed


def addresses_from_text(text: str) -> list[str]:
    return [part for part in SEPARATORS.split(text or "") if part]


def addresses_from_csv(content: bytes) -> list[str]:
    """Read addresses from a small CSV: the column named email/courriel, else the first."""
    if len(content) > MAX_CSV_BYTES:
        raise ValidationError(
            _("Le fichier dépasse 100 Ko : découpez-le ou collez les adresses dans le champ.")
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    rows = list(csv.reader(io.StringIO(text), dialect))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ValidationError(_("Le fichier ne contient aucune adresse."))
    if len(rows) > MAX_ADDRESSES + 1:
        raise ValidationError(
            _("Le fichier compte %(count)d lignes : %(max)d au plus par envoi.")
            % {"count": len(rows), "max": MAX_ADDRESSES}
        )
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((header.index(name) for name in CSV_EMAIL_COLUMNS if name in header), None)
    if column is not None:
        rows = rows[1:]
    else:
        column = 0
    return [row[column] for row in rows if len(row) > column and row[column].strip()]


@dataclass
class BatchResult:
    created: list[Invitation]
    suppressed: int = 0
    already_invited: int = 0
    already_members: int = 0

    def summary(self) -> list[str]:
        lines = [
            ngettext(
                "%(count)d invitation va partir.",
                "%(count)d invitations vont partir.",
                len(self.created),
            )
            % {"count": len(self.created)}
        ]
        if self.suppressed:
            lines.append(
                ngettext(
                    "%(count)d adresse ne souhaite plus être contactée.",
                    "%(count)d adresses ne souhaitent plus être contactées.",
                    self.suppressed,
                )
                % {"count": self.suppressed}
            )
        if self.already_invited:
            lines.append(
                ngettext(
                    "%(count)d adresse a déjà une invitation en attente.",
                    "%(count)d adresses ont déjà une invitation en attente.",
                    self.already_invited,
                )
                % {"count": self.already_invited}
            )
        if self.already_members:
            lines.append(
                ngettext(
                    "%(count)d adresse a déjà un compte.",
                    "%(count)d adresses ont déjà un compte.",
                    self.already_members,
                )
                % {"count": self.already_members}
            )
        return lines


def _left_message(left: int) -> str:
    if left == 0:
        return _("Vous avez atteint la limite d'invitations pour aujourd'hui : réessayez demain.")
    return ngettext(
        "Vous pouvez encore inviter %(count)d personne aujourd'hui.",
        "Vous pouvez encore inviter %(count)d personnes aujourd'hui.",
        left,
    ) % {"count": left}


@transaction.atomic
def invitations_create(
    *,
    inviter: Person,
    addresses: list[str],
    message: str = "",
    campaign: Campaign | None = None,
) -> BatchResult:
    """Queue invitations to valid addresses (suppressed and pending ones skipped) and send them."""
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise ValidationError(
            _("Le message personnel dépasse %(max)d caractères.") % {"max": MAX_MESSAGE}
        )
    if not addresses:
        raise ValidationError(_("Indiquez au moins une adresse e-mail."))
    # The inviter's row lock serialises their batches: the daily count below cannot be
    # read by two batches before either has written.
    locked = Person.objects.select_for_update().get(pk=inviter.pk)
    hashes = {address_hash(address): address for address in addresses}
    suppressed = set(
        SuppressedAddress.objects.filter(email_hash__in=list(hashes)).values_list(
            "email_hash", flat=True
        )
    )
    remaining = [address for digest, address in hashes.items() if digest not in suppressed]
    pending = {
        email.lower()
        for email in Invitation.objects.filter(email__in=remaining, status__in=PENDING).values_list(
            "email", flat=True
        )
    }
    remaining = [address for address in remaining if address not in pending]
    members = {
        email.lower()
        for email in User.objects.filter(email__in=remaining).values_list("email", flat=True)
    }
    remaining = [address for address in remaining if address not in members]
    result = BatchResult(
        created=[],
        suppressed=len(suppressed),
        already_invited=len(pending),
        already_members=len(members),
    )
    if not remaining:
        return result
    since = timezone.now() - timedelta(hours=24)
    used = Invitation.objects.filter(inviter=locked, created_at__gte=since).count()
    left = max(organisation_get().invitations_per_day - used, 0)
    if len(remaining) > left:
        raise ValidationError(
            _("%(left)s Cette liste en compte %(count)d : retirez-en quelques-unes.")
            % {"left": _left_message(left), "count": len(remaining)}
        )
    link = link_get_or_create(owner=locked, goal=LinkGoal.JOIN, campaign=campaign)
    result.created = Invitation.objects.bulk_create(
        [
            Invitation(
                code=secrets.token_urlsafe(24),
                inviter=locked,
                email=address,
                message=message,
                link=link,
                campaign=campaign,
                status=InvitationStatus.QUEUED,
            )
            for address in remaining
        ]
    )
    ids = list(
        Invitation.objects.filter(
            inviter=locked, code__in=[invitation.code for invitation in result.created]
        ).values_list("pk", flat=True)
    )

    def enqueue() -> None:
        from .tasks import invitations_send

        try:
            invitations_send.enqueue(ids)
        except Exception:
            # The queue refused the batch: the retry job sends it within the hour.
            logger.exception("could not enqueue invitations %s", ids[:5])

    transaction.on_commit(enqueue)
    return result


def invitation_urls(invitation: Invitation) -> tuple[str, str]:
    return (
        absolute(reverse("capillarity:invitation", kwargs={"code": invitation.code})),
        absolute(reverse("capillarity:invitation_stop", kwargs={"code": invitation.code})),
    )


def invitation_email(invitation: Invitation) -> EmailMessage:
    """Build one invitation e-mail in the organisation's wording, with its way out."""
    organisation = organisation_get()
    accept_url, stop_url = invitation_urls(invitation)
    subject, text = share_texts_for([LinkGoal.JOIN])[(LinkGoal.JOIN, ShareChannel.EMAIL)]
    first_name = invitation.inviter.given_name or organisation.display_name
    body = render_to_string(
        "referrals/emails/invitation.txt",
        {
            "text": fill(text, url=accept_url, first_name=first_name),
            "message": invitation.message,
            "inviter": invitation.inviter,
            "organisation": organisation,
            "accept_url": accept_url,
            "stop_url": stop_url,
        },
    )
    return EmailMessage(
        subject=fill(subject, url=accept_url, first_name=first_name)
        or _("Une invitation de %(name)s") % {"name": first_name},
        body=body,
        to=[invitation.email],
        headers={
            # RFC 8058 one-click: mail clients POST to the address, no page, no token.
            "List-Unsubscribe": f"<{stop_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def invitations_send(*, invitation_ids: list[int]) -> int:
    """Send the queued invitations of a batch on one connection; return how many left."""
    invitations = list(
        Invitation.objects.select_related("inviter")
        .filter(pk__in=invitation_ids, status=InvitationStatus.QUEUED)
        .exclude(email="")
        .order_by("id")
    )
    if not invitations:
        return 0
    suppressed = set(
        SuppressedAddress.objects.filter(
            email_hash__in=[address_hash(invitation.email) for invitation in invitations]
        ).values_list("email_hash", flat=True)
    )
    sent = 0
    with get_connection() as connection:
        for invitation in invitations:
            if address_hash(invitation.email) in suppressed:
                # Asked in the meantime never to be contacted: nothing goes out.
                Invitation.objects.filter(pk=invitation.pk).update(
                    status=InvitationStatus.REFUSED, email=""
                )
                continue
            email = invitation_email(invitation)
            email.connection = connection
            try:
                email.send()
            except Exception:
                logger.exception("invitation %s could not be sent", invitation.pk)
                _sending_failed(invitation)
                continue
            Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.QUEUED).update(
                status=InvitationStatus.SENT, sent_at=timezone.now(), retry_at=None
            )
            sent += 1
    return sent


def _sending_failed(invitation: Invitation) -> None:
    """Plan another try after a failed sending, or give up after MAX_ATTEMPTS."""
    attempts = invitation.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        Invitation.objects.filter(pk=invitation.pk).update(
            status=InvitationStatus.FAILED, attempts=attempts, retry_at=None
        )
        return
    Invitation.objects.filter(pk=invitation.pk).update(
        attempts=attempts, retry_at=timezone.now() + RETRY_DELAYS[attempts - 1]
    )


def invitations_due_for_retry(*, now: datetime | None = None) -> list[int]:
    """Return the queued invitations to send again: failed tries now due, and lost batches.

    A batch is lost when its task never ran (queue down when the invitations were made):
    still queued, never tried, an hour after it was made.
    """
    now = now or timezone.now()
    return list(
        Invitation.objects.filter(status=InvitationStatus.QUEUED)
        .exclude(email="")
        .filter(
            Q(retry_at__lte=now)
            | Q(retry_at__isnull=True, attempts=0, created_at__lt=now - LOST_AFTER)
        )
        .order_by("id")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )


def invitations_retry(*, now: datetime | None = None) -> int:
    """Send again the invitations whose sending failed or was lost; return how many left."""
    return invitations_send(invitation_ids=invitations_due_for_retry(now=now))


def invitation_get(code: str) -> Invitation | None:
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,32}", code or ""):
        return None
    return Invitation.objects.select_related("inviter", "link").filter(code=code).first()


@transaction.atomic
def invitation_stop(*, code: str) -> bool:
    """Put the invitation's address on the suppression list and refuse its pending invitations."""
    invitation = Invitation.objects.select_for_update().filter(code=code).first()
    if invitation is None:
        raise ValidationError(_("Cette invitation n'existe pas."))
    if not invitation.email:
        # Already erased (expired or refused): nothing left to remember.
        return False
    digest = address_hash(invitation.email)
    SuppressedAddress.objects.get_or_create(email_hash=digest)
    Invitation.objects.filter(email__iexact=invitation.email, status__in=PENDING).update(
        status=InvitationStatus.REFUSED, email=""
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        status=InvitationStatus.REFUSED
        if invitation.status != InvitationStatus.ACCEPTED
        else invitation.status,
        email="",
    )
    return True


def invitations_expire(*, now: datetime | None = None) -> int:
    """Erase the addresses of invitations left unanswered past the retention period."""
    now = now or timezone.now()
    limit = now - timedelta(days=organisation_get().invitation_retention_days)
    return (
        Invitation.objects.filter(
            created_at__lt=limit,
            status__in=(*PENDING, InvitationStatus.FAILED),
        )
        .exclude(email="")
        .update(email="", status=InvitationStatus.EXPIRED)
    )


def invitations_accept_by_address(*, person: Person, email: str) -> int:
    """Mark the pending invitations to a new account's address accepted (link followed or not)."""
    if not email:
        return 0
    return Invitation.objects.filter(email__iexact=email.strip(), status__in=PENDING).update(
        status=InvitationStatus.ACCEPTED, accepted_at=timezone.now(), accepted_person=person
    )
