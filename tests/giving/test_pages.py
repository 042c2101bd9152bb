"""Giving pages management: services (default page, amounts, audit) and the staff pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from essaim.core.models import AuditLog
from essaim.giving import pages as page_services
from essaim.giving.models import Frequency, GivingPage, GivingPageKind, SuggestedAmount
from essaim.giving.pages import AmountRow
from tests.giving.factories import GivingPageFactory, SuggestedAmountFactory

pytestmark = pytest.mark.django_db


def _data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Hiver solidaire",
        "kind": GivingPageKind.GENERAL,
        "intro": "",
        "campaign": None,
        "action": None,
        "story": None,
        "allow_one_off": True,
        "allow_monthly": True,
        "default_frequency": Frequency.ONE_OFF,
        "allow_free_amount": True,
        "minimum_cents": 500,
        "goal_cents": 0,
        "is_default": False,
        "is_active": True,
        "thank_you_text": "Merci !",
    }
    data.update(overrides)
    return data


def _post(**overrides: str) -> dict[str, str]:
    post = {
        "title": "Hiver solidaire",
        "kind": "general",
        "intro": "",
        "allow_one_off": "on",
        "allow_monthly": "on",
        "default_frequency": "one_off",
        "allow_free_amount": "on",
        "minimum_cents": "5",
        "goal_cents": "10 000",
        "is_active": "on",
        "thank_you_text": "Merci !",
        "amounts-TOTAL_FORMS": "3",
        "amounts-INITIAL_FORMS": "0",
        "amounts-MIN_NUM_FORMS": "0",
        "amounts-MAX_NUM_FORMS": "24",
        "amounts-0-frequency": "one_off",
        "amounts-0-amount": "25",
        "amounts-0-impact": "Un repas chaud",
        "amounts-1-frequency": "monthly",
        "amounts-1-amount": "12,50",
        "amounts-1-impact": "",
        "amounts-2-frequency": "",
        "amounts-2-amount": "",
        "amounts-2-impact": "",
    }
    post.update(overrides)
    return post


def test_create_gives_slug_default_amounts_and_audit(login_as: Any) -> None:
    admin = login_as("admin")
    page = page_services.giving_page_create(actor=admin, data=_data(title="L'été à Noël"))
    assert page.slug == "l-ete-a-noel"
    amounts = list(page.amounts.values_list("frequency", "amount_cents"))
    assert ("one_off", 1500) in amounts and ("monthly", 3000) in amounts
    assert len(amounts) == len(page_services.DEFAULT_AMOUNTS)
    assert AuditLog.objects.filter(action="giving_page.create", target_id=str(page.pk)).exists()
    second = page_services.giving_page_create(actor=admin, data=_data(title="L'été à Noël"))
    assert second.slug == "l-ete-a-noel-2"


def test_only_one_default_page(login_as: Any) -> None:
    admin = login_as("admin")
    first = page_services.giving_page_create(actor=admin, data=_data(is_default=True))
    second = page_services.giving_page_create(
        actor=admin, data=_data(title="Autre", is_default=True)
    )
    first.refresh_from_db()
    assert not first.is_default and second.is_default
    assert page_services.giving_page_default() == second
    page_services.giving_page_deactivate(actor=admin, page=second)
    second.refresh_from_db()
    assert not second.is_active and not second.is_default
    assert page_services.giving_page_default() is None


def test_bad_settings_are_refused_and_change_nothing(login_as: Any) -> None:
    admin = login_as("admin")
    with pytest.raises(ValidationError) as error:
        page_services.giving_page_create(
            actor=admin, data=_data(allow_one_off=False, allow_monthly=False)
        )
    assert "allow_one_off" in error.value.message_dict
    with pytest.raises(ValidationError):
        page_services.giving_page_create(
            actor=admin,
            data=_data(),
            amounts=[AmountRow(frequency="one_off", amount_cents=200)],  # under the minimum
        )
    with pytest.raises(ValidationError):
        page_services.giving_page_create(
            actor=admin,
            data=_data(),
            amounts=[
                AmountRow(frequency="one_off", amount_cents=2000),
                AmountRow(frequency="one_off", amount_cents=2000),
            ],
        )
    with pytest.raises(ValidationError):
        page_services.giving_page_create(actor=admin, data=_data(is_default=True, is_active=False))
    assert not GivingPage.objects.exists()


def test_only_page_editors_may_write(login_as: Any) -> None:
    with pytest.raises(PermissionDenied):
        page_services.giving_page_create(actor=login_as("member"), data=_data())
    page = GivingPageFactory()
    with pytest.raises(PermissionDenied):
        page_services.suggested_amounts_set(actor=login_as("coordinator"), page=page, amounts=[])


def test_suggested_amounts_set_replaces_and_orders(login_as: Any) -> None:
    page = GivingPageFactory(minimum_cents=100)
    SuggestedAmountFactory(page=page, amount_cents=9900)
    page_services.suggested_amounts_set(
        actor=login_as("communication"),
        page=page,
        amounts=[
            AmountRow(frequency="one_off", amount_cents=5000, impact=" Deux nuits "),
            AmountRow(frequency="one_off", amount_cents=2000),
        ],
    )
    rows = list(page.amounts.order_by("position").values_list("amount_cents", "impact"))
    assert rows == [(2000, ""), (5000, "Deux nuits")]
    assert AuditLog.objects.filter(action="giving_page.amounts").count() == 1


def test_update_refuses_minimum_above_kept_amounts(login_as: Any) -> None:
    page = GivingPageFactory(minimum_cents=100)
    SuggestedAmountFactory(page=page, amount_cents=1000)
    with pytest.raises(ValidationError):
        page_services.giving_page_update(
            actor=login_as("admin"), page=page, data=_data(minimum_cents=2000)
        )
    page.refresh_from_db()
    assert page.minimum_cents == 100


def test_create_through_the_form(client: Any, login_as: Any) -> None:
    client.force_login(login_as("treasurer"))
    response = client.post(reverse("giving_pages:create"), _post())
    assert response.status_code == 302
    page = GivingPage.objects.get()
    assert page.minimum_cents == 500 and page.goal_cents == 1_000_000
    assert list(page.amounts.values_list("frequency", "amount_cents", "impact")) == [
        ("monthly", 1250, ""),
        ("one_off", 2500, "Un repas chaud"),
    ]
    assert response["Location"] == reverse("giving_pages:edit", kwargs={"slug": page.slug})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("minimum_cents", "cinq", "Indiquez un montant en euros"),
        ("amounts-0-amount", "12,345", "Indiquez un montant en euros"),
        ("amounts-0-amount", "2", "sous le minimum"),
        ("amounts-1-amount", "25", None),  # same amount twice is fine across frequencies
        ("title", "", "obligatoire"),
    ],
)
def test_bad_form_input_changes_nothing(
    client: Any, login_as: Any, field: str, value: str, message: str | None
) -> None:
    client.force_login(login_as("admin"))
    response = client.post(reverse("giving_pages:create"), _post(**{field: value}))
    if message is None:
        assert response.status_code == 302
        return
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not GivingPage.objects.exists()
    assert not SuggestedAmount.objects.exists()


def test_same_amount_twice_for_a_frequency_is_refused(client: Any, login_as: Any) -> None:
    client.force_login(login_as("admin"))
    response = client.post(
        reverse("giving_pages:create"),
        _post(**{"amounts-1-frequency": "one_off", "amounts-1-amount": "25"}),
    )
    assert response.status_code == 400
    assert "proposé deux fois" in response.content.decode()
    assert not GivingPage.objects.exists()


def test_edit_keeps_untouched_rows_and_removes_ticked_ones(client: Any, login_as: Any) -> None:
    page = GivingPageFactory(minimum_cents=100)
    SuggestedAmountFactory(page=page, amount_cents=1000, impact="A")
    SuggestedAmountFactory(page=page, amount_cents=2000, impact="B")
    client.force_login(login_as("communication"))
    response = client.get(reverse("giving_pages:edit", kwargs={"slug": page.slug}))
    assert response.status_code == 200
    post = _post(
        title=page.title,
        minimum_cents="1",
        **{
            "amounts-TOTAL_FORMS": "5",
            "amounts-INITIAL_FORMS": "2",
            "amounts-0-frequency": "one_off",
            "amounts-0-amount": "10",
            "amounts-0-impact": "A",
            "amounts-1-frequency": "one_off",
            "amounts-1-amount": "20",
            "amounts-1-impact": "B",
            "amounts-1-DELETE": "on",
            "amounts-2-frequency": "monthly",
            "amounts-2-amount": "8",
            "amounts-2-impact": "",
            "amounts-3-frequency": "",
            "amounts-3-amount": "",
            "amounts-3-impact": "",
            "amounts-4-frequency": "",
            "amounts-4-amount": "",
            "amounts-4-impact": "",
        },
    )
    response = client.post(reverse("giving_pages:edit", kwargs={"slug": page.slug}), post)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(page.amounts.values_list("frequency", "amount_cents")) == [
        ("monthly", 800),
        ("one_off", 1000),
    ]


def test_list_query_count_is_constant(
    client: Any, login_as: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(login_as("treasurer"))
    url = reverse("giving_pages:list")
    GivingPageFactory()
    client.get(url)
    with django_assert_num_queries(QUERIES) as first:
        client.get(url)
    for _ in range(5):
        SuggestedAmountFactory(page=GivingPageFactory())
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200


QUERIES = 7


def test_the_seed_migration_gives_a_usable_default_page() -> None:
    import importlib

    from django.apps import apps

    seed = importlib.import_module("essaim.giving.migrations.0003_seed_default_page")
    seed.seed(apps, None)
    page = GivingPage.objects.get(is_default=True)
    assert page.is_active and page.slug == "soutenir-l-association"
    assert sorted(page.amounts.values_list("frequency", "amount_cents")) == [
        ("monthly", 1000),
        ("monthly", 2000),
        ("monthly", 3000),
        ("one_off", 1500),
        ("one_off", 3000),
        ("one_off", 5000),
        ("one_off", 10000),
    ]
    assert all(page.amounts.values_list("impact", flat=True))
    seed.seed(apps, None)  # a second run changes nothing
    assert GivingPage.objects.count() == 1 and SuggestedAmount.objects.count() == 7
