"""Who may read and edit a practice sheet: the one door to the library.

A sheet of a secret circle does not exist for outsiders. A published "network" sheet is
read by everyone signed in (members, volunteers and sympathisers alike: know-how is meant
to spread); a "circle" sheet by the members of its circle. Drafts are for their author,
the circle's coordinators and administrators, who are also the sheet's editors.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from essaim.circles.models import Circle, Visibility
from essaim.circles.policies import (
    can_manage_circle,
    can_see_circle,
    circle_roles_of,
    coordinated_circle_ids,
    is_circle_admin,
    is_circle_member,
)

from .models import PracticeSheet, PracticeStatus, PracticeVisibility

User = Any  # an authenticated User or AnonymousUser


def _signed_in(user: User) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_author(user: User, sheet: PracticeSheet) -> bool:
    return (
        _signed_in(user)
        and sheet.author_id is not None
        and sheet.author is not None
        and sheet.author.user_id == user.pk
    )


def can_create_sheet(user: User) -> bool:
    """Everyone signed in may write down a practice (as a draft)."""
    return _signed_in(user)


def can_edit_sheet(user: User, sheet: PracticeSheet) -> bool:
    """The author, the coordinators of the sheet's circle and administrators edit a sheet."""
    if not _signed_in(user):
        return False
    if is_circle_admin(user):
        return True
    if sheet.circle is not None:
        if not can_see_circle(user, sheet.circle):
            return False
        if can_manage_circle(user, sheet.circle):
            return True
    return is_author(user, sheet)


def can_read_sheet(user: User, sheet: PracticeSheet) -> bool:
    if not _signed_in(user):
        return False
    if sheet.circle is not None and not can_see_circle(user, sheet.circle):
        return False
    if can_edit_sheet(user, sheet):
        return True
    if sheet.status != PracticeStatus.PUBLISHED:
        return False
    if sheet.visibility == PracticeVisibility.NETWORK:
        return True
    return sheet.circle is not None and is_circle_member(user, sheet.circle)


def can_comment_sheet(user: User, sheet: PracticeSheet) -> bool:
    """Readers comment and vote on published sheets; drafts are discussed elsewhere."""
    return sheet.status == PracticeStatus.PUBLISHED and can_read_sheet(user, sheet)


def _outside_hidden_circles(user: User) -> Q:
    # Secret circles are few: exclude them by id instead of joining every sheet to its circle.
    hidden = Circle.objects.filter(visibility=Visibility.SECRET).exclude(
        pk__in=list(circle_roles_of(user))
    )
    return Q(circle__isnull=True) | ~Q(circle_id__in=hidden.values("pk"))


def published_sheets_filter(user: User) -> Q:
    """Published sheets the user reads, as one condition (no per-row check)."""
    published = Q(status=PracticeStatus.PUBLISHED)
    if not _signed_in(user):
        return Q(pk__in=[])
    if is_circle_admin(user):
        return published
    mine = list(circle_roles_of(user))
    readable = Q(visibility=PracticeVisibility.NETWORK) | Q(circle_id__in=mine)
    return published & readable & _outside_hidden_circles(user)


def draft_sheets_filter(user: User) -> Q:
    """Drafts the user may edit: their own, their circles' (as coordinator), all for admins."""
    draft = Q(status=PracticeStatus.DRAFT)
    if not _signed_in(user):
        return Q(pk__in=[])
    if is_circle_admin(user):
        return draft
    editable = Q(author__user=user) | Q(circle_id__in=list(coordinated_circle_ids(user)))
    return draft & editable & _outside_hidden_circles(user)


def get_sheet_for_user(user: User, slug: str) -> PracticeSheet:
    """Return the sheet the user may read, or raise Http404 (same answer as a wrong address)."""
    sheet = (
        PracticeSheet.objects.select_related("circle", "author", "source_action")
        .filter(slug=slug)
        .first()
    )
    if sheet is None or not can_read_sheet(user, sheet):
        raise Http404
    return sheet


def get_editable_sheet(user: User, slug: str) -> PracticeSheet:
    """Return a sheet the user edits: 404 when they may not read it, 403 when only read it."""
    sheet = get_sheet_for_user(user, slug)
    if not can_edit_sheet(user, sheet):
        raise PermissionDenied
    return sheet
