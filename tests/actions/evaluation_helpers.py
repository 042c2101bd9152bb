"""Test data for the evaluation: a done action with objectives, missions, sign-ups, a debrief."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from essaim.actions.models import (
    Action,
    ActionStatus,
    Debrief,
    Metric,
    Mission,
    MissionSignup,
    Objective,
    Registration,
    RegistrationStatus,
    SignupStatus,
)
from essaim.people.models import Person
from tests.actions.conftest import ActionWorld, make_action
from tests.people.factories import PersonFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def done_action(world: ActionWorld, *, title: str = "Maraude terminée", **fields: Any) -> Action:
    """An action of circle A that took place last week and is now DONE."""
    starts = fields.pop("starts_at", timezone.now() - timedelta(days=7))
    action = make_action(
        world,
        title=title,
        status=ActionStatus.DONE,
        starts_at=starts,
        ends_at=fields.pop("ends_at", starts + timedelta(hours=3)),
        **fields,
    )
    return action


def add_objectives(action: Action) -> tuple[Objective, Objective]:
    money = Objective.objects.create(
        action=action, metric=Metric.MONEY, target=50000, achieved=62500, position=0
    )
    people = Objective.objects.create(
        action=action, metric=Metric.PARTICIPANTS, unit="personnes", target=40, position=1
    )
    return money, people


def add_mission(
    action: Action, *, role: str = "Accueil", starts_at: datetime | None = None, hours: int = 3
) -> Mission:
    starts = starts_at or action.starts_at
    return Mission.objects.create(
        action=action,
        role=role,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        capacity=100,
    )


def add_signup(
    mission: Mission,
    person: Person | None = None,
    *,
    attended: bool | None = True,
    minutes: int | None = None,
    status: str = SignupStatus.CONFIRMED,
) -> MissionSignup:
    signup = MissionSignup.objects.create(
        mission=mission,
        person=person or PersonFactory(),
        status=status,
        attended=attended,
        minutes=minutes,
    )
    if status == SignupStatus.CONFIRMED:
        Mission.objects.filter(pk=mission.pk).update(
            confirmed_count=mission.signups.filter(status=SignupStatus.CONFIRMED).count()
        )
    return signup


def add_registration(
    action: Action,
    person: Person | None = None,
    *,
    attended: bool | None = None,
    status: str = RegistrationStatus.CONFIRMED,
) -> Registration:
    return Registration.objects.create(
        action=action, person=person or PersonFactory(), status=status, attended=attended
    )


def add_debrief(action: Action, **fields: Any) -> Debrief:
    values = {
        "what_worked": "Le binôme accueil\nLes affiches chez les commerçants",
        "to_improve": "Prévoir plus de café",
        "notes": "Bilan **positif**.",
        "notes_html": "<p>Bilan <strong>positif</strong>.</p>",
    }
    values.update(fields)
    return Debrief.objects.create(action=action, **values)


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "teal").save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def pdf_upload(name: str = "compte-rendu.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def docx_bytes() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def odt_bytes() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()
