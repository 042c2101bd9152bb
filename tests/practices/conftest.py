"""The action world (circles, roles, actions) plus practice sheets in every visibility and state.

Sheets of circle A are written by ``member_a``; ``member_b`` wrote a draft without a circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from essaim.practices.models import PracticeSheet, PracticeVisibility
from essaim.practices.services import practice_create, practice_publish
from tests.actions.conftest import ActionWorld, action_world, build_action_world

__all__ = ["PracticeWorld", "action_world", "build_practice_world", "make_sheet"]


@dataclass
class PracticeWorld(ActionWorld):
    sheets: dict[str, PracticeSheet] = field(default_factory=dict)


def make_sheet(
    world: ActionWorld,
    *,
    author: str = "member_a",
    title: str = "Accueillir les nouveaux bénévoles",
    circle: str | None = "a",
    visibility: str = PracticeVisibility.NETWORK,
    publish: bool = True,
    **fields: Any,
) -> PracticeSheet:
    sheet = practice_create(
        actor=world.users[author],
        title=title,
        circle=world.circles[circle] if circle else None,
        visibility=visibility,
        **fields,
    )
    if publish:
        sheet = practice_publish(actor=world.users["admin"], sheet=sheet)
    return sheet


def build_practice_world() -> PracticeWorld:
    base = build_action_world()
    world = PracticeWorld(**vars(base))
    world.sheets = {
        "network": make_sheet(
            world,
            summary="Un café, un binôme, une visite des locaux.",
            body="## Le jour J\n\n- Un café\n- Un binôme",
            tags="Accueil, Bénévolat",
            actions=[world.actions["circle"]],
        ),
        "circle": make_sheet(
            world,
            title="Organiser une maraude",
            visibility=PracticeVisibility.CIRCLE,
            tags="maraude",
        ),
        "draft": make_sheet(
            world,
            title="Brouillon de fiche",
            visibility=PracticeVisibility.CIRCLE,
            publish=False,
        ),
        "secret": make_sheet(world, author="admin", title="Fiche secrète", circle="secret"),
        "loose": make_sheet(world, author="member_b", title="Idée sans cercle", circle=None),
    }
    return world


@pytest.fixture
def practice_world(db: Any) -> PracticeWorld:
    return build_practice_world()
