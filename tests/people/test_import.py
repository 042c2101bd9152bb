from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from essaim.core.models import AuditLog
from essaim.people.importing import (
    ImportFileError,
    ImportStateError,
    import_job_confirm,
    import_job_create,
    import_job_map,
    import_job_run,
    import_job_validate,
)
from essaim.people.models import ImportJob, ImportStatus, Person, Source, Tag
from tests.access import ROLES, Route, assert_access
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded import files must not pile up in the real var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


IMPORTERS = frozenset({"admin", "communication"})

GOOD_CSV = (
    "Prénom;Nom;E-mail;Code postal;Ville;Rôles;Étiquettes;Newsletter\n"
    "Louise;Michel;louise@exemple.fr;75011;Paris;adhérent, bénévole;quartier;oui\n"
    "Jean;Jaurès;jean@exemple.fr;81000;Albi;donateur;;non\n"
)
BAD_CSV = (
    "Prénom,Nom,Courriel,CP\n"
    "Louise,Michel,louise@exemple.fr,75011\n"
    "Jean,Jaurès,pas-une-adresse,81000\n"
    "Olympe,de Gouges,olympe@exemple.fr,82000\n"
)


def upload(content: bytes | str, name: str = "contacts.csv") -> SimpleUploadedFile:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def make_job(user, content: bytes | str = GOOD_CSV, name: str = "contacts.csv") -> ImportJob:
    return import_job_create(actor=user, uploaded_file=upload(content, name))


def validated_job(user, content: bytes | str = GOOD_CSV, tag_name: str = "") -> ImportJob:
    job = make_job(user, content)
    job = import_job_map(actor=user, job=job, mapping=job.mapping, tag_name=tag_name)
    return import_job_validate(actor=user, job=job)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Role matrix -------------------------------------------------------------------------


def _job_kwargs(status: str = "uploaded"):
    def build():
        from tests.conftest import make_user_for_role

        owner = make_user_for_role("admin")
        job = validated_job(owner) if status == "validated" else make_job(owner)
        return {"job_id": job.pk}

    return build


def _done_job_kwargs():
    from tests.conftest import make_user_for_role

    owner = make_user_for_role("admin")
    job = validated_job(owner)
    job = import_job_confirm(actor=owner, job=job, skip_invalid=False)
    return {"job_id": job.pk}


ROUTES = [
    Route("people:import_start", allowed=IMPORTERS),
    Route("people:import_mapping", allowed=IMPORTERS, kwargs=_job_kwargs()),
    Route("people:import_preview", allowed=IMPORTERS, kwargs=_job_kwargs("validated")),
    Route("people:import_detail", allowed=IMPORTERS, kwargs=_done_job_kwargs),
    Route(
        "people:import_confirm",
        allowed=IMPORTERS,
        kwargs=_job_kwargs("validated"),
        method="post",
        data=lambda: {},
        ok=(302,),
    ),
]


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_access(client, login_as, route, role):
    assert_access(client, route, role, login_as)


def test_unknown_job_is_404(admin_client):
    url = reverse("people:import_detail", kwargs={"job_id": "00000000-0000-4000-8000-000000000000"})
    assert admin_client.get(url).status_code == 404


# --- Full flow through the pages ------------------------------------------------------


