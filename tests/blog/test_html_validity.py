"""Every public page is valid HTML, checked by the Nu HTML Checker (npm ``vnu-jar``).

The pages are rendered by the test client (French and English), written to files and
checked by ONE run of the validator (a Java program: a few seconds). CI has Java and
runs ``npm ci``; elsewhere the test is skipped with a message saying what is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from essaim.actions.models import ActionVisibility
from tests.actions.conftest import make_action
from tests.blog.factories import (
    ArticleFactory,
    BlogImageFactory,
    CategoryFactory,
    StoryConsentFactory,
    StoryFactory,
    TagFactory,
)
from tests.circles.conftest import build_world

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _validator() -> list[str]:
    java = shutil.which("java")
    missing = []
    if java is None:
        missing.append("Java (apt-get install default-jre-headless)")
    if not VNU.exists():
        missing.append("vnu-jar (npm ci)")
    if missing:
        message = "The HTML validity check needs " + " and ".join(missing)
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return [str(java), "-Xss2m", "-jar", str(VNU)]


def assert_valid_html(folder: Path, files: dict[str, str]) -> None:
    """Check every .html file of a folder with the Nu validator; name the pages in errors.

    ``files`` maps a file name to the label that says which page it is.
    """
    result = subprocess.run(
        [
            *_validator(),
            "--errors-only",
            "--format",
            "json",
            *sorted(str(p) for p in folder.glob("*.html")),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    report = json.loads(result.stderr or result.stdout or '{"messages": []}')
    errors = []
    for message in report.get("messages", []):
        if message.get("type") not in ("error", "non-document-error"):
            continue
        page = files.get(str(message.get("url", "")).rsplit("/", 1)[-1], message.get("url"))
        errors.append(
            f"{page} line {message.get('lastLine')}: {message.get('message')}"
            f" — {message.get('extract', '').strip()!r}"
        )
    assert not errors, "Invalid HTML:\n" + "\n".join(errors)


def _public_pages() -> dict[str, str]:
    """Create content for every kind of public page; return label -> path."""
    category = CategoryFactory(slug="solidarite", name="Solidarité", description="Entraide.")
    tag = TagFactory(slug="jardin", name="jardin")
    cover = BlogImageFactory(pixels=(320, 180))
    article = ArticleFactory(
        slug="le-jardin-partage",
        title="Le jardin partagé a cinq ans",
        category=category,
        tags=[tag],
        cover=cover,
        body=(
            "Un **jardin** pour [tout le quartier](https://exemple.org).\n\n## Les chiffres\n\n"
            "| Saison | Familles |\n|---|---:|\n| Été | 30 |\n\n> Une citation.\n\n"
            "- un ;\n- deux.\n"
        ),
    )
    english = ArticleFactory(
        slug="the-shared-garden", title="The garden", language="en", category=category
    )
    story = StoryFactory(slug="amina", title="Amina")
    StoryConsentFactory(story=story)
    english_story = StoryFactory(slug="amina-en", title="Amina (en)", language="en")
    StoryConsentFactory(story=english_story)
    world = build_world()
    action = make_action(world, title="Collecte publique", visibility=ActionVisibility.PUBLIC)
    published = article.published_at
    pages: dict[str, str] = {"public action": reverse("public_actions:detail", args=[action.slug])}
    for namespace, lang in (("blog", "fr"), ("blog_en", "en")):
        slug = article.slug if lang == "fr" else english.slug
        story_slug = story.slug if lang == "fr" else english_story.slug
        for name, kwargs in (
            ("home", {}),
            ("index", {}),
            ("category", {"slug": category.slug}),
            ("tag", {"slug": tag.slug}),
            ("archive", {"year": published.year, "month": published.month}),
            ("article", {"slug": slug}),
            ("stories", {}),
            ("story", {"slug": story_slug}),
            ("about", {}),
            ("legal", {}),
            ("privacy", {}),
        ):
            pages[f"{name} ({lang})"] = reverse(f"{namespace}:{name}", kwargs=kwargs)
    return pages


def test_every_public_page_is_valid_html(client: Client, tmp_path: Any) -> None:
    _validator()  # skips (or fails on CI) before any work when the validator is missing
    files: dict[str, str] = {}
    for number, (label, path) in enumerate(_public_pages().items()):
        response = client.get(path)
        assert response.status_code == 200, f"{label} ({path}) answered {response.status_code}"
        target = tmp_path / f"page-{number:02d}.html"
        target.write_bytes(response.content)
        files[target.name] = f"{label} {path}"
    assert_valid_html(tmp_path, files)


def test_a_text_s_highest_heading_is_an_h2_whatever_its_markdown_level() -> None:
    from essaim.blog.markdown import render_article_markdown

    html = render_article_markdown("## Partie\n\n### Sous-partie\n\nTexte.")
    assert "<h2>Partie</h2>" in html and "<h3>Sous-partie</h3>" in html
