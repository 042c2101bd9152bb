"""Treasurer reads: the gifts list with its filters, a gift's file, the year's figures.

Figures count paid gifts by the date they were given (a cheque's date, else the payment
day); refunded and disputed gifts are counted apart and never in the totals. Every
figure of the dashboard comes from a handful of aggregate queries, whatever the number
of gifts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from essaim.accounts.models import User
from essaim.accounts.policies import can
from essaim.core.services import audit_record
from essaim.referrals.models import Campaign

from .models import (
    Donation,
    DonationChange,
    DonationStatus,
    Frequency,
    GivingPage,
    Provider,
    Receipt,
    RecurringGift,
    RecurringStatus,
)

TOP_REFERRERS = 20
# The dashboard's figures scan the year's gifts (0.4 s at 100,000 on PostgreSQL): they are
# kept a minute for the current year (payments confirmed by the providers show within
# that minute) and an hour for past years. A treasurer's own change (an offline gift, a
# refund, a bounced cheque) bumps FIGURES_KEY and shows at once.
FIGURES_KEY = "treasury"
FIGURES_SECONDS_CURRENT = 60
FIGURES_SECONDS_PAST = 3600


@dataclass(frozen=True)
class GiftFilters:
    """What the treasurer narrowed the gifts list to (the exports use the same)."""

    status: str = ""
    provider: str = ""
    method: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    page_id: int | None = None
    campaign_id: int | None = None
    search: str = ""
    reconciled: str = ""  # "yes", "no" or "" (both)


def _receipts_prefetch() -> Prefetch[Any]:
    return Prefetch("receipts", queryset=Receipt.objects.order_by("issued_at", "id"))


def donations_filtered(filters: GiftFilters) -> QuerySet[Donation]:
    """Return the gifts matching the filters, newest first, with their links loaded."""
    gifts = Donation.objects.select_related("page", "campaign", "referrer").prefetch_related(
        _receipts_prefetch()
    )
    if filters.status:
        gifts = gifts.filter(status=filters.status)
    if filters.provider:
        gifts = gifts.filter(provider=filters.provider)
    if filters.method:
        gifts = gifts.filter(payment_method=filters.method)
    if filters.start:
        gifts = gifts.filter(given_on__gte=filters.start)
    if filters.end:
        gifts = gifts.filter(given_on__lte=filters.end)
    if filters.page_id:
        gifts = gifts.filter(page_id=filters.page_id)
    if filters.campaign_id:
        gifts = gifts.filter(campaign_id=filters.campaign_id)
    if filters.reconciled == "yes":
        gifts = gifts.filter(reconciled_at__isnull=False)
    elif filters.reconciled == "no":
        gifts = gifts.filter(reconciled_at__isnull=True)
    for word in filters.search.split()[:5]:
        gifts = gifts.filter(
            Q(email__icontains=word)
            | Q(family_name__icontains=word)
            | Q(given_name__icontains=word)
            | Q(bank_reference__iexact=word)
        )
    return gifts.order_by("-given_on", "-created_at", "-id")


def donation_for_treasurer(code: str) -> Donation | None:
    """Return one gift by its code with its history, receipts, referrer and excuse loaded."""
    return (
        Donation.objects.select_related(
            "person",
            "page",
            "campaign",
            "referrer",
            "recurring",
            "excuse",
            "rebuttal",
            "recorded_by",
            "reconciled_by",
        )
        .prefetch_related(
            Prefetch("changes", queryset=DonationChange.objects.select_related("actor")),
            _receipts_prefetch(),
        )
        .filter(code=code)
        .first()
    )


def donations_to_reconcile(
    *, method: str = "", start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[Donation]:
    """Return paid gifts not yet matched against the bank statement, oldest first."""
    gifts = Donation.objects.filter(status=DonationStatus.PAID, reconciled_at__isnull=True)
    if method:
        gifts = gifts.filter(payment_method=method)
    if start:
        gifts = gifts.filter(given_on__gte=start)
    if end:
        gifts = gifts.filter(given_on__lte=end)
    return gifts.order_by("given_on", "id")


def donations_recently_reconciled(*, limit: int = 20) -> QuerySet[Donation]:
    """Return the last gifts marked as reconciled (to undo a mistake)."""
    return Donation.objects.filter(reconciled_at__isnull=False).order_by("-reconciled_at", "-id")[
        :limit
    ]


def donations_sum(ids: list[int]) -> tuple[int, int]:
    """Return how many of these gifts are paid and unreconciled, and their total in cents."""
    row = Donation.objects.filter(
        pk__in=ids, status=DonationStatus.PAID, reconciled_at__isnull=True
    ).aggregate(count=Count("id"), total=Sum("amount_cents"))
    return row["count"] or 0, row["total"] or 0


@transaction.atomic
def donation_reconcile_undo(*, actor: User, donation: Donation) -> bool:
    """Take back a reconciliation made by mistake; return whether anything changed."""
    if not can(actor, "giving.manage"):
        raise PermissionDenied
    now = timezone.now()
    changed = Donation.objects.filter(pk=donation.pk, reconciled_at__isnull=False).update(
        reconciled_at=None, reconciled_by=None, updated_at=now
    )
    if changed:
        audit_record(actor=actor, action="donation.reconcile_undo", target=donation)
    return bool(changed)


# --- The year's figures -------------------------------------------------------------------


@dataclass
class Breakdown:
    label: str
    count: int
    total_cents: int
    key: Any = None


@dataclass
class YearFigures:
    year: int
    years: list[int]
    total_cents: int = 0
    gifts: int = 0
    one_off_donors: int = 0
    monthly_donors: int = 0
    donors: int = 0
    refunded_count: int = 0
    refunded_cents: int = 0
    disputed_count: int = 0
    disputed_cents: int = 0
    active_schedules: int = 0
    active_schedules_cents: int = 0
    months: list[Breakdown] = field(default_factory=list)
    by_campaign: list[Breakdown] = field(default_factory=list)
    by_page: list[Breakdown] = field(default_factory=list)
    by_provider: list[Breakdown] = field(default_factory=list)
    by_referrer: list[Breakdown] = field(default_factory=list)
    computed_at: dt.datetime | None = None

    @property
    def average_cents(self) -> int:
        return self.total_cents // self.gifts if self.gifts else 0


def giving_years() -> list[int]:
    """Return the years from the first gift to now, newest first (two indexed look-ups)."""
    dated = Donation.objects.filter(given_on__isnull=False).values_list("given_on", flat=True)
    first = dated.order_by("given_on").first()
    last = dated.order_by("-given_on").first()
    current = timezone.localdate().year
    low = min(first.year, current) if first else current
    high = max(last.year, current) if last else current
    return list(range(high, low - 1, -1))


def _sum_by(groups: list[dict[str, Any]], key: str) -> dict[Any, tuple[int, int]]:
    sums: dict[Any, tuple[int, int]] = {}
    for row in groups:
        count, total = sums.get(row[key], (0, 0))
        sums[row[key]] = (count + row["count"], total + (row["total"] or 0))
    return sums


def _ranked(sums: dict[Any, tuple[int, int]], label: Callable[[Any], str]) -> list[Breakdown]:
    rows = [
        Breakdown(label=label(key) if key is not None else "", count=c, total_cents=t, key=key)
        for key, (c, t) in sums.items()
    ]
    return sorted(rows, key=lambda b: (-b.total_cents, str(b.key)))


def year_figures_cached(year: int, *, month_names: list[str], fresh: bool = False) -> YearFigures:
    """Return the year's figures from the cache (see FIGURES_SECONDS_*), computing them if due."""
    from django.core.cache import cache
    from django.utils import translation

    from essaim.core.pagecache import versions

    version = versions([FIGURES_KEY])[FIGURES_KEY]
    key = f"giving:year-figures:{year}:{translation.get_language()}:{version}"
    figures = None if fresh else cache.get(key)
    if figures is None:
        figures = year_figures(year, month_names=month_names)
        figures.computed_at = timezone.now()
        current = year >= timezone.localdate().year
        cache.set(key, figures, FIGURES_SECONDS_CURRENT if current else FIGURES_SECONDS_PAST)
    return figures  # type: ignore[no-any-return]


