"""Writes for people."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.accounts.models import User
from essaim.core.models import AuditLog
from essaim.core.services import audit_record

from .models import ROLE_FIELDS, Person, Source, Tag

# Stored in place of an erased person's name: data, not interface, so it stays in French.
ERASED_NAME = "Personne effacée"

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
    tag_names: list[str] | None = None,
) -> Person:
    """Create a person from validated data."""
    person = Person(**{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    _apply_consent(person, newsletter_consent, consent_proof)
    person.refresh_search_text()
    person.full_clean(exclude=["user"])
    person.save()
    _tally_presence(person, 1)
    if tags:
        person.tags.set(tags)
    if tag_names is not None:
        person_set_tags(actor=actor, person=person, names=tag_names)
    return person


@transaction.atomic
def _save_details(person: Person) -> None:
    """Save a person without the referral tree's fields (kept by essaim.referrals.tree).

    The instance may have been read before someone joined below this person: a full
    save() would write back the old path and counts.
    """
    from essaim.referrals.tree import TREE_FIELDS

    person.save(
        update_fields=[
            field.name
            for field in Person._meta.concrete_fields
            if not field.primary_key and field.name not in TREE_FIELDS
        ]
    )


def person_update(
    *,
    actor: User | None,
    person: Person,
    data: dict[str, Any],
    newsletter_consent: bool | None = None,
    consent_proof: str = "",
    tag_names: list[str] | None = None,
) -> Person:
    """Save changes to a person's details."""
    for name, value in data.items():
        if name in EDITABLE_FIELDS:
            setattr(person, name, value)
    if newsletter_consent is not None:
        _apply_consent(person, newsletter_consent, consent_proof)
    person.refresh_search_text()
    person.full_clean(exclude=["user"])
    _save_details(person)
    if tag_names is not None:
        person_set_tags(actor=actor, person=person, names=tag_names)
    return person


@transaction.atomic
def person_set_tags(*, actor: User | None, person: Person, names: list[str]) -> list[Tag]:
    """Replace a person's tags, creating the tags that do not exist yet."""
    wanted: dict[str, str] = {}
    for name in names:
        name = " ".join(name.split())[:60]
        if name:
            wanted.setdefault(name.lower(), name)
    # Reuse an existing tag whatever its case, so "lyon" does not split "Lyon" in two.
    existing = {tag.name.lower(): tag for tag in Tag.objects.filter(name__in=wanted.values())}
    tags = []
    for key, name in sorted(wanted.items()):
        tag = existing.get(key) or Tag.objects.filter(name__iexact=name).first()
        tags.append(tag or Tag.objects.create(name=name))
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
    _tally_presence(person, 1)
    return person


def _tally_presence(person: Person, sign: int) -> None:
    """Count a person in (1) or out of (-1) the network's figures (arrivals by month...)."""
    from essaim.referrals.tally import person_presence, tally_add

    tally_add(person_presence(person, sign))


def person_touch(*, person: Person) -> None:
    """Record that the association was in touch with a person now."""
    Person.objects.filter(pk=person.pk).update(last_contact_at=timezone.now())


# --- Merge -----------------------------------------------------------------------------

# Fields copied from the duplicate when the kept person has them empty.
MERGE_FILLED_FIELDS = (
    "given_name",
    "family_name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "source_detail",
)


@dataclass
class MergePlan:
    """What a merge would produce, computed without writing anything."""

    values: dict[str, Any]
    filled: list[str]
    tag_names: list[str]
    move_account: bool
    errors: list[str] = field(default_factory=list)


def _has_proof(person: Person) -> bool:
    return bool(person.newsletter_consent and person.newsletter_consent_proof)


