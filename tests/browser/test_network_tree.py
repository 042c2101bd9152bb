"""The network tree in a real Chromium: opening a person loads their referrals by htmx,
the page and the figures pass axe-core and fit a phone."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from essaim.referrals.tree import referral_attribute
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll
from tests.conftest import make_user_for_role
from tests.people.factories import PersonFactory


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def test_open_a_person_in_the_tree_then_read_the_figures(new_context, sign_in):
    admin = make_user_for_role("admin")
    root = PersonFactory(given_name="Aurore", family_name="Racine")
    child = PersonFactory(given_name="Bastien", family_name="Enfant")
    leaf = PersonFactory(given_name="Chloé", family_name="Feuille")
    referral_attribute(person=child, referrer=root, at=timezone.now())
    referral_attribute(person=leaf, referrer=child, at=timezone.now())

    context = new_context(viewport={"width": 360, "height": 740})
    sign_in(context, admin)
    page = context.new_page()
    page.goto(reverse("network:tree"))
    expect(page.get_by_role("heading", level=1)).to_have_text("L'arbre du réseau")
    page.get_by_text("Aurore Racine", exact=True).click()
    # htmx swapped in the children: Bastien, who can be opened in turn.
    expect(page.get_by_text("Bastien Enfant", exact=True)).to_be_visible()
    page.get_by_text("Bastien Enfant", exact=True).click()
    expect(page.get_by_role("link", name="Chloé Feuille")).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_scroll(page, 360)

    page.goto(reverse("network:overview"))
    expect(page.locator("svg[role=img]")).to_have_count(4)
    assert_accessible(page)
    assert_no_horizontal_scroll(page, 360)
