"""Demo figures of the excuses journey for `make run`: four months of counts and an A/B test.

The seeded answer to « Je n'ai pas le temps » gets a variant B (through the service), the
journey gets daily counts over the last 120 days, and some of the treasury's demo gifts of
that period (essaim.giving.demo, run first) are credited to the answers they followed. A
second run finds variant B and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.accounts.models import User

from . import journey
from .demo import KEY as DEMO_GIFTS
from .models import Donation, DonationStatus, Excuse, Frequency, JourneyDay, JourneyStep, Rebuttal

TESTED = "je-n-ai-pas-le-temps"
DAYS = 120
# Share of the page's visitors who pick each excuse (by position), and clicks per read.
PICKS = (0.18, 0.12, 0.10, 0.22, 0.16, 0.12, 0.10)
CLICK_RATE = {"A": 0.08, "B": 0.13}
OTHER_CLICK_RATE = 0.07
VOLUNTEER_RATE = 0.03


def _binomial(rng: random.Random, trials: int, rate: float) -> int:
    return sum(1 for _ in range(trials) if rng.random() < rate)


def journey_demo_setup(*, admin: User) -> bool:
    """Create the journey's demo figures once; return whether anything was created."""
    tested = Excuse.objects.filter(slug=TESTED).first()
    if tested is None or tested.rebuttals.filter(name="B").exists():
        return False
    rng = random.Random(11)  # noqa: S311  (demo figures, not secrets)
    today = timezone.localdate()
    with transaction.atomic():
        journey.rebuttal_create(
            actor=admin,
            excuse=tested,
            data=journey.RebuttalInput(
                name="B",
                text=_(
                    "Vous avez deux minutes ? C'est exactement le temps qu'il faut.\n\n"
                    "Choisissez un montant, donnez votre adresse pour le reçu fiscal, payez : "
                    "c'est fini. Et avec un don mensuel, vous n'y pensez plus jamais."
                ),
                impact_figure=_("Deux minutes aujourd'hui, toute une année d'action."),
                give_label=_("J'ai deux minutes"),
            ),
        )
        excuses = list(journey.staff_excuses().filter(is_active=True))
        rows: list[JourneyDay] = []
        for offset in range(DAYS):
            day = today - dt.timedelta(days=offset)
            views = rng.randint(25, 70)
            rows.append(JourneyDay(day=day, step=JourneyStep.VIEW, count=views))
            for index, excuse in enumerate(excuses):
                variants = [r for r in excuse.rebuttals.all() if r.is_active]
                if not variants:
                    continue
                readers = _binomial(rng, views, PICKS[index % len(PICKS)])
                for position, rebuttal in enumerate(variants):
                    # Visitors are split evenly between the variants.
                    reads = readers // len(variants) + (position < readers % len(variants))
                    rate = CLICK_RATE.get(rebuttal.name, OTHER_CLICK_RATE)
                    if excuse.slug != TESTED:
                        rate = OTHER_CLICK_RATE
                    counts = {
                        JourneyStep.READ: reads,
                        JourneyStep.GIVE_CLICK: _binomial(rng, reads, rate),
                        JourneyStep.VOLUNTEER_CLICK: _binomial(rng, reads, VOLUNTEER_RATE),
                    }
                    rows.extend(
                        JourneyDay(day=day, step=step, excuse=excuse, rebuttal=rebuttal, count=n)
                        for step, n in counts.items()
                        if n
                    )
        JourneyDay.objects.bulk_create(rows)
        _demo_gifts(today, tested)
    return True


def _demo_gifts(today: dt.date, tested: Excuse) -> None:
    """Credit some of the treasury's demo gifts of the period to the answers they followed."""
    answers = {r.name: r for r in Rebuttal.objects.filter(excuse=tested)}
    other = Rebuttal.objects.filter(excuse__slug="je-n-ai-pas-de-monnaie-sur-moi").first()
    plan = [answers.get("B"), answers.get("A"), answers.get("B"), other]
    plan += [answers.get("B"), answers.get("A"), other, answers.get("B")]
    gifts = Donation.objects.filter(
        idempotency_key__startswith=f"{DEMO_GIFTS}-",
        status=DonationStatus.PAID,
        frequency=Frequency.ONE_OFF,
        given_on__gte=today - dt.timedelta(days=DAYS - 1),
    ).order_by("given_on", "pk")
    for gift, rebuttal in zip(gifts[: len(plan)], plan, strict=False):
        if rebuttal is not None:
            # Demo data only: which answer a gift followed is where it came from, not money.
            Donation.objects.filter(pk=gift.pk).update(
                excuse_id=rebuttal.excuse_id, rebuttal_id=rebuttal.pk
            )
