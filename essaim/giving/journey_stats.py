"""The excuses journey's report: counts per excuse and variant, and which variant wins.

A variant "wins" on donors per read (visitors who read it and then gave), or on clicks to
give per read while no gift has come through the journey yet. The comparison is a
two-proportion z-test (pooled standard error) between the two best variants; the
one-sided confidence that the leader really does better is the normal distribution's
cumulative function at z, computed with ``math.erf``.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q, Sum
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from essaim.core.money import format_euros
from essaim.referrals.charts import funnel_chart

from .journey import staff_excuses
from .models import Donation, DonationStatus, Excuse, JourneyDay, JourneyStep, Rebuttal

# Below this many reads per variant a z-test's normal approximation is not worth quoting.
MIN_READS = 100
SIGNIFICANT = 0.95


def normal_cdf(x: float) -> float:
    """Return P(Z <= x) for a standard normal Z."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def two_proportion_z(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> float:
    """Return the z statistic of B's rate minus A's (pooled standard error; 0 if undefined)."""
    if trials_a <= 0 or trials_b <= 0:
        return 0.0
    # Gifts credited to a read outside the period could exceed the reads: a rate stays <= 1.
    successes_a, successes_b = min(successes_a, trials_a), min(successes_b, trials_b)
    rate_a, rate_b = successes_a / trials_a, successes_b / trials_b
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    variance = pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b)
    if variance <= 0:
        return 0.0
    return (rate_b - rate_a) / math.sqrt(variance)


