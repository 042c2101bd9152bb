"""An image's variants and text changes reach the stories and fixed pages that show it."""

from __future__ import annotations

import pytest

from essaim.blog import services
from essaim.blog.models import SitePage
from essaim.core.pagecache import versions
from tests.blog.factories import BlogImageFactory, StoryFactory

pytestmark = pytest.mark.django_db


def test_variants_refresh_the_stories_and_pages_showing_the_image():
    image = BlogImageFactory(pixels=(900, 600))
    cover_story = StoryFactory(cover=image)
    text_story = StoryFactory(what_happened=f"![La fête du quartier]({image.file.url})")
    page = SitePage.objects.create(
        kind="about", language="fr", title="À propos", body=f"![Notre local]({image.file.url})"
    )
    keys = ["stories", f"story:{cover_story.pk}", f"story:{text_story.pk}", "site"]
    before = versions(keys)

    services.image_variants_make(image_id=image.pk)

    after = versions(keys)
    assert all(after[key] > before[key] for key in keys), (before, after)
    text_story.refresh_from_db()
    page.refresh_from_db()
    assert 'type="image/webp"' in text_story.what_happened_html
    assert 'type="image/webp"' in page.body_html
    # A story that does not show the image in its text keeps its rendered parts.
    cover_story.refresh_from_db()
    assert "webp" not in cover_story.what_happened_html


def test_alt_text_change_refreshes_a_story_cover(writer):
    image = BlogImageFactory()
    story = StoryFactory(cover=image)
    before = versions([f"story:{story.pk}"])[f"story:{story.pk}"]
    services.image_update(actor=writer, image=image, alt_text="Un nouveau texte alternatif")
    assert versions([f"story:{story.pk}"])[f"story:{story.pk}"] > before
