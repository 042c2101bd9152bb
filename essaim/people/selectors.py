"""Reads for people."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from essaim.accounts.models import User

from .models import Person, PersonRole, Tag, fold

DIRECTORY_ROLES = frozenset(PersonRole.values)
MAX_SEARCH_WORDS = 6


def person_for_user(user: User) -> Person | None:
    """Return the person linked to an account, if any."""
    return Person.objects.filter(user=user).first()


def _with_tags(people: QuerySet[Person]) -> QuerySet[Person]:
    return people.prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))


def person_directory(
    *, query: str = "", role: str = "", tag: str = "", include_erased: bool = False
) -> QuerySet[Person]:
    """Return the people matching a directory search, with their tags prefetched."""
    people = Person.objects.all()
    if not include_erased:
        people = people.filter(erased_at__isnull=True)
    for word in fold(query).split()[:MAX_SEARCH_WORDS]:
        people = people.filter(search_text__contains=word)
    if role in DIRECTORY_ROLES:
        people = people.filter(**{f"is_{role}": True})
    if tag:
        # Tags are typed by hand in the filter: "lyon" finds "Lyon".
        people = people.filter(tags__name__iexact=tag)
    # Sorted like the (family_name, given_name, id) index so a page reads a slice of it.
    return _with_tags(people.order_by("family_name", "given_name", "id"))


def person_get(*, pk: int) -> Person | None:
    """Return one person (erased ones too) with their account and tags."""
    return _with_tags(Person.objects.select_related("user").filter(pk=pk)).first()


def person_merge_candidates(
    *, person: Person, query: str = "", limit: int = 20
) -> tuple[list[Person], list[Person]]:
    """Return likely duplicates of a person (same email or name), then search matches."""
    base = Person.objects.filter(erased_at__isnull=True).exclude(pk=person.pk)
    same = Q(pk__in=[])
    if person.email:
        same |= Q(email__in={person.email, person.email.lower()})
    if person.given_name and person.family_name:
        same |= Q(given_name=person.given_name, family_name=person.family_name)
    likely = list(_with_tags(base.filter(same).select_related("user")).order_by("id")[:limit])
    found: list[Person] = []
    if fold(query):
        seen = [p.pk for p in likely]
        found = list(
            person_directory(query=query)
            .exclude(pk__in=[person.pk, *seen])
            .select_related("user")[:limit]
        )
    return likely, found


def tag_list() -> QuerySet[Tag]:
    """Return all tags by name."""
    return Tag.objects.order_by("name")
