"""Housekeeping of contact imports: abandoned files deleted, stuck imports failed."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from essaim.people import importing
from essaim.people.importing import (
    ImportStateError,
    import_job_confirm,
    import_job_create,
    import_job_map,
    import_job_validate,
    import_jobs_fail_stalled,
    import_jobs_purge_abandoned,
)
from essaim.people.models import ImportJob, ImportStatus, Person, Source

pytestmark = pytest.mark.django_db

CSV = (
    "Prénom;Nom;E-mail\n"
    "Louise;Michel;louise@exemple.fr\n"
    "Jean;Jaurès;jean@exemple.fr\n"
    "Olympe;de Gouges;olympe@exemple.fr\n"
)


def new_job(user, status: str = ImportStatus.UPLOADED, age: dt.timedelta = dt.timedelta(0)):
    """A job with its file really stored, put in a status and aged by `age`."""
    job = import_job_create(
        actor=user,
        uploaded_file=SimpleUploadedFile("contacts.csv", CSV.encode(), content_type="text/csv"),
    )
    if status in {ImportStatus.MAPPED, ImportStatus.VALIDATED}:
        job = import_job_map(actor=user, job=job, mapping=job.mapping)
    if status == ImportStatus.VALIDATED:
        job = import_job_validate(actor=user, job=job)
    if status not in {ImportStatus.UPLOADED, ImportStatus.MAPPED, ImportStatus.VALIDATED}:
        # Queued, running, done, failed: set directly, the worker is not part of these tests.
        ImportJob.objects.filter(pk=job.pk).update(status=status)
    # auto_now would overwrite updated_at on save(): update() sets it as given.
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - age)
    job.refresh_from_db()
    assert job.status == status
    return job


def stored(job: ImportJob, name: str) -> bool:
    return job.file.storage.exists(name)


def snapshot(job: ImportJob) -> tuple[object, ...]:
    job.refresh_from_db()
    return (job.status, job.file.name, job.failure_message, job.updated_at, job.finished_at)


# --- Abandoned imports -------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [ImportStatus.UPLOADED, ImportStatus.MAPPED, ImportStatus.VALIDATED]
)
def test_abandoned_import_loses_its_file_and_fails(
    admin_user, django_capture_on_commit_callbacks, status
):
    job = new_job(admin_user, status, age=dt.timedelta(days=8))
    name = job.file.name
    assert name and stored(job, name)
    assert job.sample_rows

    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs_purge_abandoned(older_than=dt.timedelta(days=7)) == 1

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.file.name == ""
    assert not stored(job, name)
    assert job.failure_message.startswith(
        "Import abandonné : le fichier a été supprimé au bout de 7 jours sans confirmation."
    )
    assert job.finished_at is not None
    # The first lines shown in the preview came from the file: gone with it.
    assert job.sample_rows == [] and job.errors == []
    assert Person.objects.filter(source=Source.IMPORT).count() == 0


def test_purge_keeps_recent_and_confirmed_imports(admin_user, django_capture_on_commit_callbacks):
    kept = [
        new_job(admin_user, ImportStatus.UPLOADED, age=dt.timedelta(days=6)),
        new_job(admin_user, ImportStatus.VALIDATED, age=dt.timedelta(days=6, hours=23)),
        # Confirmed ones belong to the worker (or to the stalled check), whatever their age.
        new_job(admin_user, ImportStatus.QUEUED, age=dt.timedelta(days=30)),
        new_job(admin_user, ImportStatus.RUNNING, age=dt.timedelta(days=30)),
        new_job(admin_user, ImportStatus.DONE, age=dt.timedelta(days=30)),
        new_job(admin_user, ImportStatus.FAILED, age=dt.timedelta(days=30)),
    ]
    old = new_job(admin_user, ImportStatus.MAPPED, age=dt.timedelta(days=10))
    before = [snapshot(job) for job in kept]

    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs_purge_abandoned(older_than=dt.timedelta(days=7)) == 1

    assert [snapshot(job) for job in kept] == before
    assert all(stored(job, job.file.name) for job in kept)
    old.refresh_from_db()
    assert old.status == ImportStatus.FAILED


def test_purge_is_idempotent(admin_user, django_capture_on_commit_callbacks):
    job = new_job(admin_user, ImportStatus.UPLOADED, age=dt.timedelta(days=8))
    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs_purge_abandoned(older_than=dt.timedelta(days=7)) == 1
    first = snapshot(job)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert import_jobs_purge_abandoned(older_than=dt.timedelta(days=7)) == 0
    assert callbacks == []
    assert snapshot(job) == first


def test_purge_default_limit_is_seven_days(admin_user):
    young = new_job(admin_user, ImportStatus.UPLOADED, age=dt.timedelta(days=6, hours=23))
    old = new_job(admin_user, ImportStatus.UPLOADED, age=dt.timedelta(days=7, hours=1))
    assert import_jobs_purge_abandoned() == 1
    young.refresh_from_db()
    old.refresh_from_db()
    assert (young.status, old.status) == (ImportStatus.UPLOADED, ImportStatus.FAILED)


def test_abandoned_import_cannot_go_on(admin_user, admin_client):
    job = new_job(admin_user, ImportStatus.VALIDATED, age=dt.timedelta(days=8))
    import_jobs_purge_abandoned(older_than=dt.timedelta(days=7))
    job.refresh_from_db()
    with pytest.raises(ImportStateError, match="Échoué"):
        import_job_map(actor=admin_user, job=job, mapping=job.mapping)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    with pytest.raises(ImportStateError, match="Vérifiez d'abord le fichier"):
        import_job_confirm(actor=admin_user, job=job, skip_invalid=True)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    # The team sees why on the import's page.
    response = admin_client.get(reverse("people:import_detail", kwargs={"job_id": job.pk}))
    assert response.status_code == 200
    assert "Import abandonné" in response.content.decode()


# --- Stalled imports ---------------------------------------------------------------------


def test_stalled_running_import_fails_and_keeps_finished_batches(
    admin_user, django_capture_on_commit_callbacks
):
    job = new_job(admin_user, ImportStatus.RUNNING, age=dt.timedelta(minutes=61))
    ImportJob.objects.filter(pk=job.pk).update(
        total_rows=3, processed_rows=2, created_count=1, updated_count=1
    )
    name = job.file.name

    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs_fail_stalled(stalled_for=dt.timedelta(hours=1)) == 1

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.finished_at is not None
    assert job.file.name == "" and not stored(job, name)
    message = job.failure_message
    assert "rien n'a avancé depuis plus de 1 heure" in message
    assert "Les 2 premières lignes ont été traitées" in message
    assert "2 personnes créées ou mises à jour restent dans l'annuaire" in message
    assert "envoyez à nouveau le fichier" in message


def test_stalled_running_import_without_progress_says_nothing_was_imported(admin_user):
    job = new_job(admin_user, ImportStatus.RUNNING, age=dt.timedelta(hours=3))
    assert import_jobs_fail_stalled(stalled_for=dt.timedelta(hours=1)) == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "Aucune personne n'a été importée" in job.failure_message
    assert "restent dans l'annuaire" not in job.failure_message


def test_stalled_queued_import_never_started(admin_user, django_capture_on_commit_callbacks):
    job = new_job(admin_user, ImportStatus.QUEUED, age=dt.timedelta(minutes=90))
    name = job.file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs_fail_stalled(stalled_for=dt.timedelta(minutes=30)) == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.failure_message.startswith("L'import n'a jamais démarré")
    assert "30 minutes" in job.failure_message
    assert not stored(job, name)
    # A worker that wakes up later must not run it any more.
    assert importing.import_job_run(job_id=job.pk).status == ImportStatus.FAILED
    assert Person.objects.filter(source=Source.IMPORT).count() == 0


def test_fail_stalled_keeps_recent_and_unconfirmed_imports(admin_user):
    kept = [
        new_job(admin_user, ImportStatus.RUNNING, age=dt.timedelta(minutes=59)),
        new_job(admin_user, ImportStatus.QUEUED, age=dt.timedelta(minutes=10)),
        # Unconfirmed ones are the purge's business; finished ones are over.
        new_job(admin_user, ImportStatus.UPLOADED, age=dt.timedelta(days=3)),
        new_job(admin_user, ImportStatus.VALIDATED, age=dt.timedelta(days=3)),
        new_job(admin_user, ImportStatus.DONE, age=dt.timedelta(days=3)),
        new_job(admin_user, ImportStatus.FAILED, age=dt.timedelta(days=3)),
    ]
    stuck = new_job(admin_user, ImportStatus.RUNNING, age=dt.timedelta(hours=2))
    before = [snapshot(job) for job in kept]
    assert import_jobs_fail_stalled() == 1  # default: one hour
    assert [snapshot(job) for job in kept] == before
    stuck.refresh_from_db()
    assert stuck.status == ImportStatus.FAILED
    assert import_jobs_fail_stalled() == 0


def test_worker_still_alive_stops_when_its_import_is_declared_stalled(admin_user, monkeypatch):
    """A slow worker must not go on writing batches under a report that says it stopped."""
    monkeypatch.setattr(importing, "BATCH_SIZE", 1)
    checked_rows = importing.iter_checked_rows
    calls = []

    def rows_then_verdict(job):
        for row in checked_rows(job):
            if row.line == 3:
                # After the first batch, the housekeeping finds the job silent for too long.
                ImportJob.objects.filter(pk=job.pk).update(
                    updated_at=timezone.now() - dt.timedelta(hours=2)
                )
                assert import_jobs_fail_stalled(stalled_for=dt.timedelta(hours=1)) == 1
            calls.append(row.line)
            yield row

    job = new_job(admin_user, ImportStatus.VALIDATED)
    monkeypatch.setattr(importing, "iter_checked_rows", rows_then_verdict)
    job = import_job_confirm(actor=admin_user, job=job, skip_invalid=False)

    assert calls == [2, 3]  # the worker stopped at the batch that found the job failed
    assert job.status == ImportStatus.FAILED
    # Only the batch committed before the verdict stays, as the message says.
    assert list(Person.objects.filter(source=Source.IMPORT).values_list("email", flat=True)) == [
        "louise@exemple.fr"
    ]
    assert job.created_count == 1
    assert "1 personne créée ou mise à jour reste dans l'annuaire" in job.failure_message


# --- The command -------------------------------------------------------------------------


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("import_housekeeping", *args, stdout=out)
    return out.getvalue()


def test_command_reports_counts_and_is_idempotent(admin_user, django_capture_on_commit_callbacks):
    abandoned = [
        new_job(admin_user, ImportStatus.UPLOADED, age=dt.timedelta(days=8)),
        new_job(admin_user, ImportStatus.VALIDATED, age=dt.timedelta(days=9)),
    ]
    stuck = new_job(admin_user, ImportStatus.RUNNING, age=dt.timedelta(minutes=61))
    fresh = new_job(admin_user, ImportStatus.MAPPED, age=dt.timedelta(days=1))
    names = [job.file.name for job in abandoned]

    with django_capture_on_commit_callbacks(execute=True):
        output = run_command()
    assert output.splitlines() == [
        "Imports abandonnés, fichier supprimé : 2",
        "Imports bloqués, marqués en échec : 1",
    ]
    assert not any(stored(job, name) for job, name in zip(abandoned, names, strict=True))
    for job in [*abandoned, stuck]:
        job.refresh_from_db()
        assert job.status == ImportStatus.FAILED
    fresh_before = snapshot(fresh)
    assert fresh_before[0] == ImportStatus.MAPPED and stored(fresh, fresh.file.name)

    assert run_command().splitlines() == [
        "Imports abandonnés, fichier supprimé : 0",
        "Imports bloqués, marqués en échec : 0",
    ]
    assert snapshot(fresh) == fresh_before


def test_command_options(admin_user):
    mapped = new_job(admin_user, ImportStatus.MAPPED, age=dt.timedelta(days=2, hours=1))
    running = new_job(admin_user, ImportStatus.RUNNING, age=dt.timedelta(minutes=20))
    assert run_command("--abandoned-days", "3", "--stalled-minutes", "30").splitlines() == [
        "Imports abandonnés, fichier supprimé : 0",
        "Imports bloqués, marqués en échec : 0",
    ]
    assert run_command("--abandoned-days", "2", "--stalled-minutes", "15").splitlines() == [
        "Imports abandonnés, fichier supprimé : 1",
        "Imports bloqués, marqués en échec : 1",
    ]
    mapped.refresh_from_db()
    running.refresh_from_db()
    assert "au bout de 2 jours sans confirmation" in mapped.failure_message
    assert "plus de 15 minutes" in running.failure_message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--abandoned-days", "0"), "--abandoned-days doit valoir au moins 1."),
        (("--stalled-minutes", "1"), "--stalled-minutes doit valoir au moins 5."),
    ],
)
def test_command_refuses_limits_too_short_and_changes_nothing(admin_user, args, message):
    jobs = [
        new_job(admin_user, ImportStatus.UPLOADED, age=dt.timedelta(days=30)),
        new_job(admin_user, ImportStatus.RUNNING, age=dt.timedelta(days=30)),
    ]
    before = [snapshot(job) for job in jobs]
    with pytest.raises(CommandError, match=message):
        run_command(*args)
    assert [snapshot(job) for job in jobs] == before
