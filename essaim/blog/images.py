"""Blog images: checked and re-encoded at upload, responsive variants made in the background.

An upload is opened by Pillow with a pixel limit (a decompression bomb is refused before
it is decoded), turned upright, stripped of its metadata (EXIF, GPS position) by
re-encoding, then stored. Variants (WebP plus JPEG, or PNG when the picture has
transparency) are made later by a task at the widths below that are smaller than the
original, and listed in ``BlogImage.variants``.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from essaim.core.http import absolute_url

from .models import BlogImage

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
VARIANT_WIDTHS = (400, 800, 1200, 1600)
SOCIAL_WIDTH = 1200
ACCEPTED_FORMATS = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
JPEG_QUALITY = 82
WEBP_QUALITY = 80


@dataclass(frozen=True)
class CleanImage:
    """An upload once checked and re-encoded: its bytes, extension, size."""

    content: bytes
    extension: str
    width: int
    height: int


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA"):
        alpha = image.getchannel("A")
        low = alpha.getextrema()[0]
        return isinstance(low, (int, float)) and low < 255
    if image.mode == "P":
        return "transparency" in image.info
    return False


def _open_checked(data: bytes) -> Image.Image:
    """Open image bytes with Pillow, refusing non-images and oversized pictures."""
    # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that: check the size
    # ourselves from the header, before any pixel is decoded.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationError(_too_large_message(), code="too_many_pixels") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise ValidationError(
                _(
                    "Ce fichier n'est pas une image lisible "
                    "(formats acceptés : JPEG, PNG, WebP, GIF)."
                ),
                code="not_an_image",
            ) from None
    if image.format not in ACCEPTED_FORMATS:
        raise ValidationError(
            _("Format non accepté : envoyez une image JPEG, PNG, WebP ou GIF."), code="format"
        )
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ValidationError(_too_large_message(), code="too_many_pixels")
    return image


def _too_large_message() -> str:
    return _(
        "Cette image est trop grande (plus de 40 millions de pixels) : réduisez-la avant de "
        "l'envoyer."
    )


def clean_upload(data: bytes) -> CleanImage:
    """Check an uploaded image and re-encode it without metadata, upright."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("Ce fichier dépasse 10 Mo : réduisez l'image avant de l'envoyer."), code="too_big"
        )
    if not data:
        raise ValidationError(_("Le fichier envoyé est vide."), code="empty")
    image = _open_checked(data)
    source_format = image.format
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.seek(0)  # an animated GIF keeps its first frame
            image.load()
            upright = ImageOps.exif_transpose(image) or image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_too_large_message(), code="too_many_pixels") from None
    except (OSError, ValueError, SyntaxError):
        raise ValidationError(
            _("Cette image est abîmée ou incomplète : elle n'a pas pu être lue."), code="broken"
        ) from None
    output = io.BytesIO()
    if source_format in ("PNG", "GIF") or _has_transparency(upright):
        if _has_transparency(upright):
            converted = upright.convert("RGBA")
        else:
            converted = upright.convert("RGB")
        # Saving anew writes no EXIF, no text chunks: only the pixels.
        converted.save(output, format="PNG", optimize=True)
        extension = "png"
    elif source_format == "WEBP":
        upright.convert("RGB").save(output, format="WEBP", quality=90)
        extension = "webp"
    else:
        upright.convert("RGB").save(output, format="JPEG", quality=90, optimize=True)
        extension = "jpg"
    return CleanImage(
        content=output.getvalue(),
        extension=extension,
        width=upright.width,
        height=upright.height,
    )


def clean_file_name(original: str, extension: str) -> str:
    """Return a safe file name for a stored image, from the uploaded one."""
    from django.utils.text import get_valid_filename

    from .slugs import slugify_fr

    stem = slugify_fr(os.path.splitext(os.path.basename(original or ""))[0])[:60] or "image"
    return get_valid_filename(f"{stem}.{extension}")


def as_content_file(clean: CleanImage, original_name: str) -> ContentFile[bytes]:
    return ContentFile(clean.content, name=clean_file_name(original_name, clean.extension))


# --- Variants ------------------------------------------------------------------------------


def make_variants(image: BlogImage) -> list[dict[str, Any]]:
    """Write the responsive variants of an image and return their descriptions."""
    with image.file.open("rb") as handle:
        data = handle.read()
    source = Image.open(io.BytesIO(data))
    source.load()
    transparent = _has_transparency(source)
    base = source.convert("RGBA" if transparent else "RGB")
    stem = os.path.splitext(os.path.basename(image.file.name))[0]
    variants: list[dict[str, Any]] = []
    for width in VARIANT_WIDTHS:
        if width >= base.width:
            continue
        height = max(1, round(base.height * width / base.width))
        resized = base.resize((width, height), Image.Resampling.LANCZOS)
        fallback = ("png", "PNG", "png") if transparent else ("jpeg", "JPEG", "jpg")
        for fmt, pil_format, extension in (("webp", "WEBP", "webp"), fallback):
            buffer = io.BytesIO()
            options: dict[str, Any] = {}
            if pil_format == "WEBP":
                options["quality"] = WEBP_QUALITY
            elif pil_format == "JPEG":
                options.update(quality=JPEG_QUALITY, optimize=True, progressive=True)
            else:
                options["optimize"] = True
            resized.save(buffer, format=pil_format, **options)
            name = default_storage.save(
                f"blog/variants/{image.pk}/{stem}-{width}.{extension}",
                ContentFile(buffer.getvalue()),
            )
            variants.append({"width": width, "height": height, "format": fmt, "name": name})
    return variants


def delete_variants(variants: list[dict[str, Any]]) -> None:
    for variant in variants or []:
        name = variant.get("name")
        if name:
            default_storage.delete(name)


def variant_url(variant: dict[str, Any]) -> str:
    return str(default_storage.url(variant["name"]))


def _fallback_variants(image: BlogImage) -> list[dict[str, Any]]:
    return sorted(
        (v for v in image.variants or [] if v.get("format") != "webp"), key=lambda v: v["width"]
    )


def _social_variant(image: BlogImage) -> dict[str, Any] | None:
    # Variants are made only below the original's width: without a 1200px one, the
    # original is at most 1200px wide and is the best picture to share.
    for variant in _fallback_variants(image):
        if variant["width"] == SOCIAL_WIDTH:
            return variant
    return None


def image_url_for_social(image: BlogImage | None) -> str:
    """Return the absolute URL of a ~1200px JPEG (or PNG) of the image, else the original."""
    if image is None or not image.file:
        return ""
    variant = _social_variant(image)
    if variant is not None:
        return absolute_url(variant_url(variant))
    return absolute_url(str(image.file.url))


def social_image_size(image: BlogImage | None) -> tuple[int, int]:
    """Width and height of the picture :func:`image_url_for_social` points at."""
    if image is None or not image.file:
        return (0, 0)
    variant = _social_variant(image)
    if variant is not None:
        return (int(variant["width"]), int(variant["height"]))
    return (image.width, image.height)
