"""Moderation of circle discussions: the reports list, hiding, dismissing and un-hiding."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from essaim.circles import discussions
from essaim.circles.models import Message, Report, ReportStatus
from essaim.core.models import AuditLog
from tests.circles.discussion_world import World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world("private")


def _url(name: str, world: World, **kwargs: object) -> str:
    return reverse(name, kwargs={"slug": world.circle.slug, **kwargs})


def _as(client, world: World, role: str):
    client.force_login(world.users[role])
    return client


def _report(world: World, message: Message | None = None, reason: str = "Propos blessants"):
    return discussions.message_report(
        actor=world.users["member"], message=message or world.first_message, reason=reason
    )


def _post(world: World, n: int) -> list[Message]:
    return [
        discussions.message_post(
            actor=world.users["coordinator"], thread=world.thread, body=f"Message numéro {i}"
        ).message
        for i in range(n)
    ]


def _flash(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# --- the reports list --------------------------------------------------------------


def test_reports_list_shows_what_a_coordinator_needs(client, world):
    _report(world, reason="Numéro de téléphone publié")
    response = _as(client, world, "coordinator").get(_url("circles:reports", world))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Numéro de téléphone publié" in body
    assert "Camille Martin" in body  # the reporter
    assert "Qui vient **samedi** ?" in body  # the message excerpt, as written
    thread_url = _url("circles:thread_detail", world, thread_id=world.thread.pk)
    assert f"{thread_url}#message-{world.first_message.pk}" in body
    assert _url("circles:report_dismiss", world, report_id=Report.objects.get().pk) in body
    assert 'aria-current="page"' in body and "Signalements" in body


def test_reports_list_leaves_out_closed_reports_and_other_circles(client, world):
    closed = _report(world)
    discussions.report_dismiss(actor=world.users["coordinator"], report=closed)
    _report(world, message=world.member_message, reason="Toujours ouvert")
    response = _as(client, world, "admin").get(_url("circles:reports", world))
    reports = list(response.context["page"].object_list)
    assert [r.reason for r in reports] == ["Toujours ouvert"]


def test_reports_list_is_paginated_newest_first(client, world):
    for message in _post(world, 23):
        _report(world, message=message, reason=f"Motif {message.body[-2:].strip()}")
    _as(client, world, "coordinator")
    first = client.get(_url("circles:reports", world))
    assert [r.reason for r in first.context["page"].object_list][:2] == ["Motif 22", "Motif 21"]
    assert first.context["page"].paginator.num_pages == 2
    second = client.get(_url("circles:reports", world), {"page": 2})
    assert len(second.context["page"].object_list) == 3
    assert "Page 2 sur 2" in second.content.decode()


def test_reports_list_query_count_is_constant(client, world, django_assert_num_queries):
    for message in _post(world, 2):
        _report(world, message=message)
    _as(client, world, "coordinator")
    url = _url("circles:reports", world)
    client.get(url)
    # session, user, circle, person, circle roles, reports count (also the tab's badge),
    # pending requests count, admin role, notification badge, reports page
    with django_assert_num_queries(10):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 2
    for message in _post(world, 18):
        _report(world, message=message)
    with django_assert_num_queries(10):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 20


def test_handled_reports_show_who_closed_them_when_and_why(client, world):
    dismissed = _report(world)
    discussions.report_dismiss(
        actor=world.users["coordinator"], report=dismissed, note="Conforme à la charte"
    )
    hidden = _report(world, message=world.member_message, reason="Insulte")
    discussions.message_hide(
        actor=world.users["admin"], message=world.member_message, reason="Insulte"
    )
    _report(world, message=_post(world, 1)[0], reason="Encore ouvert")
    response = _as(client, world, "coordinator").get(
        _url("circles:reports", world), {"vue": "traites"}
    )
    assert response.status_code == 200
    reports = list(response.context["page"].object_list)
    assert [r.pk for r in reports] == [hidden.pk, dismissed.pk]
    body = response.content.decode()
    assert "Classé sans suite" in body and "Message masqué" in body
    assert "Conforme à la charte" in body
    assert "Encore ouvert" not in body
    assert '<span class="badge">1</span>' in body  # the tab still counts the open one


def test_handled_reports_query_count_is_constant(client, world, django_assert_num_queries):
    for message in _post(world, 2):
        discussions.report_dismiss(
            actor=world.users["coordinator"], report=_report(world, message=message)
        )
    _as(client, world, "coordinator")
    url = f"{_url('circles:reports', world)}?vue=traites"
    client.get(url)
    # as the open list, plus the open-report count for the tab's badge
    with django_assert_num_queries(11):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 2
    for message in _post(world, 18):
        discussions.report_dismiss(
            actor=world.users["coordinator"], report=_report(world, message=message)
        )
    with django_assert_num_queries(11):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 20


def test_circle_tabs_show_the_open_report_count_to_coordinators_only(client, world):
    _report(world)
    _report(world, message=world.member_message)
    body = _as(client, world, "coordinator").get(_url("circles:files", world)).content.decode()
    assert "Signalements" in body and '<span class="badge">2</span>' in body
    body = _as(client, world, "member").get(_url("circles:files", world)).content.decode()
    assert "Signalements" not in body
    assert _url("circles:reports", world) not in body


# --- hiding from the list ----------------------------------------------------------


def test_hiding_from_the_list_closes_every_open_report_of_the_message(client, world):
    first = _report(world)
    second = discussions.message_report(
        actor=world.users["coordinator"], message=world.first_message, reason="Aussi"
    )
    other = _report(world, message=world.member_message)
    response = _as(client, world, "coordinator").post(
        _url("circles:message_hide", world, message_id=world.first_message.pk),
        {"reason": "Données personnelles", "depuis": "signalements"},
    )
    assert response.status_code == 302
    assert response["Location"] == _url("circles:reports", world)
    for report in (first, second):
        report.refresh_from_db()
        assert report.status == ReportStatus.HIDDEN
        assert report.resolved_by == world.person("coordinator")
        assert report.resolved_at is not None
    other.refresh_from_db()
    assert other.status == ReportStatus.OPEN
    log = AuditLog.objects.get(action="circles.message_hide", target_id=str(world.first_message.pk))
    assert log.details == {"reason": "Données personnelles", "reports": [first.pk, second.pk]}


def test_hiding_without_a_reason_from_the_list_changes_nothing(client, world):
    report = _report(world)
    response = _as(client, world, "coordinator").post(
        _url("circles:message_hide", world, message_id=world.first_message.pk),
        {"reason": "  ", "depuis": "signalements"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Indiquez le motif du masquage." in body
    # The form keeps the way back to the list for the second try.
    assert 'name="depuis" value="signalements"' in body
    report.refresh_from_db()
    world.first_message.refresh_from_db()
    assert report.status == ReportStatus.OPEN
    assert world.first_message.hidden_at is None
    assert not AuditLog.objects.filter(target_id=str(world.first_message.pk)).exists()


# --- dismissing --------------------------------------------------------------------


def test_dismissing_keeps_the_message_and_records_who_when_and_why(client, world):
    report = _report(world)
    _as(client, world, "coordinator")
    page = client.get(_url("circles:report_dismiss", world, report_id=report.pk))
    assert page.status_code == 200 and "Propos blessants" in page.content.decode()
    response = client.post(
        _url("circles:report_dismiss", world, report_id=report.pk),
        {"reason": "Relu : rien de contraire à la charte"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == _url("circles:reports", world)
    assert "classé sans suite" in _flash(response)
    report.refresh_from_db()
    assert report.status == ReportStatus.DISMISSED
    assert report.resolved_by == world.person("coordinator")
    assert report.resolution_note == "Relu : rien de contraire à la charte"
    world.first_message.refresh_from_db()
    assert world.first_message.hidden_at is None
    log = AuditLog.objects.get(action="circles.report_dismiss", target_id=str(report.pk))
    assert log.details["note"] == "Relu : rien de contraire à la charte"
    assert not response.context["page"].object_list


def test_a_note_is_optional_when_dismissing(client, world):
    report = _report(world)
    response = _as(client, world, "admin").post(
        _url("circles:report_dismiss", world, report_id=report.pk), {"reason": ""}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.DISMISSED and report.resolution_note == ""


@pytest.mark.parametrize("closing", ["dismiss", "hide"])
def test_dismissing_a_closed_report_says_so_and_changes_nothing(client, world, closing):
    report = _report(world)
    if closing == "dismiss":
        discussions.report_dismiss(actor=world.users["coordinator"], report=report, note="Vu")
    else:
        discussions.message_hide(
            actor=world.users["coordinator"], message=world.first_message, reason="Hors charte"
        )
    report.refresh_from_db()
    before = (report.status, report.resolved_at, report.resolution_note)
    logs = AuditLog.objects.count()
    response = _as(client, world, "admin").post(
        _url("circles:report_dismiss", world, report_id=report.pk), {"reason": "Encore"}
    )
    assert response.status_code == 400
    assert "Ce signalement est déjà traité" in response.content.decode()
    report.refresh_from_db()
    assert (report.status, report.resolved_at, report.resolution_note) == before
    assert AuditLog.objects.count() == logs


def test_a_too_long_note_is_refused(client, world):
    report = _report(world)
    response = _as(client, world, "coordinator").post(
        _url("circles:report_dismiss", world, report_id=report.pk), {"reason": "x" * 2001}
    )
    assert response.status_code == 400
    assert "La note est trop longue" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


def test_a_report_of_another_circle_is_not_found(client, world):
    other_thread = discussions.thread_create(
        actor=world.users["other_member"], circle=world.other_circle, title="Brest", body="Salut"
    )
    foreign = discussions.message_report(
        actor=world.users["other_member"], message=other_thread.message, reason="Spam"
    )
    _as(client, world, "coordinator")
    for method in ("get", "post"):
        response = getattr(client, method)(
            _url("circles:report_dismiss", world, report_id=foreign.pk)
        )
        assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == ReportStatus.OPEN


def test_a_member_may_report_again_once_a_report_is_closed(world):
    discussions.report_dismiss(actor=world.users["coordinator"], report=_report(world))
    assert _report(world, reason="Ça recommence").status == ReportStatus.OPEN
    with pytest.raises(ValidationError, match="déjà signalé"):
        _report(world)


def test_a_member_cannot_dismiss_through_the_service(world):
    report = _report(world)
    with pytest.raises(ValidationError, match="Seuls les coordinateurs"):
        discussions.report_dismiss(actor=world.users["member"], report=report)
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


# --- un-hiding ---------------------------------------------------------------------


def test_coordinators_see_an_unhide_button_members_see_nothing(client, world):
    thread_url = _url("circles:thread_detail", world, thread_id=world.thread.pk)
    unhide_url = _url("circles:message_unhide", world, message_id=world.hidden_message.pk)
    body = _as(client, world, "coordinator").get(thread_url).content.decode()
    assert unhide_url in body and "Afficher à nouveau" in body and "Hors sujet" in body
    body = _as(client, world, "member").get(thread_url).content.decode()
    assert unhide_url not in body and "Propos déplacés" not in body and "Hors sujet" not in body


def test_unhiding_shows_the_message_again_and_keeps_the_history(client, world):
    _as(client, world, "coordinator")
    response = client.post(
        _url("circles:message_unhide", world, message_id=world.hidden_message.pk),
        {"reason": "Malentendu éclairci"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#message-{world.hidden_message.pk}")
    world.hidden_message.refresh_from_db()
    assert world.hidden_message.hidden_at is None
    assert world.hidden_message.hidden_reason == ""
    # Both steps stay in the audit log, the original reason with them.
    hide = AuditLog.objects.get(
        action="circles.message_hide", target_id=str(world.hidden_message.pk)
    )
    unhide = AuditLog.objects.get(
        action="circles.message_unhide", target_id=str(world.hidden_message.pk)
    )
    assert hide.details["reason"] == "Hors sujet"
    assert unhide.details["reason"] == "Malentendu éclairci"
    assert unhide.details["hidden_reason"] == "Hors sujet"
    assert unhide.details["hidden_by"]
    thread_url = _url("circles:thread_detail", world, thread_id=world.thread.pk)
    assert "Propos déplacés" in _as(client, world, "member").get(thread_url).content.decode()


def test_unhiding_a_visible_message_says_so_and_changes_nothing(client, world):
    logs = AuditLog.objects.count()
    response = _as(client, world, "coordinator").post(
        _url("circles:message_unhide", world, message_id=world.member_message.pk), {"reason": ""}
    )
    assert response.status_code == 400
    assert "Ce message n&#x27;est pas masqué" in response.content.decode()
    assert AuditLog.objects.count() == logs
    world.member_message.refresh_from_db()
    assert world.member_message.hidden_at is None


def test_a_member_cannot_unhide_through_the_service(world):
    with pytest.raises(ValidationError, match="Seuls les coordinateurs"):
        discussions.message_unhide(actor=world.users["member"], message=world.hidden_message)
    world.hidden_message.refresh_from_db()
    assert world.hidden_message.hidden_at is not None


def test_unhide_of_a_message_of_another_circle_is_not_found(client, world):
    other_thread = discussions.thread_create(
        actor=world.users["other_member"], circle=world.other_circle, title="Brest", body="Salut"
    )
    discussions.message_hide(
        actor=world.users["admin"], message=other_thread.message, reason="Spam"
    )
    response = _as(client, world, "coordinator").post(
        _url("circles:message_unhide", world, message_id=other_thread.message.pk)
    )
    assert response.status_code == 404
    other_thread.message.refresh_from_db()
    assert other_thread.message.hidden_at is not None


def test_the_audit_log_names_moderation_actions_in_words():
    from essaim.core.selectors import audit_action_label

    assert audit_action_label("circles.message_hide") == "Message masqué par la coordination"
    assert audit_action_label("circles.message_unhide") == "Message de nouveau affiché"
    assert audit_action_label("circles.report_dismiss") == "Signalement classé sans suite"