def test_full_csv_flow_with_one_bad_line(admin_client, admin_user):
    response = admin_client.post(
        reverse("people:import_start"), {"file": upload(BAD_CSV), "encoding": "auto"}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("people:import_mapping", kwargs={"job_id": job.pk})
    assert job.delimiter == ","
    assert job.mapping == {"0": "given_name", "1": "family_name", "2": "email", "3": "postal_code"}

    page = admin_client.get(response["Location"]).content.decode()
    assert "louise@exemple.fr" in page  # first values shown beside each column

    response = admin_client.post(
        reverse("people:import_mapping", kwargs={"job_id": job.pk}),
        {
            "col_0": "given_name",
            "col_1": "family_name",
            "col_2": "email",
            "col_3": "postal_code",
            "tag_name": "Forum 2026",
        },
    )
    assert response.status_code == 302
    preview_url = reverse("people:import_preview", kwargs={"job_id": job.pk})
    assert response["Location"] == preview_url
    page = admin_client.get(preview_url).content.decode()
    # Line 3 as the spreadsheet shows it (header = line 1), the column, a French message.
    assert '<th scope="row">3</th>' in page
    assert "Courriel" in page
    assert "Adresse e-mail invalide : « pas-une-adresse »." in page
    job.refresh_from_db()
    assert (job.total_rows, job.valid_rows, job.error_rows) == (3, 2, 1)

    confirm_url = reverse("people:import_confirm", kwargs={"job_id": job.pk})
    response = admin_client.post(confirm_url, {})
    assert response.status_code == 400
    assert "rien n&#x27;a été importé" in response.content.decode()
    assert Person.objects.filter(source=Source.IMPORT).count() == 0
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED

    response = admin_client.post(confirm_url, {"skip_invalid": "on"})
    detail_url = reverse("people:import_detail", kwargs={"job_id": job.pk})
    assert response["Location"] == detail_url
    imported = Person.objects.filter(source=Source.IMPORT)
    assert sorted(imported.values_list("email", flat=True)) == [
        "louise@exemple.fr",
        "olympe@exemple.fr",
    ]
    tag = Tag.objects.get(name="Forum 2026")
    assert all(tag in person.tags.all() for person in imported)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.skipped_count, job.processed_rows) == (2, 1, 3)
    assert job.percent == 100
    assert not job.file  # the personal data file is deleted once imported
    page = admin_client.get(detail_url).content.decode()
    assert 'value="100"' in page
    assert "?tag=Forum%202026" in page
    assert "hx-get" not in page  # polling stops once done
    assert AuditLog.objects.filter(action="people.import", target_id=str(job.pk)).exists()


def test_imported_person_fields(admin_user, django_capture_on_commit_callbacks):
    job = validated_job(admin_user)
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        import_job_confirm(actor=admin_user, job=job, skip_invalid=False)
    assert not storage.exists(name)
    louise = Person.objects.get(email="louise@exemple.fr")
    assert (louise.is_member, louise.is_volunteer, louise.is_donor) == (True, True, False)
    assert louise.search_text == "louise michel louise@exemple.fr paris"
    assert louise.newsletter_consent is True
    assert louise.newsletter_consent_proof.startswith(
        "Import du fichier contacts.csv (ligne 2) par "
    )
    assert admin_user.email in louise.newsletter_consent_proof
    assert [t.name for t in louise.tags.all()] == ["quartier"]
    jean = Person.objects.get(email="jean@exemple.fr")
    assert jean.newsletter_consent is False and jean.is_donor is True
    assert jean.source == Source.IMPORT


def test_progress_partial_for_htmx_while_running(admin_client, admin_user):
    job = validated_job(admin_user)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, processed_rows=1, total_rows=2
    )
    url = reverse("people:import_detail", kwargs={"job_id": job.pk})
    partial = admin_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial
    assert 'hx-trigger="every 1s"' in partial
    assert 'value="50"' in partial
    full = admin_client.get(url).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in full


# --- Query counts -------------------------------------------------------------------------


def test_import_list_query_count_is_constant(client, admin_user, django_assert_num_queries):
    client.force_login(admin_user)
    url = reverse("people:import_start")
    make_job(admin_user)
    client.get(url)  # warm the organisation cache
    with django_assert_num_queries(6) as few:  # 6th: unread-notification badge
        assert client.get(url).status_code == 200
    for _ in range(5):
        make_job(admin_user)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("contacts.csv") == 6


def test_preview_query_count_is_constant(client, admin_user, django_assert_num_queries):
    client.force_login(admin_user)
    small = validated_job(admin_user, BAD_CSV)
    big_csv = "Prénom,Nom,Courriel\n" + "".join(
        f"P{i},N{i},{'mauvais' if i % 2 else f'p{i}@exemple.fr'}\n" for i in range(60)
    )
    big = validated_job(admin_user, big_csv)
    client.get(reverse("people:import_preview", kwargs={"job_id": small.pk}))
    # Session, user, staff roles, the job (errors and rows are stored on it), unread badge.
    with django_assert_num_queries(5) as few:
        client.get(reverse("people:import_preview", kwargs={"job_id": small.pk}))
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(reverse("people:import_preview", kwargs={"job_id": big.pk}))
    assert page.content.decode().count("Adresse e-mail invalide") == 30


