"""The journey's statistics: the z-test against hand-computed values, verdicts, the report."""

from __future__ import annotations

import datetime
import math

import pytest

from essaim.giving.journey import journey_count
from essaim.giving.journey_stats import (
    MIN_READS,
    Counts,
    VariantRow,
    confidence_b_better,
    journey_report,
    normal_cdf,
    pct,
    percent,
    two_proportion_z,
    verdict,
)
from essaim.giving.models import DonationStatus, Excuse, JourneyStep, Rebuttal
from tests.giving.factories import DonationFactory, PaidDonationFactory
from tests.people.factories import PersonFactory


def test_normal_cdf_matches_the_table() -> None:
    # Values of the standard normal table.
    assert normal_cdf(0) == pytest.approx(0.5)
    assert normal_cdf(1.0) == pytest.approx(0.8413, abs=1e-4)
    assert normal_cdf(1.645) == pytest.approx(0.9500, abs=1e-4)
    assert normal_cdf(1.96) == pytest.approx(0.9750, abs=1e-4)
    assert normal_cdf(-1.96) == pytest.approx(0.0250, abs=1e-4)


def test_z_test_by_hand() -> None:
    # A: 20 gifts for 200 reads (10 %), B: 35 for 200 (17.5 %).
    # Pooled p = 55/400 = 0.1375; variance = 0.1375 x 0.8625 x (1/200 + 1/200) = 0.0011859375;
    # standard error = 0.0344374; z = 0.075 / 0.0344374 = 2.1779; Phi(2.18) = 0.9854 (table).
    z = two_proportion_z(20, 200, 35, 200)
    assert z == pytest.approx(2.1779, abs=1e-4)
    assert confidence_b_better(20, 200, 35, 200) == pytest.approx(0.9853, abs=1e-4)
    # The other way round: as sure that A is worse.
    assert two_proportion_z(35, 200, 20, 200) == pytest.approx(-2.1779, abs=1e-4)
    assert confidence_b_better(35, 200, 20, 200) == pytest.approx(1 - 0.9853, abs=1e-4)


def test_z_test_small_difference_by_hand() -> None:
    # 10/100 against 12/100: p = 0.11, se = sqrt(0.11 x 0.89 x 0.02) = 0.044249, z = 0.452.
    assert two_proportion_z(10, 100, 12, 100) == pytest.approx(0.4520, abs=1e-4)
    assert confidence_b_better(10, 100, 12, 100) == pytest.approx(0.6744, abs=1e-4)


def test_z_test_degenerate_cases() -> None:
    assert two_proportion_z(0, 0, 5, 10) == 0.0  # no reads
    assert two_proportion_z(0, 100, 0, 100) == 0.0  # nobody converted: no variance
    assert two_proportion_z(100, 100, 100, 100) == 0.0  # everybody did
    # More successes than trials (gifts after reads of another period) are capped.
    assert two_proportion_z(150, 100, 50, 100) == two_proportion_z(100, 100, 50, 100)


def test_percent_never_overstates() -> None:
    assert percent(0.9853) == 98
    assert percent(0.97) == 97
    assert percent(0.99999) == 99
    assert percent(0.5) == 50
    assert pct(0.125) == "12,5\u00a0%"
    assert pct(None) == "—"


def _variant(name: str, reads: int, clicks: int = 0, donors: int = 0) -> VariantRow:
    rebuttal = Rebuttal(name=name, text="x", is_active=True)
    return VariantRow(
        rebuttal=rebuttal,
        counts=Counts(reads=reads, give_clicks=clicks, donors=donors, gifts=donors),
    )


def test_verdict_names_the_winner_with_its_confidence() -> None:
    result = verdict([_variant("A", 200, donors=20), _variant("B", 200, donors=35)])
    assert result.message == "B fait mieux que A avec 98 % de confiance"
    assert result.metric == "donors"
    assert result.winner == "B" and result.loser == "A"
    assert result.significant


def test_verdict_uses_clicks_until_a_gift_arrives() -> None:
    result = verdict([_variant("A", 1000, clicks=45), _variant("B", 1000, clicks=30)])
    # z = 1.7655 by hand (p = 0.0375): Phi = 0.9613.
    assert result.metric == "clicks"
    assert result.message == "A fait mieux que B avec 96 % de confiance"
    assert result.confidence == pytest.approx(0.9613, abs=1e-4)


