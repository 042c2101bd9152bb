"""The Markdown renderer for member posts: formatting kept, anything hostile removed."""

from __future__ import annotations

import re

import pytest

from essaim.core.markdown import is_local_image, render_markdown, sanitise_html


def test_common_formatting_is_rendered():
    html = render_markdown("**gras** *italique* ~~barré~~\n\n- un\n- deux\n\n> citation\n\n`code`")
    assert "<strong>gras</strong>" in html
    assert "<em>italique</em>" in html
    assert "<s>barré</s>" in html or "<del>barré</del>" in html
    assert "<li>un</li>" in html
    assert "<blockquote>" in html
    assert "<code>code</code>" in html


def test_headings_sit_below_the_page_headings():
    html = render_markdown("# Titre\n\n## Sous-titre\n\n###### Petit")
    assert "<h3>Titre</h3>" in html
    assert "<h4>Sous-titre</h4>" in html
    assert "<h6>Petit</h6>" in html
    assert "<h1" not in html and "<h2" not in html


def test_links_get_safe_rel():
    html = render_markdown("[le site](https://exemple.org/page)")
    assert 'href="https://exemple.org/page"' in html
    assert 'rel="nofollow noopener ugc"' in html


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<iframe src="https://evil.example"></iframe>',
        "[clic](javascript:alert(1))",
        "[clic](JaVaScRiPt:alert(1))",
        "[clic](vbscript:msgbox(1))",
        "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<a href="javascript:alert(1)">x</a>',
        "<style>body{display:none}</style>",
        '<svg onload="alert(1)"></svg>',
    ],
)
def test_hostile_input_is_neutralised(text):
    html = render_markdown(text)
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<iframe" not in lowered
    assert "<svg" not in lowered
    assert "<style" not in lowered
    # Escaped text ("&lt;a href=...") is harmless: look for real tags only.
    assert not re.search(r"<a [^>]*href=\"(javascript|vbscript|data):", lowered)
    assert not re.search(r"<[a-z]+ [^>]*\bon[a-z]+=", lowered)


def test_tracking_images_are_dropped_but_their_text_stays():
    html = render_markdown("![pixel](https://tracker.example/p.gif) ![x](//tracker.example/a.png)")
    assert "<img" not in html
    assert "tracker" not in html
    assert "pixel" in html


def test_images_of_this_site_are_kept():
    html = render_markdown(
        "![logo](/media/logo.png) ![plan](/cercles/lyon/discussions/pieces-jointes/12/)"
    )
    assert '<img src="/media/logo.png" alt="logo">' in html
    assert 'src="/cercles/lyon/discussions/pieces-jointes/12/"' in html


@pytest.mark.parametrize(
    ("src", "local"),
    [
        ("/media/a/b.png", True),
        ("/cercles/x/discussions/pieces-jointes/3/", True),
        ("/media/../settings.py", False),
        ("//evil.example/media/a.png", False),
        ("https://evil.example/media/a.png", False),
        ("/ailleurs/a.png", False),
    ],
)
def test_local_image_rule(src, local):
    assert is_local_image(src) is local


def test_sanitiser_drops_a_remote_img_that_slipped_in():
    html = sanitise_html('<p><img src="https://tracker.example/p.gif" alt="x"></p>')
    assert "tracker" not in html


def test_tables_are_rendered_without_inline_styles():
    html = render_markdown("| a | b |\n|--:|:--|\n| 1 | 2 |")
    assert '<th scope="col">a</th>' in html
    assert "style=" not in html


def test_huge_table_and_deep_nesting_stay_bounded():
    columns = 500
    row = "|" + "1|" * columns + "\n"
    table = "|" + "a|" * columns + "\n|" + "-|" * columns + "\n" + row * 10
    html = render_markdown(table)
    assert html.count("<th scope") == columns
    nested = render_markdown(">" * 5000 + " profond")
    # The parser stops nesting at its limit instead of building 5000 levels.
    assert nested.count("<blockquote>") <= 25


def test_raw_html_is_shown_as_text():
    html = render_markdown("<b>gras</b>")
    assert "&lt;b&gt;gras&lt;/b&gt;" in html


def test_empty_text_renders_empty():
    assert render_markdown("") == ""