# --- Files --------------------------------------------------------------------------------


def test_xlsx_flow_reads_formulas_as_values(admin_client, admin_user):
    data = xlsx_bytes(
        [
            ["Prénom", "Nom de famille", "Mail", "Code postal", "Bénévole"],
            ["Lucie", "Aubrac", "lucie@exemple.fr", 1000, "x"],
            ["Rosa", "Bonheur", '=HYPERLINK("http://evil")', 33000, "non"],
            [None, None, None, None, None],
            ["<script>alert(1)</script>", "'; DROP TABLE people_person; --", "", 69001, ""],
        ]
    )
    response = admin_client.post(
        reverse("people:import_start"), {"file": upload(data, "liste.xlsx"), "encoding": "auto"}
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.format == "xlsx"
    assert job.mapping["4"] == "is_volunteer"
    admin_client.post(
        reverse("people:import_mapping", kwargs={"job_id": job.pk}),
        {f"col_{i}": f for i, f in job.mapping.items()},
    )
    job.refresh_from_db()
    # The formula cell has no computed value (openpyxl wrote it): it reads as empty.
    assert (job.total_rows, job.error_rows) == (3, 0)
    admin_client.post(reverse("people:import_confirm", kwargs={"job_id": job.pk}), {})
    lucie = Person.objects.get(email="lucie@exemple.fr")
    assert lucie.postal_code == "01000" and lucie.is_volunteer
    hostile = Person.objects.get(postal_code="69001")
    assert hostile.given_name == "<script>alert(1)</script>"
    assert hostile.family_name == "'; DROP TABLE people_person; --"
    assert Person.objects.filter(email="", given_name="Rosa").exists()
    page = admin_client.get(reverse("people:import_detail", kwargs={"job_id": job.pk}))
    assert page.status_code == 200


def test_hostile_values_are_escaped_in_preview(admin_client, admin_user):
    job = validated_job(admin_user, "Prénom,Nom\n<script>alert(1)</script>,<b>x</b>\n")
    page = admin_client.get(reverse("people:import_preview", kwargs={"job_id": job.pk}))
    html = page.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_cp1252_file_needs_the_encoding_choice(admin_client, admin_user):
    data = "Prénom;Nom;E-mail\nHélène;Boucher;helene@exemple.fr\n".encode("cp1252")
    response = admin_client.post(
        reverse("people:import_start"), {"file": upload(data), "encoding": "auto"}
    )
    assert response.status_code == 400
    assert "CSV UTF-8" in response.content.decode()
    assert ImportJob.objects.count() == 0
    response = admin_client.post(
        reverse("people:import_start"), {"file": upload(data), "encoding": "cp1252"}
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.header == ["Prénom", "Nom", "E-mail"]
    assert job.sample_rows[0]["cells"][0] == "Hélène"


def test_utf8_bom_and_tab_separator(admin_user):
    data = "\ufeffPrénom\tNom\tE-mail\nAnne\tFrank\tanne@exemple.fr\n".encode()
    job = make_job(admin_user, data)
    assert job.header[0] == "Prénom"
    assert job.delimiter == "\t"
    assert job.mapping == {"0": "given_name", "1": "family_name", "2": "email"}


@override_settings(ESSAIM_IMPORT_MAX_BYTES=1024)
def test_too_big_file_is_refused_and_not_stored(admin_client):
    data = GOOD_CSV + "x" * 2000
    response = admin_client.post(
        reverse("people:import_start"), {"file": upload(data), "encoding": "auto"}
    )
    assert response.status_code == 400
    assert "trop gros" in response.content.decode()
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "vide.csv", "vide"),
        (b"\n\n", "blanc.csv", "vide"),
        (b"Pr\xc3\xa9nom,Nom\n", "entete.csv", "aucune ligne de contact"),
        (b",,\nLouise,Michel,\n", "sans-titres.csv", "première ligne doit contenir"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "image.csv", "pas en UTF-8"),
        (b"abc\x00def\nghi\x00\n", "binaire.csv", "n'est pas un tableau"),
        (b"PK\x03\x04garbage-not-a-zip", "faux.xlsx", "endommagé"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ancien.xls", "Excel ancien"),
        (b"blablabla\nqwerty\nazerty\n", "charabia.csv", "une seule colonne"),
    ],
)
def test_unreadable_files_get_a_clear_message(admin_client, content, name, message):
    response = admin_client.post(
        reverse("people:import_start"),
        {"file": SimpleUploadedFile(name, content), "encoding": "auto"},
    )
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert ImportJob.objects.count() == 0


