"""Benchmark of the referral tree at scale: figures, downline counts, re-parenting, tree page.

Plain timer (time.perf_counter) in one process against a database filled by
``manage.py populate`` (its "referrals" section): medians and p95 over many repetitions.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/essaim_bench_referrals \
        .venv/bin/python bench/referrals_bench.py
    DATABASE_URL=sqlite:////work/main/var/bench_referrals.sqlite3 \
        .venv/bin/python bench/referrals_bench.py

Measured:
- whole-network figures (``network_figures_compute``: running totals and a few index
  counts, no cache);
- one person's downline counts by generation (``downline_generations``) for random
  people with a downline, the biggest relay and the head of the 40-generation chain;
- re-parenting a subtree of about 1,000 people (``referral_correct``, committed) and back;
- the tree page (/reseau/arbre/, from the hard core and from a person, and the htmx
  children fragment) through Django's test client: server time in-process, with the
  middleware and templates, without a network or a WSGI server (warm caches).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="Repetitions of fast measures.")
    parser.add_argument("--json", type=Path, help="Also write the results to this file.")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from essaim.accounts.models import User
    from essaim.people.models import Person
    from essaim.referrals.figures import (
        _downline_generations,
        downline_generations,
        network_figures_compute,
    )
    from essaim.referrals.models import TreePosition
    from essaim.referrals.tree import referral_correct

    # No setup_test_environment(): it instruments template rendering (slower).
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    rng = random.Random(5)
    results: dict[str, Any] = {
        "database": connection.vendor,
        "persons": Person.objects.count(),
        "referred": Person.objects.filter(referred_by__isnull=False).count(),
    }
    print(f"{connection.vendor}: {results['persons']:,} persons, {results['referred']:,} referred")

    # Whole-network figures, as the overview page reads them (running totals, no cache).
    results["figures"] = timed(network_figures_compute, args.repeat)

    # One person's downline counts.
    max_id = Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    sample: list[Person] = []
    while len(sample) < args.repeat:
        ids = [rng.randrange(1, max_id + 1) for _ in range(500)]
        sample += list(Person.objects.filter(pk__in=ids, downline_count__gt=0))
    sample = sample[: args.repeat]
    it = iter(sample * 2)
    results["downline_random"] = timed(lambda: downline_generations(next(it)), len(sample))
    results["downline_random_sizes"] = {
        "median": statistics.median(p.downline_count for p in sample),
        "max": max(p.downline_count for p in sample),
    }
    biggest = Person.objects.order_by("-downline_count").first()
    assert biggest is not None
    # Read from the tables every time, then as served (cached under size and tree shape).
    results["downline_biggest_uncached"] = timed(lambda: _downline_generations(biggest), 20)
    results["downline_biggest"] = timed(lambda: downline_generations(biggest), args.repeat)
    results["downline_biggest_size"] = biggest.downline_count
    deepest = TreePosition.objects.order_by("-depth").first()
    assert deepest is not None
    head = Person.objects.get(pk=int(deepest.path[-40 * 7 : -39 * 7], 36))
    results["downline_chain_head"] = timed(lambda: downline_generations(head), args.repeat)
    results["max_depth"] = deepest.depth

    # Re-parenting a ~1,000-person subtree, and back.
    mover = (
        Person.objects.filter(
            downline_count__gte=900, downline_count__lte=1100, referred_by__isnull=False
        )
        .order_by("downline_count")
        .first()
    )
    if mover is not None:
        old_parent = Person.objects.get(pk=mover.referred_by_id)
        other = (
            Person.objects.filter(referred_by__isnull=True, downline_count=0)
            .exclude(pk=mover.pk)
            .first()
        )
        assert other is not None
        moves = []
        for index in range(20):
            target = other if index % 2 == 0 else old_parent
            person = Person.objects.get(pk=mover.pk)
            start = time.perf_counter()
            referral_correct(actor=None, person=person, referrer=target, note="benchmark")
            moves.append((time.perf_counter() - start) * 1000)
        moves.sort()
        results["reparent_subtree"] = {
            "subtree": mover.downline_count + 1,
            "n": len(moves),
            "median_ms": round(statistics.median(moves), 2),
            "p95_ms": round(moves[round(0.95 * (len(moves) - 1))], 2),
            "max_ms": round(moves[-1], 2),
        }

    # Tree pages through the test client, as a staff member (warm caches).
    user, _ = User.objects.get_or_create(
        email="bench-network@bench.essaim.invalid", defaults={"is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    relay = Person.objects.filter(direct_referrals_count__gte=20).order_by("?").first() or biggest
    pages = {
        "tree_page_hard_core": (reverse("network:tree"), {}),
        "tree_page_from_person": (f"{reverse('network:tree')}?depuis={relay.pk}", {}),
        "tree_children_htmx": (
            reverse("network:children", kwargs={"pk": relay.pk}),
            {"HTTP_HX_REQUEST": "true"},
        ),
        "tree_page_deep_leaf": (f"{reverse('network:tree')}?depuis={deepest.person_id}", {}),
        "overview_page": (reverse("network:overview"), {}),
    }
    for name, (url, extra) in pages.items():
        for _ in range(3):
            assert client.get(url, **extra).status_code == 200, url
        results[name] = timed(lambda url=url, extra=extra: client.get(url, **extra), args.repeat)
    cache.clear()

    for key, value in results.items():
        print(f"{key:28} {value}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
