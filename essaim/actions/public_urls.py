"""Public pages of actions (no account needed) under /agir/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "public_actions"

urlpatterns: list[URLPattern | URLResolver] = []