def test_zip_that_is_not_xlsx(admin_user):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "bonjour")
    with pytest.raises(ImportFileError, match="pas un classeur Excel"):
        make_job(admin_user, buffer.getvalue(), "archive.zip")
    assert ImportJob.objects.count() == 0


# --- Validation rules -----------------------------------------------------------------------


def test_every_rule_reports_line_column_and_french_message(admin_user):
    csv_text = (
        "Prénom,Nom,Email,Téléphone,CP,Rôles,Adhérent,Newsletter\n"
        "Ok,Ok,ok@exemple.fr,06 12 34 56 78,75001,bénévole,oui,non\n"
        ",,,,,,,\n"  # blank line: skipped, still counted in the line numbers
        "A,B,a@b,abc,750,chef,peut-être,bof\n"
        ",,,0612345678,75001,,,\n" + "X" * 101 + ",Y,,,,,,\n"
    )
    job = validated_job(admin_user, csv_text)
    found = {(e["line"], e["column"]): e["message"] for e in job.errors}
    assert found[(4, "Email")] == "Adresse e-mail invalide : « a@b »."
    assert found[(4, "Téléphone")] == "Numéro de téléphone invalide : « abc »."
    assert "5 chiffres" in found[(4, "CP")]
    assert "Rôle inconnu : « chef »" in found[(4, "Rôles")]
    assert found[(4, "Adhérent")] == "Valeur « peut-être » non comprise : écrivez oui ou non."
    assert (4, "Newsletter") in found
    assert found[(5, "")] == "Il faut au moins un nom, un prénom ou une adresse e-mail."
    assert "trop long" in found[(6, "Prénom")]
    assert (job.total_rows, job.valid_rows, job.error_rows) == (4, 1, 3)


def test_mapping_must_be_usable(admin_client, admin_user):
    job = make_job(admin_user)
    url = reverse("people:import_mapping", kwargs={"job_id": job.pk})
    response = admin_client.post(url, {"col_0": "email", "col_2": "email"})
    assert response.status_code == 400
    assert "remplissent toutes deux" in response.content.decode()
    response = admin_client.post(url, {"col_3": "city"})
    assert "au moins une colonne" in response.content.decode().replace("&#x27;", "'")
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_many_errors_keep_the_first_thousand(admin_user):
    csv_text = "Nom,Email\n" + "".join(f"N{i},faux{i}\n" for i in range(1200))
    job = validated_job(admin_user, csv_text)
    assert job.error_count == 1200 and job.error_rows == 1200
    assert len(job.errors) == ImportJob.ERRORS_KEPT
    assert job.errors_truncated


# --- Confirmation, duplicates, lifecycle ----------------------------------------------------


def test_double_confirm_imports_once(client, admin_user):
    job = validated_job(admin_user)
    client.force_login(admin_user)
    url = reverse("people:import_confirm", kwargs={"job_id": job.pk})
    first = client.post(url, {})
    second = client.post(url, {})
    assert first.status_code == second.status_code == 302
    assert Person.objects.filter(source=Source.IMPORT).count() == 2
    again = import_job_confirm(actor=admin_user, job=job, skip_invalid=False)
    assert again.status == ImportStatus.DONE
    assert import_job_run(job_id=job.pk).created_count == 2
    assert Person.objects.filter(source=Source.IMPORT).count() == 2


