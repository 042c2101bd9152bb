from __future__ import annotations

import pytest
from django.urls import reverse

from essaim.core.models import AuditLog
from essaim.core.services import audit_record
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def make_entries(n: int, action: str = "role.grant") -> None:
    actor = UserFactory()
    for index in range(n):
        audit_record(
            actor=actor,
            action=action,
            target=actor,
            details={"role": "treasurer", "email": f"n{index}@exemple.org"},
        )


def test_newest_first_with_readable_labels(admin_client):
    make_entries(1, "organisation.update")
    make_entries(1, "role.revoke")
    response = admin_client.get(reverse("core:audit"))
    labels = [row["label"] for row in response.context["entries"]]
    assert labels == ["Rôle retiré", "Paramètres de l'organisation modifiés"]
    table = response.content.decode().split("<tbody>")[1]
    assert "Rôle retiré" in table
    assert "Trésorier" in table  # the role code is shown by its label


def test_filter_by_action(admin_client):
    make_entries(2, "role.grant")
    make_entries(3, "role.revoke")
    response = admin_client.get(reverse("core:audit"), {"action": "role.revoke"})
    assert [row["entry"].action for row in response.context["entries"]] == ["role.revoke"] * 3


def test_unknown_filter_is_ignored(admin_client):
    make_entries(2)
    response = admin_client.get(reverse("core:audit"), {"action": "'; DROP TABLE x; --"})
    assert response.status_code == 200
    assert len(response.context["entries"]) == 2
    assert AuditLog.objects.count() == 2


def test_pagination(admin_client):
    make_entries(55)
    first = admin_client.get(reverse("core:audit"))
    assert len(first.context["entries"]) == 50
    second = admin_client.get(reverse("core:audit"), {"page": 2})
    assert len(second.context["entries"]) == 5
    beyond = admin_client.get(reverse("core:audit"), {"page": "abc"})
    assert beyond.status_code == 200


def test_pager_links_keep_the_action_filter(admin_client):
    make_entries(55, "role.grant")
    first = admin_client.get(reverse("core:audit"), {"action": "role.grant"}).content.decode()
    assert 'href="?action=role.grant&amp;page=2">Plus anciennes →</a>' in first
    second = admin_client.get(reverse("core:audit"), {"action": "role.grant", "page": 2})
    assert 'href="?action=role.grant&amp;page=1">← Plus récentes</a>' in second.content.decode()
    unfiltered = admin_client.get(reverse("core:audit")).content.decode()
    assert 'href="?page=2">Plus anciennes →</a>' in unfiltered


def test_htmx_request_gets_the_partial(admin_client):
    make_entries(1)
    response = admin_client.get(reverse("core:audit"), HTTP_HX_REQUEST="true")
    assert response.templates[0].name == "core/_audit_partial.html"
    assert "<html" not in response.content.decode()


def test_query_count_is_constant(admin_client, django_assert_num_queries):
    make_entries(3)
    admin_client.get(reverse("core:audit"))
    with django_assert_num_queries(7):  # 7th: unread-notification badge
        small = admin_client.get(reverse("core:audit"))
    make_entries(40)
    with django_assert_num_queries(7):
        large = admin_client.get(reverse("core:audit"))
    assert len(small.context["entries"]) == 3
    assert len(large.context["entries"]) == 43


def test_django_admin_shows_the_log_read_only(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    make_entries(2)
    client.force_login(superuser)
    entry = AuditLog.objects.first()
    assert entry is not None
    assert client.get(reverse("admin:core_auditlog_changelist")).status_code == 200
    client.post(reverse("admin:core_auditlog_delete", args=[entry.pk]), {"post": "yes"})
    assert AuditLog.objects.count() == 2
