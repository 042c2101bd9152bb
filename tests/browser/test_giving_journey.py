"""From an excuse to a gift to its tax receipt, in a real Chromium, through the demo provider."""

from __future__ import annotations

import io
import re

from django.core.cache import cache

from essaim.blog.public import public_reverse
from essaim.core.selectors import ORGANISATION_CACHE_KEY, organisation_get
from essaim.giving.models import Donation, DonationStatus, Excuse, Frequency, Rebuttal
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll
from tests.giving.factories import GivingPageFactory, SuggestedAmountFactory


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def _organisation() -> None:
    org = organisation_get()
    org.name = "Les Maraudes Solidaires"
    org.address_line1 = "5 rue de la République"
    org.postal_code = "69002"
    org.city = "Lyon"
    org.receipt_signer_name = "Claire Dubois"
    org.receipt_signer_role = "Trésorière"
    org.save()
    cache.delete(ORGANISATION_CACHE_KEY)


def test_from_an_excuse_to_a_gift_and_its_receipt(page, live_server, settings):
    # The demo checkout is an absolute address of the site: here, the test server's.
    settings.SITE_ORIGIN = live_server.url
    _organisation()
    giving = GivingPageFactory(
        is_default=True,
        title="Soutenez les maraudes",
        intro="Chaque hiver, **nous sortons** chaque soir.",
        thank_you_text="Grâce à vous, une maraude de plus cet hiver.",
    )
    SuggestedAmountFactory(page=giving, amount_cents=3000, impact="Un duvet pour la nuit")
    SuggestedAmountFactory(page=giving, amount_cents=5000, impact="Dix repas chauds")
    SuggestedAmountFactory(page=giving, frequency=Frequency.MONTHLY, amount_cents=1000)
    excuse = Excuse.objects.create(
        slug="pas-de-monnaie-sur-moi", label="Je n'ai jamais de monnaie sur moi", position=0
    )
    rebuttal = Rebuttal.objects.create(
        excuse=excuse,
        name="A",
        text="Un don en ligne se fait **par carte**, en deux minutes.",
        impact_figure="Un don de 30 € ne vous coûte que 10,20 € après réduction d'impôt.",
    )

    # The visitor opens the excuses page and picks theirs.
    page.goto(public_reverse("excuses", lang="fr"))
    page.get_by_role("link", name="Je n'ai jamais de monnaie sur moi").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Je n'ai jamais de monnaie sur moi"
    )
    expect(page.get_by_text("en deux minutes")).to_be_visible()
    page.get_by_role("link", name="Je donne").click()

    # The giving page: amounts as cards, each with its tax line.
    expect(page.get_by_role("heading", level=1)).to_have_text("Soutenez les maraudes")
    expect(page.get_by_text("30\u00a0€ ne vous coûte que 10,20\u00a0€")).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size({"width": 360, "height": 800})
    assert_no_horizontal_scroll(page, 360)
    page.set_viewport_size({"width": 1280, "height": 900})

    # A bad free amount is refused in French and nothing is recorded.
    page.get_by_label("Autre montant, en euros").fill("12,505")
    page.get_by_label("Prénom").fill("Louise")
    page.get_by_label(re.compile(r"^Nom\W*$")).fill("Michel")
    page.get_by_label("Adresse e-mail").fill("louise.michel@exemple.fr")
    page.get_by_label(re.compile(r"^Adresse\W*$")).fill("12 rue des Lilas")
    page.get_by_label("Code postal").fill("69001")
    page.get_by_label("Ville").fill("Lyon")
    page.get_by_role("button", name="Je donne").click()
    expect(page.get_by_text("deux décimales au plus")).to_be_visible()
    assert Donation.objects.count() == 0

    # The typed details are kept; the visitor picks 50 € instead and gives.
    page.get_by_label("Autre montant, en euros").fill("")
    page.locator("label.amount-card", has_text="Dix repas chauds").click()
    expect(page.get_by_label("Ville")).to_have_value("Lyon")
    page.get_by_role("button", name="Je donne").click()

    # The demo provider's checkout: pay.
    expect(page.get_by_role("heading", level=1)).to_have_text("Paiement de démonstration")
    expect(page.get_by_text("Démonstration : aucun paiement réel.")).to_be_visible()
    page.get_by_role("button", name="Payer").click()

    # The thank-you page.
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci Louise !")
    expect(page.get_by_text("Votre don de 50\u00a0€ est bien reçu.")).to_be_visible()
    expect(page.get_by_text("une maraude de plus cet hiver")).to_be_visible()
    assert_accessible(page)
    donation = Donation.objects.get()
    assert donation.status == DonationStatus.PAID
    assert (donation.excuse_id, donation.rebuttal_id) == (excuse.pk, rebuttal.pk)

    # The receipt PDF, downloaded from the thank-you page, says what the law asks.
    link = page.get_by_role("link", name="Télécharger mon reçu fiscal (PDF)")
    href = link.get_attribute("href")
    assert href
    answer = page.context.request.get(href)
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.body())).pages)
    flat = " ".join(text.split())
    receipt = donation.receipts.get()
    assert receipt.number in flat
    assert "Michel Louise" in flat  # "Nom et prénom", as the Cerfa model orders them
    assert "cinquante euros" in flat.lower()
    assert "article 200" in flat.lower()


def test_the_free_amount_shows_its_tax_line_as_it_is_typed(page):
    giving = GivingPageFactory(is_default=True, title="Soutenez les maraudes")
    SuggestedAmountFactory(page=giving, amount_cents=3000)
    page.goto(public_reverse("give", lang="fr"))
    page.get_by_label("Autre montant, en euros").fill("100")
    expect(page.locator("#free-tax")).to_have_text(
        re.compile("^100\u00a0€ ne vous coûte que 34\u00a0€ après réduction d'impôt")
    )
    expect(page.get_by_role("radio", name="Autre montant")).to_be_checked()


def test_a_donor_manages_a_monthly_gift_from_the_emailed_link(page, live_server, settings):
    from essaim.giving import donor_links
    from essaim.giving.models import RecurringStatus
    from tests.giving.factories import PaidDonationFactory, RecurringGiftFactory

    settings.SITE_ORIGIN = live_server.url
    schedule = RecurringGiftFactory(amount_cents=1500)
    PaidDonationFactory(person=schedule.person, recurring=schedule, amount_cents=1500)
    link = donor_links.donor_space_url(schedule.person)
    page.goto(link.removeprefix(live_server.url))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes dons")
    expect(page.get_by_text("15\u00a0€ par mois")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Mettre en pause").click()
    expect(page.get_by_text("Votre don mensuel est en pause")).to_be_visible()
    schedule.refresh_from_db()
    assert schedule.status == RecurringStatus.PAUSED
    page.get_by_label(re.compile(r"^Adresse\W*$")).fill("3 place du Marché")
    page.get_by_label("Code postal").fill("13001")
    page.get_by_label("Ville").fill("Marseille")
    page.get_by_role("button", name="Enregistrer mon adresse").click()
    expect(page.get_by_text("Les reçus déjà émis gardent l'ancienne adresse")).to_be_visible()
    assert_accessible(page)
