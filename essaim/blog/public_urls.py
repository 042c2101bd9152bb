"""The public site's pages, included twice: French at the root, English under /en/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from essaim.giving import giving_public_urls, journey_public_urls

from . import feed_urls, site_urls, story_public_urls

app_name = "blog"

urlpatterns: list[URLPattern | URLResolver] = [
    *feed_urls.urlpatterns,
    *story_public_urls.urlpatterns,
    *giving_public_urls.urlpatterns,
    *journey_public_urls.urlpatterns,
    *site_urls.urlpatterns,
]
