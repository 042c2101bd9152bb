"""Time a contact import of a generated CSV file through the real services.

Usage (the database named by DATABASE_URL must be migrated first):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/essaim_bench \
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/essaim_bench \
        .venv/bin/python bench/import_bench.py --rows 100000

The file is deterministic for a given --rows and --seed. Upload, mapping, validation
and the import itself run as in production, except that the task runs in-process
(ImmediateBackend) so that the whole is timed. The imported people are deleted at the
end unless --keep is given.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["ESSAIM_TASK_BACKEND"] = "immediate"

GIVEN = ["Louise", "Jean", "Camille", "Hélène", "Léon", "Zoé", "Théo", "Inès", "Noël", "Aïcha"]
FAMILY = ["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard", "Roux", "N'Diaye"]
TOWNS = [("75011", "Paris"), ("69003", "Lyon"), ("13001", "Marseille"), ("31000", "Toulouse")]
ROLES = ["adhérent", "bénévole", "donateur", "adhérent, bénévole", ""]


def generate_csv(rows: int, seed: int) -> bytes:
    """Build a CSV with a header and `rows` lines; every 1,000th line is invalid."""
    rng = random.Random(seed)
    out = io.StringIO()
    out.write("Prénom;Nom;E-mail;Téléphone;Adresse;Code postal;Ville;Rôles;Étiquettes;Newsletter\n")
    for i in range(rows):
        postal, town = rng.choice(TOWNS)
        email = f"contact{i}@exemple.fr" if i % 1000 else f"contact{i}-sans-arobase"
        out.write(
            f"{rng.choice(GIVEN)};{rng.choice(FAMILY)};{email};06 {i % 100:02d} 00 00 00;"
            f"{rng.randint(1, 200)} rue de la République;{postal};{town};{rng.choice(ROLES)};"
            f"{rng.choice(['quartier', 'forum', ''])};{rng.choice(['oui', 'non'])}\n"
        )
    return out.getvalue().encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the imported people")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from essaim.accounts.models import User
    from essaim.people.importing import (
        import_job_confirm,
        import_job_create,
        import_job_map,
        import_job_validate,
    )
    from essaim.people.models import ImportStatus, Person

    settings.ESSAIM_IMPORT_MAX_BYTES = max(settings.ESSAIM_IMPORT_MAX_BYTES, 50 * 1024 * 1024)
    data = generate_csv(args.rows, args.seed)
    actor, _ = User.objects.get_or_create(email="bench-import@exemple.org")
    before = Person.objects.count()
    print(
        f"database: {connection.vendor}, rows: {args.rows}, file: {len(data) / 1e6:.1f} MB, "
        f"people before: {before}"
    )

    timings: dict[str, float] = {}
    start = time.perf_counter()
    job = import_job_create(
        actor=actor, uploaded_file=SimpleUploadedFile("bench.csv", data, "text/csv")
    )
    timings["upload + inspect"] = time.perf_counter() - start

    mark = time.perf_counter()
    job = import_job_map(actor=actor, job=job, mapping=job.mapping, tag_name="bench-import")
    job = import_job_validate(actor=actor, job=job)
    timings["map + validate"] = time.perf_counter() - mark

    mark = time.perf_counter()
    job = import_job_confirm(actor=actor, job=job, skip_invalid=True)
    timings["import (task)"] = time.perf_counter() - mark
    total = time.perf_counter() - start

    for step, seconds in timings.items():
        print(f"  {step:<18} {seconds:7.2f} s")
    print(f"  {'total':<18} {total:7.2f} s  (target < 60 s)")
    print(
        f"status: {job.status}, lines: {job.total_rows}, created: {job.created_count}, "
        f"updated: {job.updated_count}, skipped: {job.skipped_count}, "
        f"rate: {job.total_rows / total:,.0f} lines/s"
    )
    ok = job.status == ImportStatus.DONE and job.created_count + job.skipped_count == args.rows
    if not args.keep:
        Person.objects.filter(tags__name="bench-import").delete()
        job.file.delete(save=False)
        job.delete()
    sys.exit(0 if ok and total < 60 else 1)


if __name__ == "__main__":
    main()
