"""Public giving pages: the form, idempotent gifts, bad input, provider down, thank-you page."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from essaim.core.models import TaxReduction
from essaim.core.selectors import ORGANISATION_CACHE_KEY, organisation_get
from essaim.giving.models import Donation, DonationStatus, Frequency, GivingPage, RecurringGift
from essaim.giving.providers import ProviderUnavailable
from essaim.giving.providers.demo import DemoProvider
from tests.blog.factories import StoryConsentFactory, StoryFactory
from tests.giving.factories import (
    DonationFactory,
    GivingPageFactory,
    PaidDonationFactory,
    SuggestedAmountFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def page() -> GivingPage:
    page = GivingPageFactory(
        is_default=True,
        title="Soutenez nos maraudes",
        intro="Chaque **hiver**, nous sortons.",
        thank_you_text="Grâce à vous, **une maraude de plus**.",
        minimum_cents=500,
    )
    SuggestedAmountFactory(page=page, amount_cents=3000, impact="30 € = un duvet")
    SuggestedAmountFactory(page=page, amount_cents=5000, impact="50 € = dix repas")
    SuggestedAmountFactory(
        page=page, frequency=Frequency.MONTHLY, amount_cents=1000, impact="Un repas par semaine"
    )
    return page


def _text(response: Any) -> str:
    return htmllib.unescape(response.content.decode())


def _key(html: str) -> str:
    match = re.search(r'name="key" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def _post_data(client: Client, url: str, **changes: Any) -> dict[str, Any]:
    data = {
        "key": _key(client.get(url).content.decode()),
        "frequency": "one_off",
        "amount": "3000",
        "free_amount": "",
        "given_name": "Louise",
        "family_name": "Michel",
        "email": "louise@exemple.fr",
        "wants_receipt": "on",
        "address_line1": "12 rue des Lilas",
        "postal_code": "69001",
        "city": "Lyon",
        "provider": "demo",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_default_page_shows_amounts_impacts_and_tax_lines(
    client: Client, page: GivingPage
) -> None:
    response = client.get(reverse("blog:give"))
    assert response.status_code == 200
    html = htmllib.unescape(response.content.decode())
    assert "Soutenez nos maraudes" in html
    assert "<strong>hiver</strong>" in html
    assert "30 € = un duvet" in html
    assert "30\u00a0€ ne vous coûte que 10,20\u00a0€ après réduction d'impôt" in html
    assert "50\u00a0€ ne vous coûte que 17\u00a0€" in html
    # The monthly amounts are another tab, reachable without JavaScript.
    assert "Un repas par semaine" not in html
    assert "?rythme=monthly" in html
    assert response["Content-Language"] == "fr"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_monthly_tab_shows_the_monthly_amounts(client: Client, page: GivingPage) -> None:
    html = _text(client.get(reverse("blog:give") + "?rythme=monthly"))
    assert "Un repas par semaine" in html
    assert "10\u00a0€ par mois ne vous coûte que 3,40\u00a0€ par mois" in html
    assert 'name="frequency" value="monthly"' in html


def test_the_75_percent_case_says_so(client: Client, page: GivingPage) -> None:
    org = organisation_get()
    org.tax_reduction_rate = TaxReduction.AID
    org.save()
    cache.delete(ORGANISATION_CACHE_KEY)
    html = _text(client.get(reverse("blog:give")))
    assert "30\u00a0€ ne vous coûte que 7,50\u00a0€" in html
    assert "75 % jusqu'à" in html


def test_the_english_page_is_in_english_language(client: Client, page: GivingPage) -> None:
    response = client.get(reverse("blog_en:give"))
    assert response.status_code == 200
    assert response["Content-Language"] == "en"


def test_a_page_by_address_and_its_goal(client: Client) -> None:
    page = GivingPageFactory(slug="hiver", goal_cents=100_000)
    SuggestedAmountFactory(page=page, amount_cents=2000)
    PaidDonationFactory(page=page, amount_cents=25_000)
    DonationFactory(page=page, amount_cents=50_000)  # pending: not counted
    html = _text(client.get(reverse("blog:give_page", kwargs={"slug": "hiver"})))
    assert "250\u00a0€ collectés sur un objectif de 1\u202f000\u00a0€" in html
    assert '<progress max="100" value="25"' in html


def test_unknown_inactive_and_missing_pages_are_404(client: Client) -> None:
    GivingPageFactory(slug="ferme", is_active=False)
    assert client.get(reverse("blog:give_page", kwargs={"slug": "nulle"})).status_code == 404
    assert client.get(reverse("blog:give_page", kwargs={"slug": "ferme"})).status_code == 404
    assert client.get(reverse("blog:give")).status_code == 404  # no default page
    GivingPageFactory(is_default=True, is_active=False)
    assert client.get(reverse("blog:give")).status_code == 404


def test_the_page_story_or_a_giving_story_is_shown(client: Client, page: GivingPage) -> None:
    story = StoryFactory(title="Le premier hiver de Karim")
    StoryConsentFactory(story=story)
    html = _text(client.get(reverse("blog:give")))
    assert "Le premier hiver de Karim" in html


def test_giving_sends_to_the_checkout_and_records_one_pending_gift(
    client: Client, page: GivingPage
) -> None:
    url = reverse("blog:give")
    response = client.post(url, _post_data(client, url, consent_news="on"))
    assert response.status_code == 303
    donation = Donation.objects.get()
    assert response["Location"].startswith("http://")
    assert reverse("payments:demo_checkout", kwargs={"code": donation.code}) in response["Location"]
    assert donation.status == DonationStatus.PENDING
    assert donation.amount_cents == 3000 and donation.page == page
    assert donation.person.email == "louise@exemple.fr"
    assert donation.city == "Lyon" and donation.wants_receipt and donation.consent_news


def test_the_same_form_sent_twice_makes_one_gift(client: Client, page: GivingPage) -> None:
    url = reverse("blog:give")
    data = _post_data(client, url)
    first = client.post(url, data)
    second = client.post(url, data)  # double click, back button, retried request
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Donation.objects.count() == 1


def test_two_forms_make_two_gifts(client: Client, page: GivingPage) -> None:
    url = reverse("blog:give")
    client.post(url, _post_data(client, url))
    client.post(url, _post_data(client, url))
    assert Donation.objects.count() == 2


def test_a_monthly_gift_starts_a_schedule(client: Client, page: GivingPage) -> None:
    url = reverse("blog:give")
    response = client.post(url, _post_data(client, url, frequency="monthly", amount="1000"))
    assert response.status_code == 303
    schedule = RecurringGift.objects.get()
    assert schedule.amount_cents == 1000
    assert Donation.objects.get().frequency == Frequency.MONTHLY


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "free", "free_amount": "0"}, "supérieur à zéro"),
        ({"amount": "free", "free_amount": "-5"}, "Saisissez un montant en euros"),
        ({"amount": "free", "free_amount": "abc"}, "Saisissez un montant en euros"),
        ({"amount": "free", "free_amount": "10,999"}, "Saisissez un montant en euros"),
        ({"amount": "free", "free_amount": "999999999"}, "contactez-nous directement"),
        ({"amount": "free", "free_amount": "2"}, "Le don minimum sur cette page est de 5"),
        ({"address_line1": "", "city": ""}, "Indispensable pour votre reçu fiscal"),
        ({"email": "pas-une-adresse"}, "adresse de courriel valide"),
        ({"key": "inventee"}, "Ce formulaire a expiré"),
    ],
)
def test_bad_input_shows_the_form_again_and_records_nothing(
    client: Client, page: GivingPage, changes: dict[str, str], message: str
) -> None:
    url = reverse("blog:give")
    response = client.post(url, _post_data(client, url, **changes))
    assert response.status_code == 200
    assert message in htmllib.unescape(response.content.decode())
    assert Donation.objects.count() == 0
    assert RecurringGift.objects.count() == 0


def test_monthly_on_a_one_off_page_records_nothing(client: Client) -> None:
    page = GivingPageFactory(slug="ponctuel", allow_monthly=False)
    SuggestedAmountFactory(page=page, amount_cents=3000)
    url = reverse("blog:give_page", kwargs={"slug": "ponctuel"})
    response = client.post(url, _post_data(client, url, frequency="monthly"))
    assert response.status_code == 200
    assert Donation.objects.count() == 0
    # The form falls back to the page's one frequency: nothing monthly is offered.
    assert "Don mensuel" not in htmllib.unescape(response.content.decode())


def test_provider_down_says_so_and_a_retry_reuses_the_gift(
    client: Client, page: GivingPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = reverse("blog:give")
    data = _post_data(client, url)

    def down(self: Any, **kwargs: Any) -> Any:
        raise ProviderUnavailable()

    with monkeypatch.context() as patch:
        patch.setattr(DemoProvider, "checkout_start", down)
        response = client.post(url, data)
    assert response.status_code == 200
    html = htmllib.unescape(response.content.decode())
    assert "Le service de paiement ne répond pas, réessayez dans quelques minutes" in html
    assert "aucun don n'a été enregistré deux fois" in html
    kept = Donation.objects.count()
    # The same form sent again once the provider is back: still one gift.
    response = client.post(url, data)
    assert response.status_code == 303
    assert Donation.objects.count() == max(kept, 1) == 1


def test_a_gift_after_an_excuse_remembers_it(client: Client, page: GivingPage) -> None:
    from essaim.giving.models import Excuse, Rebuttal

    excuse = Excuse.objects.create(slug="pas-de-monnaie", label="Je n'ai pas de monnaie")
    rebuttal = Rebuttal.objects.create(excuse=excuse, name="A", text="La carte suffit.")
    give = client.post(reverse("blog:excuse_give", kwargs={"slug": excuse.slug}))
    if give.status_code == 405:
        give = client.get(reverse("blog:excuse_give", kwargs={"slug": excuse.slug}))
    assert give.status_code in (302, 303)
    url = reverse("blog:give")
    client.post(url, _post_data(client, url))
    donation = Donation.objects.get()
    assert (donation.excuse_id, donation.rebuttal_id) == (excuse.pk, rebuttal.pk)


def test_giving_page_queries_do_not_grow_with_amounts(
    client: Client, page: GivingPage, django_assert_num_queries: Any
) -> None:
    url = reverse("blog:give")
    client.get(url)  # warm the organisation cache
    with django_assert_num_queries(GIVE_QUERIES):
        client.get(url)
    for cents in range(6000, 12000, 1000):
        SuggestedAmountFactory(page=page, amount_cents=cents)
    with django_assert_num_queries(GIVE_QUERIES):
        assert client.get(url).status_code == 200


GIVE_QUERIES = 3


# --- Thank-you page ---------------------------------------------------------------------


def test_thanks_for_a_paid_gift(client: Client, page: GivingPage) -> None:
    donation = PaidDonationFactory(page=page, amount_cents=3000, given_name="Louise")
    response = client.get(reverse("blog:give_thanks", kwargs={"code": donation.code}))
    assert response.status_code == 200
    html = htmllib.unescape(response.content.decode())
    assert "Merci Louise" in html
    assert "<strong>une maraude de plus</strong>" in html
    assert "30\u00a0€ ne vous coûte que 10,20\u00a0€" in html
    assert '<meta name="robots" content="noindex">' in html
    assert reverse("donor:home") in html
    assert f'href="{reverse("blog:home")}#agir"' in html


def test_thanks_links_the_issued_receipt(client: Client, page: GivingPage) -> None:
    from essaim.giving.receipts import receipt_issue_for_donation

    donation = PaidDonationFactory(page=page)
    receipt = receipt_issue_for_donation(donation=donation, actor=None)
    html = _text(client.get(reverse("blog:give_thanks", kwargs={"code": donation.code})))
    assert reverse("receipts:pdf", kwargs={"code": receipt.code}) in html


def test_thanks_while_the_payment_is_pending(client: Client, page: GivingPage) -> None:
    donation = DonationFactory(page=page)
    html = _text(client.get(reverse("blog:give_thanks", kwargs={"code": donation.code})))
    assert "nous attendons la confirmation du paiement" in html
    assert "Actualiser la page" in html


def test_thanks_after_a_failed_payment_offers_a_retry(client: Client, page: GivingPage) -> None:
    donation = DonationFactory(page=page, status=DonationStatus.FAILED)
    html = _text(client.get(reverse("blog:give_thanks", kwargs={"code": donation.code})))
    assert "Le paiement n'a pas abouti" in html
    assert f'href="{reverse("blog:give")}"' in html


def test_thanks_for_an_unknown_code_is_404(client: Client) -> None:
    response = client.get(reverse("blog:give_thanks", kwargs={"code": "inconnu"}))
    assert response.status_code == 404


def test_thanks_offers_the_donor_their_give_link(client: Client, page: GivingPage) -> None:
    from tests.conftest import make_user_for_role

    user = make_user_for_role("member")
    assert user is not None
    donation = PaidDonationFactory(page=page, person=user.person)
    client.force_login(user)
    html = _text(client.get(reverse("blog:give_thanks", kwargs={"code": donation.code})))
    assert "Partagez votre lien de don personnel" in html


def test_thanks_page_queries_are_bounded(
    client: Client, page: GivingPage, django_assert_num_queries: Any
) -> None:
    donation = PaidDonationFactory(page=page)
    url = reverse("blog:give_thanks", kwargs={"code": donation.code})
    client.get(url)
    with django_assert_num_queries(THANKS_QUERIES):
        assert client.get(url).status_code == 200


THANKS_QUERIES = 2


# --- "Soutenir l'association" -------------------------------------------------------------


def _website(url: str) -> None:
    org = organisation_get()
    org.website_url = url
    org.save()
    cache.delete(ORGANISATION_CACHE_KEY)


def test_support_leads_to_the_giving_page_when_there_is_one(client: Client) -> None:
    _website("https://asso.example/")
    cache.clear()
    home = _text(client.get("/"))
    assert 'href="https://asso.example/" rel="noopener">Soutenir l\'association' in home
    # Without a giving page, /don/ leads to the institutional site too.
    response = client.get(reverse("blog:give"))
    assert response.status_code == 302
    assert response["Location"] == "https://asso.example/"
    GivingPageFactory(is_default=True)
    cache.clear()
    home = _text(client.get("/"))
    assert f'href="{reverse("blog:give")}">Soutenir l\'association' in home


def test_thanks_for_a_monthly_gift_links_its_management(client: Client, page: GivingPage) -> None:
    from essaim.giving import donor_links
    from tests.giving.factories import RecurringGiftFactory

    schedule = RecurringGiftFactory(page=page, amount_cents=1000)
    donation = PaidDonationFactory(
        page=page,
        person=schedule.person,
        recurring=schedule,
        frequency=Frequency.MONTHLY,
        amount_cents=1000,
    )
    html = _text(client.get(reverse("blog:give_thanks", kwargs={"code": donation.code})))
    assert "Votre don de 10\u00a0€ par mois est bien reçu." in html
    assert (
        reverse("donor:recurring", kwargs={"token": donor_links.recurring_token(schedule)}) in html
    )


def test_taking_the_default_page_offline_refreshes_the_cached_home(client: Client) -> None:
    from essaim.giving.pages import giving_page_deactivate
    from tests.conftest import make_user_for_role

    cache.clear()
    page = GivingPageFactory(is_default=True)
    assert "Soutenir l'association" in _text(client.get("/"))
    assert client.get("/")["X-Essaim-Cache"] == "hit"
    giving_page_deactivate(actor=make_user_for_role("admin"), page=page)
    assert "Soutenir l'association" not in _text(client.get("/"))


def test_a_gift_through_a_personal_link_credits_its_owner(client: Client, page: GivingPage) -> None:
    from essaim.referrals.models import LinkGoal
    from tests.referrals.factories import ReferralLinkFactory

    link = ReferralLinkFactory(goal=LinkGoal.GIVE)
    response = client.get(
        reverse("capillarity:link", kwargs={"code": link.code}), HTTP_USER_AGENT="Mozilla/5.0"
    )
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("blog:give"))
    url = reverse("blog:give")
    client.post(url, _post_data(client, url))
    donation = Donation.objects.get()
    assert donation.referrer == link.owner
    assert donation.referral_link == link


def test_a_signed_in_person_finds_the_form_filled_in(client: Client, page: GivingPage) -> None:
    from tests.conftest import make_user_for_role

    user = make_user_for_role("member")
    assert user is not None
    person = user.person
    person.given_name, person.city, person.postal_code = "Camille", "Nantes", "44000"
    person.save()
    client.force_login(user)
    html = _text(client.get(reverse("blog:give")))
    assert 'value="Camille"' in html and 'value="Nantes"' in html
    assert f'value="{person.email}"' in html
