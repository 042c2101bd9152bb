"""Missions, check-in, calendars and the public action page: axe-clean, usable at 360 px."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from essaim.actions import missions
from essaim.actions.models import Action, ActionStatus, ActionVisibility
from tests.actions.conftest import build_action_world, make_action
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll


def _world() -> Any:
    world = build_action_world()
    public = world.actions["public"]
    Action.objects.filter(pk=public.pk).update(
        summary="Une maraude ouverte à tous",
        place_name="Place Bellecour",
        city="Lyon",
        postal_code="69002",
        description="Venez nombreux.",
        description_html="<p>Venez nombreux.</p>",
    )
    for key, role in (("public", "Accueil des participants"), ("circle", "Distribution")):
        action = world.actions[key]
        mission = missions.mission_create(
            actor=world.users["admin"],
            action=action,
            data={
                "role": role,
                "description": "Accueillir et orienter",
                "skills": "Le sourire",
                "starts_at": action.starts_at,
                "ends_at": action.starts_at + timedelta(hours=2),
                "capacity": 1,
            },
        )
        missions.mission_signup(actor=world.users["admin"], mission=mission)
        missions.mission_signup(actor=world.users["member_a"], mission=mission)
    running = make_action(
        world,
        title="Collecte en cours",
        status=ActionStatus.RUNNING,
        visibility=ActionVisibility.MEMBERS,
    )
    world.actions["running"] = running
    missions.registration_create(actor=world.users["member_a"], action=running)
    missions.walk_in_add(actor=world.users["admin"], action=running, name="Camille Petit")
    return world


@pytest.mark.parametrize("width", [360, 1280])
def test_public_page_sign_up_and_confirm(new_context: Any, transactional_db: Any, width: int):
    world = _world()
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto(f"/agir/{world.actions['public'].slug}/")
    assert_accessible(page)
    if width == 360:
        assert_no_horizontal_scroll(page, 360)
    page.locator("#id_given_name").fill("Léa")
    page.locator("#id_family_name").fill("Martin")
    page.locator("#id_email").fill("lea.martin@exemple.org")
    page.get_by_role("button", name="Je m'inscris").click()
    page.get_by_role("heading", name="Merci ! Vérifiez votre boîte e-mail").wait_for()
    assert_accessible(page)
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/agir/confirmer/" in line)
    page.goto(link.strip().replace("http://127.0.0.1:8000", ""))
    assert_accessible(page)
    page.get_by_role("button", name="Je confirme mon inscription").click()
    page.get_by_text("Votre inscription est confirmée. À bientôt !").first.wait_for()


@pytest.mark.parametrize("width", [360, 1280])
def test_member_and_coordinator_pages(
    new_context: Any, sign_in: Any, transactional_db: Any, width: int
):
    world = _world()
    member = new_context(viewport={"width": width, "height": 800})
    sign_in(member, world.users["member_a"])
    page = member.new_page()
    for path in (
        f"/actions/{world.actions['circle'].slug}/missions/",
        "/actions/benevolat/mes-missions/",
        "/actions/benevolat/calendriers/",
    ):
        page.goto(path)
        assert_accessible(page)
        if width == 360:
            assert_no_horizontal_scroll(page, 360)
    coordinator = new_context(viewport={"width": width, "height": 800})
    sign_in(coordinator, world.users["admin"])
    page = coordinator.new_page()
    running = world.actions["running"]
    for path in (
        f"/actions/{running.slug}/pointage/",
        f"/actions/{world.actions['circle'].slug}/missions/ajouter/",
    ):
        page.goto(path)
        assert_accessible(page)
        if width == 360:
            assert_no_horizontal_scroll(page, 360)
    # With htmx: the toggle swaps the row and the counts in place.
    page.goto(f"/actions/{running.slug}/pointage/")
    page.get_by_role("button", name="Présent — Camille Petit").wait_for()
    row = page.locator(".checkin-row").first
    row.get_by_role("button", name="Absent").click()
    page.locator(".checkin-row").first.locator("[aria-pressed=true]").get_by_text(
        "Absent"
    ).wait_for()
    assert_accessible(page)