def confidence_b_better(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> float:
    """Return the one-sided confidence that B's true rate is above A's."""
    return normal_cdf(two_proportion_z(successes_a, trials_a, successes_b, trials_b))


def percent(confidence: float) -> int:
    """Return a confidence as a whole percentage, rounded down (never overstated), at most 99."""
    return min(99, max(0, math.floor(confidence * 100 + 1e-9)))


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def pct(value: float | None) -> str:
    """Format a rate the French way with one decimal ("12,5 %"), or a dash when undefined."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}".replace(".", ",") + "\u00a0%"


@dataclass
class Counts:
    reads: int = 0
    give_clicks: int = 0
    volunteer_clicks: int = 0
    gifts: int = 0
    donors: int = 0
    amount_cents: int = 0

    def add(self, other: Counts) -> None:
        self.reads += other.reads
        self.give_clicks += other.give_clicks
        self.volunteer_clicks += other.volunteer_clicks
        self.gifts += other.gifts
        self.donors += other.donors
        self.amount_cents += other.amount_cents

    @property
    def click_rate(self) -> float | None:
        return rate(self.give_clicks, self.reads)

    @property
    def donor_rate(self) -> float | None:
        return rate(self.donors, self.reads)

    @property
    def volunteer_rate(self) -> float | None:
        return rate(self.volunteer_clicks, self.reads)

    @property
    def amount(self) -> str:
        return format_euros(self.amount_cents)

    @property
    def click_pct(self) -> str:
        return pct(self.click_rate)

    @property
    def donor_pct(self) -> str:
        return pct(self.donor_rate)

    @property
    def volunteer_pct(self) -> str:
        return pct(self.volunteer_rate)


@dataclass
class VariantRow:
    rebuttal: Rebuttal
    counts: Counts


@dataclass(frozen=True)
class Verdict:
    """Which variant wins and how sure we are (or why we cannot say yet)."""

    message: str
    metric: str = ""  # "donors" or "clicks"; "" when no comparison was made
    winner: str = ""
    loser: str = ""
    confidence: float | None = None

    @property
    def significant(self) -> bool:
        return self.confidence is not None and self.confidence >= SIGNIFICANT


@dataclass
class ExcuseRow:
    excuse: Excuse
    variants: list[VariantRow]
    counts: Counts
    verdict: Verdict
    share_of_views: float | None = None

    @property
    def share_pct(self) -> str:
        return pct(self.share_of_views)

    @property
    def bars(self) -> SafeString:
        return variant_bars(self)


@dataclass
class JourneyReport:
    start: date
    end: date
    views: int
    excuses: list[ExcuseRow]
    counts: Counts = field(default_factory=Counts)
    # Gifts from the journey whose excuse or variant was deleted since.
    other: Counts = field(default_factory=Counts)


def verdict(rows: list[VariantRow], *, min_reads: int = MIN_READS) -> Verdict:
    """Compare the two best variants of an excuse (donors per read, else clicks per read)."""
    compared = [row for row in rows if row.counts.reads > 0 or row.rebuttal.is_active]
    if len(compared) < 2:
        return Verdict(
            _(
                "Une seule variante : pas de comparaison. "
                "Ajoutez une variante B pour lancer un test A/B."
            )
        )
    metric = "donors" if any(row.counts.donors for row in compared) else "clicks"

    def successes(row: VariantRow) -> int:
        return min(
            row.counts.donors if metric == "donors" else row.counts.give_clicks, row.counts.reads
        )

    def score(row: VariantRow) -> float:
        return successes(row) / row.counts.reads if row.counts.reads else 0.0

    ranked = sorted(compared, key=lambda row: (-score(row), row.rebuttal.name))
    leader, runner = ranked[0], ranked[1]
    if min(leader.counts.reads, runner.counts.reads) < min_reads:
        return Verdict(
            _("Pas encore assez de données (il faut au moins %(n)s lectures par variante).")
            % {"n": min_reads},
            metric=metric,
        )
    if score(leader) == score(runner):
        return Verdict(
            _("%(a)s et %(b)s font jeu égal pour l'instant.")
            % dict(
                zip(("a", "b"), sorted((leader.rebuttal.name, runner.rebuttal.name)), strict=True)
            ),
            metric=metric,
            confidence=0.5,
        )
    confidence = confidence_b_better(
        successes(runner), runner.counts.reads, successes(leader), leader.counts.reads
    )
    return Verdict(
        _("%(winner)s fait mieux que %(loser)s avec %(confidence)s %% de confiance")
        % {
            "winner": leader.rebuttal.name,
            "loser": runner.rebuttal.name,
            "confidence": percent(confidence),
        },
        metric=metric,
        winner=leader.rebuttal.name,
        loser=runner.rebuttal.name,
        confidence=confidence,
    )


STEP_FIELDS = {
    JourneyStep.READ: "reads",
    JourneyStep.GIVE_CLICK: "give_clicks",
    JourneyStep.VOLUNTEER_CLICK: "volunteer_clicks",
}


def journey_report(*, start: date, end: date, min_reads: int = MIN_READS) -> JourneyReport:
    """Return the journey's counts, gifts and verdicts per excuse and variant for a period."""
    by_variant: dict[tuple[int | None, int | None], Counts] = {}
    views = 0
    steps = (
        JourneyDay.objects.filter(day__gte=start, day__lte=end)
        .values("step", "excuse_id", "rebuttal_id")
        .annotate(total=Sum("count"))
        .order_by()
    )
    for row in steps:
        if row["step"] == JourneyStep.VIEW:
            views += row["total"] or 0
            continue
        name = STEP_FIELDS.get(row["step"])
        if name is None:
            continue
        counts = by_variant.setdefault((row["excuse_id"], row["rebuttal_id"]), Counts())
        setattr(counts, name, getattr(counts, name) + (row["total"] or 0))
    gifts = (
        Donation.objects.filter(status=DonationStatus.PAID, given_on__gte=start, given_on__lte=end)
        .filter(Q(excuse__isnull=False) | Q(rebuttal__isnull=False))
        .values("excuse_id", "rebuttal_id")
        .annotate(
            gifts=Count("id"), donors=Count("person", distinct=True), amount=Sum("amount_cents")
        )
        .order_by()
    )
    for row in gifts:
        counts = by_variant.setdefault((row["excuse_id"], row["rebuttal_id"]), Counts())
        counts.gifts += row["gifts"]
        counts.donors += row["donors"]
        counts.amount_cents += row["amount"] or 0

    report = JourneyReport(start=start, end=end, views=views, excuses=[])
    seen: set[tuple[int | None, int | None]] = set()
    for excuse in staff_excuses():
        variants = []
        total = Counts()
        for rebuttal in excuse.rebuttals.all():
            key: tuple[int | None, int | None] = (excuse.pk, rebuttal.pk)
            seen.add(key)
            counts = by_variant.get(key, Counts())
            total.add(counts)
            variants.append(VariantRow(rebuttal=rebuttal, counts=counts))
        report.excuses.append(
            ExcuseRow(
                excuse=excuse,
                variants=variants,
                counts=total,
                verdict=verdict(variants, min_reads=min_reads),
                share_of_views=rate(total.reads, views),
            )
        )
        report.counts.add(total)
    for key, counts in by_variant.items():
        if key not in seen:
            report.other.add(counts)
    report.counts.add(report.other)
    return report


def funnel(report: JourneyReport) -> SafeString:
    """Return the journey's funnel (views, reads, clicks to give, donors) as an SVG chart."""
    steps: list[tuple[str, float]] = []
    if report.views:
        steps.append((_("Vues de la page"), report.views))
    steps += [
        (_("Lectures d'une réponse"), report.counts.reads),
        (_("Clics « Je donne »"), report.counts.give_clicks),
        (_("Donateurs"), report.counts.donors),
    ]
    return funnel_chart(
        title=_("Le parcours des excuses, étape par étape"),
        desc=_("Du premier au dernier : %(steps)s.")
        % {"steps": ", ".join(f"{label} {int(value)}" for label, value in steps)},
        steps=steps,
    )


BAR_WIDTH = 480
BAR_ROW = 30
BAR_LEFT = 56


def variant_bars(row: ExcuseRow) -> SafeString:
    """Return horizontal bars of each variant's rate (the verdict's measure), or nothing."""
    variants = [v for v in row.variants if v.counts.reads]
    if len(variants) < 2:
        return mark_safe("")
    donors = row.verdict.metric == "donors"
    rates = [(v.counts.donor_rate if donors else v.counts.click_rate) or 0.0 for v in variants]
    top = max(rates) or 1.0
    height = BAR_ROW * len(variants) + 8
    uid = f"variants-{row.excuse.pk}"
    title = (
        _("Donateurs par lecture, par variante")
        if donors
        else _("Clics « Je donne » par lecture, par variante")
    )
    desc = ", ".join(f"{v.rebuttal.name} {pct(r)}" for v, r in zip(variants, rates, strict=True))
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d" '
            'xmlns="http://www.w3.org/2000/svg">'
            '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>',
            BAR_LEFT + BAR_WIDTH + 90,
            height,
            uid,
            uid,
            uid,
            title,
            uid,
            desc,
        )
    ]
    for index, (variant, value) in enumerate(zip(variants, rates, strict=True)):
        y = 4 + index * BAR_ROW
        width = max(1.0, BAR_WIDTH * value / top)
        parts.append(
            format_html(
                '<text class="chart-axis" x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}"/>'
                '<text class="chart-axis" x="{}" y="{}">{}</text>',
                BAR_LEFT - 8,
                y + 18,
                variant.rebuttal.name,
                BAR_LEFT,
                y,
                f"{width:.1f}",
                BAR_ROW - 8,
                f"{BAR_LEFT + width + 6:.1f}",
                y + 18,
                pct(value),
            )
        )
    # Every part above went through format_html: its values are escaped.
    return mark_safe("".join(str(part) for part in parts) + "</svg>")


