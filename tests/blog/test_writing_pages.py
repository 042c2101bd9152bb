"""Writing pages: dashboard, editor, previews, lifecycle buttons, versions, categories."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from essaim.blog import services
from essaim.blog.models import Article, ArticleSlugRedirect, Category, PublicationStatus
from tests.blog.factories import ArticleFactory, BlogImageFactory, CategoryFactory

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {"title": "Bilan de la collecte", "body": "Merci à tous.", "language": "fr"}
    data.update(overrides)
    return data


def test_dashboard_filters_searches_and_counts_queries(writer_client, django_assert_num_queries):
    category = CategoryFactory()
    ArticleFactory.create_batch(2, category=category)
    ArticleFactory(status=PublicationStatus.DRAFT, title="Brouillon secret")
    url = reverse("writing:dashboard")
    writer_client.get(url)
    with django_assert_num_queries(7) as first:
        response = writer_client.get(url)
    ArticleFactory.create_batch(10, category=category)
    ArticleFactory.create_batch(5, status=PublicationStatus.SCHEDULED)
    with django_assert_num_queries(len(first.captured_queries)):
        response = writer_client.get(url)
    assert response.content.decode().count("<tr>") == 1 + 18
    drafts = writer_client.get(url, {"etat": "draft"}).content.decode()
    assert "Brouillon secret" in drafts and "Article numéro" not in drafts
    found = writer_client.get(url, {"q": "secret"}).content.decode()
    assert "Brouillon secret" in found and found.count("<tr>") == 2


def test_dashboard_is_paginated(writer_client):
    ArticleFactory.create_batch(31)
    response = writer_client.get(reverse("writing:dashboard"))
    assert response.content.decode().count("<tr>") == 31
    assert "Page 1 sur 2" in response.content.decode()


def test_create_article_from_the_form(writer_client, writer):
    image = BlogImageFactory()
    category = CategoryFactory()
    response = writer_client.post(
        reverse("writing:article_create"),
        _form(tags="collecte, Bilan", category=category.pk, cover=image.pk, seo_title="Bilan"),
    )
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("writing:article_edit", kwargs={"pk": article.pk})
    assert article.slug == "bilan-de-la-collecte"
    assert article.status == PublicationStatus.DRAFT
    assert (article.category, article.cover, article.author) == (category, image, writer)
    assert sorted(article.tags.values_list("name", flat=True)) == ["Bilan", "collecte"]
    page = writer_client.get(response["Location"]).content.decode()
    assert "Brouillon enregistré" in page
    assert 'placeholder="Bilan de la collecte"' in page  # SEO title falls back to the title


def test_duplicate_slug_is_a_form_error(writer_client):
    ArticleFactory(title="Première collecte", slug="bilan")
    response = writer_client.post(reverse("writing:article_create"), _form(slug="bilan"))
    assert response.status_code == 400
    assert (
        "Cette adresse est déjà prise par l&#x27;article « Première collecte »."
        in response.content.decode()
    )
    assert Article.objects.count() == 1


def test_image_without_alt_is_a_form_error(writer_client):
    response = writer_client.post(
        reverse("writing:article_create"), _form(body="Voir ![](/media/blog/a.jpg)")
    )
    assert response.status_code == 400
    assert "/media/blog/a.jpg" in response.content.decode()
    assert not Article.objects.exists()


def test_preview_without_javascript_rerenders_the_form(writer_client):
    response = writer_client.post(
        reverse("writing:article_create"), _form(body="## Partie\n\n**fort**", preview="1")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h2>Partie</h2>" in page and "<strong>fort</strong>" in page
    assert not Article.objects.exists()


def test_live_preview_fragment(writer_client):
    response = writer_client.post(
        reverse("writing:preview"),
        {"body": "# Titre\n\n<script>alert(1)</script>[x](javascript:alert(1))"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Titre</h2>" in body
    assert "<script" not in body and 'href="javascript' not in body
    assert "<html" not in body
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    refused = writer_client.post(reverse("writing:preview"), {"body": "![](/media/a.jpg)"})
    assert "texte alternatif" in refused.content.decode()


def test_edit_changes_slug_and_public_old_address_redirects(writer_client, writer):
    article = services.article_create(actor=writer, data={"title": "Ancien titre", "body": "x"})
    services.article_publish(actor=writer, article=article)
    response = writer_client.post(
        reverse("writing:article_edit", kwargs={"pk": article.pk}),
        _form(title="Nouveau titre", slug="nouveau-titre"),
    )
    assert response.status_code == 302
    assert ArticleSlugRedirect.objects.get().slug == "ancien-titre"
    writer_client.logout()
    moved = writer_client.get("/blog/ancien-titre/")
    assert moved.status_code == 301
    assert moved["Location"] == "/blog/nouveau-titre/"


def test_publish_schedule_unpublish_buttons(writer_client, writer):
    article = ArticleFactory(status=PublicationStatus.DRAFT)
    edit = reverse("writing:article_edit", kwargs={"pk": article.pk})
    past = timezone.localtime(timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = writer_client.post(
        reverse("writing:article_schedule", kwargs={"pk": article.pk}),
        {"publish_at": past},
        follow=True,
    )
    assert "déjà passée" in response.content.decode()
    article.refresh_from_db()
    assert article.status == PublicationStatus.DRAFT
    future = timezone.localtime(timezone.now() + dt.timedelta(days=3)).replace(hour=9, minute=30)
    response = writer_client.post(
        reverse("writing:article_schedule", kwargs={"pk": article.pk}),
        {"publish_at": future.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    article.refresh_from_db()
    assert article.status == PublicationStatus.SCHEDULED
    assert timezone.localtime(article.publish_at).strftime("%H:%M") == "09:30"
    assert "09:30" in response.content.decode()
    writer_client.post(reverse("writing:article_publish", kwargs={"pk": article.pk}))
    article.refresh_from_db()
    assert article.status == PublicationStatus.PUBLISHED
    response = writer_client.post(
        reverse("writing:article_unpublish", kwargs={"pk": article.pk}), {"reason": ""}
    )
    assert response.status_code == 400
    assert "pourquoi" in response.content.decode()
    writer_client.post(
        reverse("writing:article_unpublish", kwargs={"pk": article.pk}),
        {"reason": "Photo sans autorisation"},
    )
    article.refresh_from_db()
    assert article.status == PublicationStatus.UNPUBLISHED
    page = writer_client.get(edit).content.decode()
    assert "Photo sans autorisation" in page
    # Refused transition: a clear message, nothing changed.
    response = writer_client.post(
        reverse("writing:article_unpublish", kwargs={"pk": article.pk}),
        {"reason": "Encore"},
    )
    assert response.status_code == 400
    assert "ne peut pas passer" in response.content.decode()


def test_staff_preview_of_a_draft(writer_client, client):
    article = ArticleFactory(status=PublicationStatus.DRAFT, title="Pas encore publié")
    response = writer_client.get(reverse("writing:article_preview", kwargs={"pk": article.pk}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Aperçu — non publié" in page and "Pas encore publié" in page
    assert "noindex" in page and response["X-Robots-Tag"] == "noindex, nofollow"
    assert "csrfmiddlewaretoken" not in page
    client.logout()
    assert client.get(f"/blog/{article.slug}/").status_code == 404


def test_revisions_diff_and_restore(writer_client, writer, django_assert_num_queries):
    article = services.article_create(
        actor=writer, data={"title": "Version un", "body": "Ligne A\nLigne B"}
    )
    for number in range(2, 6):
        services.article_update(
            actor=writer, article=article, data={"body": f"Ligne A\nLigne {number}"}
        )
    url = reverse("writing:article_revisions", kwargs={"pk": article.pk})
    writer_client.get(url)
    with django_assert_num_queries(7) as first:
        response = writer_client.get(url)
    for number in range(6, 12):
        services.article_update(actor=writer, article=article, data={"body": f"L{number}"})
    with django_assert_num_queries(len(first.captured_queries)):
        response = writer_client.get(url)
    assert response.content.decode().count("Comparer la version du") == 11
    oldest = article.revisions.order_by("created_at", "id").first()
    detail = writer_client.get(
        reverse("writing:revision_detail", kwargs={"pk": article.pk, "revision_id": oldest.pk})
    ).content.decode()
    assert "Retiré :</span> <del>L11</del>" in detail
    assert "Ajouté :</span> <ins>Ligne B</ins>" in detail
    response = writer_client.post(
        reverse("writing:revision_restore", kwargs={"pk": article.pk, "revision_id": oldest.pk})
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == "Ligne A\nLigne B"
    assert article.revisions.count() == 12


def test_revision_of_another_article_is_404(writer_client, writer):
    one = services.article_create(actor=writer, data={"title": "Un", "body": ""})
    two = services.article_create(actor=writer, data={"title": "Deux", "body": ""})
    url = reverse(
        "writing:revision_detail",
        kwargs={"pk": two.pk, "revision_id": one.revisions.get().pk},
    )
    assert writer_client.get(url).status_code == 404


def test_categories_page(writer_client, django_assert_num_queries):
    url = reverse("writing:category_list")
    response = writer_client.post(url, {"name": "Plaidoyer"})
    assert response.status_code == 302
    category = Category.objects.get()
    ArticleFactory.create_batch(2, category=category)
    writer_client.get(url)
    with django_assert_num_queries(5) as first:
        writer_client.get(url)
    CategoryFactory.create_batch(5)
    with django_assert_num_queries(len(first.captured_queries)):
        page = writer_client.get(url).content.decode()
    assert "Plaidoyer" in page
    duplicate = writer_client.post(url, {"name": "plaidoyer"})
    assert duplicate.status_code == 400
    assert "Une catégorie porte déjà ce nom." in duplicate.content.decode()
    writer_client.post(
        reverse("writing:category_edit", kwargs={"pk": category.pk}), {"name": "Plaidoyer et lois"}
    )
    category.refresh_from_db()
    assert category.name == "Plaidoyer et lois"
    confirm = writer_client.get(reverse("writing:category_delete", kwargs={"pk": category.pk}))
    assert "(2)" in confirm.content.decode()
    writer_client.post(reverse("writing:category_delete", kwargs={"pk": category.pk}))
    assert not Category.objects.filter(pk=category.pk).exists()
    assert Article.objects.filter(category__isnull=True).count() == 2


def test_saving_over_someone_elses_newer_version_is_refused_once(writer_client, writer):
    article = services.article_create(actor=writer, data={"title": "Appel", "body": "Début"})
    url = reverse("writing:article_edit", kwargs={"pk": article.pk})
    page = writer_client.get(url).content.decode()
    first = article.revisions.get().pk
    assert f'name="base_revision" value="{first}"' in page
    # A colleague saves meanwhile.
    colleague = services.article_update(
        actor=None, article=article, data={"body": "Texte de la collègue"}
    )
    response = writer_client.post(url, _form(title="Appel", body="Mon texte", base_revision=first))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Pendant que vous écriviez" in body and "Mon texte" in body
    colleague.refresh_from_db()
    assert colleague.body == "Texte de la collègue"
    latest = article.revisions.first().pk
    assert f'name="base_revision" value="{latest}"' in body
    # Saving again keeps this writer's text.
    response = writer_client.post(url, _form(title="Appel", body="Mon texte", base_revision=latest))
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.body == "Mon texte"


def test_editor_offers_the_latest_images_to_insert(writer_client, django_assert_num_queries):
    article = ArticleFactory(status=PublicationStatus.DRAFT)
    url = reverse("writing:article_edit", kwargs={"pk": article.pk})
    BlogImageFactory(alt_text="Le [premier] local")
    writer_client.get(url)
    with django_assert_num_queries(13) as first:
        writer_client.get(url)
    BlogImageFactory.create_batch(12)
    with django_assert_num_queries(len(first.captured_queries)):
        page = writer_client.get(url).content.decode()
    assert page.count('class="copy-source"') == 8
    assert "Le (premier) local" not in page  # the oldest of 13 is not among the latest 8
    newest = BlogImageFactory(alt_text="Le [nouveau] local")
    page = writer_client.get(url).content.decode()
    assert f'value="![Le (nouveau) local]({newest.file.url})"' in page


def test_staff_preview_of_an_english_article_is_in_english(writer_client):
    article = ArticleFactory(status=PublicationStatus.DRAFT, language="en", title="Open day")
    response = writer_client.get(reverse("writing:article_preview", kwargs={"pk": article.pk}))
    page = response.content.decode()
    assert '<html lang="en"' in page and "Open day" in page
    # The writer's own pages stay in French afterwards.
    dashboard = writer_client.get(reverse("writing:dashboard")).content.decode()
    assert '<html lang="fr"' in dashboard
