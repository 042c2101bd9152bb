"""Blog images: upload checks, re-encoding without metadata, variants, the <picture> tag."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.urls import reverse
from PIL import Image

from essaim.blog import services
from essaim.blog.images import image_url_for_social, social_image_size
from essaim.blog.models import BlogImage
from essaim.core.pagecache import versions
from tests.blog.factories import ArticleFactory, BlogImageFactory, jpeg_bytes, png_bytes

pytestmark = pytest.mark.django_db


def _upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _jpeg_with_gps_and_rotation(width: int = 60, height: int = 30) -> bytes:
    image = Image.new("RGB", (width, height), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "AppareilTest"  # camera make
    exif.get_ifd(0x8825)[1] = "N"  # GPS latitude reference
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 0.0)  # GPS latitude
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size (a decompression bomb) with almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_upload_strips_metadata_and_applies_orientation(writer):
    image = services.image_upload(
        actor=writer, file=_upload(_jpeg_with_gps_and_rotation()), alt_text="  Un  jardin "
    )
    assert image.alt_text == "Un jardin"
    assert (image.width, image.height) == (30, 60)  # turned upright
    with image.file.open("rb") as handle:
        stored = Image.open(io.BytesIO(handle.read()))
        exif = stored.getexif()
    assert not exif.get(0x010F) and not exif.get_ifd(0x8825)
    assert image.file.name.startswith("blog/") and image.file.name.endswith(".jpg")
    assert image.uploaded_by == writer


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.4 not an image", "facture.pdf", "pas une image"),
        (b"GIF89a" + b"\x00" * 10, "casse.gif", ""),
        (b"", "vide.jpg", ""),
        (_png_header_only(10_000, 5_000), "bombe.png", "40 millions de pixels"),
        (_png_header_only(60_000, 60_000), "grosse-bombe.png", "40 millions de pixels"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_saved(writer, data, name, message):
    with pytest.raises(ValidationError) as caught:
        services.image_upload(actor=writer, file=_upload(data, name), alt_text="Quelque chose")
    assert "file" in caught.value.message_dict
    assert message in " ".join(caught.value.message_dict["file"])
    assert not BlogImage.objects.exists()


def test_file_over_ten_megabytes_is_refused(writer):
    big = _upload(b"\xff\xd8" + b"\x00" * (10 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError) as caught:
        services.image_upload(actor=writer, file=big, alt_text="Trop gros")
    assert "10 Mo" in caught.value.message_dict["file"][0]
    assert not BlogImage.objects.exists()


def test_alt_text_is_mandatory(writer):
    with pytest.raises(ValidationError) as caught:
        services.image_upload(actor=writer, file=_upload(jpeg_bytes()), alt_text="   ")
    assert "Décrivez l'image" in caught.value.message_dict["alt_text"][0]
    assert not BlogImage.objects.exists()


def test_gif_keeps_its_first_frame_as_png(writer):
    frames = [Image.new("RGB", (20, 10), color) for color in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    image = services.image_upload(
        actor=writer, file=_upload(buffer.getvalue(), "anim.gif", "image/gif"), alt_text="Rouge"
    )
    assert image.file.name.endswith(".png")
    with image.file.open("rb") as handle:
        stored = Image.open(io.BytesIO(handle.read()))
        assert stored.convert("RGB").getpixel((5, 5)) == (255, 0, 0)
        assert getattr(stored, "n_frames", 1) == 1


def test_variants_are_made_at_smaller_widths_in_webp_and_jpeg(writer):
    article_versions = versions(["articles"])["articles"]
    image = services.image_upload(
        actor=writer, file=_upload(jpeg_bytes(1300, 650)), alt_text="Large"
    )
    ArticleFactory(cover=image)
    assert services.image_variants_make(image_id=image.pk) == 6
    image.refresh_from_db()
    assert sorted((v["width"], v["format"]) for v in image.variants) == [
        (400, "jpeg"),
        (400, "webp"),
        (800, "jpeg"),
        (800, "webp"),
        (1200, "jpeg"),
        (1200, "webp"),
    ]
    for variant in image.variants:
        assert default_storage.exists(variant["name"])
        with default_storage.open(variant["name"]) as handle:
            assert Image.open(handle).size == (variant["width"], variant["height"])
    assert versions(["articles"])["articles"] > article_versions
    assert image_url_for_social(image).endswith("-1200.jpg")
    assert social_image_size(image) == (1200, 600)


def test_variants_run_through_the_task_at_upload(writer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = services.image_upload(
            actor=writer, file=_upload(jpeg_bytes(500, 250)), alt_text="x"
        )
    image.refresh_from_db()
    assert sorted((v["width"], v["format"]) for v in image.variants) == [
        (400, "jpeg"),
        (400, "webp"),
    ]
    # No 1200px variant: the original (500px) is the picture to share.
    assert image_url_for_social(image).endswith(image.file.url)


def test_transparent_png_variants_stay_png(writer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = services.image_upload(
            actor=writer,
            file=_upload(png_bytes(900, 300, transparent=True), "logo.png", "image/png"),
            alt_text="Logo",
        )
    image.refresh_from_db()
    assert image.file.name.endswith(".png")
    assert sorted({v["format"] for v in image.variants}) == ["png", "webp"]


def test_body_using_the_image_is_rendered_again_with_variants(writer):
    image = BlogImageFactory(pixels=(900, 600))
    article = ArticleFactory(body=f"![Un atelier]({image.file.url})")
    assert "srcset" not in article.body_html
    services.image_variants_make(image_id=image.pk)
    article.refresh_from_db()
    assert 'type="image/webp"' in article.body_html and "800w" in article.body_html


def test_responsive_image_tag_before_and_after_variants():
    image = BlogImageFactory(pixels=(900, 600), alt_text="Des « bénévoles » & amis")
    template = Template("{% load blog_images %}{% responsive_image image loading=loading %}")
    before = template.render(Context({"image": image, "loading": "lazy"}))
    assert before == (
        f'<picture><img src="{image.file.url}" width="900" height="600" '
        'alt="Des « bénévoles » &amp; amis" loading="lazy" decoding="async"></picture>'
    )
    services.image_variants_make(image_id=image.pk)
    image.refresh_from_db()
    after = template.render(Context({"image": image, "loading": "eager"}))
    assert '<source type="image/webp" srcset="' in after
    assert "-400.webp 400w" in after and "-800.webp 800w" in after
    assert 'src="/media/blog/variants/' in after and "-800.jpg" in after
    assert f"{image.file.url} 900w" in after
    assert 'loading="eager" fetchpriority="high"' in after
    assert 'width="900" height="600"' in after


def test_image_library_lists_with_constant_queries(writer_client, django_assert_num_queries):
    BlogImageFactory.create_batch(3)
    url = reverse("writing:image_library")
    writer_client.get(url)  # warm the session and organisation caches
    with django_assert_num_queries(6) as first:
        response = writer_client.get(url)
    BlogImageFactory.create_batch(10)
    with django_assert_num_queries(len(first.captured_queries)):
        response = writer_client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('class="copy-source"') == 13


def test_upload_page_shows_clear_errors(writer_client):
    response = writer_client.post(
        reverse("writing:image_library"),
        {"file": _upload(b"not an image", "x.jpg"), "alt_text": ""},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Décrivez l" in body
    assert not BlogImage.objects.exists()
    response = writer_client.post(
        reverse("writing:image_library"),
        {"file": _upload(b"not an image", "x.jpg"), "alt_text": "Un texte"},
    )
    assert response.status_code == 400
    assert "pas une image lisible" in response.content.decode()
    response = writer_client.post(
        reverse("writing:image_library"),
        {"file": _upload(jpeg_bytes(), "vacances été.jpg"), "alt_text": "Plage"},
        follow=True,
    )
    image = BlogImage.objects.get()
    assert image.file.name.split("/")[-1].startswith("vacances-ete")
    assert f"![Plage]({image.file.url})" in response.content.decode()


def test_alt_text_can_be_corrected_and_cover_pages_follow(writer_client):
    image = BlogImageFactory(alt_text="photo")
    article = ArticleFactory(cover=image)
    keys = ["articles", f"article:{article.pk}"]
    before = versions(keys)
    url = reverse("writing:image_edit", kwargs={"pk": image.pk})
    refused = writer_client.post(url, {"alt_text": "  "})
    assert refused.status_code == 400
    assert "Décrivez l" in refused.content.decode()
    image.refresh_from_db()
    assert image.alt_text == "photo"
    response = writer_client.post(
        url, {"alt_text": "Deux bénévoles accueillent une famille", "credit": "Léa M."}
    )
    assert response.status_code == 302
    image.refresh_from_db()
    assert (image.alt_text, image.credit) == ("Deux bénévoles accueillent une famille", "Léa M.")
    after = versions(keys)
    assert all(after[key] > before[key] for key in keys)


def test_an_image_in_use_cannot_be_deleted_an_unused_one_goes_with_its_files(
    writer_client, writer, django_capture_on_commit_callbacks
):
    from essaim.blog.models import Story
    from essaim.core.models import AuditLog
    from tests.blog.factories import StoryFactory

    with django_capture_on_commit_callbacks(execute=True):
        image = services.image_upload(
            actor=writer, file=_upload(jpeg_bytes(900, 600)), alt_text="Le local"
        )
    image.refresh_from_db()
    files = [image.file.name] + [v["name"] for v in image.variants]
    assert len(files) == 5 and all(default_storage.exists(name) for name in files)
    article = ArticleFactory(title="Portes ouvertes", body=f"![Le local]({image.file.url})")
    story = StoryFactory(title="Le récit d'Amina", cover=image)
    url = reverse("writing:image_delete", kwargs={"pk": image.pk})
    page = writer_client.get(url).content.decode()
    assert "Portes ouvertes" in page and "Le récit d&#x27;Amina" in page
    assert "Supprimer l&#x27;image</button>" not in page
    response = writer_client.post(url, follow=True)
    assert "encore utilisée par" in response.content.decode()
    assert BlogImage.objects.filter(pk=image.pk).exists()
    article.delete()
    Story.objects.filter(pk=story.pk).update(cover=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = writer_client.post(url)
    assert response.status_code == 302
    assert not BlogImage.objects.filter(pk=image.pk).exists()
    assert not any(default_storage.exists(name) for name in files)
    assert AuditLog.objects.filter(action="blog.image_delete").count() == 1
