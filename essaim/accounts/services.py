"""Writes for accounts: staff roles."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from essaim.core.services import audit_record

from . import policies
from .models import Role, RoleGrant, User


class RoleChangeRefused(Exception):
    """A role change that would break a rule; the message is meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@transaction.atomic
def role_grant(*, actor: User | None, user: User, role: str) -> RoleGrant:
    """Give a staff role to an account, once."""
    if role not in Role.values:
        raise RoleChangeRefused(_("Ce rôle n'existe pas."))
    if not user.is_active:
        raise RoleChangeRefused(
            _("Ce compte est désactivé : réactivez-le avant de lui confier un rôle.")
        )
    existing = RoleGrant.objects.filter(user=user, role=role).first()
    if existing is not None:
        raise RoleChangeRefused(
            _("%(email)s a déjà le rôle « %(role)s ».")
            % {"email": user.email, "role": Role(role).label}
        )
    grant = RoleGrant.objects.create(user=user, role=role, granted_by=actor)
    audit_record(
        actor=actor,
        action="role.grant",
        target=user,
        details={"role": role, "email": user.email},
    )
    policies.forget_roles(user)
    if actor is not None and actor.pk == user.pk:
        policies.forget_roles(actor)
    return grant


@transaction.atomic
def role_revoke(*, actor: User | None, grant: RoleGrant) -> None:
    """Take a staff role back, keeping at least one administrator."""
    locked = RoleGrant.objects.select_for_update().select_related("user").get(pk=grant.pk)
    if locked.role == Role.ADMIN:
        # Lock every admin grant so two revocations at once cannot remove the last two admins.
        admins = list(
            RoleGrant.objects.select_for_update()
            .filter(role=Role.ADMIN, user__is_active=True)
            .values_list("pk", flat=True)
        )
        if set(admins) <= {locked.pk}:
            if actor is not None and actor.pk == locked.user_id:
                message = _(
                    "Vous êtes le dernier administrateur : confiez d'abord ce rôle à une autre "
                    "personne avant de vous le retirer."
                )
            else:
                message = _(
                    "C'est le dernier administrateur : il doit toujours en rester au moins un."
                )
            raise RoleChangeRefused(message)
    user = locked.user
    role = locked.role
    locked.delete()
    audit_record(
        actor=actor,
        action="role.revoke",
        target=user,
        details={"role": role, "email": user.email},
    )
    policies.forget_roles(user)
    # The caller may hold the same account under another object (request.user).
    if actor is not None and actor.pk == user.pk:
        policies.forget_roles(actor)
    if RoleGrant.user.is_cached(grant):
        policies.forget_roles(grant.user)