def person_merge_plan(*, keep: Person, duplicate: Person) -> MergePlan:
    """Compute the merged person and the reasons a merge is refused, without saving."""
    errors: list[str] = []
    if keep.pk == duplicate.pk:
        errors.append(_("Une fiche ne peut pas être fusionnée avec elle-même."))
    if keep.erased_at or duplicate.erased_at:
        errors.append(_("Une fiche effacée ne peut pas être fusionnée."))
    if keep.user_id and duplicate.user_id:
        errors.append(
            _(
                "Les deux fiches ont chacune un compte : une personne ne peut avoir qu'un compte. "
                "Désactivez d'abord l'un des deux comptes, puis recommencez."
            )
        )
    values: dict[str, Any] = {}
    filled: list[str] = []
    for name in MERGE_FILLED_FIELDS:
        mine, theirs = getattr(keep, name), getattr(duplicate, name)
        if not mine and theirs:
            filled.append(name)
        values[name] = mine or theirs
    for role_field, _role in ROLE_FIELDS:
        values[role_field] = getattr(keep, role_field) or getattr(duplicate, role_field)
    # Notes are free text written by the team: keep both rather than lose one.
    if keep.notes and duplicate.notes and duplicate.notes not in keep.notes:
        values["notes"] = f"{keep.notes}\n\n{duplicate.notes}"
    else:
        values["notes"] = keep.notes or duplicate.notes
    values["created_at"] = min(keep.created_at, duplicate.created_at)
    contacts = [d for d in (keep.last_contact_at, duplicate.last_contact_at) if d]
    values["last_contact_at"] = max(contacts) if contacts else None
    # A consent backed by a proof beats one without; otherwise the kept person's stands.
    consent_from = duplicate if _has_proof(duplicate) and not _has_proof(keep) else keep
    values["newsletter_consent"] = consent_from.newsletter_consent
    values["newsletter_consent_at"] = consent_from.newsletter_consent_at
    values["newsletter_consent_proof"] = consent_from.newsletter_consent_proof
    names = {t.name for t in keep.tags.all()} | {t.name for t in duplicate.tags.all()}
    return MergePlan(
        values=values,
        filled=filled,
        tag_names=sorted(names, key=str.lower),
        move_account=bool(duplicate.user_id and not keep.user_id),
        errors=errors,
    )


def _move_relations(*, keep: Person, duplicate: Person) -> None:
    """Point every row that references the duplicate (gifts, registrations…) to the kept person."""
    for relation in Person._meta.related_objects:
        if relation.many_to_many or not relation.one_to_many:
            continue
        related_model: Any = relation.related_model
        related_model._base_manager.filter(**{relation.field.name: duplicate}).update(
            **{relation.field.name: keep}
        )


@transaction.atomic
def person_merge(*, actor: User | None, keep: Person, duplicate: Person) -> Person:
    """Merge a duplicate into the kept person, then delete the duplicate."""
    locked = {
        p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[keep.pk, duplicate.pk])
    }
    if keep.pk not in locked or duplicate.pk not in locked:
        raise ValidationError(_("Cette fiche n'existe plus : elle a peut-être déjà été fusionnée."))
    keep, duplicate = locked[keep.pk], locked[duplicate.pk]
    plan = person_merge_plan(keep=keep, duplicate=duplicate)
    if plan.errors:
        raise ValidationError(plan.errors)
    summary = {
        "kept_id": keep.pk,
        "kept_name": str(keep),
        "duplicate_id": duplicate.pk,
        "duplicate_name": str(duplicate),
        "filled": plan.filled,
        "account_moved": plan.move_account,
    }
    user = duplicate.user
    tags = list(Tag.objects.filter(name__in=plan.tag_names))
    # The referral tree first: its paths and cached counts must follow (a plain UPDATE of
    # referred_by would leave them stale, or even close a loop).
    from essaim.referrals.tree import TREE_FIELDS, referral_merge

    referral_merge(keep=keep, duplicate=duplicate)
    _move_relations(keep=keep, duplicate=duplicate)
    # The duplicate leaves the figures as it stands now (the tree merge detached it).
    _tally_presence(Person.objects.get(pk=duplicate.pk), -1)
    duplicate.delete()
    keep.refresh_from_db(fields=list(TREE_FIELDS))
    _tally_presence(keep, -1)
    for name, value in plan.values.items():
        setattr(keep, name, value)
    if plan.move_account:
        keep.user = user
    keep.refresh_search_text()
    keep.save()
    # created_at is auto_now_add: save() keeps our value, but make the intent explicit.
    Person.objects.filter(pk=keep.pk).update(created_at=plan.values["created_at"])
    keep.created_at = plan.values["created_at"]
    _tally_presence(keep, 1)
    keep.tags.set(tags)
    audit_record(actor=actor, action="person.merge", target=keep, details=summary)
    return keep


