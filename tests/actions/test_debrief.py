"""The debrief: objectives vs results, lessons, notes, files, lesson to practice sheet."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from essaim.actions.evaluation import MAX_DEBRIEF_FILES
from essaim.actions.models import Debrief, DebriefFile, Feedback, Objective
from essaim.core.models import AuditLog
from tests.actions.conftest import ActionWorld, build_action_world
from tests.actions.evaluation_helpers import (
    PDF,
    add_debrief,
    add_objectives,
    docx_bytes,
    done_action,
    odt_bytes,
    pdf_upload,
    png_upload,
)
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: Any) -> ActionWorld:
    return build_action_world()


@pytest.fixture
def done(world: ActionWorld) -> Any:
    return done_action(world)


def page_text(response: Any) -> str:
    return html.unescape(response.content.decode())


def login(client: Any, world: ActionWorld, role: str) -> None:
    user = world.users[role]
    assert user is not None
    client.force_login(user)


def debrief_url(action: Any, name: str = "actions:debrief", **kwargs: Any) -> str:
    return reverse(name, kwargs={"slug": action.slug, **kwargs})


# --- reading ---------------------------------------------------------------------------


def test_debrief_shows_objectives_percentages_in_euros_lessons_notes_and_feedback(
    client, world, done
):
    add_objectives(done)
    add_debrief(done)
    for rating, comment in ((5, "Super ambiance"), (4, ""), (3, "Trop de monde")):
        Feedback.objects.create(action=done, person=PersonFactory(), rating=rating, comment=comment)
    login(client, world, "member_a")
    text = page_text(client.get(debrief_url(done)))
    assert "500\u00a0€" in text and "625\u00a0€" in text  # target and achieved, in euros
    assert "125 %" in text and "objectif atteint" in text
    assert "non mesuré" in text  # the participants objective has no result yet
    assert "Le binôme accueil" in text and "Les affiches chez les commerçants" in text
    assert "<strong>positif</strong>" in response_html(client, done)
    assert "Note moyenne" in text and "4,0 sur 5" in text
    assert "Super ambiance" in text and "Trop de monde" in text
    # A member reads; only coordinators get the buttons.
    assert "Modifier le bilan" not in text
    assert "Transformer en fiche pratique" not in text


def response_html(client: Any, action: Any) -> str:
    return client.get(debrief_url(action)).content.decode()


def test_coordinator_sees_edit_and_lesson_buttons(client, world, done):
    add_debrief(done)
    login(client, world, "coordinator_a")
    text = page_text(client.get(debrief_url(done)))
    assert "Modifier le bilan" in text
    assert text.count("Transformer en fiche pratique") == 3  # one per lesson line


def test_debrief_before_the_end_explains_it_opens_later(client, world):
    login(client, world, "coordinator_a")
    action = world.actions["circle"]
    text = page_text(client.get(debrief_url(action)))
    assert "une fois l'action terminée" in text
    response = client.get(debrief_url(action, "actions:debrief_edit"), follow=True)
    assert "Le bilan s'écrit une fois l'action terminée" in page_text(response)
    assert not Debrief.objects.filter(action=action).exists()


def test_section_partial_summarises_for_members_and_hides_from_outsiders(world, done):
    add_debrief(done)
    Feedback.objects.create(action=done, person=PersonFactory(), rating=5)
    request = RequestFactory().get("/")
    request.user = world.users["member_a"]
    text = html.unescape(
        render_to_string(
            "actions/debrief/_section.html",
            {"action": done, "can_manage": False, "request": request},
        )
    )
    assert "Le binôme accueil" in text and "1 avis de participant reçu" in text
    assert "Lire le bilan complet" in text
    request.user = world.users["member_b"]
    outsider = render_to_string(
        "actions/debrief/_section.html", {"action": done, "can_manage": False, "request": request}
    )
    assert "Bilan" not in outsider


# --- writing ---------------------------------------------------------------------------


def test_coordinator_writes_the_debrief_with_results_in_euros(client, world, done):
    money, people = add_objectives(done)
    login(client, world, "coordinator_a")
    response = client.post(
        debrief_url(done, "actions:debrief_edit"),
        {
            "what_worked": "L'accueil\nLa soupe",
            "to_improve": "Le rangement",
            "notes": "Un **beau** moment <script>alert(1)</script>",
            f"achieved_{money.pk}": "812,50",
            f"achieved_{people.pk}": "37",
        },
    )
    assert response.status_code == 302
    debrief = Debrief.objects.get(action=done)
    assert debrief.what_worked == "L'accueil\nLa soupe"
    assert "<strong>beau</strong>" in debrief.notes_html and "<script" not in debrief.notes_html
    assert debrief.updated_by == world.person("coordinator_a")
    money.refresh_from_db()
    people.refresh_from_db()
    assert (money.achieved, people.achieved) == (81250, 37)
    assert people.achieved_updated_by == world.person("coordinator_a")
    entry = AuditLog.objects.get(action="action.debrief_update")
    assert entry.details == {"objectives": [money.pk, people.pk]}
    # The edit form shows the money back in euros.
    form_page = page_text(client.get(debrief_url(done, "actions:debrief_edit")))
    assert 'value="812,50"' in form_page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("money", "douze euros", "Indiquez un montant en euros, par exemple 11,88."),
        ("money", "-5", "Indiquez un montant en euros, par exemple 11,88."),
        ("people", "-3", "Un résultat ne peut pas être négatif."),
        ("people", "beaucoup", "Indiquez un nombre entier, par exemple 25."),
    ],
)
def test_bad_results_change_nothing(client, world, done, field, value, message):
    money, people = add_objectives(done)
    add_debrief(done)
    before = list(Objective.objects.values_list("achieved", flat=True))
    login(client, world, "coordinator_a")
    objective = money if field == "money" else people
    response = client.post(
        debrief_url(done, "actions:debrief_edit"),
        {"what_worked": "Changé", "to_improve": "", "notes": "", f"achieved_{objective.pk}": value},
    )
    assert response.status_code == 200
    assert message in page_text(response)
    assert list(Objective.objects.values_list("achieved", flat=True)) == before
    assert Debrief.objects.get(action=done).what_worked.startswith("Le binôme")
    assert not AuditLog.objects.filter(action="action.debrief_update").exists()


def test_member_cannot_write_the_debrief(client, world, done):
    login(client, world, "member_a")
    response = client.post(debrief_url(done, "actions:debrief_edit"), {"what_worked": "Piraté"})
    assert response.status_code == 403
    assert not Debrief.objects.exists()


# --- files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upload", "content_type"),
    [
        (lambda: pdf_upload(), "application/pdf"),
        (lambda: png_upload(), "image/png"),
        (
            lambda: SimpleUploadedFile("tableau.docx", docx_bytes()),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            lambda: SimpleUploadedFile("compte-rendu.odt", odt_bytes()),
            "application/vnd.oasis.opendocument.text",
        ),
    ],
    ids=["pdf", "png", "docx", "odt"],
)
def test_coordinator_attaches_a_file_members_download_it(client, world, done, upload, content_type):
    login(client, world, "coordinator_a")
    response = client.post(debrief_url(done, "actions:debrief_file_add"), {"file": upload()})
    assert response.status_code == 302
    stored = DebriefFile.objects.get(action=done)
    assert stored.content_type == content_type
    assert stored.uploaded_by == world.person("coordinator_a")
    assert stored.original_name not in stored.file.name  # random stored name
    client.logout()
    login(client, world, "member_a")
    download = client.get(debrief_url(done, "actions:debrief_file", file_id=stored.pk))
    assert download.status_code == 200
    assert download["Content-Type"] == content_type
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content)
    client.logout()
    login(client, world, "member_b")
    assert (
        client.get(debrief_url(done, "actions:debrief_file", file_id=stored.pk)).status_code == 404
    )


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            lambda: SimpleUploadedFile("faux.docx", b"MZ\x90\x00 not a zip"),
            "ne correspond pas à un document DOCX",
        ),
        (
            lambda: SimpleUploadedFile("faux.odt", docx_bytes()),
            "ne correspond pas à un document ODT",
        ),
        (lambda: SimpleUploadedFile("outil.exe", b"MZ\x90\x00"), "n'est pas accepté"),
        (lambda: SimpleUploadedFile("faux.pdf", b"<html>"), "n'est pas un vrai PDF"),
        (
            lambda: SimpleUploadedFile("enorme.pdf", PDF + b"0" * (10 * 1024 * 1024)),
            "dépasse 10 Mo",
        ),
        (lambda: None, "Choisissez un fichier à joindre."),
    ],
    ids=["fake-docx", "docx-as-odt", "exe", "fake-pdf", "too-big", "none"],
)
def test_bad_file_is_refused_with_a_message_and_nothing_stored(
    client, world, done, upload, message
):
    login(client, world, "coordinator_a")
    file = upload()
    response = client.post(
        debrief_url(done, "actions:debrief_file_add"), {"file": file} if file else {}, follow=True
    )
    assert message in page_text(response)
    assert not DebriefFile.objects.exists()


def test_files_wait_for_the_end_and_are_limited(client, world, done):
    login(client, world, "coordinator_a")
    early = world.actions["circle"]
    response = client.post(
        debrief_url(early, "actions:debrief_file_add"), {"file": pdf_upload()}, follow=True
    )
    assert "Le bilan s'écrit une fois l'action terminée" in page_text(response)
    assert not DebriefFile.objects.exists()
    for index in range(MAX_DEBRIEF_FILES):
        stored = DebriefFile(
            action=done, original_name=f"{index}.pdf", content_type="application/pdf", size=1
        )
        stored.file.save(f"{index}.pdf", SimpleUploadedFile("x", PDF), save=True)
    response = client.post(
        debrief_url(done, "actions:debrief_file_add"), {"file": pdf_upload()}, follow=True
    )
    assert "supprimez-en un avant d'en ajouter" in page_text(response)
    assert DebriefFile.objects.count() == MAX_DEBRIEF_FILES


def test_coordinator_removes_a_file_and_its_bytes(
    client, world, done, django_capture_on_commit_callbacks
):
    login(client, world, "coordinator_a")
    client.post(debrief_url(done, "actions:debrief_file_add"), {"file": pdf_upload()})
    stored = DebriefFile.objects.get()
    storage, name = stored.file.storage, stored.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(debrief_url(done, "actions:debrief_file_delete", file_id=stored.pk))
    assert response.status_code == 302
    assert not DebriefFile.objects.exists()
    assert not storage.exists(name)
    assert AuditLog.objects.filter(action="action.debrief_file_delete").exists()


def test_file_of_another_action_is_not_found(client, world, done):
    other = done_action(world, title="Autre action")
    stored = DebriefFile(
        action=other, original_name="a.pdf", content_type="application/pdf", size=1
    )
    stored.file.save("a.pdf", SimpleUploadedFile("x", PDF), save=True)
    login(client, world, "coordinator_a")
    url = debrief_url(done, "actions:debrief_file", file_id=stored.pk)
    assert client.get(url).status_code == 404


# --- lesson to practice sheet ----------------------------------------------------------


def test_one_click_turns_a_lesson_into_a_draft_practice_sheet(client, world, done):
    from essaim.practices.models import PracticeSheet, PracticeStatus

    add_debrief(done)
    login(client, world, "coordinator_a")
    response = client.post(
        debrief_url(done, "actions:debrief_lesson"), {"section": "what_worked", "line": "1"}
    )
    sheet = PracticeSheet.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("practices:edit", kwargs={"slug": sheet.slug})
    assert sheet.status == PracticeStatus.DRAFT
    assert sheet.title == "Les affiches chez les commerçants"
    assert "Les affiches chez les commerçants" in sheet.body
    assert sheet.source_action == done
    assert list(sheet.actions.all()) == [done]


def test_whole_section_becomes_a_sheet_with_a_chosen_title(client, world, done):
    from essaim.practices.models import PracticeSheet

    add_debrief(done)
    login(client, world, "coordinator_a")
    client.post(
        debrief_url(done, "actions:debrief_lesson"),
        {"section": "what_worked", "title": "Réussir une maraude"},
    )
    sheet = PracticeSheet.objects.get()
    assert sheet.title == "Réussir une maraude"
    assert "Le binôme accueil" in sheet.body and "Les affiches" in sheet.body


@pytest.mark.parametrize(
    "data",
    [{"section": "what_worked", "line": "9"}, {"section": "autre"}, {}],
    ids=["missing-line", "bad-section", "empty"],
)
def test_bad_lesson_choice_creates_nothing(client, world, done, data):
    from essaim.practices.models import PracticeSheet

    add_debrief(done)
    login(client, world, "coordinator_a")
    response = client.post(debrief_url(done, "actions:debrief_lesson"), data, follow=True)
    text = page_text(response)
    assert "rechargez le bilan" in text or "Choisissez une leçon" in text
    assert not PracticeSheet.objects.exists()


# --- query counts ----------------------------------------------------------------------


def _fill(action: Any, rows: int) -> None:
    for index in range(rows):
        Objective.objects.create(action=action, metric="signatures", target=100, achieved=index)
        Feedback.objects.create(
            action=action, person=PersonFactory(), rating=1 + index % 5, comment=f"Avis {index}"
        )
        stored = DebriefFile(
            action=action, original_name=f"f{index}.pdf", content_type="application/pdf", size=1
        )
        stored.file.name = f"actions/debriefs/{action.pk}/f{index}"
        stored.save()


@pytest.mark.parametrize("rows", [2, 20])
def test_debrief_page_queries_do_not_grow_with_rows(
    client, world, done, rows, django_assert_num_queries
):
    add_debrief(done)
    _fill(done, rows)
    login(client, world, "coordinator_a")
    client.get(debrief_url(done))  # warm the organisation cache
    # session, user, person roles, action, circle roles, debrief, objectives, files,
    # feedback (stats, distribution, comments), hours, notification badge
    with django_assert_num_queries(DEBRIEF_QUERIES):
        response = client.get(debrief_url(done))
    assert response.status_code == 200
    assert f"Avis {rows - 1}" in page_text(response)


DEBRIEF_QUERIES = 13


def test_action_page_shows_the_debrief_section(client, world, done):
    add_debrief(done)
    login(client, world, "member_a")
    text = page_text(client.get(reverse("actions:detail", kwargs={"slug": done.slug})))
    assert "Le binôme accueil" in text
    assert reverse("actions:debrief", kwargs={"slug": done.slug}) in text
    client.logout()
    login(client, world, "coordinator_a")
    text = page_text(client.get(reverse("actions:detail", kwargs={"slug": done.slug})))
    assert reverse("actions:action_hours", kwargs={"slug": done.slug}) in text
