"""The tax receipt screens in a real Chromium: axe-core finds nothing, the annual run's
progress bar moves by itself (htmx) and by the "Mettre à jour" link, a correction works."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from essaim.giving.models import BatchStatus, Receipt, ReceiptBatch, ReceiptStatus
from essaim.giving.receipts import receipt_cancel
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll
from tests.conftest import make_user_for_role
from tests.giving.factories import issued_receipt

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def _treasurer_page(new_context: Any, sign_in: Any, **options: Any) -> Any:
    context = new_context(**options)
    sign_in(context, make_user_for_role("treasurer"))
    return context.new_page()


def test_every_receipt_screen_passes_axe(new_context: Any, sign_in: Any) -> None:
    receipt = issued_receipt(given_on=dt.date(2025, 5, 5))
    cancelled = issued_receipt(given_on=dt.date(2025, 6, 6))
    receipt_cancel(actor=None, receipt=cancelled, reason="Don remboursé")
    ReceiptBatch.objects.create(year=2025, status=BatchStatus.DONE, total=3, done=3, issued=2)
    page = _treasurer_page(new_context, sign_in)
    for url in (
        reverse("receipts:register"),
        reverse("receipts:detail", kwargs={"code": receipt.code}),
        reverse("receipts:detail", kwargs={"code": cancelled.code}),
        reverse("receipts:annual") + "?annee=2025",
        reverse("receipts:declaration") + "?annee=2025",
    ):
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert_accessible(page)
    # A refused form, with its messages, passes too.
    page.goto(reverse("receipts:detail", kwargs={"code": receipt.code}))
    # Spaces pass the browser's own check; the server refuses them.
    page.get_by_label("Motif de l'annulation").fill("   ")
    page.get_by_role("button", name="Annuler ce reçu").click()
    page.wait_for_load_state()
    assert page.get_by_text("Ce champ est obligatoire").first.is_visible()
    assert_accessible(page)


def test_register_and_detail_fit_a_phone(new_context: Any, sign_in: Any) -> None:
    receipt = issued_receipt()
    page = _treasurer_page(new_context, sign_in, **PHONE)
    for url in (
        reverse("receipts:register"),
        reverse("receipts:detail", kwargs={"code": receipt.code}),
    ):
        page.goto(url)
        assert_no_horizontal_scroll(page, 360)
        assert_accessible(page)


def test_progress_moves_by_itself_and_by_the_link(new_context: Any, sign_in: Any) -> None:
    batch = ReceiptBatch.objects.create(year=2025, status=BatchStatus.RUNNING, total=10, done=2)
    page = _treasurer_page(new_context, sign_in)
    page.goto(reverse("receipts:annual") + "?annee=2025")
    assert page.locator("#batch-bar").get_attribute("value") == "2"
    ReceiptBatch.objects.filter(pk=batch.pk).update(done=7, issued=6)
    # htmx asks again every 2 seconds.
    page.wait_for_function(
        "() => document.querySelector('#batch-bar').getAttribute('value') === '7'", timeout=8000
    )
    assert page.get_by_text("7 donateurs traités sur 10, 6 reçus émis.").is_visible()
    ReceiptBatch.objects.filter(pk=batch.pk).update(done=10, issued=9, status=BatchStatus.DONE)
    # Without waiting: the plain link reloads the page.
    page.get_by_role("link", name="Mettre à jour").click()
    page.wait_for_load_state()
    assert page.locator("#batch-bar").get_attribute("value") == "10"
    assert page.get_by_role("link", name="Mettre à jour").count() == 0
    assert_accessible(page)


def test_a_correction_in_the_browser(new_context: Any, sign_in: Any) -> None:
    receipt = issued_receipt(given_on=dt.date(2025, 9, 9))
    page = _treasurer_page(new_context, sign_in)
    page.goto(reverse("receipts:detail", kwargs={"code": receipt.code}))
    page.get_by_label("Motif de la correction").fill("Nom mal orthographié")
    page.get_by_label("Nom ou dénomination").fill("Dupond")
    page.get_by_role("button", name="Annuler et émettre le reçu corrigé").click()
    page.wait_for_load_state()
    new = Receipt.objects.get(replaces=receipt)
    assert new.family_name == "Dupond"
    assert page.get_by_role("heading", name=f"Reçu fiscal n° {new.number}").is_visible()
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.CANCELLED
    assert_accessible(page)
