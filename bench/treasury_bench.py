"""Benchmark of the treasurer screens at scale: figures, gifts list, reconciliation, exports.

Fills an empty, migrated database with persons and a year of gifts (bulk inserts: paid,
refunded, offline, some reconciled, some with a campaign and a relay), then measures in
one process with Django's test client (server time with middleware and templates, warm
caches, no network): the year's dashboard, the gifts list (first page, a name search, a
month filter), the reconciliation page, and the full CSV and XLSX exports (time and the
Python memory peak, by tracemalloc).

    DATABASE_URL=sqlite:////work/main/var/bench_treasury.sqlite3 \\
        .venv/bin/python manage.py migrate && .venv/bin/python bench/treasury_bench.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def timed(func: Callable[[], Any], repeat: int) -> dict[str, float]:
    """Run func repeat times; return median, p95 and max in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {
        "n": len(samples),
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(samples[-1], 2),
    }


def fill(gifts: int, year: int) -> None:
    """Insert persons and a year of gifts, unless gifts are already there."""
    from django.db import transaction

    from essaim.giving.models import (
        Donation,
        DonationStatus,
        GivingPage,
        PaymentMethod,
        Provider,
    )
    from essaim.people.models import Person
    from essaim.referrals.models import Campaign

    if Donation.objects.exists():
        return
    rng = random.Random(3)
    persons_count = max(100, gifts // 5)
    with transaction.atomic():
        Person.objects.bulk_create(
            [
                Person(
                    given_name=f"Prénom{i}",
                    family_name=f"Nom{i}",
                    email=f"donateur{i}@bench.invalid",
                    search_text=f"prenom{i} nom{i} donateur{i}@bench.invalid",
                    is_donor=True,
                )
                for i in range(persons_count)
            ],
            batch_size=2000,
        )
        page = GivingPage.objects.filter(is_default=True).first() or GivingPage.objects.create(
            title="Bench", slug="bench", is_default=True
        )
        start = dt.date(year, 1, 1)
        campaigns = [
            Campaign.objects.create(
                title=f"Campagne {i}",
                slug=f"bench-campagne-{i}",
                target=100,
                starts_on=start,
                ends_on=dt.date(year, 12, 31),
            )
            for i in range(10)
        ]
    ids = list(Person.objects.values_list("pk", flat=True))
    relays = ids[:200]
    now = dt.datetime.now(dt.UTC)
    batch: list[Donation] = []
    for i in range(gifts):
        person = ids[rng.randrange(len(ids))]
        offline = i % 7 == 0
        status = DonationStatus.REFUNDED if i % 97 == 0 else DonationStatus.PAID
        batch.append(
            Donation(
                given_name=f"Prénom{person}",
                family_name=f"Nom{person}",
                email=f"donateur{person}@bench.invalid",
                address_line1="1 rue de la Paix",
                postal_code="75002",
                city="Paris",
                person_id=person,
                page=page,
                amount_cents=rng.choice([1000, 1500, 3000, 5000, 10000]),
                status=status,
                provider=Provider.OFFLINE if offline else Provider.DEMO,
                payment_method=PaymentMethod.CHEQUE if offline else PaymentMethod.CARD,
                given_on=start + dt.timedelta(days=rng.randrange(365)),
                paid_at=now,
                campaign=campaigns[i % 10] if i % 3 == 0 else None,
                referrer_id=relays[i % 200] if i % 5 == 0 else None,
                reconciled_at=now if i % 2 == 0 else None,
                bank_reference=f"CHQ{i:08d}" if offline else "",
                provider_reference="" if offline else f"demo_{i}",
            )
        )
        if len(batch) == 5000:
            Donation.objects.bulk_create(batch)
            batch = []
    if batch:
        Donation.objects.bulk_create(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gifts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", type=Path, help="Also write the results to this file.")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from essaim.accounts.models import User

    settings.ALLOWED_HOSTS = ["*"]
    year = dt.date.today().year - 1
    started = time.perf_counter()
    fill(args.gifts, year)
    results: dict[str, Any] = {
        "database": connection.vendor,
        "gifts": args.gifts,
        "fill_s": round(time.perf_counter() - started, 1),
    }
    user, _ = User.objects.get_or_create(
        email="bench-treasury@bench.essaim.invalid", defaults={"is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    pages = {
        # Computed afresh (as after a treasurer's change or the cache's minute), then cached.
        "dashboard": f"{reverse('treasury:dashboard')}?annee={year}&recalculer=1",
        "dashboard_cached": f"{reverse('treasury:dashboard')}?annee={year}",
        "gifts_first_page": reverse("treasury:gifts"),
        "gifts_search_name": f"{reverse('treasury:gifts')}?q=Nom123",
        "gifts_month": f"{reverse('treasury:gifts')}?month={year}-03&status=paid",
        "reconcile": reverse("treasury:reconcile"),
    }
    for name, url in pages.items():
        for _ in range(2):
            assert client.get(url).status_code == 200, url
        results[name] = timed(lambda url=url: client.get(url), args.repeat)
    for name, url in (
        ("export_csv_all", reverse("treasury:export_csv")),
        ("export_xlsx_all", reverse("treasury:export_xlsx")),
    ):
        tracemalloc.start()
        start = time.perf_counter()
        response = client.get(url)
        size = sum(len(chunk) for chunk in response.streaming_content)
        elapsed = time.perf_counter() - start
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        results[name] = {
            "seconds": round(elapsed, 2),
            "bytes": size,
            "python_peak_mb": round(peak / 1_000_000, 1),
        }
    for key, value in results.items():
        print(f"{key:20} {value}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
