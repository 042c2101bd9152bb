"""The journey in a real Chromium: staff arrange excuses and add a variant, visitors read and
click, the report reads the A/B test; every page passes axe-core and fits a phone."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse

from essaim.giving import journey
from essaim.giving.models import Excuse, JourneyDay, JourneyStep, Rebuttal
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll
from tests.conftest import make_user_for_role
from tests.giving.factories import GivingPageFactory

PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def _excuses() -> list[Excuse]:
    # The live server's database is emptied between tests: make the journey's own rows.
    Excuse.objects.all().delete()
    rows = []
    for position, label in enumerate(
        ("D'autres donnent pour moi", "Je n'ai pas le temps", "Ça ne sert à rien")
    ):
        excuse = Excuse.objects.create(slug=f"excuse-{position}", label=label, position=position)
        Rebuttal.objects.create(
            excuse=excuse,
            name="A",
            text=f"Une réponse **honnête** à « {label} ».",
            impact_figure="30 € = un mois de fournitures",
        )
        rows.append(excuse)
    return rows


def test_staff_arrange_and_add_a_variant(new_context: Any, sign_in: Any) -> None:
    first, second, third = _excuses()
    context = new_context()
    sign_in(context, make_user_for_role("communication"))
    staff = context.new_page()
    staff.goto(reverse("journey_admin:list"))
    assert_accessible(staff)

    # Move the last excuse up (a form post; htmx swaps the list in place when it runs):
    # the new place is announced and the focus stays on the moved excuse's button.
    from playwright.sync_api import expect

    staff.get_by_role("button", name="Monter — Ça ne sert à rien").click()
    expect(staff.locator("#journey-move-status")).to_have_text(
        "« Ça ne sert à rien » est maintenant en position 2 sur 3."
    )
    expect(staff.get_by_role("button", name="Monter — Ça ne sert à rien")).to_be_focused()
    assert list(Excuse.objects.order_by("position").values_list("pk", flat=True)) == [
        first.pk,
        third.pk,
        second.pk,
    ]
    staff.keyboard.press("Enter")  # once more: now first, the focus moves to "Descendre"
    expect(staff.get_by_role("button", name="Descendre — Ça ne sert à rien")).to_be_focused()
    assert Excuse.objects.order_by("position").first() == third
    assert_accessible(staff)

    staff.get_by_role("link", name="Ajouter une variante — Je n'ai pas le temps").click()
    assert_accessible(staff)
    staff.get_by_label("Réponse").fill("")
    staff.get_by_role("button", name="Enregistrer").click()
    expect(staff.get_by_text("La réponse ne peut pas être vide.")).to_be_visible()
    assert_accessible(staff)
    staff.get_by_label("Réponse").fill("Deux minutes, **montre en main**.")
    staff.get_by_role("button", name="Enregistrer").click()
    expect(staff.get_by_text("Variante B ajoutée.")).to_be_visible()
    assert second.rebuttals.filter(name="B", is_active=True).exists()


def test_visitor_reads_and_clicks_on_a_phone(new_context: Any) -> None:
    excuses = _excuses()
    GivingPageFactory(is_default=True, title="Soutenez-nous")
    visitor = new_context(**PHONE).new_page()
    visitor.goto(reverse("blog:excuses"))
    assert_accessible(visitor)
    assert_no_horizontal_scroll(visitor, 360)
    visitor.get_by_role("link", name="Je n'ai pas le temps").click()
    assert_accessible(visitor)
    assert_no_horizontal_scroll(visitor, 360)
    visitor.get_by_role("link", name="Je donne").click()
    visitor.wait_for_url("**/don/**")
    assert JourneyDay.objects.get(step=JourneyStep.GIVE_CLICK).rebuttal.excuse == excuses[1]
    cookies = {cookie["name"] for cookie in visitor.context.cookies()}
    assert {"essaim_variant", "essaim_give"} <= cookies


def test_report_is_accessible_on_a_phone(new_context: Any, sign_in: Any) -> None:
    excuse = _excuses()[1]
    a = excuse.rebuttals.get()
    b = Rebuttal.objects.create(excuse=excuse, name="B", text="Autre réponse.")
    day = datetime.date.today()
    for rebuttal, reads, clicks in ((a, 120, 10), (b, 120, 25)):
        for _ in range(reads):
            journey.journey_count(step=JourneyStep.READ, excuse=excuse, rebuttal=rebuttal, day=day)
        for _ in range(clicks):
            journey.journey_count(
                step=JourneyStep.GIVE_CLICK, excuse=excuse, rebuttal=rebuttal, day=day
            )
    context = new_context(**PHONE)
    sign_in(context, make_user_for_role("treasurer"))
    staff = context.new_page()
    staff.goto(reverse("journey_admin:report"))
    from playwright.sync_api import expect

    expect(staff.get_by_text("B fait mieux que A avec")).to_be_visible()
    assert_accessible(staff)
    assert_no_horizontal_scroll(staff, 360)