# --- Erasure (RGPD) --------------------------------------------------------------------


def _unusable_email() -> str:
    # .invalid is reserved (RFC 2606): no mail can ever be delivered there.
    return f"efface-{secrets.token_hex(12)}@compte-efface.invalid"


def _scrub(value: Any, secrets_to_hide: set[str]) -> Any:
    if isinstance(value, str):
        return ERASED_NAME if value in secrets_to_hide else value
    if isinstance(value, list):
        return [_scrub(item, secrets_to_hide) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, secrets_to_hide) for key, item in value.items()}
    return value


@transaction.atomic
def person_erase(*, actor: User | None, person: Person) -> Person:
    """Erase a person's personal data (RGPD right to erasure) and close their account."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.erased_at is not None:
        raise ValidationError(_("Cette fiche est déjà effacée."))
    if actor is not None and person.user_id is not None and person.user_id == actor.pk:
        raise ValidationError(
            _("Vous ne pouvez pas effacer votre propre fiche : demandez à un autre administrateur.")
        )
    hidden = {v for v in (str(person), person.full_name, person.email) if v}
    _tally_presence(person, -1)
    story_ids = _withdraw_story_consents(actor=actor, person=person)
    if story_ids:
        # The withdrawal's audit rows name the person on the story: keep the facts only.
        targets_story = Q(
            action__startswith="story_consent.",
            target_type="blog.story",
            target_id__in=[str(pk) for pk in story_ids],
        )
    user = person.user
    targets = Q(target_type=Person._meta.label_lower, target_id=str(person.pk))
    if story_ids:
        targets |= targets_story
    if user is not None:
        hidden.add(user.email)
        targets |= Q(target_type=user._meta.label_lower, target_id=str(user.pk))
        _close_account(actor=actor, user=user)
    for name in (
        "given_name",
        "email",
        "phone",
        "address_line1",
        "address_line2",
        "postal_code",
        "city",
        "source_detail",
        "notes",
        "newsletter_consent_proof",
    ):
        setattr(person, name, "")
    person.family_name = ERASED_NAME
    person.newsletter_consent = False
    person.newsletter_consent_at = None
    person.last_contact_at = None
    person.user = None
    person.erased_at = timezone.now()
    person.search_text = ""
    _save_details(person)
    person.tags.clear()
    # Earlier audit rows name the person or their account: keep the facts, drop the identity.
    for row in AuditLog.objects.filter(targets):
        row.target_label = ERASED_NAME
        row.details = _scrub(row.details, hidden)
        row.save(update_fields=["target_label", "details"])
    audit_record(
        actor=actor,
        action="person.erase",
        target=person,
        details={"person_id": person.pk, "account_closed": user is not None},
    )
    return person


def _withdraw_story_consents(*, actor: User | None, person: Person) -> set[int]:
    """Withdraw the consents a person gave to appear in stories; return the stories' ids.

    Erasure is also a withdrawal: each story showing the person leaves the public site at
    once (the story service unpublishes it and alerts the communication staff).
    """
    from essaim.blog.stories import consent_withdraw

    story_ids: set[int] = set()
    for consent in person.story_consents.all():
        if consent.withdrawn_at is None:
            consent_withdraw(
                actor=actor,
                consent=consent,
                note=str(_("Fiche effacée à la demande de la personne (droit à l'effacement).")),
            )
        story_ids.add(consent.story_id)
    person.story_consents.update(featured_name=ERASED_NAME, person=None)
    return story_ids


def _close_account(*, actor: User | None, user: User) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from essaim.accounts.services import RoleChangeRefused, role_revoke

    # Through the accounts service: it keeps the last administrator and audits each revocation.
    for grant in list(user.role_grants.all()):
        try:
            role_revoke(actor=actor, grant=grant)
        except RoleChangeRefused as refused:
            raise ValidationError(refused.message) from refused
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.email = _unusable_email()
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
