"""allauth adapters: the organisation's name in emails, and Person kept in step with the login.

allauth announces a changed address with the ``email_changed`` signal, but Essaim keeps
domain writes out of signals (DESIGN.md): the account adapter's ``confirm_email`` is the
one place every confirmation goes through, so the Person's address is synced there, in
the same transaction as the confirmation.
"""

from __future__ import annotations

from email.utils import formataddr, parseaddr
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from essaim.core.selectors import organisation_get
from essaim.people.models import Person
from essaim.people.services import person_update

from .models import User


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = self.request
        # Links in the email use the address the visitor is on; the signature matches them.
        site_url = request.build_absolute_uri("/") if request is not None else settings.SITE_URL
        super().send_mail(
            template_prefix,
            email,
            {**context, "organisation": organisation_get(), "site_url": site_url},
        )

    def format_email_subject(self, subject: str) -> str:
        return f"[{organisation_get().display_name}] {subject}"

    def get_from_email(self) -> str:
        # Members recognise their association's name, not the software's.
        _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
        return formataddr((organisation_get().display_name, address or "ne-pas-repondre@localhost"))

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        with transaction.atomic():
            confirmed = super().confirm_email(request, email_address)
            if confirmed:
                person_sync_login_email(user_id=email_address.user_id)
        return confirmed


def person_sync_login_email(*, user_id: int) -> Person | None:
    """Copy the account's confirmed primary address onto its Person."""
    user = User.objects.get(pk=user_id)
    person = Person.objects.filter(user=user).first()
    if person is None or not user.email or person.email == user.email:
        return person
    return person_update(actor=user, person=person, data={"email": user.email})


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_issuer(self) -> str:
        # The name shown in the authenticator app: the association, which members know.
        return organisation_get().display_name
