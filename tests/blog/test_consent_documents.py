"""Signed consent forms: checked at upload, stored privately, downloaded by writers only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from essaim.blog.models import PublicationStatus, StoryConsent
from essaim.blog.stories import MAX_DOCUMENT_SIZE
from tests.blog.factories import StoryFactory, jpeg_bytes, png_bytes
from tests.conftest import make_user_for_role

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _post(client: Client, story_id: int, upload: Any) -> Any:
    data = {
        "featured_name": "Amina",
        "given_by": "Amina",
        "given_on": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
        "uses": ["blog", "giving"],
        "image_rights": "photo",
        "document": upload,
    }
    return client.post(reverse("site_admin:consent_add", kwargs={"story_id": story_id}), data)


@pytest.fixture
def story() -> Any:
    return StoryFactory(status=PublicationStatus.DRAFT, published_at=None)


@pytest.fixture
def writer_client(client: Client) -> Client:
    client.force_login(make_user_for_role("communication"))
    return client


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("formulaire.pdf", b"Ceci est un texte, pas un PDF.", "pas un vrai fichier PDF"),
        ("formulaire.docx", b"PK\x03\x04 word", "n&#x27;est pas accepté"),
        ("photo.png", jpeg_bytes(), "pas un vrai fichier PNG"),
        ("photo.jpg", b"\xff\xd8\xff\xe0 broken jpeg", "est abîmé"),
        ("sans-extension", PDF, "n&#x27;est pas accepté"),
    ],
)
def test_bad_documents_are_refused_and_nothing_is_recorded(
    writer_client: Client, story: Any, name: str, content: bytes, message: str
) -> None:
    response = _post(writer_client, story.pk, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not StoryConsent.objects.exists()


def test_a_document_over_ten_megabytes_is_refused(writer_client: Client, story: Any) -> None:
    big = PDF + b"0" * (MAX_DOCUMENT_SIZE + 1 - len(PDF))
    response = _post(writer_client, story.pk, SimpleUploadedFile("scan.pdf", big))
    assert response.status_code == 200
    assert "dépasse 10 Mo" in response.content.decode()
    assert not StoryConsent.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [
        ("formulaire signé.PDF", PDF, "application/pdf"),
        ("photo.jpeg", jpeg_bytes(), "image/jpeg"),
        ("photo.png", png_bytes(), "image/png"),
    ],
)
def test_good_documents_are_stored_privately_and_downloaded_as_attachments(
    writer_client: Client, story: Any, name: str, content: bytes, mime: str
) -> None:
    response = _post(writer_client, story.pk, SimpleUploadedFile(name, content))
    assert response.status_code == 302, response.content.decode()[:2000]
    consent = StoryConsent.objects.get()
    assert consent.document.name.startswith("consents/")
    # Private storage: nothing under the public media folder.
    assert str(settings.STORAGES["private"]["OPTIONS"]["location"]) in consent.document.path
    assert str(settings.MEDIA_ROOT) not in consent.document.path
    download = writer_client.get(
        reverse("site_admin:consent_document", kwargs={"consent_id": consent.pk})
    )
    assert download.status_code == 200
    assert download["Content-Type"] == mime
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Cache-Control"] == "private, no-store"
    assert b"".join(download.streaming_content) == content  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", ["sympathiser", "member", "coordinator", "treasurer", "anonymous"])
def test_others_cannot_download_a_document(client: Client, story: Any, role: str) -> None:
    writer = Client()
    writer.force_login(make_user_for_role("communication"))
    assert _post(writer, story.pk, SimpleUploadedFile("f.pdf", PDF)).status_code == 302
    consent = StoryConsent.objects.get()
    user = make_user_for_role(role)
    if user is not None:
        client.force_login(user)
    response = client.get(reverse("site_admin:consent_document", kwargs={"consent_id": consent.pk}))
    assert response.status_code == (302 if role == "anonymous" else 403)
    assert not hasattr(response, "streaming_content")