def test_verdict_not_significant_is_said() -> None:
    result = verdict([_variant("A", 100, clicks=10), _variant("B", 100, clicks=12)])
    assert result.message == "B fait mieux que A avec 67 % de confiance"
    assert not result.significant


def test_verdict_waits_for_enough_reads() -> None:
    result = verdict([_variant("A", MIN_READS - 1, donors=50), _variant("B", 500, donors=1)])
    assert result.message == (
        f"Pas encore assez de données (il faut au moins {MIN_READS} lectures par variante)."
    )
    assert result.confidence is None and not result.significant


def test_verdict_single_variant_and_tie() -> None:
    assert "Une seule variante" in verdict([_variant("A", 500, clicks=3)]).message
    tie = verdict([_variant("A", 200, clicks=20), _variant("B", 200, clicks=20)])
    assert tie.message == "A et B font jeu égal pour l'instant."
    assert not tie.significant


def test_verdict_compares_the_two_best_of_three() -> None:
    result = verdict(
        [
            _variant("A", 300, clicks=30),
            _variant("B", 300, clicks=60),
            _variant("C", 300, clicks=45),
        ]
    )
    assert result.winner == "B" and result.loser == "C"
    assert math.isclose(
        result.confidence or 0, confidence_b_better(45, 300, 60, 300), rel_tol=1e-12
    )


@pytest.mark.django_db
def test_report_counts_steps_and_paid_gifts_of_the_period() -> None:
    excuse = Excuse.objects.create(slug="temps", label="Je n'ai pas le temps")
    a = Rebuttal.objects.create(excuse=excuse, name="A", text="Deux minutes.")
    b = Rebuttal.objects.create(excuse=excuse, name="B", text="Un clic.")
    day = datetime.date(2026, 3, 10)
    before = day - datetime.timedelta(days=40)
    for _ in range(3):
        journey_count(step=JourneyStep.VIEW, day=day)
    for _ in range(4):
        journey_count(step=JourneyStep.READ, excuse=excuse, rebuttal=a, day=day)
    journey_count(step=JourneyStep.READ, excuse=excuse, rebuttal=b, day=day)
    journey_count(step=JourneyStep.GIVE_CLICK, excuse=excuse, rebuttal=a, day=day)
    journey_count(step=JourneyStep.VOLUNTEER_CLICK, excuse=excuse, rebuttal=b, day=day)
    journey_count(step=JourneyStep.READ, excuse=excuse, rebuttal=a, day=before)  # not counted
    donor = PersonFactory()
    PaidDonationFactory(excuse=excuse, rebuttal=a, given_on=day, amount_cents=3000, person=donor)
    PaidDonationFactory(excuse=excuse, rebuttal=a, given_on=day, amount_cents=2000, person=donor)
    PaidDonationFactory(excuse=excuse, rebuttal=a, given_on=before, amount_cents=9900)
    DonationFactory(excuse=excuse, rebuttal=b, given_on=day)  # pending: not a gift
    PaidDonationFactory(excuse=excuse, rebuttal=b, given_on=day, status=DonationStatus.REFUNDED)
    PaidDonationFactory(given_on=day)  # not from the journey

    report = journey_report(start=day - datetime.timedelta(days=1), end=day)

    assert report.views == 3
    (row,) = [r for r in report.excuses if r.excuse == excuse]
    by_name = {v.rebuttal.name: v.counts for v in row.variants}
    assert by_name["A"].reads == 4 and by_name["A"].give_clicks == 1
    assert by_name["A"].gifts == 2 and by_name["A"].donors == 1
    assert by_name["A"].amount_cents == 5000
    assert by_name["B"].reads == 1 and by_name["B"].volunteer_clicks == 1
    assert by_name["B"].gifts == 0
    assert row.counts.reads == 5 and report.counts.amount_cents == 5000
    assert report.counts.reads == 5  # the seeded excuses have no counts
    assert row.share_of_views == pytest.approx(5 / 3)
    assert "Pas encore assez de données" in row.verdict.message
