"""People API: the directory, read-only, for staff."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from essaim.accounts.policies import can

from .models import Person
from .selectors import person_directory

router = Router(tags=["people"])


class PersonOut(Schema):
    id: int
    given_name: str
    family_name: str
    email: str
    phone: str
    postal_code: str
    city: str
    roles: list[str]
    tags: list[str]
    newsletter_consent: bool
    created_at: datetime

    @staticmethod
    def resolve_tags(obj: Person) -> list[str]:
        return [tag.name for tag in obj.tags.all()]


def _require_view(request: HttpRequest) -> None:
    if not can(request.user, "people.view"):
        raise HttpError(403, gettext("Accès réservé à l'équipe de l'association."))


@router.get("/", response=list[PersonOut], summary="Liste des personnes")
@paginate(PageNumberPagination, page_size=50)
def people_list(request: HttpRequest, q: str = "", role: str = "", tag: str = "") -> object:
    _require_view(request)
    return person_directory(query=q[:200], role=role, tag=tag[:60])


@router.get("/{person_id}", response=PersonOut, summary="Une personne")
def people_detail(request: HttpRequest, person_id: int) -> Person:
    _require_view(request)
    return get_object_or_404(person_directory(), pk=person_id)
