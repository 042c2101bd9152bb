"""Article Markdown: headings, responsive site images, hostile input, limits."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from essaim.blog.markdown import (
    MAX_TABLE_ROWS,
    check_article_markdown,
    render_article_markdown,
)
from tests.blog.factories import BlogImageFactory

pytestmark = pytest.mark.django_db


def test_headings_start_at_h2_and_stop_at_h4():
    html = render_article_markdown("# Un\n\n## Deux\n\n### Trois\n\n#### Quatre\n\n###### Six")
    assert "<h2>Un</h2>" in html and "<h3>Deux</h3>" in html and "<h4>Trois</h4>" in html
    assert "<h4>Quatre</h4>" in html and "<h4>Six</h4>" in html
    assert "<h1" not in html and "<h5" not in html and "<h6" not in html


@pytest.mark.parametrize(
    ("text", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("[clic](javascript:alert(1))", 'href="javascript'),
        ("[clic](JaVaScRiPt:alert(1))", 'href="javascript'),
        ('<iframe src="https://evil.example"></iframe>', "<iframe"),
        ('<img src="/media/x.jpg" onerror="alert(1)">', "<img"),
        ("![pixel](https://tracker.example/p.gif)", "tracker.example"),
        ("![point](data:image/png;base64,iVBORw0KGgo=)", "data:"),
        ("[lien](data:text/html;base64,PHNjcmlwdD4=)", 'href="data:'),
        ("![remonte](/media/../../etc/passwd)", "<img"),
        ("![ailleurs](//evil.example/x.png)", "evil.example"),
        ('<a href="/" onclick="alert(1)">x</a>', '<a href="/" onclick'),
        ("<style>body{display:none}</style>", "<style"),
    ],
)
def test_hostile_markdown_is_neutralised(text, forbidden):
    html = render_article_markdown(text)
    assert forbidden.lower() not in html.lower()


@pytest.mark.parametrize(
    "html",
    [
        '<img src="/media/a.jpg" onerror="alert(1)" alt="x">',
        '<a href="javascript:alert(1)">x</a>',
        '<iframe src="/media/a.html"></iframe>',
        '<div class="evil" style="position:fixed" onmouseover="x()">x</div>',
        '<picture><source srcset="https://tracker.example/p.webp 1w">'
        '<img src="/media/a.jpg"></picture>',
        '<img src="/media/a.jpg" srcset="https://tracker.example/p.jpg 1w" alt="">',
    ],
)
def test_sanitiser_is_the_last_line(html):
    from essaim.blog.markdown import sanitise_article_html

    cleaned = sanitise_article_html(html)
    for word in ("onerror", "javascript", "iframe", "style=", "onmouseover", "tracker", "evil"):
        assert word not in cleaned


def test_remote_image_becomes_its_description():
    html = render_article_markdown("![Un logo](https://ailleurs.example/logo.png)")
    assert html.strip() == "<p>Un logo</p>"


def test_external_links_get_noopener_but_not_nofollow(settings):
    settings.SITE_ORIGIN = "https://asso.example"
    html = render_article_markdown(
        "[dehors](https://ailleurs.example/) [dedans](https://asso.example/blog/) [relatif](/blog/)"
    )
    assert '<a href="https://ailleurs.example/" rel="noopener">dehors</a>' in html
    assert '<a href="https://asso.example/blog/">dedans</a>' in html
    assert '<a href="/blog/">relatif</a>' in html
    assert "nofollow" not in html


def test_site_images_are_responsive():
    image = BlogImageFactory(pixels=(1000, 500))
    image.variants = [
        {"width": 400, "height": 200, "format": "webp", "name": "blog/variants/1/a-400.webp"},
        {"width": 400, "height": 200, "format": "jpeg", "name": "blog/variants/1/a-400.jpg"},
        {"width": 800, "height": 400, "format": "webp", "name": "blog/variants/1/a-800.webp"},
        {"width": 800, "height": 400, "format": "jpeg", "name": "blog/variants/1/a-800.jpg"},
    ]
    image.save()
    html = render_article_markdown(f"![Le local]({image.file.url})")
    assert "<picture>" in html
    assert (
        'srcset="/media/blog/variants/1/a-400.webp 400w, /media/blog/variants/1/a-800.webp 800w"'
        in html
    )
    assert 'type="image/webp"' in html
    assert 'width="1000" height="500"' in html
    assert 'alt="Le local"' in html
    assert 'loading="lazy"' in html and 'decoding="async"' in html
    assert "/media/blog/variants/1/a-800.jpg 800w" in html


def test_unknown_local_image_is_kept_plain():
    html = render_article_markdown("![Un schéma](/media/blog/2026/01/schema.png)")
    assert '<img src="/media/blog/2026/01/schema.png" alt="Un schéma" loading="lazy"' in html


def test_tables_get_a_scrolling_wrapper_and_header_scope():
    html = render_article_markdown("| A | B |\n|---|:-:|\n| 1 | 2 |")
    assert html.startswith('<div class="table-scroll" role="region" tabindex="0" aria-label=')
    assert '<th scope="col">A</th>' in html
    assert "style" not in html


def test_images_without_alt_text_are_listed():
    with pytest.raises(ValidationError) as caught:
        check_article_markdown("![](/media/a.jpg) et ![ok](/media/b.jpg) et ![ ](/media/c.jpg)")
    message = caught.value.messages[0]
    assert "/media/a.jpg" in message and "/media/c.jpg" in message
    assert "/media/b.jpg" not in message


def test_too_long_body_is_refused():
    with pytest.raises(ValidationError) as caught:
        check_article_markdown("a" * 200_001)
    assert "trop long" in caught.value.messages[0]
    check_article_markdown("a" * 200_000)


def test_huge_table_is_refused():
    header = "| a | b |\n|---|---|\n"
    check_article_markdown(header + "| 1 | 2 |\n" * MAX_TABLE_ROWS)
    with pytest.raises(ValidationError) as caught:
        check_article_markdown(header + "| 1 | 2 |\n" * (MAX_TABLE_ROWS + 1))
    assert "300 lignes" in caught.value.messages[0]


def test_single_line_breaks_are_kept():
    html = render_article_markdown("Adresse :\n12 rue des Lilas\n44000 Nantes")
    assert html.strip() == "<p>Adresse :<br>\n12 rue des Lilas<br>\n44000 Nantes</p>"


def test_a_full_address_of_this_site_is_a_site_image(settings):
    settings.SITE_ORIGIN = "https://asso.example"
    image = BlogImageFactory(pixels=(900, 600))
    html = render_article_markdown(f"![Le local](https://asso.example{image.file.url})")
    assert f'src="{image.file.url}"' in html and 'width="900"' in html
    other = render_article_markdown(f"![Le local](https://asso.example.evil{image.file.url})")
    assert "<img" not in other
