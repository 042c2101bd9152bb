"""Who may do what: every access rule of Essaim is decided here.

Views call :func:`can` (or the :func:`require` decorator); templates read the
navigation built by :func:`navigation_for`. A rule is a permission name mapped to
the staff roles that hold it; superusers hold every permission.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Role, RoleGrant

ADMIN, TREASURER, COMMUNICATION, COORDINATOR = (
    Role.ADMIN,
    Role.TREASURER,
    Role.COMMUNICATION,
    Role.COORDINATOR,
)
STAFF_ROLES = frozenset(Role.values)

PERMISSIONS: dict[str, frozenset[str]] = {
    # The people directory: any staff member reads it.
    "people.view": frozenset({ADMIN, TREASURER, COMMUNICATION, COORDINATOR}),
    "people.edit": frozenset({ADMIN, COMMUNICATION, COORDINATOR}),
    "people.export": frozenset({ADMIN, TREASURER, COMMUNICATION}),
    "people.import": frozenset({ADMIN, COMMUNICATION}),
    # Merging and erasing people are irreversible: administrators only.
    "people.merge": frozenset({ADMIN}),
    "people.erase": frozenset({ADMIN}),
    "organisation.edit": frozenset({ADMIN}),
    "roles.manage": frozenset({ADMIN}),
    "audit.view": frozenset({ADMIN}),
    # The public site: articles, stories and their consents, fixed pages.
    "blog.write": frozenset({ADMIN, COMMUNICATION}),
    # Capillarity: the whole referral network (read), correcting a referrer, campaigns
    # and the ready-to-share wording.
    "network.view": frozenset({ADMIN, COMMUNICATION, COORDINATOR}),
    "referral.correct": frozenset({ADMIN}),
    "campaigns.manage": frozenset({ADMIN, COMMUNICATION}),
    "share_texts.edit": frozenset({ADMIN, COMMUNICATION}),
    # Giving: gifts, offline gifts, reconciliation and exports; tax receipts; the giving
    # pages and the excuses journey (their wording is communication's work too).
    "giving.manage": frozenset({ADMIN, TREASURER}),
    "receipts.manage": frozenset({ADMIN, TREASURER}),
    "giving.pages": frozenset({ADMIN, TREASURER, COMMUNICATION}),
}

User = Any  # an authenticated User or AnonymousUser


def roles_of(user: User) -> frozenset[str]:
    """Return the staff roles of a user, read once per request."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_essaim_roles", None)
    if cached is None:
        cached = frozenset(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
        user._essaim_roles = cached
    return cast(frozenset[str], cached)


def forget_roles(user: User) -> None:
    if hasattr(user, "_essaim_roles"):
        del user._essaim_roles


def is_staff_member(user: User) -> bool:
    return bool(
        user is not None and user.is_authenticated and (user.is_superuser or roles_of(user))
    )


def can(user: User, permission: str) -> bool:
    """Tell whether the user holds a permission."""
    if permission not in PERMISSIONS:
        raise KeyError(f"Unknown permission {permission!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(roles_of(user) & PERMISSIONS[permission])


F = TypeVar("F", bound=Callable[..., HttpResponse])


def require(permission: str) -> Callable[[F], F]:
    """Send anonymous visitors to the login page and refuse others without the permission."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return cast(F, wrapper)

    return decorator


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    key: str


def navigation_for(user: User | AnonymousUser | None) -> list[NavItem]:
    """Return the main navigation entries the user may follow."""
    items = [NavItem(str(_("Accueil")), reverse("core:home"), "home")]
    if user is None or not user.is_authenticated:
        return items
    items.append(NavItem(str(_("Cercles")), reverse("circles:list"), "circles"))
    items.append(NavItem(str(_("Actions")), reverse("actions:list"), "actions"))
    items.append(NavItem(str(_("Pratiques")), reverse("practices:list"), "practices"))
    items.append(NavItem(str(_("Parrainage")), reverse("referrals:links"), "referrals"))
    if can(user, "network.view"):
        items.append(NavItem(str(_("Réseau")), reverse("network:overview"), "network"))
    if can(user, "blog.write"):
        items.append(NavItem(str(_("Rédaction")), reverse("writing:dashboard"), "writing"))
    if can(user, "people.view"):
        items.append(NavItem(str(_("Personnes")), reverse("people:directory"), "people"))
    if can(user, "giving.manage"):
        items.append(NavItem(str(_("Trésorerie")), reverse("treasury:dashboard"), "treasury"))
    elif can(user, "giving.pages"):
        items.append(NavItem(str(_("Collecte")), reverse("giving_pages:list"), "giving_pages"))
    from essaim.blog.public import public_reverse

    # What visitors see: the blog, in the person's language.
    items.append(NavItem(str(_("Site public")), public_reverse("index"), "public"))
    if can(user, "organisation.edit"):
        items.append(NavItem(str(_("Organisation")), reverse("core:organisation"), "organisation"))
    items.append(NavItem(str(_("Mes dons")), reverse("donor:home"), "donor"))
    items.append(NavItem(str(_("Mon profil")), reverse("accounts:profile"), "profile"))
    return items
