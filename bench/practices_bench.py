"""Time the practice library's search through the real selector and paginator.

Usage (the database named by DATABASE_URL must be migrated first):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/essaim_bench_practices \
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/essaim_bench_practices \
        .venv/bin/python bench/practices_bench.py --sheets 100000 --searches 50 --keep

It creates --sheets published network sheets with French titles, summaries, bodies and tags
(bulk_create with their folded search text and, on PostgreSQL, their full-text vectors, the
way essaim.core.populate does), then, for each kind of query (an exact word, a plural, a
misspelt word, two words, a word of the body only, no match), runs --searches searches as a
signed-in volunteer: `library_search` sorted by relevance, the capped count of the paginator
(on PostgreSQL the number of candidates the search read, no query) and the first page of 20
sheets with their tags, as the library view does. The sheets' words (PracticeSearchWord, the
typo fallback's dictionary on PostgreSQL) are written with their vectors. It prints p50/p95
per kind in ms as JSON. The rows are deleted at the end unless --keep is given; --reuse runs
on the rows of an earlier --keep run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

MARK = "practices-bench"
SUBJECTS = [
    "maraude du soir",
    "accueil des bénévoles",
    "épicerie solidaire",
    "distribution alimentaire",
    "collecte de vêtements",
    "permanence juridique",
    "soutien scolaire",
    "atelier de cuisine",
    "visite aux personnes âgées",
    "réunion d'équipe",
    "jardin partagé",
    "café des familles",
    "formation aux premiers secours",
    "tri des dons",
    "sortie au musée",
    "aide aux devoirs",
    "hébergement d'urgence",
    "accompagnement administratif",
    "fête de quartier",
    "bibliothèque",
]
VERBS = [
    "Organiser",
    "Préparer",
    "Animer",
    "Réussir",
    "Lancer",
    "Tenir",
    "Coordonner",
    "Améliorer",
    "Financer",
    "Évaluer",
    "Accueillir",
    "Recruter pour",
]
CONTEXTS = [
    "en hiver",
    "avec peu de moyens",
    "en zone rurale",
    "le week-end",
    "avec des jeunes",
    "sans local",
    "en binôme",
    "pour la première fois",
    "avec la mairie",
    "en été",
]
TAGS = [
    "Accueil",
    "Maraude",
    "Épicerie",
    "Alimentation",
    "Vêtements",
    "Droit",
    "Éducation",
    "Cuisine",
    "Seniors",
    "Équipe",
    "Jardin",
    "Familles",
    "Santé",
    "Logistique",
    "Culture",
    "Logement",
    "Démarches",
    "Fête",
    "Lecture",
    "Financement",
    "Communication",
    "Sécurité",
]
BODY_WORDS = [
    "prévoir une liste des contacts utiles",
    "vérifier le matériel",
    "répartir les rôles",
    "noter les besoins des personnes rencontrées",
    "faire un point après chaque sortie",
    "prévenir la coordinatrice",
    "garder une trace écrite",
    "remercier les partenaires",
    "commander les fournitures",
    "préparer les badges",
    "installer les tables",
    "ranger la salle",
]
QUERIES = {
    "exact_word": ["maraude", "épicerie", "jardin", "cuisine", "hiver"],
    "plural": ["maraudes", "familles", "bénévoles", "devoirs", "fêtes"],
    "misspelt": ["marraude", "epicrie", "benevolles", "jardinn", "cuisinne"],
    "two_words": ["maraude hiver", "épicerie solidaire", "jardin partagé", "aide devoirs"],
    "body_only": ["fournitures", "badges", "coordinatrice", "partenaires"],
    "no_match": ["zzkwx", "parapente", "xylophone"],
}


def generate(sheets: int) -> None:
    from essaim.practices.models import (
        PracticeSheet,
        PracticeStatus,
        PracticeTag,
        PracticeVisibility,
    )
    from essaim.practices.services import render_body, search_text_for, search_vectors_write

    rng = random.Random(4)
    now = timezone.now()
    PracticeTag.objects.bulk_create(
        [PracticeTag(name=name) for name in TAGS],
        ignore_conflicts=True,
    )
    tag_ids = dict(PracticeTag.objects.filter(name__in=TAGS).values_list("name", "id"))
    chunk = 5000
    for start in range(0, sheets, chunk):
        rows, groups = [], []
        for i in range(start, min(sheets, start + chunk)):
            subject = rng.choice(SUBJECTS)
            title = f"{rng.choice(VERBS)} {subject} {rng.choice(CONTEXTS)}"
            summary = f"Ce que nos antennes ont appris : {subject}, {rng.choice(CONTEXTS)}."
            steps = rng.sample(BODY_WORDS, 4)
            body = "## Avant\n\n" + "\n".join(f"- {s}" for s in steps[:2])
            body += "\n\n## Pendant\n\n" + "\n".join(f"- {s}" for s in steps[2:])
            tags = rng.sample(TAGS, rng.randint(1, 3))
            groups.append(tags)
            rows.append(
                PracticeSheet(
                    title=title,
                    slug=f"{MARK}-{i}",
                    summary=summary,
                    body=body,
                    body_html=render_body(body),
                    visibility=PracticeVisibility.NETWORK,
                    status=PracticeStatus.PUBLISHED,
                    published_at=now - timezone.timedelta(minutes=i),
                    search_text=search_text_for(title=title, summary=summary, tag_names=tags),
                )
            )
        PracticeSheet.objects.bulk_create(rows)
        search_vectors_write(
            rows=[(s.pk, s.title, s.summary, g, s.body) for s, g in zip(rows, groups, strict=True)]
        )
        PracticeSheet.tags.through.objects.bulk_create(
            [
                PracticeSheet.tags.through(practicesheet_id=s.pk, practicetag_id=tag_ids[name])
                for s, g in zip(rows, groups, strict=True)
                for name in g
            ]
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE practices_practicesheet")
            cursor.execute("ANALYZE practices_practicesheet_tags")


def bench_user():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(email=f"reader@{MARK}.test")
    return user


def cleanup() -> None:
    from django.contrib.auth import get_user_model

    from essaim.practices.models import PracticeSheet

    PracticeSheet.objects.filter(slug__startswith=f"{MARK}-").delete()
    get_user_model().objects.filter(email=f"reader@{MARK}.test").delete()


def one_search(user, query: str) -> tuple[float, int]:
    from essaim.practices.selectors import library_search
    from essaim.practices.views import SHEETS_PER_PAGE, CappedPaginator

    t = time.perf_counter()
    search = library_search(user=user, query=query, sort="relevance")
    paginator = CappedPaginator(search.sheets, SHEETS_PER_PAGE, known_count=search.count)
    page = paginator.get_page(1)
    rows = list(page.object_list)
    for sheet in rows:
        list(sheet.tags.all())
    return (time.perf_counter() - t) * 1000, page.paginator.count


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    from essaim.practices.models import PracticeSheet

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sheets", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=50, help="searches per kind of query")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="reuse the rows of a --keep run")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()

    t0 = time.perf_counter()
    kept = PracticeSheet.objects.filter(slug__startswith=f"{MARK}-").count()
    if args.reuse and kept == args.sheets:
        print("reusing the rows of an earlier --keep run")
    else:
        cleanup()
        generate(args.sheets)
    generated = time.perf_counter() - t0
    load_before = os.getloadavg()
    user = bench_user()
    cache.clear()
    one_search(user, "maraude")  # warm the vocabulary cache and the connection

    kinds: dict[str, dict[str, float | int]] = {}
    every: list[float] = []
    for kind, queries in QUERIES.items():
        times, counts = [], []
        for n in range(args.searches):
            ms, count = one_search(user, queries[n % len(queries)])
            times.append(ms)
            counts.append(count)
        every += times
        kinds[kind] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "max_ms": round(max(times), 1),
            "median_results": int(statistics.median(counts)),
        }
    figures = {
        "database": connection.vendor,
        "sheets": PracticeSheet.objects.count(),
        "searches_per_kind": args.searches,
        "sort": "relevance",
        "generate_s": round(generated, 1),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "all": {
            "p50_ms": round(statistics.median(every), 1),
            "p95_ms": round(percentile(every, 0.95), 1),
        },
        "kinds": kinds,
        "queries": QUERIES,
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    if not args.keep:
        cleanup()


if __name__ == "__main__":
    main()
