"""QR codes of personal links (segno): inline SVG for the page, SVG and PNG to download."""

from __future__ import annotations

import io

import segno

from essaim.core.selectors import organisation_get
from essaim.core.validators import HEX_COLOR, contrast_ratio

BLACK = "#000000"
# Scanners need dark modules well apart from the white background; a brand colour below
# this contrast ratio is replaced by black.
MIN_CONTRAST = 4.5


def qr_colour() -> str:
    """The organisation's primary colour if it contrasts enough with white, else black."""
    colour = organisation_get().primary_color or ""
    if HEX_COLOR.match(colour) and contrast_ratio(colour, "#ffffff") >= MIN_CONTRAST:
        return colour
    return BLACK


def _qr(url: str) -> segno.QRCode:
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str, *, title: str, scale: int = 4) -> str:
    """Return an <svg> element (no XML declaration) with a title, for inline use or download."""
    buffer = io.BytesIO()
    _qr(url).save(
        buffer,
        kind="svg",
        dark=qr_colour(),
        light="#ffffff",
        scale=scale,
        border=4,
        xmldecl=False,
        svgns=True,
        title=title,
        nl=False,
    )
    return buffer.getvalue().decode("utf-8")


def qr_png(url: str, *, scale: int = 10) -> bytes:
    """Return a PNG (printable: 10 pixels a module, white quiet zone)."""
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="png", dark=qr_colour(), light="#ffffff", scale=scale, border=4)
    return buffer.getvalue()
