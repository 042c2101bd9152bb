"""Django admin of the giving models: pages open, gifts read-only, receipts never deletable."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from essaim.giving.models import Donation, GivingPage, ProviderEvent, Receipt
from tests.giving.factories import GivingPageFactory, PaidDonationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Receipt, ProviderEvent, Donation, GivingPage])
def test_nothing_deletable_from_the_admin(model: Any, admin_user: Any) -> None:
    request = RequestFactory().get("/")
    request.user = admin_user
    model_admin = admin.site._registry[model]
    assert not model_admin.has_delete_permission(request)


def test_receipts_and_events_are_read_only(admin_user: Any) -> None:
    request = RequestFactory().get("/")
    request.user = admin_user
    for model in (Receipt, ProviderEvent, Donation):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)


def test_admin_pages_open(client: Any, admin_user: Any) -> None:
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    gift = PaidDonationFactory()
    page = GivingPageFactory()
    for url in (
        reverse("admin:giving_donation_changelist"),
        reverse("admin:giving_donation_change", args=[gift.pk]),
        reverse("admin:giving_givingpage_change", args=[page.pk]),
        reverse("admin:giving_receipt_changelist"),
        reverse("admin:giving_providerevent_changelist"),
        reverse("admin:giving_recurringgift_changelist"),
    ):
        assert client.get(url).status_code == 200, url
