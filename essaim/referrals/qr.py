"""QR codes of personal links (segno): inline SVG for the page, SVG and PNG to download."""

from __future__ import annotations

import hashlib
import io

import segno
from django.core.cache import cache

from essaim.core.selectors import organisation_get
from essaim.core.validators import HEX_COLOR, contrast_ratio

BLACK = "#000000"
# Scanners need dark modules well apart from the white background; a brand colour below
# this contrast ratio is replaced by black.
MIN_CONTRAST = 4.5
# A code never changes for a given address and colour: drawing it costs ~25 ms, reading it
# back from the cache almost nothing (the links page shows three or more).
CACHE_SECONDS = 7 * 24 * 3600


def qr_colour() -> str:
    """The organisation's primary colour if it contrasts enough with white, else black."""
    colour = organisation_get().primary_color or ""
    if HEX_COLOR.match(colour) and contrast_ratio(colour, "#ffffff") >= MIN_CONTRAST:
        return colour
    return BLACK


def _qr(url: str) -> segno.QRCode:
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str, *, title: str, scale: int = 4, inline: bool = True) -> str:
    """Return an <svg> element (no XML declaration) with a title, for inline use or download.

    Inline, the code has only a viewBox, so that CSS sizes it; a download keeps its size.
    """
    colour = qr_colour()
    key = (
        "essaim:qr:"
        + hashlib.sha256(f"{url}|{colour}|{title}|{scale}|{inline}".encode()).hexdigest()
    )
    svg = cache.get(key)
    if svg is None:
        svg = _draw_svg(url, colour=colour, title=title, scale=scale, inline=inline)
        cache.set(key, svg, CACHE_SECONDS)
    return str(svg)


def _draw_svg(url: str, *, colour: str, title: str, scale: int, inline: bool) -> str:
    buffer = io.BytesIO()
    _qr(url).save(
        buffer,
        kind="svg",
        dark=colour,
        light="#ffffff",
        scale=scale,
        border=4,
        xmldecl=False,
        svgns=True,
        title=title,
        nl=False,
        omitsize=inline,
    )
    return buffer.getvalue().decode("utf-8")


def qr_png(url: str, *, scale: int = 10) -> bytes:
    """Return a PNG (printable: 10 pixels a module, white quiet zone)."""
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="png", dark=qr_colour(), light="#ffffff", scale=scale, border=4)
    return buffer.getvalue()
