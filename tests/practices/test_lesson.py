"""practice_draft_from_lesson: the debrief's one click (helper A3 calls it)."""

from __future__ import annotations

from essaim.practices.models import PracticeStatus, PracticeVisibility
from essaim.practices.services import practice_draft_from_lesson


def test_lesson_becomes_a_circle_draft_linked_to_the_action(action_world):
    action = action_world.actions["circle"]
    sheet = practice_draft_from_lesson(
        actor=action_world.users["coordinator_a"],
        action=action,
        title="Prévoir des thermos",
        lesson="Le café chaud attire les gens.",
    )
    assert sheet.status == PracticeStatus.DRAFT
    assert sheet.visibility == PracticeVisibility.CIRCLE
    assert sheet.circle == action.circle
    assert sheet.source_action == action
    assert list(sheet.actions.all()) == [action]
    assert sheet.body.startswith("Le café chaud attire les gens.")
    assert f"/actions/{action.slug}/" in sheet.body
    assert sheet.author == action_world.person("coordinator_a")
    assert sheet.revision_count == 1
    assert sheet.revisions.get().number == 1
    assert "prevoir des thermos" in sheet.search_text


def test_lesson_without_title_takes_the_action_title(action_world):
    action = action_world.actions["public"]
    sheet = practice_draft_from_lesson(
        actor=action_world.users["admin"], action=action, title="  ", lesson="Leçon"
    )
    assert sheet.title == action.title
