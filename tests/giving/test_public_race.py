"""The same giving form sent twice at the same instant through the page (PostgreSQL): one gift."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from essaim.giving.forms import form_key_new
from essaim.giving.models import Donation
from essaim.people.models import Person
from tests.concurrency import race
from tests.giving.factories import GivingPageFactory, SuggestedAmountFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]


def test_a_double_submission_at_the_same_instant_makes_one_gift() -> None:
    page = GivingPageFactory(is_default=True)
    SuggestedAmountFactory(page=page, amount_cents=3000)
    data = {
        "key": form_key_new(),
        "frequency": "one_off",
        "amount": "3000",
        "given_name": "Noa",
        "family_name": "Petit",
        "email": "noa.petit@exemple.fr",
        "wants_receipt": "on",
        "address_line1": "2 rue Haute",
        "postal_code": "35000",
        "city": "Rennes",
        "provider": "demo",
    }
    url = reverse("blog:give")

    def post() -> tuple[int, str]:
        response = Client().post(url, data)
        return response.status_code, response.get("Location", "")

    results = race(post, post, post)
    assert all(isinstance(result, tuple) for result in results), results
    assert {result[0] for result in results} == {303}  # type: ignore[index]
    assert len({result[1] for result in results}) == 1  # type: ignore[index]
    assert Donation.objects.count() == 1
    assert Person.objects.filter(email="noa.petit@exemple.fr").count() == 1
