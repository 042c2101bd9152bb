"""Demo gifts for `make run`: a live treasury from the first start.

Everything goes through the real services (gifts started and paid with the demo provider,
cheques recorded by the treasurer, receipts issued on payment, one refund, one monthly gift
with its payments), dated over the current year. A second run finds its first gift and
creates nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.accounts.models import User
from essaim.blog.models import ConsentUse
from essaim.blog.story_selectors import stories_usable_for
from essaim.people.models import Person

from . import pages as page_services
from . import providers, services
from .inputs import DonorInput, GiftSource
from .models import Donation, Frequency, GivingPage, PaymentMethod, Provider
from .recurring import recurring_payment_record

KEY = "demo-seed"
ORIGIN = "http://localhost"


def _donor(person: Person) -> DonorInput:
    return DonorInput(
        given_name=person.given_name or _("Donateur"),
        family_name=person.family_name or _("Anonyme"),
        email=person.email or f"donateur{person.pk}@exemple.fr",
        address_line1=person.address_line1 or _("1 rue de la République"),
        postal_code=person.postal_code or "75011",
        city=person.city or "Paris",
    )


def _page_data(page: GivingPage) -> dict[str, Any]:
    return {name: getattr(page, name) for name in page_services.PAGE_FIELDS}


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 15)))


def _default_page(admin: User) -> GivingPage:
    page = GivingPage.objects.filter(is_default=True).first()
    if page is None:
        data: dict[str, Any] = {
            "title": _("Soutenir l'association"),
            "kind": "general",
            "intro": _("Votre don nous permet d'agir en toute indépendance."),
            "campaign": None,
            "action": None,
            "story": None,
            "allow_one_off": True,
            "allow_monthly": True,
            "default_frequency": Frequency.ONE_OFF,
            "allow_free_amount": True,
            "minimum_cents": 500,
            "goal_cents": 0,
            "is_default": True,
            "is_active": True,
            "thank_you_text": _("Merci pour votre générosité."),
        }
        page = page_services.giving_page_create(actor=admin, data=data)
    story = stories_usable_for(ConsentUse.GIVING).first()
    if (page.story_id is None and story is not None) or page.goal_cents == 0:
        fields = _page_data(page)
        fields["story"] = page.story or story
        fields["goal_cents"] = fields["goal_cents"] or 500_000
        page = page_services.giving_page_update(actor=admin, page=page, data=fields)
    return page


def giving_demo_setup(*, admin: User, treasurer: User) -> bool:
    """Create the demo gifts once; return whether anything was created."""
    if (
        Donation.objects.filter(idempotency_key__startswith=KEY).exists()
        or Donation.objects.filter(bank_reference__startswith="DEMO-").exists()
    ):
        return False
    rng = random.Random(7)  # noqa: S311  (demo dates, not secrets)
    today = timezone.localdate()
    start = dt.date(today.year, 1, 1)
    span = max(1, (today - start).days)
    donors = list(
        Person.objects.filter(user__isnull=True, erased_at__isnull=True)
        .exclude(email="")
        .order_by("pk")[:24]
    )
    if len(donors) < 20:
        return False
    relays = list(Person.objects.filter(user__isnull=False).order_by("pk")[:3])
    demo_online = any(p.name == Provider.DEMO for p in providers.available())
    with transaction.atomic():
        page = _default_page(admin)
        days = sorted(start + dt.timedelta(days=rng.randrange(span)) for _ in range(20))
        amounts = [1500, 3000, 5000, 10000, 2000, 4000, 7500]
        online: list[Donation] = []
        for index, day in enumerate(days[:13] if demo_online else []):
            person = donors[index]
            relay = relays[index % len(relays)] if relays and index % 4 == 0 else None
            attribution = None
            if relay is not None:
                from essaim.referrals.links import Attribution

                attribution = Attribution(referrer=relay, at=_at(day, 9), channel="email")
            started = services.donation_start(
                donor=_donor(person),
                amount_cents=amounts[index % len(amounts)],
                frequency=Frequency.ONE_OFF,
                provider=Provider.DEMO,
                idempotency_key=f"{KEY}-{index}",
                source=GiftSource(page=page, attribution=attribution),
                wants_receipt=index % 3 != 2,
                consent_news=False,
                return_url=f"{ORIGIN}/don/merci/{{code}}/",
                cancel_url=f"{ORIGIN}/don/",
            )
            paid = services.donation_mark_paid(
                donation=started.donation,
                at=_at(day, 10),
                provider_reference=f"demo_{index:04d}",
            )
            online.append(paid)
        if online:
            services.donation_refund(
                actor=treasurer,
                donation=online[1],
                note=_("Don fait deux fois par erreur : remboursé à la demande du donateur."),
            )
        cheques: list[Donation] = []
        methods = [PaymentMethod.CHEQUE, PaymentMethod.CHEQUE, PaymentMethod.TRANSFER]
        for index, day in enumerate(days[13:] if demo_online else days):
            person = donors[13 + index if demo_online else index]
            method = methods[index % len(methods)]
            cheques.append(
                services.donation_record_offline(
                    actor=treasurer,
                    donor=_donor(person),
                    person=person,
                    amount_cents=[5000, 2000, 15000, 3000][index % 4],
                    payment_method=method,
                    given_on=day,
                    bank_reference=f"DEMO-{index + 1:04d}",
                    page=page,
                    wants_receipt=True,
                )
            )
        services.donation_reconcile(actor=treasurer, donations=cheques[: len(cheques) // 2])
        if demo_online:
            monthly_day = max(start, today - dt.timedelta(days=95))
            started = services.donation_start(
                donor=_donor(donors[-1]),
                amount_cents=2000,
                frequency=Frequency.MONTHLY,
                provider=Provider.DEMO,
                idempotency_key=f"{KEY}-monthly",
                source=GiftSource(page=page),
                wants_receipt=True,
                consent_news=False,
                return_url=f"{ORIGIN}/don/merci/{{code}}/",
                cancel_url=f"{ORIGIN}/don/",
            )
            schedule = started.recurring
            if schedule is not None:
                for month in range(4):
                    day = monthly_day + dt.timedelta(days=30 * month)
                    if day > today:
                        break
                    recurring_payment_record(
                        recurring=schedule, key=f"{KEY}-monthly-{month}", at=_at(day, 8)
                    )
    return True
