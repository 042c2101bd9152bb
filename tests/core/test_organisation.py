from __future__ import annotations

import html
import io
import os
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from essaim.core.models import AuditLog, Organisation
from essaim.core.selectors import organisation_get

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def post(admin_client, django_capture_on_commit_callbacks):
    """POST the settings form, running on-commit callbacks as a real commit would."""

    def _post(data: dict[str, Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return admin_client.post(reverse("core:organisation"), data)

    return _post


def valid_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Les Amis du Canal",
        "short_name": "Amis du Canal",
        "tagline": "Entraide au bord de l'eau",
        "primary_color": "#1f5f8b",
        "accent_color": "#a6422b",
        "website_url": "https://amis-du-canal.example.org",
        "contact_email": "contact@amis-du-canal.example.org",
        "rna_number": "W751234567",
        "siren": "775 672 272",
        "address_line1": "3 quai de Valmy",
        "address_line2": "",
        "postal_code": "75010",
        "city": "Paris",
        "purpose": "Animer la vie du quartier.",
        "tax_reduction_rate": "66",
        "receipt_signer_name": "Anne Dupont",
        "receipt_signer_role": "Présidente",
    }
    data.update(overrides)
    return data


def png_bytes(size: tuple[int, int] = (64, 64), color: str = "navy") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def snapshot() -> dict[str, Any]:
    organisation = Organisation.objects.get(pk=Organisation.SINGLETON_PK)
    return {
        field.name: getattr(organisation, field.name)
        for field in Organisation._meta.concrete_fields
        if field.name != "updated_at"
    }


def test_form_is_grouped_in_fieldsets(admin_client, post):
    response = admin_client.get(reverse("core:organisation"))
    page = response.content.decode()
    for legend in ("Identité et apparence", "Identité légale", "Reçus fiscaux"):
        assert f"<legend>{legend}</legend>" in page
    assert "Aperçu des couleurs" in page
    assert "W suivi de 9 chiffres" in page


def test_saved_change_reaches_next_page_and_is_audited(admin_client, post, admin_user):
    organisation_get()  # warm the cache: the save must invalidate it
    response = post(valid_data())
    assert response.status_code == 302
    page = admin_client.get(reverse("core:home")).content.decode()
    assert "Amis du Canal" in page
    assert "--primary:#1f5f8b" in page
    saved = Organisation.objects.get()
    assert saved.siren == "775672272"
    entry = AuditLog.objects.get(action="organisation.update")
    assert entry.actor == admin_user
    assert entry.details["name"] == ["Mon association", "Les Amis du Canal"]
    assert entry.details["siren"] == ["", "775672272"]
    assert "tax_reduction_rate" not in entry.details  # unchanged fields are not listed


def test_audit_lists_only_changed_fields(admin_client, post):
    post(valid_data())
    post(valid_data(city="Lyon"))
    latest = AuditLog.objects.filter(action="organisation.update").first()
    assert latest is not None
    assert latest.details == {"city": ["Paris", "Lyon"]}


def test_saving_without_change_writes_no_audit_row(admin_client, post):
    post(valid_data())
    post(valid_data())
    assert AuditLog.objects.filter(action="organisation.update").count() == 1


def test_logo_upload_is_reencoded_and_shown(admin_client, post):
    # Bytes appended after the image (a polyglot trick) must not survive re-encoding.
    payload = png_bytes() + b"<script>alert(1)</script>"
    logo = SimpleUploadedFile("logo.png", payload, content_type="image/png")
    response = post({**valid_data(), "logo": logo})
    assert response.status_code == 302
    saved = Organisation.objects.get()
    assert saved.logo.name.startswith("organisation/logo")
    stored = saved.logo.read()
    assert b"<script>" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG"
    home = admin_client.get(reverse("core:home")).content.decode()
    assert saved.logo.url in home
    # `make run` serves the logo itself (core:media), to everyone, visitors included.
    admin_client.logout()
    served = admin_client.get(saved.logo.url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == stored


def test_existing_logo_is_kept_when_no_new_file(admin_client, post):
    logo = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    post({**valid_data(), "logo": logo})
    name = Organisation.objects.get().logo.name
    post(valid_data(city="Lille"))
    saved = Organisation.objects.get()
    assert saved.city == "Lille"
    assert saved.logo.name == name


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def big_png() -> bytes:
    # Random noise does not compress: about 3 MB of PNG.
    raw = os.urandom(1000 * 1000 * 3)
    image = Image.frombytes("RGB", (1000, 1000), raw)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=0)
    data = out.getvalue()
    assert len(data) > 2.5 * 1024 * 1024
    return data


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"siren": "123456789"}, "siren", "Le SIREN doit compter 9 chiffres et être valide"),
        ({"siren": "12345"}, "siren", "Le SIREN doit compter 9 chiffres"),
        ({"rna_number": "X12"}, "rna_number", "Le numéro RNA commence par W"),
        ({"primary_color": "#f5d142"}, "primary_color", "Cette couleur est trop claire"),
        ({"accent_color": "#ffffff"}, "accent_color", "Cette couleur est trop claire"),
        ({"primary_color": "red"}, "primary_color", "#RRVVBB"),
        ({"name": ""}, "name", "Ce champ est obligatoire"),
        ({"website_url": "javascript:alert(1)"}, "website_url", "URL valide"),
        (
            {"logo": lambda: SimpleUploadedFile("logo.svg", SVG, content_type="image/svg+xml")},
            "logo",
            "les fichiers SVG et PDF ne sont pas acceptés",
        ),
        (
            {"logo": lambda: SimpleUploadedFile("logo.png", PDF, content_type="image/png")},
            "logo",
            "n'est pas une image lisible",
        ),
        (
            {"logo": lambda: SimpleUploadedFile("gros.png", big_png(), content_type="image/png")},
            "logo",
            "L'image pèse plus de 2 Mo",
        ),
        (
            {
                "receipt_signature": lambda: SimpleUploadedFile(
                    "signature.pdf", PDF, content_type="application/pdf"
                )
            },
            "receipt_signature",
            "n'est pas une image lisible",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_input_changes_nothing(admin_client, post, overrides, field, message):
    assert post(valid_data()).status_code == 302
    audit_rows = AuditLog.objects.count()
    before = snapshot()
    data = valid_data(**{k: v() if callable(v) else v for k, v in overrides.items()})
    response = post(data)
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert message in page
    assert message in " ".join(response.context["form"].errors[field])
    assert "Rien n'a été enregistré" in page
    assert snapshot() == before
    assert AuditLog.objects.count() == audit_rows


def test_hostile_html_in_name_is_stored_as_text_and_escaped(admin_client, post):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = post(valid_data(name=hostile))
    assert response.status_code == 302
    assert Organisation.objects.get().name == hostile
    page = admin_client.get(reverse("core:organisation")).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert '<script>alert("x")' not in page
    assert "<img src=x" not in page


def test_colour_preview_uses_the_saved_colours(admin_client, post):
    post(valid_data(primary_color="#2D5F3F"))
    page = admin_client.get(reverse("core:organisation")).content.decode()
    assert "--preview-primary: #2d5f3f" in page
    assert "contraste 7,4:1" in page


def test_pale_colour_is_not_previewed(admin_client, post):
    response = post(valid_data(primary_color="#f5d142"))
    page = response.content.decode()
    assert "--preview-primary: #f5d142" not in page
    assert "--preview-primary: #1f5f8b" in page
