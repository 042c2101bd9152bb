"""Article services: slugs, revisions, lifecycle, scheduled publication, categories."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from essaim.blog import services
from essaim.blog.models import (
    Article,
    ArticleRevision,
    ArticleSlugRedirect,
    PublicationChange,
    PublicationStatus,
)
from essaim.blog.redirects import article_for_old_slug
from essaim.blog.slugs import slugify_fr
from essaim.core.models import AuditLog
from essaim.core.pagecache import versions
from tests.blog.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db


def _draft(writer, **data):
    return services.article_create(
        actor=writer, data={"title": "Journée portes ouvertes", "body": "Bienvenue.", **data}
    )


def test_slugify_transliterates_french():
    assert slugify_fr("L'été à Noël : œuvre, ça & Æsop — Straße") == (
        "l-ete-a-noel-oeuvre-ca-aesop-strasse"
    )
    assert slugify_fr("Où ?!") == "ou"


def test_create_makes_a_draft_with_a_generated_slug_and_a_revision(writer):
    article = _draft(writer, tags="Climat, bénévolat ; climat")
    assert article.status == PublicationStatus.DRAFT
    assert article.slug == "journee-portes-ouvertes"
    assert article.body_html == "<p>Bienvenue.</p>\n"
    assert sorted(article.tags.values_list("name", flat=True)) == ["Climat", "bénévolat"]
    assert article.revisions.count() == 1
    assert article.author == writer


def test_generated_slugs_are_unique(writer):
    first = _draft(writer)
    second = _draft(writer)
    third = _draft(writer)
    assert [first.slug, second.slug, third.slug] == [
        "journee-portes-ouvertes",
        "journee-portes-ouvertes-2",
        "journee-portes-ouvertes-3",
    ]


def test_a_typed_duplicate_slug_is_refused_with_the_other_title(writer):
    _draft(writer)
    with pytest.raises(ValidationError) as caught:
        _draft(writer, title="Autre", slug="journee-portes-ouvertes")
    assert caught.value.message_dict["slug"] == [
        "Cette adresse est déjà prise par l'article « Journée portes ouvertes »."
    ]
    assert Article.objects.count() == 1


def test_changing_the_slug_keeps_a_redirect_and_the_old_one_can_be_reused(writer):
    article = _draft(writer)
    services.article_update(actor=writer, article=article, data={"slug": "portes-ouvertes"})
    article.refresh_from_db()
    assert article.slug == "portes-ouvertes"
    assert article_for_old_slug("journee-portes-ouvertes") == article
    # Another article may take the former address: the redirect goes.
    other = _draft(writer, title="Autre", slug="journee-portes-ouvertes")
    assert other.slug == "journee-portes-ouvertes"
    assert article_for_old_slug("journee-portes-ouvertes") is None
    # A generated slug does not take a live redirect.
    services.article_update(actor=writer, article=other, data={"slug": "autre"})
    third = _draft(writer)
    assert third.slug == "journee-portes-ouvertes-2"
    assert ArticleSlugRedirect.objects.filter(slug="journee-portes-ouvertes").exists()


def test_update_saves_a_revision_and_nothing_when_nothing_changed(writer):
    article = _draft(writer)
    services.article_update(
        actor=writer, article=article, data={"title": "Journée portes ouvertes"}
    )
    assert article.revisions.count() == 1
    services.article_update(actor=writer, article=article, data={"body": "Nouveau texte"})
    assert article.revisions.count() == 2
    assert article.revisions.first().data["body"] == "Nouveau texte"


def test_hostile_body_is_refused_and_nothing_changes(writer):
    article = _draft(writer)
    with pytest.raises(ValidationError) as caught:
        services.article_update(actor=writer, article=article, data={"body": "![](/media/x.jpg)"})
    assert "texte alternatif" in caught.value.message_dict["body"][0]
    article.refresh_from_db()
    assert article.body == "Bienvenue."
    assert article.revisions.count() == 1


def test_publish_keeps_first_date_and_bumps_cache(writer):
    article = _draft(writer)
    before = versions(["articles", f"article:{article.pk}"])
    services.article_publish(actor=writer, article=article)
    article.refresh_from_db()
    first = article.published_at
    assert article.status == PublicationStatus.PUBLISHED and first is not None
    after = versions(["articles", f"article:{article.pk}"])
    assert all(after[key] > before[key] for key in before)
    change = article.status_changes.get()
    assert (change.from_status, change.to_status, change.actor) == ("draft", "published", writer)
    assert AuditLog.objects.filter(
        action="blog.article_publish", target_id=str(article.pk)
    ).exists()
    services.article_unpublish(actor=writer, article=article, reason="Erreur de chiffres")
    services.article_publish(actor=writer, article=article)
    article.refresh_from_db()
    assert article.published_at == first


def test_editing_a_published_article_moves_content_updated_at(writer):
    article = services.article_publish(actor=writer, article=_draft(writer))
    first = article.content_updated_at
    services.article_update(actor=writer, article=article, data={"seo_title": "Portes ouvertes"})
    article.refresh_from_db()
    assert article.content_updated_at == first  # not a visible change
    services.article_update(actor=writer, article=article, data={"body": "Plus de détails."})
    article.refresh_from_db()
    assert article.content_updated_at > first


def test_lifecycle_refusals(writer):
    article = _draft(writer)
    with pytest.raises(ValidationError) as caught:
        services.article_unpublish(actor=writer, article=article, reason="Pour voir")
    assert "Brouillon" in caught.value.messages[0] and "Dépublié" in caught.value.messages[0]
    with pytest.raises(ValidationError):
        services.article_return_to_draft(actor=writer, article=article)
    published = services.article_publish(actor=writer, article=article)
    with pytest.raises(ValidationError):
        services.article_publish(actor=writer, article=published)
    with pytest.raises(ValidationError):
        services.article_unpublish(actor=writer, article=published, reason="  ")
    article.refresh_from_db()
    assert article.status == PublicationStatus.PUBLISHED
    assert PublicationChange.objects.filter(article=article).count() == 1


def test_schedule_in_the_past_is_refused(writer):
    article = _draft(writer)
    with pytest.raises(ValidationError) as caught:
        services.article_schedule(
            actor=writer, article=article, publish_at=timezone.now() - dt.timedelta(minutes=1)
        )
    assert "déjà passée" in caught.value.message_dict["publish_at"][0]
    article.refresh_from_db()
    assert article.status == PublicationStatus.DRAFT and article.publish_at is None


def test_publish_due_publishes_exactly_the_due_ones(writer):
    now = timezone.now()
    due = [_draft(writer, title=f"Dû {n}") for n in range(3)]
    later = _draft(writer, title="Plus tard")
    for article in [*due, later]:
        services.article_schedule(
            actor=writer, article=article, publish_at=now + dt.timedelta(hours=1)
        )
    services.article_schedule(actor=writer, article=later, publish_at=now + dt.timedelta(hours=3))
    before = versions(["articles"])["articles"]
    assert services.articles_publish_due(now=now + dt.timedelta(hours=2)) == 3
    statuses = dict(Article.objects.values_list("title", "status"))
    assert statuses == {
        "Dû 0": "published",
        "Dû 1": "published",
        "Dû 2": "published",
        "Plus tard": "scheduled",
    }
    assert versions(["articles"])["articles"] > before
    for article in due:
        article.refresh_from_db()
        assert article.published_at is not None and article.publish_at is None
        assert article.status_changes.first().actor is None
    # Running it again publishes nothing more.
    assert services.articles_publish_due(now=now + dt.timedelta(hours=2)) == 0


def test_publish_due_works_in_batches(writer):
    moment = timezone.now() + dt.timedelta(hours=1)
    ArticleFactory.create_batch(5, status=PublicationStatus.SCHEDULED, publish_at=moment)
    assert services.articles_publish_due(now=moment, batch_size=2) == 5
    assert not Article.objects.filter(status=PublicationStatus.SCHEDULED).exists()


def test_restore_brings_back_fields_as_a_new_revision(writer):
    article = _draft(writer)
    first = article.revisions.get()
    services.article_update(
        actor=writer, article=article, data={"title": "Changé", "body": "Autre"}
    )
    restored = services.article_restore(actor=writer, revision=first)
    assert (restored.title, restored.body) == ("Journée portes ouvertes", "Bienvenue.")
    assert restored.body_html == "<p>Bienvenue.</p>\n"
    assert ArticleRevision.objects.filter(article=article).count() == 3
    assert "rétablie" in article.revisions.first().note
    assert AuditLog.objects.filter(action="blog.article_restore").count() == 1


def test_translation_must_be_in_the_other_language(writer):
    french = _draft(writer)
    with pytest.raises(ValidationError) as caught:
        _draft(writer, title="Encore", translation_of=french)
    assert "autre langue" in caught.value.message_dict["translation_of"][0]
    english = _draft(writer, title="Open day", language="en", translation_of=french)
    assert english.translation_of == french


def test_category_delete_keeps_articles(writer):
    category = services.category_create(actor=writer, name="Vie de l'asso")
    assert category.slug == "vie-de-l-asso"
    article = ArticleFactory(category=category)
    with pytest.raises(ValidationError):
        services.category_create(actor=writer, name="vie de l'ASSO")
    renamed = services.category_update(actor=writer, category=category, name="Vie associative")
    assert renamed.slug == "vie-de-l-asso"
    assert services.category_delete(actor=writer, category=renamed) == 1
    article.refresh_from_db()
    assert article.category is None


def test_category_typed_slug_must_be_free(writer):
    CategoryFactory(name="Climat", slug="climat")
    with pytest.raises(ValidationError) as caught:
        services.category_create(actor=writer, name="Le climat", slug="climat")
    assert "Climat" in caught.value.message_dict["slug"][0]


def test_cache_keys_bumped_by_each_change(writer):
    article = _draft(writer)
    keys = ["articles", f"article:{article.pk}"]

    def bumped(action):
        before = versions(keys)
        action()
        after = versions(keys)
        return {key for key in keys if after[key] > before[key]}

    # A draft is not on any list: only its own key moves.
    assert bumped(
        lambda: services.article_update(actor=writer, article=article, data={"body": "Autre"})
    ) == {f"article:{article.pk}"}
    assert bumped(lambda: services.article_publish(actor=writer, article=article)) == set(keys)
    assert bumped(
        lambda: services.article_update(actor=writer, article=article, data={"body": "Encore"})
    ) == set(keys)
    assert bumped(
        lambda: services.article_unpublish(actor=writer, article=article, reason="Erreur")
    ) == set(keys)
    category = services.category_create(actor=writer, name="Climat")
    assert bumped(
        lambda: services.category_update(actor=writer, category=category, name="Climat et eau")
    ) == {"articles"}
    assert bumped(lambda: services.category_delete(actor=writer, category=category)) == {"articles"}


def test_every_problem_is_reported_at_once_and_author_name_defaults(writer):
    taken = _draft(writer)
    with pytest.raises(ValidationError) as caught:
        _draft(writer, title=" ", slug=taken.slug, body="![](/media/a.jpg)")
    assert set(caught.value.message_dict) == {"title", "slug", "body"}
    article = _draft(writer, title="Signé", author_name="Équipe")
    services.article_update(actor=writer, article=article, data={"author_name": ""})
    article.refresh_from_db()
    assert article.author_name == writer.person.full_name != ""