def _rate_cell(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.2f}".replace(".", ",")


def _euros_cell(cents: int) -> str:
    euros, rest = divmod(cents, 100)
    return f"{euros},{rest:02d}"


def report_csv(report: JourneyReport) -> str:
    """Return the report as CSV for a spreadsheet (French: « ; », decimal comma, BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Excuse"),
            _("Variante"),
            _("Active"),
            _("Lectures"),
            _("Clics « Je donne »"),
            _("Taux de clic (%)"),
            _("Clics bénévolat"),
            _("Dons"),
            _("Donateurs"),
            _("Donateurs par lecture (%)"),
            _("Montant (€)"),
            _("Verdict"),
        ]
    )
    for row in report.excuses:
        for variant in row.variants:
            counts = variant.counts
            writer.writerow(
                [
                    row.excuse.label,
                    variant.rebuttal.name,
                    _("oui") if variant.rebuttal.is_active else _("non"),
                    counts.reads,
                    counts.give_clicks,
                    _rate_cell(counts.click_rate),
                    counts.volunteer_clicks,
                    counts.gifts,
                    counts.donors,
                    _rate_cell(counts.donor_rate),
                    _euros_cell(counts.amount_cents),
                    row.verdict.message,
                ]
            )
    return "\ufeff" + out.getvalue()
