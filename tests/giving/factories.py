"""Factories of the giving app (pages, suggested amounts, gifts, monthly gifts).

Shared by every giving test module: append new factories at the end, don't rewrite.
A paid gift is ``PaidDonationFactory()``; a pending one ``DonationFactory()``.
"""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone

from essaim.giving.models import (
    Donation,
    DonationStatus,
    Excuse,
    Frequency,
    GivingPage,
    PaymentMethod,
    Provider,
    Rebuttal,
    Receipt,
    RecurringGift,
    RecurringStatus,
    SuggestedAmount,
)
from tests.people.factories import PersonFactory


class GivingPageFactory(factory.django.DjangoModelFactory[GivingPage]):
    class Meta:
        model = GivingPage

    title = factory.Sequence(lambda n: f"Page de don {n}")
    slug = factory.Sequence(lambda n: f"page-de-don-{n}")
    intro = "Votre don nous aide à agir."
    thank_you_text = "Merci pour votre don."

    @classmethod
    def _create(cls, model_class: type[GivingPage], *args: Any, **kwargs: Any) -> GivingPage:
        # One default page at most: the new one takes the mark (from the seeded page too).
        if kwargs.get("is_default"):
            GivingPage.objects.filter(is_default=True).update(is_default=False)
        return super()._create(model_class, *args, **kwargs)


class SuggestedAmountFactory(factory.django.DjangoModelFactory[SuggestedAmount]):
    class Meta:
        model = SuggestedAmount

    page = factory.SubFactory(GivingPageFactory)
    frequency = Frequency.ONE_OFF
    amount_cents = factory.Sequence(lambda n: 1000 + n * 100)
    impact = "Un mois de fournitures"
    position = factory.Sequence(lambda n: n)


class _DonorFieldsMixin(factory.django.DjangoModelFactory[Donation]):
    class Meta:
        abstract = True

    person = factory.SubFactory(PersonFactory)
    given_name = factory.LazyAttribute(lambda o: o.person.given_name)
    family_name = factory.LazyAttribute(lambda o: o.person.family_name)
    email = factory.LazyAttribute(lambda o: o.person.email)
    address_line1 = "1 rue de la Paix"
    postal_code = "75002"
    city = "Paris"


class DonationFactory(_DonorFieldsMixin):
    """A pending one-off card gift through the demo provider."""

    class Meta:
        model = Donation

    page = factory.SubFactory(GivingPageFactory)
    amount_cents = 3000
    frequency = Frequency.ONE_OFF
    status = DonationStatus.PENDING
    provider = Provider.DEMO
    payment_method = PaymentMethod.CARD
    given_on = factory.LazyFunction(timezone.localdate)


class PaidDonationFactory(DonationFactory):
    """A paid one-off gift."""

    status = DonationStatus.PAID
    paid_at = factory.LazyFunction(timezone.now)
    provider_reference = factory.Sequence(lambda n: f"demo_{n}")


class OfflineDonationFactory(DonationFactory):
    """A paid cheque recorded by the treasurer, not yet reconciled."""

    status = DonationStatus.PAID
    paid_at = factory.LazyFunction(timezone.now)
    provider = Provider.OFFLINE
    payment_method = PaymentMethod.CHEQUE
    bank_reference = factory.Sequence(lambda n: f"CHQ{n:07d}")


class RecurringGiftFactory(factory.django.DjangoModelFactory[RecurringGift]):
    """An active monthly gift through the demo provider."""

    class Meta:
        model = RecurringGift

    person = factory.SubFactory(PersonFactory)
    given_name = factory.LazyAttribute(lambda o: o.person.given_name)
    family_name = factory.LazyAttribute(lambda o: o.person.family_name)
    email = factory.LazyAttribute(lambda o: o.person.email)
    address_line1 = "1 rue de la Paix"
    postal_code = "75002"
    city = "Paris"
    page = factory.SubFactory(GivingPageFactory)
    amount_cents = 2000
    provider = Provider.DEMO
    status = RecurringStatus.ACTIVE
    started_at = factory.LazyFunction(timezone.now)
    next_payment_on = factory.LazyFunction(timezone.localdate)


def issued_receipt(**gift_fields: object) -> Receipt:
    """Return a receipt issued by the service for a new paid one-off gift (PDF not drawn)."""
    from essaim.giving.receipts import receipt_issue_for_donation

    receipt = receipt_issue_for_donation(donation=PaidDonationFactory(**gift_fields))
    assert receipt is not None
    return receipt


class ExcuseFactory(factory.django.DjangoModelFactory[Excuse]):
    """A shown excuse of the journey (give it answers with RebuttalFactory)."""

    class Meta:
        model = Excuse

    slug = factory.Sequence(lambda n: f"excuse-{n}")
    label = factory.Sequence(lambda n: f"Excuse numéro {n}")
    position = factory.Sequence(lambda n: 100 + n)


class RebuttalFactory(factory.django.DjangoModelFactory[Rebuttal]):
    """A shown variant "A" of an answer to a new excuse."""

    class Meta:
        model = Rebuttal

    excuse = factory.SubFactory(ExcuseFactory)
    name = "A"
    text = "Donner en ligne prend **deux minutes**."
    impact_figure = "30 € = un mois de fournitures"
