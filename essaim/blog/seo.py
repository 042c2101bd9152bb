"""What a public page tells search engines and social networks (head tags, JSON-LD)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class PageMeta:
    """The head of a public page: every field has a default the page may refine."""

    title: str
    description: str
    # Absolute URLs (scheme, host, any path prefix).
    canonical: str
    # Language code -> absolute URL of this page in that language (hreflang).
    alternates: dict[str, str] = field(default_factory=dict)
    image: str = ""
    image_alt: str = ""
    image_width: int = 0
    image_height: int = 0
    og_type: str = "website"
    noindex: bool = False
    published: datetime | None = None
    modified: datetime | None = None
    author: str = ""
    # JSON-LD objects, each rendered in its own <script type="application/ld+json">.
    json_ld: list[dict[str, Any]] = field(default_factory=list)
    # (title, absolute URL, MIME type) of the feeds advertised with <link rel="alternate">.
    feeds: list[tuple[str, str, str]] = field(default_factory=list)
