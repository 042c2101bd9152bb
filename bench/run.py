"""Page benchmark: each page's throughput and latency as a ratio of a bare Django view.

Runs gunicorn on 127.0.0.1 against a populated database (PostgreSQL by default) and
drives it with wrk (Debian package ``wrk``). Every page is measured in the same run as
``/__bench__/hello``, a view that returns a constant string through the same middleware,
so the ratios hold from one machine to another better than raw numbers do.

    .venv/bin/python bench/run.py --persons 100000
    .venv/bin/python bench/run.py --database-url sqlite:////tmp/bench.sqlite3 --persons 20000

The public site (home, blog index, an article from the middle of the blog) is loaded as
an anonymous visitor, from the page cache; ``--articles`` sets the blog's size:

    .venv/bin/python bench/run.py --persons 1000 --articles 50000 \
        --database-url postgres://postgres@127.0.0.1:5432/essaim_bench_blog50k \
        --only "public home (anonymous)" "blog index (anonymous)" "article page (anonymous)"

Each page is loaded for ``--duration`` seconds (10 by default, after 2 s of warm-up).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/essaim_bench_pages"
BENCH_EMAIL = "bench-admin@bench.essaim.invalid"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--persons", type=int, default=100_000, help="Contacts to have at least.")
    parser.add_argument(
        "--articles", type=int, default=100, help="Published blog articles to have at least."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10, help="Seconds per page (max 18).")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn.")
    parser.add_argument("--port", type=int, default=18431)
    parser.add_argument("--output", type=Path, default=None, help="JSON results file.")
    parser.add_argument(
        "--only", nargs="*", default=None, help="Measure only these pages (labels), with hello."
    )
    return parser.parse_args()


def ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database if it does not exist yet."""
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare(args: argparse.Namespace) -> dict[str, Any]:
    """Migrate, populate to the wanted size, and log a bench admin in; return what wrk needs."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from essaim.accounts.models import Role, RoleGrant, User
    from essaim.people.models import Person

    call_command("migrate", verbosity=0)
    missing = args.persons - Person.objects.filter(user__isnull=True).count()
    if missing > 0:
        print(f"populate: {missing} persons…", flush=True)
        started = time.monotonic()
        call_command("populate", persons=missing, seed=args.seed)
        print(f"populate took {time.monotonic() - started:.0f} s", flush=True)
    from essaim.blog.models import Article

    missing_articles = args.articles - Article.objects.published().count()
    if missing_articles > 0:
        print(f"populate: {missing_articles} articles…", flush=True)
        started = time.monotonic()
        call_command("populate", persons=0, articles=missing_articles, seed=args.seed)
        print(f"populate took {time.monotonic() - started:.0f} s", flush=True)
    user = User.objects.filter(email=BENCH_EMAIL).first()
    if user is None:
        user = User.objects.create_user(BENCH_EMAIL, None)
    RoleGrant.objects.get_or_create(user=user, role=Role.ADMIN)
    client = Client()
    client.force_login(user)
    people = Person.objects.filter(user__isnull=True).order_by("pk")
    person = people[people.count() // 2]
    from essaim.circles.models import Circle, Membership, Thread
    from essaim.people.services import person_ensure_for_user

    # The biggest circle: its members page is the heaviest.
    circle = Circle.objects.order_by("-member_count", "pk").first()
    thread = None
    if circle is not None:
        # The bench administrator follows the biggest circle and nineteen others, so the
        # home feed merges twenty circles' activities, like an active volunteer's.
        me = person_ensure_for_user(user=user)
        followed = [
            circle.pk,
            *Circle.objects.exclude(pk=circle.pk).values_list("pk", flat=True)[:19],
        ]
        Membership.objects.bulk_create(
            [Membership(circle_id=pk, person=me) for pk in followed], ignore_conflicts=True
        )
        thread = Thread.objects.filter(circle=circle).order_by("-reply_count", "pk").first()
    from essaim.actions.models import Action, ActionStatus, ActionVisibility

    # The action of the biggest circle, and an announced public action for the public page.
    action = Action.objects.filter(circle=circle).order_by("pk").first() if circle else None
    public = (
        Action.objects.filter(visibility=ActionVisibility.PUBLIC, status=ActionStatus.PREPARING)
        .exclude(circle__visibility="secret")
        .order_by("pk")
        .first()
    )
    # An article from the middle of the blog: neither the newest nor the oldest.
    published = Article.objects.published().order_by("-published_at", "-id")
    articles = published.count()
    article = published[articles // 2] if articles else None
    return {
        "cookie": f"sessionid={client.cookies['sessionid'].value}; django_language=fr",
        "article_slug": article.slug if article else "",
        "articles": articles,
        "person_id": person.pk,
        "circle_slug": circle.slug if circle else "",
        "thread_id": thread.pk if thread else None,
        "action_slug": action.slug if action else "",
        "public_action_slug": public.slug if public else "",
        "giving_page": _giving_page_ready(),
        "persons": Person.objects.count(),
        "vendor": django.db.connection.vendor,
    }


def _giving_page_ready() -> bool:
    """Make sure the default giving page (seeded by migration giving/0003) is online."""
    from essaim.giving.selectors import giving_page_default

    return giving_page_default() is not None


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer on {url}")


def wrk(url: str, cookie: str, args: argparse.Namespace, duration: int) -> dict[str, Any]:
    """Load one URL; an empty cookie loads it as an anonymous visitor (page cache)."""
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "report.lua"),
        *(["-H", f"Cookie: {cookie}"] if cookie else []),
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    last = [line for line in result.stdout.splitlines() if line.startswith("{")][-1]
    return dict(json.loads(last))


def main() -> None:
    args = parse_args()
    args.duration = max(1, min(args.duration, 18))
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: sudo apt-get install wrk")
    env = {
        **os.environ,
        "ESSAIM_BENCH": "1",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": args.database_url,
        "ESSAIM_DEBUG": "0",
        "ESSAIM_LOG_LEVEL": "WARNING",
        # Persistent connections, as in production: a page should not pay for a new one.
        "ESSAIM_DB_CONN_MAX_AGE": "60",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    ensure_postgres_database(args.database_url)
    info = prepare(args)

    base = f"http://127.0.0.1:{args.port}"
    pages = {
        "hello (bare Django)": "/__bench__/hello",
        "/healthz": "/healthz",
        "home": "/",
        "directory": "/personnes/",
        "directory search": "/personnes/?q=martin",
        "person page": f"/personnes/{info['person_id']}/",
    }
    if info["circle_slug"]:
        pages |= {
            "circles": "/cercles/",
            "circles search": "/cercles/?q=lyon",
            "circle page": f"/cercles/{info['circle_slug']}/",
            "circle members": f"/cercles/{info['circle_slug']}/membres/",
            "circle requests": f"/cercles/{info['circle_slug']}/demandes/",
            "circle invitations": f"/cercles/{info['circle_slug']}/inviter/",
            "parent suggestions": "/cercles/nouveau/parents/?parent=lyon",
            "feed": "/fil/",
        }
    if info["thread_id"]:
        pages["thread page"] = f"/cercles/{info['circle_slug']}/discussions/{info['thread_id']}/"
    if info["action_slug"]:
        pages |= {
            "actions": "/actions/",
            "action page": f"/actions/{info['action_slug']}/",
            "calendar": "/actions/calendrier/",
            "practices": "/pratiques/",
            "practices search": "/pratiques/?q=collecte",
        }
    if info["public_action_slug"]:
        pages["public action page"] = f"/agir/{info['public_action_slug']}/"
    # The public site, as an anonymous visitor sees it: served from the page cache.
    pages |= {
        "public home (anonymous)": "/",
        "blog index (anonymous)": "/blog/",
    }
    if info["article_slug"]:
        pages["article page (anonymous)"] = f"/blog/{info['article_slug']}/"
    if info["giving_page"]:
        # A form with a CSRF token and a fresh idempotency key: never from the page cache.
        pages["giving page (anonymous)"] = "/don/"
    pages["donor space"] = "/mes-dons/"
    # The excuses journey (seeded by giving/0002): each anonymous hit is counted (no cookie
    # kept by wrk, so every request writes its day's count), never from the page cache.
    pages["excuses (anonymous)"] = "/je-n-aime-pas-donner/"
    pages["excuse answer (anonymous)"] = "/je-n-aime-pas-donner/je-n-ai-pas-le-temps/"
    pages["excuses staff list"] = "/collecte/excuses/"
    pages["excuses report"] = "/collecte/excuses/rapport/"
    # Tax receipts: the register (50 a page, newest first), the yearly declaration (sums
    # over the year's receipts) and the annual run's page (counts the donors still due).
    pages["receipts register"] = "/recus/registre/"
    pages["receipts declaration"] = "/recus/declaration/"
    pages["receipts annual run"] = "/recus/annuel/"
    if args.only:
        unknown = set(args.only) - set(pages)
        if unknown:
            raise SystemExit(f"unknown pages {sorted(unknown)}; known: {sorted(pages)}")
        pages = {k: v for k, v in pages.items() if k in args.only or k.startswith("hello")}
    gunicorn = [
        str(Path(sys.executable).parent / "gunicorn"),
        "bench.wsgi:application",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--log-level",
        "warning",
    ]
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"port {args.port} is taken: choose another with --port")
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env, start_new_session=True)
    results: dict[str, dict[str, Any]] = {}
    try:
        wait_until_up(f"{base}/healthz")
        for label, path in pages.items():
            cookie = "" if label.endswith("(anonymous)") else info["cookie"]
            headers = {"Cookie": cookie} if cookie else {}
            check = urllib.request.Request(base + path, headers=headers)  # noqa: S310
            try:
                urllib.request.urlopen(check, timeout=30).close()  # noqa: S310
            except urllib.error.HTTPError as error:
                raise SystemExit(f"{path} answered {error.code}") from None
            wrk(base + path, cookie, args, 2)  # warm-up
            results[label] = wrk(base + path, cookie, args, args.duration)
            print(f"{label}: {results[label]}", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    hello = results["hello (bare Django)"]
    print()
    print(
        f"{info['vendor']}, {info['persons']} persons, {info['articles']} articles, "
        f"gunicorn {args.workers} workers, "
        f"wrk {args.threads} threads {args.connections} connections {args.duration} s per page"
    )
    print()
    print("| page | req/s | p50 ms | p95 ms | throughput vs hello | p50 vs hello | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, row in results.items():
        ratio = row["rps"] / hello["rps"] if hello["rps"] else 0
        latency = row["p50_ms"] / hello["p50_ms"] if hello["p50_ms"] else 0
        print(
            f"| {label} | {row['rps']:.0f} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
            f"{ratio:.2f} | {latency:.1f}× | {row['errors'] + row['non_2xx']} |"
        )
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    if load:
        print(f"\nload average after the run: {' '.join(load)}")
    info["load_after"] = load
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        payload = {"date": datetime.now().isoformat(timespec="seconds"), **info, "pages": results}
        payload.pop("cookie")
        args.output.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
