"""Reads for people."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from essaim.accounts.models import User

from .models import Person, Tag, fold


def person_for_user(user: User) -> Person | None:
    """Return the person linked to an account, if any."""
    return Person.objects.filter(user=user).first()


def person_directory(
    *, query: str = "", role: str = "", tag: str = "", include_erased: bool = False
) -> QuerySet[Person]:
    """Return the people matching a directory search, with their tags prefetched."""
    people = Person.objects.all()
    if not include_erased:
        people = people.filter(erased_at__isnull=True)
    for word in fold(query).split()[:6]:
        people = people.filter(search_text__contains=word)
    if role in {"member", "volunteer", "donor", "sympathiser"}:
        people = people.filter(**{f"is_{role}": True})
    if tag:
        people = people.filter(tags__name=tag)
    return people.prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))


def tag_list() -> QuerySet[Tag]:
    """Return all tags by name."""
    return Tag.objects.order_by("name")
