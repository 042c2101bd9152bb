"""Treasurer screens: figures, gifts list and filters, gift file, offline gifts, reconciliation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from essaim.core.models import AuditLog
from essaim.giving import treasury
from essaim.giving.models import (
    Donation,
    DonationChange,
    DonationStatus,
    Frequency,
    PaymentMethod,
    Provider,
    Receipt,
    ReceiptStatus,
)
from tests.giving.factories import (
    DonationFactory,
    GivingPageFactory,
    OfflineDonationFactory,
    PaidDonationFactory,
    RecurringGiftFactory,
)
from tests.people.factories import PersonFactory
from tests.referrals.factories import CampaignFactory

pytestmark = pytest.mark.django_db

MONTHS = [f"m{i}" for i in range(1, 13)]


def _day(month: int, day: int = 10, year: int = 2025) -> dt.date:
    return dt.date(year, month, day)


def test_year_figures_sum_paid_gifts_only() -> None:
    campaign = CampaignFactory(title="Hiver")
    page = GivingPageFactory(title="Générale")
    relay = PersonFactory(given_name="Rita", family_name="Relais")
    donor = PersonFactory()
    PaidDonationFactory(person=donor, amount_cents=3000, given_on=_day(1), page=page)
    PaidDonationFactory(person=donor, amount_cents=2000, given_on=_day(1), campaign=campaign)
    PaidDonationFactory(amount_cents=5000, given_on=_day(3), referrer=relay, page=page)
    OfflineDonationFactory(amount_cents=10000, given_on=_day(3), page=None)
    PaidDonationFactory(amount_cents=1000, given_on=_day(4), frequency=Frequency.MONTHLY, page=None)
    PaidDonationFactory(amount_cents=700, given_on=_day(5), status=DonationStatus.REFUNDED)
    PaidDonationFactory(amount_cents=900, given_on=_day(5), status=DonationStatus.DISPUTED)
    PaidDonationFactory(amount_cents=99999, given_on=_day(5, year=2024))  # another year
    RecurringGiftFactory(amount_cents=1500)
    figures = treasury.year_figures(2025, month_names=MONTHS)
    assert figures.total_cents == 21000
    assert figures.gifts == 5
    assert figures.donors == 4
    assert figures.one_off_donors == 3 and figures.monthly_donors == 1
    assert (figures.refunded_count, figures.refunded_cents) == (1, 700)
    assert (figures.disputed_count, figures.disputed_cents) == (1, 900)
    assert [m.total_cents for m in figures.months][:5] == [5000, 0, 15000, 1000, 0]
    assert figures.by_campaign[0].total_cents == 19000  # gifts outside any campaign first
    assert {(b.label, b.total_cents) for b in figures.by_campaign} == {("", 19000), ("Hiver", 2000)}
    assert ("Générale", 8000) in {(b.label, b.total_cents) for b in figures.by_page}
    assert {b.key: b.total_cents for b in figures.by_provider} == {"demo": 11000, "offline": 10000}
    assert [(b.label, b.total_cents) for b in figures.by_referrer] == [("Rita Relais", 5000)]
    assert (figures.active_schedules, figures.active_schedules_cents) == (1, 1500)
    assert 2024 in figures.years and 2025 in figures.years


def test_dashboard_queries_do_not_grow_with_gifts(
    client: Any, login_as: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(login_as("treasurer"))
    year = timezone.localdate().year
    url = reverse("treasury:dashboard") + f"?annee={year}&recalculer=1"
    PaidDonationFactory(referrer=PersonFactory(), campaign=CampaignFactory())
    client.get(url)  # the first request of a test creates the organisation row
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    for _ in range(6):
        PaidDonationFactory(referrer=PersonFactory(), campaign=CampaignFactory())
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(url)
    body = response.content.decode()
    assert "<svg" in body and "chart-table" in body


def test_dashboard_figures_are_kept_a_minute_but_a_treasurer_s_change_shows_at_once(
    client: Any, login_as: Any, django_assert_num_queries: Any
) -> None:
    from freezegun import freeze_time

    from essaim.giving import services
    from essaim.giving.inputs import DonorInput

    treasurer = login_as("treasurer")
    client.force_login(treasurer)
    url = reverse("treasury:dashboard")
    PaidDonationFactory(amount_cents=3000)
    assert client.get(url).context["figures"].total_cents == 3000
    # From the cache: the figures' queries are not run again.
    with django_assert_num_queries(DASHBOARD_QUERIES - DASHBOARD_FIGURE_QUERIES):
        assert client.get(url).context["figures"].total_cents == 3000
    # A payment confirmed by a provider (no person acting) shows within the minute…
    pending = DonationFactory(amount_cents=1000)
    services.donation_mark_paid(donation=pending, at=timezone.now())
    assert client.get(url).context["figures"].total_cents == 3000
    assert client.get(url + "?recalculer=1").context["figures"].total_cents == 4000
    services.donation_mark_paid(donation=DonationFactory(amount_cents=500), at=timezone.now())
    with freeze_time(timezone.now() + dt.timedelta(seconds=61)):
        assert client.get(url).context["figures"].total_cents == 4500
    # …and a treasurer's own entry at once.
    services.donation_record_offline(
        actor=treasurer,
        donor=DonorInput(
            given_name="Léa",
            family_name="Martin",
            email="lea@exemple.fr",
            address_line1="1 rue des Lilas",
            postal_code="69001",
            city="Lyon",
        ),
        amount_cents=2000,
        payment_method="cheque",
        given_on=timezone.localdate(),
    )
    assert client.get(url).context["figures"].total_cents == 6500


def test_dashboard_refuses_a_strange_year(client: Any, login_as: Any) -> None:
    client.force_login(login_as("treasurer"))
    assert client.get(reverse("treasury:dashboard") + "?annee=abc").status_code == 200
    assert client.get(reverse("treasury:dashboard") + "?annee=1200").status_code == 404


def test_filters_narrow_the_list() -> None:
    page = GivingPageFactory()
    target = OfflineDonationFactory(
        family_name="Durandal", given_on=_day(3), page=page, reconciled_at=None
    )
    OfflineDonationFactory(given_on=_day(4), page=page)
    PaidDonationFactory(family_name="Durandal", given_on=_day(3))
    filters = treasury.GiftFilters(
        search="durand",
        provider=Provider.OFFLINE,
        method=PaymentMethod.CHEQUE,
        start=_day(3, 1),
        end=_day(3, 31),
        page_id=page.pk,
        reconciled="no",
        status=DonationStatus.PAID,
    )
    assert list(treasury.donations_filtered(filters)) == [target]
    assert list(
        treasury.donations_filtered(treasury.GiftFilters(search=target.bank_reference))
    ) == [target]


def test_gift_list_filters_by_month_and_is_paginated(client: Any, login_as: Any) -> None:
    client.force_login(login_as("admin"))
    march = OfflineDonationFactory(given_on=_day(3, 31))
    OfflineDonationFactory(given_on=_day(4, 1))
    response = client.get(reverse("treasury:gifts"), {"month": "2025-03"})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [march]
    response = client.get(reverse("treasury:gifts"), {"month": "mars"})
    assert response.status_code == 400
    assert "AAAA-MM" in response.content.decode()


def test_gift_list_query_count_is_constant(
    client: Any, login_as: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(login_as("treasurer"))
    url = reverse("treasury:gifts")
    PaidDonationFactory(campaign=CampaignFactory(), referrer=PersonFactory())
    client.get(url)  # the first request of a test creates the organisation row
    with django_assert_num_queries(LIST_QUERIES):
        client.get(url)
    for _ in range(8):
        PaidDonationFactory(campaign=CampaignFactory(), referrer=PersonFactory())
    client.get(url)  # the first request of a test creates the organisation row
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 9


def test_gift_detail_shows_history_and_receipt(client: Any, login_as: Any) -> None:
    treasurer = login_as("treasurer")
    client.force_login(treasurer)
    gift = PaidDonationFactory(referrer=PersonFactory(given_name="Léo", family_name="Relais"))
    DonationChange.objects.create(
        donation=gift, from_status="pending", to_status="paid", at=timezone.now(), note="ok"
    )
    response = client.get(reverse("treasury:gift", kwargs={"code": gift.code}))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Léo Relais" in body and "En attente de paiement → Payé" in body
    assert client.get(reverse("treasury:gift", kwargs={"code": "inconnu"})).status_code == 404


def _offline_post(**overrides: str) -> dict[str, str]:
    post = {
        "given_name": "Jeanne",
        "family_name": "Chèque",
        "email": "jeanne.cheque@exemple.fr",
        "address_line1": "3 rue des Lilas",
        "postal_code": "69001",
        "city": "Lyon",
        "amount": "150,50",
        "payment_method": "cheque",
        "given_on": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        "bank_reference": "CHQ 0012345",
        "wants_receipt": "on",
    }
    post.update(overrides)
    return post


def test_offline_gift_is_recorded_with_its_receipt(client: Any, login_as: Any) -> None:
    client.force_login(login_as("treasurer"))
    response = client.post(reverse("treasury:offline"), _offline_post(), follow=True)
    gift = Donation.objects.get()
    assert gift.amount_cents == 15050
    assert gift.status == DonationStatus.PAID and gift.provider == Provider.OFFLINE
    assert gift.bank_reference == "CHQ 0012345"
    receipt = Receipt.objects.get(donations=gift)
    body = response.content.decode()
    assert receipt.number in body
    assert "150,50" in body


def test_offline_gift_for_a_known_person(client: Any, login_as: Any) -> None:
    person = PersonFactory(given_name="Anatole", family_name="Connu", city="Nantes")
    client.force_login(login_as("treasurer"))
    response = client.get(reverse("treasury:offline"), {"q": "anatole"})
    assert f"personne={person.pk}" in response.content.decode()
    response = client.get(reverse("treasury:offline"), {"q": "anatole", "personne": person.pk})
    assert response.context["form"].initial["family_name"] == "Connu"
    post = _offline_post(person=str(person.pk), email="", wants_receipt="")
    response = client.post(reverse("treasury:offline"), post)
    assert response.status_code == 302
    assert Donation.objects.get().person == person


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "cent euros", "Indiquez un montant en euros"),
        ("amount", "0", "supérieur à zéro"),
        ("given_on", "2999-01-01", "futur"),
        ("payment_method", "card", "Sélectionnez un choix valide"),
        ("city", "", "adresse postale"),
        ("email", "pas-une-adresse", "adresse de courriel valide"),
    ],
)
def test_bad_offline_input_changes_nothing(
    client: Any, login_as: Any, field: str, value: str, message: str
) -> None:
    client.force_login(login_as("treasurer"))
    response = client.post(reverse("treasury:offline"), _offline_post(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Donation.objects.exists()


def test_bounced_cheque_and_refund(client: Any, login_as: Any) -> None:
    client.force_login(login_as("treasurer"))
    client.post(reverse("treasury:offline"), _offline_post())
    gift = Donation.objects.get()
    url = reverse("treasury:gift_fail", kwargs={"code": gift.code})
    response = client.post(url, {"note": ""})
    assert response.status_code == 400
    gift.refresh_from_db()
    assert gift.status == DonationStatus.PAID
    response = client.post(url, {"note": "Chèque rejeté le 3 mars"})
    assert response.status_code == 302
    gift.refresh_from_db()
    assert gift.status == DonationStatus.REFUNDED
    assert not Receipt.objects.filter(status=ReceiptStatus.ISSUED).exists()
    other = OfflineDonationFactory()
    response = client.post(
        reverse("treasury:gift_refund", kwargs={"code": other.code}), {"note": "Rendu"}
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.status == DonationStatus.REFUNDED


def test_reconcile_selection_total_and_undo(client: Any, login_as: Any) -> None:
    treasurer = login_as("treasurer")
    client.force_login(treasurer)
    a = OfflineDonationFactory(amount_cents=1000)
    b = OfflineDonationFactory(amount_cents=2550)
    OfflineDonationFactory(amount_cents=99900, status=DonationStatus.REFUNDED)
    url = reverse("treasury:reconcile")
    response = client.get(url)
    assert list(response.context["page"].object_list) == [a, b]
    response = client.post(reverse("treasury:reconcile_total"), {"gift": [a.pk, b.pk]})
    assert "35,50" in response.content.decode()
    response = client.post(url, {"gift": [a.pk, b.pk], "do": "total"})
    assert "35,50" in response.content.decode()
    a.refresh_from_db()
    assert a.reconciled_at is None
    response = client.post(url, {"do": "reconcile"})
    assert response.status_code == 400
    response = client.post(url, {"gift": [a.pk, "x"], "do": "reconcile"}, follow=True)
    a.refresh_from_db()
    assert a.reconciled_at is not None and a.reconciled_by == treasurer
    assert list(response.context["page"].object_list) == [b]
    response = client.post(reverse("treasury:reconcile_undo", kwargs={"code": a.code}))
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.reconciled_at is None
    assert AuditLog.objects.filter(action="donation.reconcile_undo").count() == 1


def test_reconcile_query_count_is_constant(
    client: Any, login_as: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(login_as("treasurer"))
    url = reverse("treasury:reconcile")
    OfflineDonationFactory()
    OfflineDonationFactory(reconciled_at=timezone.now())
    client.get(url)  # the first request of a test creates the organisation row
    with django_assert_num_queries(RECONCILE_QUERIES):
        client.get(url)
    for _ in range(6):
        OfflineDonationFactory()
        OfflineDonationFactory(reconciled_at=timezone.now())
    client.get(url)  # the first request of a test creates the organisation row
    with django_assert_num_queries(RECONCILE_QUERIES):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 7


# Session, user, roles, the figures' version… and the figures themselves (years, totals,
# groups, campaign and page titles, relays, monthly schedules), read from the cache.
DASHBOARD_QUERIES = 13
DASHBOARD_FIGURE_QUERIES = 8
LIST_QUERIES = 9
RECONCILE_QUERIES = 7
