"""populate's blog section: published articles with categories, tags and consented stories."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from essaim.blog.models import Article, Category, PublicationStatus, Story, Tag
from essaim.blog.story_selectors import public_stories
from essaim.core.populate import populate

pytestmark = pytest.mark.django_db


def test_articles_categories_tags_and_stories() -> None:
    counts = populate(persons=0, articles=30, seed=2, batch_size=7, log=lambda _m: None)
    assert counts["articles"] == 30
    articles = Article.objects.all()
    assert articles.count() == 30
    assert set(articles.values_list("status", flat=True)) == {PublicationStatus.PUBLISHED}
    assert len(set(articles.values_list("slug", flat=True))) == 30
    assert Category.objects.count() == 8
    assert Tag.objects.count() == 40
    article = articles.first()
    assert article is not None and article.category_id and article.published_at
    assert len(article.body.split()) > 600
    assert "<h3" in article.body_html or "<h2" in article.body_html
    assert Article.tags.through.objects.exists()
    # Every story is published with a consent for the site: all are public.
    assert Story.objects.count() == public_stories("fr").count() >= 3


def test_a_second_run_adds_articles_with_new_slugs() -> None:
    call_command("populate", "--persons", "0", "--articles", "5", "--seed", "1", verbosity=0)
    call_command("populate", "--persons", "0", "--articles", "5", "--seed", "1", verbosity=0)
    assert Article.objects.count() == 10
    assert Story.objects.count() == len(set(Story.objects.values_list("slug", flat=True)))


def test_no_articles_no_blog_data() -> None:
    populate(persons=0, articles=0, log=lambda _m: None)
    assert not Article.objects.exists() and not Category.objects.exists()


def test_demo_gives_the_public_site_articles_a_cover_and_a_story() -> None:
    call_command("demo", "--persons", "0", verbosity=0, stdout=io.StringIO())
    call_command("demo", "--persons", "0", verbosity=0, stdout=io.StringIO())
    articles = Article.objects.published()
    assert articles.count() == 4
    assert articles.values("category").distinct().count() == 2
    covered = articles.exclude(cover=None).get()
    assert covered.cover.alt_text and covered.cover.variants
    assert public_stories("fr").count() == 1


def test_populate_invalidates_the_cached_public_pages(client) -> None:
    assert b"<item>" not in client.get("/blog/flux.rss").content  # cached, empty
    populate(persons=0, articles=3, log=lambda _m: None)
    assert client.get("/blog/flux.rss").content.count(b"<item>") == 3
