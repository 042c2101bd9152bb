"""Action pages under /actions/: each part of the cycle owns a module of URLs."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from . import core_urls, debrief_urls, mission_urls

app_name = "actions"

urlpatterns: list[URLPattern | URLResolver] = [
    *core_urls.urlpatterns,
    *mission_urls.urlpatterns,
    *debrief_urls.urlpatterns,
]
