"""From sharing a personal link to seeing the newcomer in one's downline, in a real Chromium."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.urls import reverse

from essaim.people.models import Person
from essaim.referrals.models import LinkVisitDay, ReferralEvent
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll
from tests.referrals.factories import CampaignFactory, member_with_account

PASSWORD = "Essaim-ruche-2026!"


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def test_share_a_link_then_see_the_newcomer_in_my_network(new_context, sign_in):
    CampaignFactory(title="100 nouveaux membres avant l'été", target=100)
    member = member_with_account(given_name="Camille", family_name="Martin")

    # The member opens "Mes liens" and copies the join link.
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    sign_in(context, member.user)
    page = context.new_page()
    page.goto(reverse("core:home"))
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Parrainage"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes liens de parrainage")
    expect(page.locator("progress")).to_have_count(1)
    assert_accessible(page)
    card = page.locator("article.link-card").filter(
        has=page.get_by_role("heading", name="Rejoindre le réseau")
    )
    card.get_by_role("button", name=re.compile("^Copier")).click()
    expect(card.get_by_role("status")).to_have_text("Lien copié.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == card.get_by_label("Votre lien").input_value()
    assert re.fullmatch(r"https?://[^/]+/r/[A-Za-z0-9]{12}/", copied)
    expect(card.locator("svg title")).to_have_count(1)

    # Choosing the campaign swaps the cards in place (htmx) and keeps the address shareable.
    page.get_by_label("Campagne portée par vos liens").select_option(
        label="100 nouveaux membres avant l'été"
    )
    expect(page).to_have_url(re.compile(r"campagne="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes liens de parrainage")
    campaign_card = page.locator("article.link-card").filter(
        has=page.get_by_role("heading", name="Rejoindre le réseau")
    )
    expect(campaign_card.get_by_label("Votre lien")).not_to_have_value(copied)
    page.goto(reverse("referrals:links"))
    card = page.locator("article.link-card").filter(
        has=page.get_by_role("heading", name="Rejoindre le réseau")
    )
    expect(card.get_by_label("Votre lien")).to_have_value(copied)

    # On a phone, the page fits the screen.
    page.set_viewport_size({"width": 360, "height": 800})
    assert_no_horizontal_scroll(page, 360)

    # Someone else, not signed in, follows the link (same address on the test server)…
    visitor = new_context().new_page()
    visitor.goto(urlsplit(copied).path)
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Créer un compte")
    assert LinkVisitDay.objects.get().count == 1
    # …and signs up.
    visitor.get_by_label("Prénom").fill("Léa")
    visitor.get_by_label(re.compile(r"^Nom\W*$")).fill("Durand")
    visitor.get_by_label("Adresse e-mail").fill("lea.durand@exemple.org")
    visitor.get_by_label(re.compile(r"^Mot de passe\W*$")).fill(PASSWORD)
    visitor.get_by_label("Mot de passe (encore une fois)").fill(PASSWORD)
    visitor.get_by_role("button", name="Créer mon compte").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Confirmez votre adresse e-mail")
    newcomer = Person.objects.get(email="lea.durand@exemple.org")
    assert newcomer.referred_by_id == member.pk
    assert ReferralEvent.objects.filter(person=newcomer, referrer=member).exists()

    # The member sees Léa D. in their own network.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(reverse("network:mine"))
    expect(page.locator("main")).to_contain_text("Léa D.")
    assert_accessible(page)


def test_capillarity_pages_are_accessible_and_fit_a_phone(new_context, sign_in):
    from tests.conftest import make_user_for_role
    from tests.referrals.factories import InvitationFactory

    campaign = CampaignFactory(title="200 bénévoles avant juin", target=200)
    staff = make_user_for_role("communication")
    member = Person.objects.get(user=staff)
    invitation = InvitationFactory(inviter=member, email="ami@exemple.fr")
    context = new_context(viewport={"width": 360, "height": 800})
    sign_in(context, staff)
    page = context.new_page()

    # An invitation list with an invalid address: the error is said, nothing is sent.
    page.goto(reverse("referrals:invite"))
    page.get_by_label("Adresses e-mail").fill("lea@exemple.fr, pas-une-adresse")
    page.get_by_role("button", name="Envoyer les invitations").click()
    expect(page.get_by_role("alert")).to_contain_text("pas-une-adresse")
    assert_accessible(page)
    assert_no_horizontal_scroll(page, 360)

    for url in (
        reverse("referrals:invitations"),
        reverse("referrals:share_texts"),
        reverse("referrals:campaigns"),
        reverse("referrals:campaign_edit", kwargs={"slug": campaign.slug}),
        reverse("capillarity:campaign", kwargs={"slug": campaign.slug}),
        reverse("capillarity:invitation_stop", kwargs={"code": invitation.code}),
        reverse("capillarity:link", kwargs={"code": "AAAAAAAAAAAA"}),
    ):
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)
        assert_no_horizontal_scroll(page, 360)
