"""``{% responsive_image %}``: a blog image as <picture> with WebP and fallback variants."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from ..images import variant_url
from ..models import BlogImage

register = template.Library()

DEFAULT_SIZES = "(min-width: 60rem) 60rem, 100vw"


def _srcset(variants: list[dict[str, Any]]) -> str:
    return ", ".join(f"{variant_url(v)} {v['width']}w" for v in variants)


def picture_html(
    image: BlogImage,
    *,
    sizes: str = DEFAULT_SIZES,
    loading: str = "lazy",
    css_class: str = "",
    alt: str | None = None,
) -> SafeString:
    """Render the <picture> of an image (variants when made, else the original)."""
    if image is None or not image.file:
        return mark_safe("")
    variants = sorted(image.variants or [], key=lambda v: v["width"])
    webp = [v for v in variants if v.get("format") == "webp"]
    fallback = [v for v in variants if v.get("format") != "webp"]
    original = str(image.file.url)
    eager = loading == "eager"
    src = variant_url(fallback[-1]) if fallback else original
    img_srcset = _srcset(fallback)
    if fallback and image.width and image.width < 2 * fallback[-1]["width"]:
        # No variant is made at the original's own width: offer it as the widest candidate
        # unless it is a camera-sized picture far heavier than the largest variant.
        img_srcset = f"{img_srcset}, {original} {image.width}w"
    source = (
        format_html('<source type="image/webp" srcset="{}" sizes="{}">', _srcset(webp), sizes)
        if webp
        else ""
    )
    attributes: list[tuple[str, str]] = [("src", src)]
    if img_srcset:
        attributes += [("srcset", img_srcset), ("sizes", sizes)]
    if image.width and image.height:
        attributes += [("width", str(image.width)), ("height", str(image.height))]
    attributes.append(("alt", image.alt_text if alt is None else alt))
    if css_class:
        attributes.append(("class", css_class))
    attributes.append(("loading", "eager" if eager else "lazy"))
    if eager:
        attributes.append(("fetchpriority", "high"))
    attributes.append(("decoding", "async"))
    img = format_html("<img{}>", format_html_join("", ' {}="{}"', attributes))
    return format_html("<picture>{}{}</picture>", source, img)


@register.simple_tag
def responsive_image(
    image: BlogImage | None,
    sizes: str = DEFAULT_SIZES,
    loading: str = "lazy",
    css_class: str = "",
) -> SafeString:
    """``{% responsive_image article.cover loading="eager" %}``."""
    if image is None:
        return mark_safe("")
    return picture_html(image, sizes=sizes, loading=loading, css_class=css_class)
