"""Django admin for accounts (email logins, no username) and staff role grants."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from essaim.accounts.models import Role, RoleGrant, User
from essaim.core.models import AuditLog
from tests.accounts.factories import RoleGrantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    superuser = User.objects.create_superuser("technique@exemple.org", "mot-de-passe-solide-42")
    client.force_login(superuser)
    client.superuser = superuser
    return client


def test_admin_is_refused_to_non_staff(client, login_as):
    client.force_login(login_as("admin"))  # an Essaim administrator, not a Django staff user
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_user_list_and_search(superuser_client):
    UserFactory.create_batch(3)
    UserFactory(email="recherchee@exemple.org")
    response = superuser_client.get(reverse("admin:accounts_user_changelist"), {"q": "recherchee"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "recherchee@exemple.org" in html
    assert "personne0@exemple.org" not in html


def test_user_list_queries_do_not_grow_with_rows(superuser_client, django_assert_num_queries):
    UserFactory.create_batch(2)
    url = reverse("admin:accounts_user_changelist")
    superuser_client.get(url)
    with CaptureQueriesContext(connection) as few:
        superuser_client.get(url)
    UserFactory.create_batch(10)
    with django_assert_num_queries(len(few.captured_queries)):
        superuser_client.get(url)


def test_create_user_by_email(superuser_client):
    response = superuser_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Nouvelle@Exemple.org",
            "usable_password": "true",
            "password1": "Ruche-Solidaire-2025",
            "password2": "Ruche-Solidaire-2025",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="nouvelle@exemple.org")
    assert user.check_password("Ruche-Solidaire-2025")


def test_create_user_with_taken_email_is_refused(superuser_client):
    UserFactory(email="prise@exemple.org")
    response = superuser_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "PRISE@exemple.org",
            "usable_password": "true",
            "password1": "Ruche-Solidaire-2025",
            "password2": "Ruche-Solidaire-2025",
        },
    )
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="prise@exemple.org").count() == 1


def test_user_change_page(superuser_client):
    user = UserFactory()
    RoleGrantFactory(user=user, role=Role.TREASURER)
    response = superuser_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert response.status_code == 200
    assert "Trésorier" in response.content.decode()


def test_grant_role_through_admin_is_audited(superuser_client):
    user = UserFactory()
    response = superuser_client.post(
        reverse("admin:accounts_rolegrant_add"), {"user": user.pk, "role": Role.COMMUNICATION}
    )
    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=user)
    assert grant.role == Role.COMMUNICATION
    assert grant.granted_by == superuser_client.superuser
    entry = AuditLog.objects.get(action="role.grant")
    assert entry.actor == superuser_client.superuser
    assert entry.details["role"] == Role.COMMUNICATION


def test_duplicate_grant_is_refused(superuser_client):
    grant = RoleGrantFactory(role=Role.ADMIN)
    response = superuser_client.post(
        reverse("admin:accounts_rolegrant_add"), {"user": grant.user.pk, "role": Role.ADMIN}
    )
    assert response.status_code == 200
    assert RoleGrant.objects.filter(user=grant.user).count() == 1
    assert not AuditLog.objects.filter(action="role.grant").exists()


def test_last_admin_cannot_be_revoked_in_admin(superuser_client):
    grant = RoleGrantFactory(role=Role.ADMIN)
    response = superuser_client.post(
        reverse("admin:accounts_rolegrant_delete", args=[grant.pk]), {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert RoleGrant.objects.filter(pk=grant.pk).exists()
    assert "dernier administrateur" in response.content.decode()


def test_revoke_role_in_admin_is_audited(superuser_client):
    RoleGrantFactory(role=Role.ADMIN)
    grant = RoleGrantFactory(role=Role.TREASURER)
    superuser_client.post(
        reverse("admin:accounts_rolegrant_delete", args=[grant.pk]), {"post": "yes"}
    )
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    assert AuditLog.objects.filter(action="role.revoke").count() == 1


def test_role_grant_list_queries_do_not_grow_with_rows(superuser_client, django_assert_num_queries):
    url = reverse("admin:accounts_rolegrant_changelist")
    RoleGrantFactory.create_batch(2, role=Role.TREASURER)
    superuser_client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert superuser_client.get(url).status_code == 200
    RoleGrantFactory.create_batch(10, role=Role.COORDINATOR)
    with django_assert_num_queries(len(few.captured_queries)):
        superuser_client.get(url)


def test_role_for_an_inactive_account_is_refused(superuser_client):
    user = UserFactory(is_active=False)
    response = superuser_client.post(
        reverse("admin:accounts_rolegrant_add"), {"user": user.pk, "role": Role.TREASURER}
    )
    assert response.status_code == 200
    assert "Ce compte est désactivé" in response.content.decode()
    assert not RoleGrant.objects.filter(user=user).exists()
