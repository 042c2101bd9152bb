"""The Django admin shows the blog read-only (writing goes through the services)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from essaim.accounts.models import User
from tests.blog.factories import ArticleFactory, BlogImageFactory, CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    superuser = User.objects.create_superuser("technique@exemple.org", "mot-de-passe-solide-42")
    client.force_login(superuser)
    return client


def test_blog_admin_lists_and_shows_but_does_not_edit(superuser_client):
    article = ArticleFactory(category=CategoryFactory(), cover=BlogImageFactory())
    for name in ("article", "category", "tag", "blogimage", "articleslugredirect"):
        response = superuser_client.get(reverse(f"admin:blog_{name}_changelist"))
        assert response.status_code == 200, name
    change = reverse("admin:blog_article_change", args=[article.pk])
    page = superuser_client.get(change)
    assert page.status_code == 200
    assert article.title in page.content.decode()
    assert superuser_client.get(reverse("admin:blog_article_add")).status_code == 403
    response = superuser_client.post(change, {"title": "Piraté"})
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.title != "Piraté"
