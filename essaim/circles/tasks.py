"""Background tasks for circles: emails about requests and invitations."""

from __future__ import annotations

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django_tasks import task

from essaim.core.selectors import organisation_get


@task()
def send_circle_email(to: str, subject: str, body: str) -> None:
    """Send one plain-text email in the association's name."""
    organisation = organisation_get()
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    sender = formataddr((organisation.display_name, address or "ne-pas-repondre@localhost"))
    EmailMessage(
        subject=f"[{organisation.display_name}] {subject}",
        body=body,
        from_email=sender,
        to=[to],
    ).send()