def figures_changed() -> None:
    """Make the dashboard recompute its figures at the next visit (a treasurer's change)."""
    from essaim.core.pagecache import bump

    bump(FIGURES_KEY)


def year_figures(year: int, *, month_names: list[str]) -> YearFigures:
    """Return the totals of a year by month, campaign, page, provider and referrer."""
    figures = YearFigures(year=year, years=giving_years())
    of_year = Donation.objects.filter(given_on__year=year).order_by()
    paid = of_year.filter(status=DonationStatus.PAID)
    main = of_year.aggregate(
        total=Sum("amount_cents", filter=Q(status=DonationStatus.PAID)),
        gifts=Count("id", filter=Q(status=DonationStatus.PAID)),
        donors=Count("person", distinct=True, filter=Q(status=DonationStatus.PAID)),
        one_off=Count(
            "person",
            distinct=True,
            filter=Q(status=DonationStatus.PAID, frequency=Frequency.ONE_OFF),
        ),
        monthly=Count(
            "person",
            distinct=True,
            filter=Q(status=DonationStatus.PAID, frequency=Frequency.MONTHLY),
        ),
        refunded=Count("id", filter=Q(status=DonationStatus.REFUNDED)),
        refunded_cents=Sum("amount_cents", filter=Q(status=DonationStatus.REFUNDED)),
        disputed=Count("id", filter=Q(status=DonationStatus.DISPUTED)),
        disputed_cents=Sum("amount_cents", filter=Q(status=DonationStatus.DISPUTED)),
    )
    figures.total_cents = main["total"] or 0
    figures.gifts = main["gifts"] or 0
    figures.donors = main["donors"] or 0
    figures.one_off_donors = main["one_off"] or 0
    figures.monthly_donors = main["monthly"] or 0
    figures.refunded_count = main["refunded"] or 0
    figures.refunded_cents = main["refunded_cents"] or 0
    figures.disputed_count = main["disputed"] or 0
    figures.disputed_cents = main["disputed_cents"] or 0
    # One pass over the year's paid gifts, grouped by month, campaign, page and provider;
    # the four breakdowns are summed from it here (a few hundred groups at most).
    # Grouped by day, not by month: SQLite computes a month per row in Python, slowly.
    groups = list(
        paid.values("given_on", "campaign_id", "page_id", "provider")
        .annotate(count=Count("id"), total=Sum("amount_cents"))
        .order_by()
    )
    for row in groups:
        row["month"] = row["given_on"].month
    per_month = _sum_by(groups, "month")
    figures.months = [
        Breakdown(
            label=month_names[m - 1],
            count=per_month.get(m, (0, 0))[0],
            total_cents=per_month.get(m, (0, 0))[1],
            key=m,
        )
        for m in range(1, 13)
    ]
    per_campaign = _sum_by(groups, "campaign_id")
    per_page = _sum_by(groups, "page_id")
    campaign_titles = dict(
        Campaign.objects.filter(pk__in=[k for k in per_campaign if k]).values_list("pk", "title")
    )
    page_titles = dict(
        GivingPage.objects.filter(pk__in=[k for k in per_page if k]).values_list("pk", "title")
    )
    provider_labels = {key: str(label) for key, label in Provider.choices}
    figures.by_campaign = _ranked(per_campaign, lambda key: campaign_titles.get(key, ""))
    figures.by_page = _ranked(per_page, lambda key: page_titles.get(key, ""))
    figures.by_provider = _ranked(
        _sum_by(groups, "provider"), lambda key: provider_labels.get(key, key)
    )
    referrers = (
        paid.filter(referrer__isnull=False)
        .values("referrer_id", "referrer__given_name", "referrer__family_name")
        .annotate(count=Count("id"), total=Sum("amount_cents"))
        .order_by("-total", "referrer_id")[:TOP_REFERRERS]
    )
    figures.by_referrer = [
        Breakdown(
            label=f"{row['referrer__given_name']} {row['referrer__family_name']}".strip(),
            count=row["count"],
            total_cents=row["total"] or 0,
            key=row["referrer_id"],
        )
        for row in referrers
    ]
    schedules = RecurringGift.objects.filter(status=RecurringStatus.ACTIVE).aggregate(
        count=Count("id"), total=Sum("amount_cents")
    )
    figures.active_schedules = schedules["count"] or 0
    figures.active_schedules_cents = schedules["total"] or 0
    return figures
