"""Time the composition of weekly digests through the real task code.

Usage (the database named by DATABASE_URL must be migrated first):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/essaim_bench \
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/essaim_bench \
        .venv/bin/python bench/digest_bench.py --people 10000 --workers 2

It creates --people persons with an email address, --circles circles and, per person,
--per-person weekly notifications spread over three of the circles (plus noise the digest
must skip: read items, items already emailed, daily items). It then runs `digest_dispatch`
with a task backend that records the batch tasks, and runs those batch tasks
(`digest_send_batch`, 500 people each) in --workers processes, as two task workers would.
Emails go to a backend that builds each complete MIME message (text + HTML parts, headers)
and drops it, so SMTP is not timed. The generated rows are deleted at the end unless
--keep is given.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["ESSAIM_EMAIL_BACKEND"] = "bench.mail_backend.SerializingBackend"

import django

django.setup()

from django.db import connection, connections  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.mail_backend import SerializingBackend  # noqa: E402

MARK = "digest-bench"


def generate(people: int, circles: int, per_person: int) -> list[int]:
    from essaim.circles.models import Circle
    from essaim.feed.models import Notification, NotificationKind
    from essaim.people.models import Person

    made_circles = Circle.objects.bulk_create(
        [Circle(name=f"Antenne {MARK} {i}", slug=f"{MARK}-{i}") for i in range(circles)]
    )
    ids: list[int] = []
    chunk = 5000
    for start in range(0, people, chunk):
        rows = Person.objects.bulk_create(
            [
                Person(given_name=f"Bench{i}", family_name=MARK, email=f"bench{i}@{MARK}.test")
                for i in range(start, min(people, start + chunk))
            ]
        )
        ids += [p.pk for p in rows]
        notes = []
        now = timezone.now()
        for person in rows:
            for k in range(per_person):
                circle = made_circles[(person.pk + k % 3) % circles]
                notes.append(
                    Notification(
                        recipient=person,
                        kind=NotificationKind.NEW_THREAD,
                        circle=circle,
                        summary=f"Nouvelle discussion « Réunion de préparation {k} »",
                        url=f"/cercles/{circle.slug}/discussions/{k}/",
                    )
                )
            # Noise the weekly digest must leave out.
            notes.append(Notification(recipient=person, kind=NotificationKind.REPLY, summary="x"))
            notes.append(
                Notification(
                    recipient=person, kind=NotificationKind.NEW_THREAD, summary="x", read_at=now
                )
            )
            notes.append(
                Notification(
                    recipient=person, kind=NotificationKind.NEW_THREAD, summary="x", emailed_at=now
                )
            )
        Notification.objects.bulk_create(notes, batch_size=5000)
    return ids


def cleanup() -> None:
    from essaim.circles.models import Circle
    from essaim.people.models import Person

    Person.objects.filter(family_name=MARK).delete()
    Circle.objects.filter(slug__startswith=f"{MARK}-").delete()


def reset(people: int) -> bool:
    """Make the kept weekly items unsent again; False when the kept rows do not match."""
    from essaim.feed.models import Notification
    from essaim.people.models import Person

    if Person.objects.filter(family_name=MARK).count() != people:
        return False
    Notification.objects.filter(recipient__family_name=MARK).exclude(summary="x").update(
        emailed_at=None
    )
    return True


def run_batches(batches: list[list[int]]) -> tuple[int, int]:
    from essaim.feed.digests import send_for

    connections.close_all()  # a fresh connection per process
    sent = 0
    for ids in batches:
        sent += send_for(delivery="weekly", recipient_ids=ids)
    return sent, SerializingBackend.sent_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--circles", type=int, default=500)
    parser.add_argument("--per-person", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse rows kept by an earlier --keep run (their items are made unsent again)",
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()

    from essaim.feed import tasks
    from essaim.feed.digests import BATCH_SIZE

    t0 = time.perf_counter()
    if args.reuse and reset(args.people):
        print("reusing the rows of an earlier --keep run")
    else:
        cleanup()
        generate(args.people, args.circles, args.per_person)
    generated = time.perf_counter() - t0

    dummy = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with override_settings(TASKS=dummy):
        from django_tasks import default_task_backend

        t1 = time.perf_counter()
        count = tasks.digest_dispatch(period="weekly")
        dispatch = time.perf_counter() - t1
        batches = [r.args[1] for r in default_task_backend.results]  # type: ignore[attr-defined]
    assert count == len(batches)

    connections.close_all()
    t2 = time.perf_counter()
    shares = [batches[i :: args.workers] for i in range(args.workers)]
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        results = pool.map(run_batches, shares)
    compose = time.perf_counter() - t2
    sent = sum(r[0] for r in results)
    size = sum(r[1] for r in results)

    figures = {
        "database": connection.vendor,
        "people": args.people,
        "notifications_per_person": args.per_person,
        "batch_size": BATCH_SIZE,
        "batch_tasks": count,
        "workers": args.workers,
        "emails_sent": sent,
        "average_email_bytes": round(size / max(sent, 1)),
        "generate_s": round(generated, 2),
        "dispatch_s": round(dispatch, 3),
        "compose_and_send_s": round(compose, 2),
        "emails_per_s": round(sent / compose, 1),
        "extrapolated_100k_s": round(
            dispatch * 100_000 / args.people + 100_000 * compose / max(sent, 1), 1
        ),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    # A second run must send nothing: every item was claimed by the first.
    again = run_batches(batches)[0]
    print(f"second run sent {again} emails (expected 0)")
    if not args.keep:
        cleanup()


if __name__ == "__main__":
    main()
