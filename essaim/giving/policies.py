"""Who may see which gift: a donor sees only their own gifts, schedules and receipts.

A donor is known either by their account (the Person linked to the signed-in user) or by
the signed link e-mailed to them (``donor:signed``), which opens their space for a while
in this browser (a session flag that expires).
"""

from __future__ import annotations

import time

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from essaim.people.models import Person

from .models import Donation, Receipt, RecurringGift

SESSION_KEY = "essaim_giving_donor"
SESSION_SECONDS = 2 * 60 * 60


def donor_session_open(request: HttpRequest, person: Person) -> None:
    """Remember in this browser's session that it may see this person's gifts, for a while."""
    # A new session key, as at any sign-in: a session id planted beforehand learns nothing.
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"p": person.pk, "until": int(time.time()) + SESSION_SECONDS}


def donor_session_close(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def donor_for_request(request: HttpRequest) -> Person | None:
    """Return the donor this request speaks for: the account's person, else the signed session."""
    user = request.user
    if user.is_authenticated:
        person = Person.objects.filter(user=user, erased_at__isnull=True).first()
        if person is not None:
            return person
    value = request.session.get(SESSION_KEY)
    if not isinstance(value, dict) or not isinstance(value.get("p"), int):
        return None
    if int(value.get("until", 0)) < time.time():
        donor_session_close(request)
        return None
    return Person.objects.filter(pk=value["p"], erased_at__isnull=True).first()


def _not_found() -> Http404:
    return Http404(_("Ce don n'existe pas ou ne vous concerne pas."))


def get_donation_for_donor(person: Person, code: str) -> Donation:
    """Return one of the person's gifts by code, or 404."""
    donation = Donation.objects.filter(person=person, code=code).first()
    if donation is None:
        raise _not_found()
    return donation


def get_recurring_for_donor(person: Person, code: str) -> RecurringGift:
    """Return one of the person's monthly gifts by code, or 404."""
    recurring = (
        RecurringGift.objects.select_related("page").filter(person=person, code=code).first()
    )
    if recurring is None:
        raise _not_found()
    return recurring


def get_receipt_for_donor(person: Person, code: str) -> Receipt:
    """Return one of the person's receipts by code, or 404."""
    receipt = Receipt.objects.filter(person=person, code=code).first()
    if receipt is None:
        raise _not_found()
    return receipt
