"""A story told in a real browser (issue #6): write it, record the consent, publish, withdraw.

The communication officer writes a guided story, tries to publish it without consent (a
clear refusal), records Amina's consent with the signed form, publishes it; an anonymous
visitor reads it; Amina withdraws her consent and the story is gone at once. Every staff
page and the public story page pass axe-core.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from essaim.blog.models import PublicationStatus, Story
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll
from tests.conftest import make_user_for_role

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _field(page: Any, label: str) -> Any:
    """The form field of this label (Django adds « : » after each label)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\s*:?$"))


def test_tell_a_story_with_consent_then_withdraw_it(new_context, sign_in, transactional_db):
    writer = make_user_for_role("communication")
    context = new_context()
    sign_in(context, writer)
    page = context.new_page()

    # 1. Write the story, in its five parts.
    page.goto(reverse("site_admin:story_list"))
    page.get_by_role("heading", name="Récits", level=1).wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Raconter un récit").click()
    page.get_by_role("heading", name="Raconter un récit", level=1).wait_for()
    assert_accessible(page)
    _field(page, "Au cœur du récit").fill("Amina, 34 ans")
    _field(page, "Titre").fill("Amina trouve sa place")
    _field(page, "La situation").fill("Amina venait d'arriver dans le quartier.")
    _field(page, "Ce qui s'est passé").fill("Elle a rejoint la distribution du **samedi**.")
    _field(page, "Ce qui a changé").fill("Elle coordonne aujourd'hui l'équipe.")
    page.get_by_role("radio", name="Devenir bénévole").check()
    _field(page, "Texte de l'appel").fill("Rejoignez les bénévoles du samedi")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Ajoutez maintenant le consentement de chaque personne.").wait_for()
    story = Story.objects.get()
    assert story.status == PublicationStatus.DRAFT

    # 2. Publishing without consent is refused, with the reason.
    page.get_by_role("button", name="Publier").click()
    page.get_by_text("Ce récit n'a aucun consentement enregistré.").first.wait_for()
    story.refresh_from_db()
    assert story.status == PublicationStatus.DRAFT
    assert_accessible(page)

    # 3. Amina's consent, with the signed form.
    page.get_by_role("link", name="Ajouter un consentement").first.click()
    page.get_by_role("heading", name="Ajouter un consentement", level=1).wait_for()
    assert_accessible(page)
    _field(page, "Personne présente dans le récit").fill("Amina")
    _field(page, "Consentement donné par").fill("Amina")
    yesterday = timezone.localdate() - timedelta(days=1)
    _field(page, "Date du consentement").fill(yesterday.isoformat())
    page.get_by_role("checkbox", name="Site et blog").check()
    page.get_by_role("radio", name="Photos", exact=True).check()
    _field(page, "Formulaire signé (facultatif)").set_input_files(
        {"name": "consentement.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Enregistrer le consentement").click()
    page.get_by_text("Consentement enregistré.").wait_for()
    page.get_by_role("link", name="Télécharger").wait_for()

    # 4. Publish; an anonymous visitor reads the story.
    page.get_by_role("button", name="Publier").click()
    page.get_by_text("Récit publié : il est en ligne.").wait_for()
    assert_accessible(page)
    public_url = reverse("blog:story", kwargs={"slug": story.slug})
    visitor = new_context().new_page()
    response = visitor.goto(public_url)
    assert response is not None and response.status == 200
    visitor.get_by_role("heading", name="Amina trouve sa place", level=1).wait_for()
    visitor.get_by_role("heading", name="Ce qui a changé").wait_for()
    visitor.get_by_role("link", name="Voir nos prochaines actions").wait_for()
    assert_accessible(visitor)
    phone = new_context(viewport={"width": 360, "height": 740}).new_page()
    phone.goto(public_url)
    assert_no_horizontal_scroll(phone, 360)

    # 5. Amina withdraws her consent: the story is gone at once.
    page.get_by_role("link", name="Retirer", exact=True).click()
    page.get_by_role("heading", name="Retirer le consentement de Amina ?").wait_for()
    assert_accessible(page)
    page.get_by_label(re.compile("Comment et quand")).fill("Appel téléphonique du 3 mars")
    page.get_by_role("button", name="Retirer le consentement").click()
    page.get_by_text("Consentement retiré.").wait_for()
    story.refresh_from_db()
    assert story.status == PublicationStatus.UNPUBLISHED
    response = visitor.goto(public_url)
    assert response is not None and response.status == 404


def test_fixed_pages_are_accessible(new_context, sign_in, transactional_db):
    context = new_context()
    page = context.new_page()
    for name in ("blog:about", "blog:legal", "blog:privacy", "blog:stories"):
        page.goto(reverse(name))
        assert_accessible(page)
    sign_in(context, make_user_for_role("admin"))
    page.goto(reverse("site_admin:page_list"))
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("^Modifier Mentions légales \\(Français\\)")).click()
    _field(page, "Texte").wait_for()
    page.get_by_role("button", name="Aperçu").click()
    page.get_by_role("heading", name="Aperçu (non enregistré)").wait_for()
    assert_accessible(page)