def test_steps_refuse_the_wrong_moment(admin_user):
    job = make_job(admin_user)
    with pytest.raises(ImportStateError):
        import_job_confirm(actor=admin_user, job=job, skip_invalid=True)
    job = validated_job(admin_user)
    import_job_confirm(actor=admin_user, job=job, skip_invalid=False)
    with pytest.raises(ImportStateError):
        import_job_map(actor=admin_user, job=job, mapping=job.mapping)


def test_duplicates_update_existing_people(admin_user):
    known = PersonFactory(
        given_name="Louise",
        family_name="Michel",
        email="louise@exemple.fr",
        city="",
        postal_code="",
        is_member=False,
        is_volunteer=False,
        phone="01 02 03 04 05",
    )
    other = PersonFactory(given_name="Autre", family_name="Michel", email="jean@exemple.fr")
    csv_text = (
        "Prénom,Nom,E-mail,Ville,Téléphone,Rôles,Étiquettes\n"
        "LOUISE,michel,Louise@Exemple.fr,Paris,06 00 00 00 00,bénévole,vieux\n"
        "Jean,Jaurès,jean@exemple.fr,Albi,,,\n"
        "Jean,Jaures,JEAN@exemple.fr,,,donateur,double\n"
    )
    job = validated_job(admin_user, csv_text, tag_name="Fusion")
    job = import_job_confirm(actor=admin_user, job=job, skip_invalid=False)
    assert (job.created_count, job.updated_count) == (1, 1)
    known.refresh_from_db()
    assert known.city == "Paris"  # an empty field is filled
    assert known.phone == "01 02 03 04 05"  # a filled one is kept
    assert known.is_volunteer and known.source != Source.IMPORT
    assert {t.name for t in known.tags.all()} == {"vieux", "Fusion"}
    assert "paris" in known.search_text
    other.refresh_from_db()
    assert other.given_name == "Autre"
    jean = Person.objects.get(given_name="Jean", family_name="Jaurès")  # completed by line 2
    assert jean.is_donor and jean.city == "Albi"
    assert {t.name for t in jean.tags.all()} == {"double", "Fusion"}


def test_failure_marks_the_job_failed(admin_user, monkeypatch):
    job = validated_job(admin_user)

    def explode(self, rows):
        raise RuntimeError("disk full")

    monkeypatch.setattr("essaim.people.importing._Batcher.write", explode)
    job = import_job_confirm(actor=admin_user, job=job, skip_invalid=False)
    assert job.status == ImportStatus.FAILED
    assert "erreur inattendue" in job.failure_message
    assert Person.objects.filter(source=Source.IMPORT).count() == 0


def test_large_file_imports_in_batches(admin_user, settings):
    rows = "".join(f"P{i},N{i},p{i}@exemple.fr,{10000 + i}\n" for i in range(4500))
    job = validated_job(admin_user, "Prénom,Nom,E-mail,CP\n" + rows)
    job = import_job_confirm(actor=admin_user, job=job, skip_invalid=False)
    assert job.status == ImportStatus.DONE
    assert job.created_count == 4500 == job.processed_rows
    assert Person.objects.filter(source=Source.IMPORT).count() == 4500


@pytest.mark.django_db(transaction=True)
def test_two_tabs_confirming_at_once_import_once(admin_user):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks between threads need PostgreSQL")
    import threading

    from django.db import connections

    job = validated_job(admin_user)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm() -> None:
        try:
            barrier.wait()
            outcomes.append(
                import_job_confirm(actor=admin_user, job=job, skip_invalid=False).status
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 2
    assert Person.objects.filter(source=Source.IMPORT).count() == 2
    assert AuditLog.objects.filter(action="people.import", target_id=str(job.pk)).count() == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.created_count == 2


def test_crash_before_the_first_batch_marks_the_job_failed(admin_user, monkeypatch):
    job = validated_job(admin_user)

    def explode(*, job_id):
        raise RuntimeError("database gone")

    monkeypatch.setattr("essaim.people.importing.import_job_run", explode)
    job = import_job_confirm(actor=admin_user, job=job, skip_invalid=False)
    assert job.status == ImportStatus.FAILED
    assert "erreur inattendue" in job.failure_message
