"""The practice library under /pratiques/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "practices"

urlpatterns: list[URLPattern | URLResolver] = []
