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


# --- Builders ----------------------------------------------------------------------------
# Each returns plain data; the base template renders PageMeta and each JSON-LD object.

SCHEMA = "https://schema.org"
DESCRIPTION_LENGTH = 160


def plain_text(text: str) -> str:
    """Return text without markup and with its white space collapsed."""
    from django.utils.html import strip_tags

    return " ".join(strip_tags(text or "").split())


def truncate_description(text: str, length: int = DESCRIPTION_LENGTH) -> str:
    """Cut a description at a word boundary so that it fits ``length`` characters."""
    text = plain_text(text)
    if len(text) <= length:
        return text
    cut = text[: length - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-–—")
    return cut + "…"


def page_title(title: str, site_name: str) -> str:
    """Return "<title> · <site name>", or the site name alone for its own home."""
    if not title or title == site_name:
        return site_name
    return f"{title} · {site_name}"


def organisation_url() -> str:
    from .public import public_absolute

    return public_absolute("home", lang="fr")


def organisation_id() -> str:
    return organisation_url() + "#organisation"


def organisation(org: Any) -> dict[str, Any]:
    """JSON-LD of the association (schema.org NGO)."""
    from essaim.core.http import absolute_url

    data: dict[str, Any] = {
        "@context": SCHEMA,
        "@type": "NGO",
        "@id": organisation_id(),
        "name": org.name,
        "url": organisation_url(),
    }
    if org.short_name and org.short_name != org.name:
        data["alternateName"] = org.short_name
    description = org.tagline or truncate_description(org.purpose, 300)
    if description:
        data["description"] = description
    if org.logo:
        data["logo"] = absolute_url(org.logo.url)
    if org.contact_email:
        data["email"] = org.contact_email
    if org.city or org.address_line1:
        address = {
            "@type": "PostalAddress",
            "streetAddress": ", ".join(
                part for part in (org.address_line1, org.address_line2) if part
            ),
            "postalCode": org.postal_code,
            "addressLocality": org.city,
            "addressCountry": "FR",
        }
        data["address"] = {key: value for key, value in address.items() if value}
    if org.website_url:
        data["sameAs"] = [org.website_url]
    return data


def publisher(org: Any) -> dict[str, Any]:
    """The association as the publisher of an article (a reference plus its name and logo)."""
    from essaim.core.http import absolute_url

    data: dict[str, Any] = {"@type": "Organization", "@id": organisation_id(), "name": org.name}
    if org.logo:
        data["logo"] = {"@type": "ImageObject", "url": absolute_url(org.logo.url)}
    return data


def blog_posting(
    *, article: Any, url: str, description: str, image: str, org: Any
) -> dict[str, Any]:
    """JSON-LD of an article (schema.org BlogPosting)."""
    published = article.published_at
    modified = article.content_updated_at or published
    author: dict[str, Any]
    if article.author_name:
        author = {"@type": "Person", "name": article.author_name}
    else:
        author = {"@type": "Organization", "name": org.name, "url": organisation_url()}
    data: dict[str, Any] = {
        "@context": SCHEMA,
        "@type": "BlogPosting",
        "headline": article.title[:110],
        "description": description,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "inLanguage": article.language,
        "author": author,
        "publisher": publisher(org),
    }
    if image:
        data["image"] = [image]
    if published:
        data["datePublished"] = published.isoformat()
    if modified:
        data["dateModified"] = modified.isoformat()
    if article.category_id:
        data["articleSection"] = article.category.name
    keywords = [tag.name for tag in article.tags.all()]
    if keywords:
        data["keywords"] = ", ".join(keywords)
    return data


def breadcrumbs(items: list[tuple[str, str]]) -> dict[str, Any]:
    """JSON-LD of a breadcrumb trail: (name, absolute URL) from the home to the page."""
    return {
        "@context": SCHEMA,
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": name, "item": url}
            for position, (name, url) in enumerate(items, start=1)
        ],
    }


def event(*, action: Any, url: str, image: str, org: Any) -> dict[str, Any]:
    """JSON-LD of a public action (schema.org Event)."""
    from essaim.actions.models import ActionStatus

    places: list[dict[str, Any]] = []
    if action.place_name or action.address or action.city:
        address = {
            "@type": "PostalAddress",
            "streetAddress": action.address,
            "postalCode": action.postal_code,
            "addressLocality": action.city,
            "addressCountry": "FR",
        }
        places.append(
            {
                "@type": "Place",
                "name": action.place_name or action.city or action.address,
                "address": {key: value for key, value in address.items() if value},
            }
        )
    if action.online_url:
        places.append({"@type": "VirtualLocation", "url": action.online_url})
    if places and action.online_url and len(places) > 1:
        mode = "MixedEventAttendanceMode"
    elif action.online_url:
        mode = "OnlineEventAttendanceMode"
    else:
        mode = "OfflineEventAttendanceMode"
    status = "EventCancelled" if action.status == ActionStatus.CANCELLED else "EventScheduled"
    description = action.summary or truncate_description(action.description_html, 300)
    data: dict[str, Any] = {
        "@context": SCHEMA,
        "@type": "Event",
        "name": action.title,
        "url": url,
        "startDate": action.starts_at.isoformat(),
        "endDate": action.ends_at.isoformat(),
        "eventStatus": f"{SCHEMA}/{status}",
        "eventAttendanceMode": f"{SCHEMA}/{mode}",
        "organizer": {"@type": "Organization", "name": org.name, "url": organisation_url()},
    }
    if description:
        data["description"] = description
    if places:
        data["location"] = places[0] if len(places) == 1 else places
    if image:
        data["image"] = [image]
    return data
