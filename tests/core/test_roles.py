from __future__ import annotations

import html

import pytest
from django.urls import reverse

from essaim.accounts import policies
from essaim.accounts.models import Role, RoleGrant
from essaim.accounts.services import RoleChangeRefused, role_grant, role_revoke
from essaim.core.models import AuditLog
from tests.accounts.factories import RoleGrantFactory, UserFactory
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_grant_by_email_writes_audit_and_changes_access(admin_client, admin_user):
    user = UserFactory(email="Lea.Dubois@Exemple.org".lower())
    response = admin_client.post(
        reverse("core:roles"), {"email": "LEA.DUBOIS@exemple.org", "role": "treasurer"}
    )
    assert response.status_code == 302
    assert RoleGrant.objects.filter(user=user, role=Role.TREASURER, granted_by=admin_user).exists()
    entry = AuditLog.objects.get(action="role.grant")
    assert entry.actor == admin_user
    assert entry.details == {"role": "treasurer", "email": user.email}
    assert policies.can(user, "people.export")


def test_unknown_email_gets_clear_message_and_changes_nothing(admin_client):
    grants = RoleGrant.objects.count()
    response = admin_client.post(
        reverse("core:roles"), {"email": "personne@inconnu.org", "role": "admin"}
    )
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "Aucun compte n'utilise l'adresse personne@inconnu.org" in page
    assert RoleGrant.objects.count() == grants
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"email": "pas-une-adresse", "role": "admin"},
        {"email": "", "role": "admin"},
        {"email": "x@exemple.org", "role": "superpouvoir"},
        {"email": "<script>alert(1)</script>@x.org", "role": "admin"},
    ],
)
def test_bad_grant_input_changes_nothing(admin_client, data):
    UserFactory(email="x@exemple.org")
    grants = RoleGrant.objects.count()
    response = admin_client.post(reverse("core:roles"), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert RoleGrant.objects.count() == grants


def test_granting_a_role_twice_is_refused_clearly(admin_client):
    grant = RoleGrantFactory(role=Role.COMMUNICATION)
    response = admin_client.post(
        reverse("core:roles"), {"email": grant.user.email, "role": "communication"}
    )
    assert response.status_code == 200
    assert "a déjà le rôle « Communication »" in html.unescape(response.content.decode())
    assert RoleGrant.objects.filter(user=grant.user).count() == 1


def test_revoke_asks_confirmation_then_revokes(admin_client, admin_user):
    grant = RoleGrantFactory(role=Role.COORDINATOR)
    url = reverse("core:role_revoke", kwargs={"grant_id": grant.pk})
    confirm = admin_client.get(url)
    assert "Oui, retirer le rôle" in confirm.content.decode()
    assert RoleGrant.objects.filter(pk=grant.pk).exists()
    response = admin_client.post(url)
    assert response.status_code == 302
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    entry = AuditLog.objects.get(action="role.revoke")
    assert entry.actor == admin_user
    assert entry.details["role"] == "coordinator"


def test_last_admin_cannot_revoke_own_role(admin_client, admin_user):
    grant = RoleGrant.objects.get(user=admin_user, role=Role.ADMIN)
    response = admin_client.post(
        reverse("core:role_revoke", kwargs={"grant_id": grant.pk}), follow=True
    )
    page = html.unescape(response.content.decode())
    assert "Vous êtes le dernier administrateur" in page
    assert RoleGrant.objects.filter(pk=grant.pk).exists()
    assert not AuditLog.objects.filter(action="role.revoke").exists()


def test_admin_may_leave_when_another_admin_remains(admin_client, admin_user):
    RoleGrantFactory(role=Role.ADMIN)
    grant = RoleGrant.objects.get(user=admin_user, role=Role.ADMIN)
    response = admin_client.post(reverse("core:role_revoke", kwargs={"grant_id": grant.pk}))
    assert response.status_code == 302
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    # The same request's user lost the right at once: the next page is refused.
    assert admin_client.get(reverse("core:roles")).status_code == 403


def test_services_forget_cached_roles_of_the_same_instance():
    actor = RoleGrantFactory(role=Role.ADMIN).user
    user = UserFactory()
    assert not policies.can(user, "people.view")  # caches an empty role set
    grant = role_grant(actor=actor, user=user, role=Role.COMMUNICATION)
    assert policies.can(user, "people.view")
    role_revoke(actor=actor, grant=grant)
    assert not policies.can(user, "people.view")


def test_service_refuses_unknown_role_and_inactive_account():
    user = UserFactory(is_active=False)
    with pytest.raises(RoleChangeRefused):
        role_grant(actor=None, user=user, role="admin")
    with pytest.raises(RoleChangeRefused):
        role_grant(actor=None, user=UserFactory(), role="gourou")
    assert not RoleGrant.objects.exists()


def test_role_list_query_count_is_constant(admin_client, django_assert_num_queries):
    def add(n: int) -> None:
        for _ in range(n):
            grant = RoleGrantFactory(role=Role.TREASURER)
            PersonFactory(user=grant.user, email=grant.user.email)

    add(2)
    admin_client.get(reverse("core:roles"))
    with django_assert_num_queries(5):  # 5th: unread-notification badge
        small = admin_client.get(reverse("core:roles"))
    add(20)
    with django_assert_num_queries(5):
        large = admin_client.get(reverse("core:roles"))
    assert large.content.decode().count('class="badge role"') == 23
    assert small.status_code == 200
