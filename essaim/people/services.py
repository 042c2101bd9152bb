"""Writes for people."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from essaim.accounts.models import User

from .models import Person, Source, Tag

EDITABLE_FIELDS = (
    "given_name",
    "family_name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "is_member",
    "is_volunteer",
    "is_donor",
    "is_sympathiser",
    "source",
    "source_detail",
    "last_contact_at",
    "notes",
)


def _apply_consent(person: Person, consent: bool, proof: str) -> None:
    if consent and not person.newsletter_consent:
        person.newsletter_consent = True
        person.newsletter_consent_at = timezone.now()
        person.newsletter_consent_proof = proof[:255]
    elif not consent and person.newsletter_consent:
        person.newsletter_consent = False
        person.newsletter_consent_at = timezone.now()
        person.newsletter_consent_proof = proof[:255]


@transaction.atomic
def person_create(
    *,
    actor: User | None,
    data: dict[str, Any],
    tags: list[Tag] | None = None,
    newsletter_consent: bool = False,
    consent_proof: str = "",
) -> Person:
    """Create a person from validated data."""
    person = Person(**{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    _apply_consent(person, newsletter_consent, consent_proof)
    person.refresh_search_text()
    person.full_clean(exclude=["user"])
    person.save()
    if tags:
        person.tags.set(tags)
    return person


@transaction.atomic
def person_update(
    *,
    actor: User | None,
    person: Person,
    data: dict[str, Any],
    newsletter_consent: bool | None = None,
    consent_proof: str = "",
) -> Person:
    """Save changes to a person's details."""
    for field, value in data.items():
        if field in EDITABLE_FIELDS:
            setattr(person, field, value)
    if newsletter_consent is not None:
        _apply_consent(person, newsletter_consent, consent_proof)
    person.refresh_search_text()
    person.full_clean(exclude=["user"])
    person.save()
    return person


@transaction.atomic
def person_set_tags(*, actor: User | None, person: Person, names: list[str]) -> list[Tag]:
    """Replace a person's tags, creating the tags that do not exist yet."""
    cleaned = sorted({name.strip()[:60] for name in names if name.strip()}, key=str.lower)
    tags = [Tag.objects.get_or_create(name=name)[0] for name in cleaned]
    person.tags.set(tags)
    return tags


@transaction.atomic
def person_ensure_for_user(
    *,
    user: User,
    given_name: str = "",
    family_name: str = "",
    newsletter_consent: bool = False,
    consent_proof: str = "",
) -> Person:
    """Link an account to its person, creating a sympathiser if there is none."""
    existing = Person.objects.select_for_update().filter(user=user).first()
    if existing is not None:
        return existing
    person = Person(
        user=user,
        email=user.email,
        given_name=given_name,
        family_name=family_name,
        is_sympathiser=True,
        source=Source.WEBSITE,
    )
    _apply_consent(person, newsletter_consent, consent_proof)
    person.refresh_search_text()
    person.save()
    return person


def person_touch(*, person: Person) -> None:
    """Record that the association was in touch with a person now."""
    Person.objects.filter(pk=person.pk).update(last_contact_at=timezone.now())
