"""Lighthouse scores of the public site (home, blog index, an article, a story).

Builds a throw-away installation with the demo data (``manage.py demo``) in a temporary
folder, serves it like production (gunicorn, DEBUG off, whitenoise with compressed and
hashed static files, page cache on), and runs Lighthouse (npm ``lighthouse``, mobile
preset, Debian's Chromium) on each page. Prints the four scores per page, writes them
to ``bench/results/lighthouse-<date>.json`` with the audits that lost points, and exits
non-zero when a score is under its target (SEO, accessibility, best practices: 100;
performance: 95).

    make lighthouse
    .venv/bin/python bench/lighthouse.py --keep   # keep the folder to look at it
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
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run"
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18471)
    parser.add_argument("--runs", type=int, default=1, help="Runs per page (the best counts).")
    parser.add_argument("--output", type=Path, default=None, help="JSON results file.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary installation.")
    return parser.parse_args()


def manage(env: dict[str, str], *args: str) -> str:
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def page_paths(env: dict[str, str]) -> dict[str, str]:
    """Ask the demo database for the addresses of an article (with a cover) and a story."""
    code = (
        "import json\n"
        "from essaim.blog.models import Article, Story\n"
        "from essaim.blog.public import public_reverse\n"
        "a = Article.objects.published().exclude(cover=None).first()"
        " or Article.objects.published().first()\n"
        "s = Story.objects.published().first()\n"
        "article = public_reverse('article', lang='fr', kwargs={'slug': a.slug})\n"
        "story = public_reverse('story', lang='fr', kwargs={'slug': s.slug})\n"
        "print(json.dumps({'article': article, 'story': story}))\n"
    )
    found = json.loads(manage(env, "shell", "-c", code).strip().splitlines()[-1])
    return {
        "home": "/",
        "blog index": "/blog/",
        "article": found["article"],
        "story": found["story"],
    }


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer on {url}")


RUN_ATTEMPTS = 3


def lighthouse(url: str, workdir: Path) -> dict[str, Any]:
    report = workdir / "report.json"
    command = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        f"--output-path={report}",
        "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    env = {**os.environ, "CHROME_PATH": CHROME}
    # Lighthouse's own trace recording fails now and then under load ("NO_NAVSTART",
    # "NO_FCP"): that says nothing about the page, so such a run is tried again, twice
    # at most. Scores are never retried: a low score fails the run.
    for attempt in range(1, RUN_ATTEMPTS + 1):
        report.unlink(missing_ok=True)
        done = subprocess.run(command, env=env, timeout=300, capture_output=True, text=True)
        data = json.loads(report.read_text()) if report.exists() else {}
        error = data.get("runtimeError", {}).get("code") if data else None
        if done.returncode == 0 and data and not error:
            break
        reason = error or done.stderr.strip().splitlines()[-1:] or ["no report"]
        print(f"Lighthouse run {attempt} on {url} did not complete: {reason}", file=sys.stderr)
        if attempt == RUN_ATTEMPTS:
            raise SystemExit(f"Lighthouse failed on {url}:\n{done.stderr[-3000:]}")
    scores = {name: round(100 * (data["categories"][name]["score"] or 0)) for name in CATEGORIES}
    lost = []
    for name in CATEGORIES:
        for ref in data["categories"][name]["auditRefs"]:
            audit = data["audits"][ref["id"]]
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                lost.append(
                    {
                        "category": name,
                        "id": ref["id"],
                        "title": audit.get("title"),
                        "score": audit["score"],
                        "display": audit.get("displayValue", ""),
                        "items": [
                            {
                                k: str(v)[:200]
                                for k, v in item.items()
                                if k in ("description", "url", "source", "node", "label")
                            }
                            for item in (audit.get("details") or {}).get("items", [])[:5]
                        ],
                    }
                )
    metrics = {
        key: data["audits"][key].get("displayValue", "")
        for key in (
            "first-contentful-paint",
            "largest-contentful-paint",
            "total-blocking-time",
            "cumulative-layout-shift",
            "speed-index",
        )
        if key in data["audits"]
    }
    return {"scores": scores, "lost": lost, "metrics": metrics}


def main() -> int:
    args = parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is missing: run `npm ci` (make browser-deps).")
    if not Path(CHROME).exists():
        raise SystemExit(f"Chromium is missing at {CHROME} (apt-get install chromium).")
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"port {args.port} is taken: choose another with --port")
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="essaim-lighthouse-"))
    base = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "ESSAIM_ENV": "production",
        "ESSAIM_DEBUG": "0",
        "ESSAIM_SECRET_KEY": "lighthouse-only-not-a-real-secret-key-0123456789",
        "ESSAIM_SSL_REDIRECT": "0",
        "ESSAIM_HSTS_SECONDS": "0",
        "ESSAIM_SITE_URL": base,
        "ESSAIM_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ESSAIM_VAR_DIR": str(workdir),
        "DATABASE_URL": f"sqlite:///{workdir / 'essaim.sqlite3'}",
        "ESSAIM_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("ESSAIM_TASK_BACKEND", None)
    print(f"Demo installation in {workdir}…", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(env, "demo", "--persons", "0", "--force")
    pages = page_paths(env)
    gunicorn = [
        str(Path(sys.executable).parent / "gunicorn"),
        "bench.media_wsgi:application",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        "2",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env, start_new_session=True)
    results: dict[str, Any] = {}
    try:
        wait_until_up(f"{base}/healthz")
        for label, path in pages.items():
            # Warm the page cache, as a visited site would be.
            urllib.request.urlopen(base + path, timeout=30).close()  # noqa: S310 - local
            best: dict[str, Any] | None = None
            for _run in range(max(1, args.runs)):
                result = lighthouse(base + path, workdir)
                if best is None or sum(result["scores"].values()) > sum(best["scores"].values()):
                    best = result
            assert best is not None
            results[label] = {"path": path, **best}
            scores = "  ".join(f"{name} {best['scores'][name]:>3}" for name in CATEGORIES)
            print(f"{label:<12} {scores}", flush=True)
            for audit in best["lost"]:
                print(
                    f"    - [{audit['category']}] {audit['id']}: {audit['title']}"
                    f" ({audit['score']}) {audit['display']}",
                    flush=True,
                )
                for item in audit["items"]:
                    print(f"        {item}", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started
    below = [
        f"{label}: {name} {row['scores'][name]} < {target}"
        for label, row in results.items()
        for name, target in TARGETS.items()
        if row["scores"][name] < target
    ]
    output = (
        args.output or ROOT / "bench" / "results" / f"lighthouse-{datetime.now():%Y-%m-%d}.json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    version = subprocess.run(
        [str(LIGHTHOUSE), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    payload = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "lighthouse": version,
        "form_factor": "mobile (default preset)",
        "load": Path("/proc/loadavg").read_text().split()[:3]
        if Path("/proc/loadavg").exists()
        else None,
        "seconds": round(elapsed),
        "pages": results,
    }
    output.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    print(f"\n{len(results)} pages in {elapsed:.0f} s; results in {output}")
    if below:
        print("Under target:\n  " + "\n  ".join(below))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
