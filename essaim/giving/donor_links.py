"""Signed links that let a donor act without an account (in every email Essaim sends them).

The donor-space link carries the person's id and e-mail, signed, and expires; the
monthly-gift link names the schedule by its random code and is signed too, and does not
expire (an old email must always let a donor stop giving).
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing

from essaim.core.http import absolute_url
from essaim.people.models import Person

from .models import RecurringGift

DONOR_SALT = "essaim.giving.donor"
RECURRING_SALT = "essaim.giving.recurring"
DONOR_LINK_MAX_AGE = timedelta(days=30)


def donor_token(person: Person) -> str:
    return signing.dumps({"p": person.pk, "e": person.email.lower()}, salt=DONOR_SALT)


def donor_from_token(token: str) -> Person | None:
    """Return the person a donor-space token names, or None (forged, expired, e-mail changed)."""
    try:
        value = signing.loads(token, salt=DONOR_SALT, max_age=DONOR_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("p"), int):
        return None
    person = Person.objects.filter(pk=value["p"], erased_at__isnull=True).first()
    if person is None or person.email.lower() != value.get("e"):
        return None
    return person


def donor_space_url(person: Person) -> str:
    """Return the full address of the person's donor space, signed for them."""
    from django.urls import reverse

    return absolute_url(reverse("donor:signed", kwargs={"token": donor_token(person)}))


def recurring_token(recurring: RecurringGift) -> str:
    return signing.Signer(salt=RECURRING_SALT).sign(recurring.code)


def recurring_from_token(token: str) -> RecurringGift | None:
    try:
        code = signing.Signer(salt=RECURRING_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return RecurringGift.objects.select_related("person", "page").filter(code=code).first()


def recurring_manage_url(recurring: RecurringGift) -> str:
    """Return the full address where the donor pauses, resumes or stops a monthly gift."""
    from django.urls import reverse

    return absolute_url(reverse("donor:recurring", kwargs={"token": recurring_token(recurring)}))
