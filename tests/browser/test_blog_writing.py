"""Writing a blog article in a real browser (issue #6): image, article, schedule, publication.

The communication officer uploads a photo with its text alternative, writes an article that
shows it (watching the live preview), schedules it for later; when its time comes (the
due-publication service is called as the scheduler's task would) the article is on the
public page, in the RSS feed and in the sitemap, for anonymous visitors.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from PIL import Image

from essaim.blog.models import Article, BlogImage, PublicationStatus
from essaim.blog.services import articles_publish_due
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll
from tests.conftest import make_user_for_role

TITLE = "Une journée au jardin partagé"
ALT = "Quatre bénévoles plantent des salades dans le jardin partagé"


def _field(page: Any, label: str) -> Any:
    """The form field of this label (Django adds « : » after each label)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\s*:?$"))


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1000, 600), (40, 140, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_write_schedule_and_publish_an_article(new_context, sign_in, transactional_db):
    writer_user = make_user_for_role("communication")
    context = new_context()
    sign_in(context, writer_user)
    page = context.new_page()

    # 1. Upload a photo with its text alternative.
    page.goto(reverse("writing:dashboard"))
    page.get_by_role("heading", name="Rédaction", level=1).wait_for()
    page.get_by_role("navigation", name="Rédaction").get_by_role("link", name="Images").click()
    page.get_by_role("heading", name="Ajouter une image").wait_for()
    _field(page, "Image").set_input_files(
        {"name": "jardin.jpg", "mimeType": "image/jpeg", "buffer": _photo()}
    )
    _field(page, "Texte alternatif").fill(ALT)
    page.get_by_role("button", name="Envoyer l'image").click()
    page.get_by_text(f"Image « {ALT} » ajoutée.").wait_for()
    image = BlogImage.objects.get()
    assert {(v["width"], v["format"]) for v in image.variants} == {
        (400, "webp"),
        (400, "jpeg"),
        (800, "webp"),
        (800, "jpeg"),
    }
    snippet = page.get_by_label("Code à coller dans le texte").first.input_value()
    assert snippet == f"![{ALT}]({image.file.url})"
    assert_accessible(page)

    # 2. Write the article; the live preview shows the picture as it is typed.
    page.get_by_role("navigation", name="Rédaction").get_by_role("link", name="Articles").click()
    page.get_by_role("link", name="Écrire un article").first.click()
    page.get_by_role("heading", name="Écrire un article", level=1).wait_for()
    _field(page, "Titre").fill(TITLE)
    _field(page, "Résumé").fill("Salades, radis et beaucoup de bonne humeur.")
    body = _field(page, "Texte")
    body.click()
    body.press_sequentially("## Le matin\n\nOn a planté. ", delay=5)
    body.type(snippet)
    preview = page.locator("#article-preview")
    preview.get_by_role("heading", name="Le matin").wait_for()
    preview.get_by_role("img", name=ALT).wait_for()
    _field(page, "Image de couverture").select_option(label=f"{ALT} (1000 × 600)")
    _field(page, "Étiquettes").fill("jardin, quartier")
    assert_accessible(page)
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.get_by_text("Brouillon enregistré.").wait_for()
    article = Article.objects.get()
    assert article.slug == "une-journee-au-jardin-partage"
    assert article.cover_id == image.pk
    assert 'type="image/webp"' in article.body_html

    # 3. Schedule it for tomorrow morning; the public does not see it yet.
    when = timezone.localtime(timezone.now() + timedelta(days=1)).replace(
        hour=8, minute=30, second=0, microsecond=0
    )
    page.get_by_label("Programmer la publication le").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Programmer", exact=True).click()
    page.get_by_text(f"L'article sera publié le {when:%d/%m/%Y} à 08:30.").wait_for()
    page.locator(".writing-status-card").get_by_text("Programmé").first.wait_for()
    article.refresh_from_db()
    assert article.status == PublicationStatus.SCHEDULED
    visitor = new_context().new_page()
    response = visitor.goto(f"/blog/{article.slug}/")
    assert response is not None and response.status == 404

    # 4. The staff preview shows the page with its banner.
    page.get_by_role("link", name="Voir l'aperçu de la page").click()
    page.get_by_text("Aperçu — non publié").wait_for()
    page.get_by_role("heading", name=TITLE, level=1).wait_for()

    # The editor and the dashboard fit a phone's screen.
    phone_writer = new_context(viewport={"width": 360, "height": 740})
    sign_in(phone_writer, writer_user)
    small = phone_writer.new_page()
    for path in (
        reverse("writing:article_edit", kwargs={"pk": article.pk}),
        reverse("writing:dashboard"),
        reverse("writing:image_library"),
    ):
        small.goto(path)
        assert_no_horizontal_scroll(small, 360)

    # 5. Its time comes: the scheduler's task publishes it.
    assert articles_publish_due(now=when + timedelta(minutes=1)) == 1
    article.refresh_from_db()
    assert article.status == PublicationStatus.PUBLISHED

    # 6. Anonymous visitors read it, with the responsive picture, in the feed and sitemap.
    response = visitor.goto(f"/blog/{article.slug}/")
    assert response is not None and response.status == 200
    visitor.get_by_role("heading", name=TITLE, level=1).wait_for()
    picture = visitor.locator(".post-body picture")
    assert picture.locator("source[type='image/webp']").count() == 1
    assert picture.get_by_role("img", name=ALT).get_attribute("loading") == "lazy"
    assert_accessible(visitor)
    phone = new_context(viewport={"width": 360, "height": 740}).new_page()
    phone.goto(f"/blog/{article.slug}/")
    assert_no_horizontal_scroll(phone, 360)
    rss = visitor.request.get("/blog/flux.rss")
    assert rss.status == 200 and TITLE in rss.text()
    assert f"/blog/{article.slug}/" in rss.text()
    sitemap = visitor.request.get("/sitemap.xml")
    assert sitemap.status == 200 and f"/blog/{article.slug}/</loc>" in sitemap.text()
