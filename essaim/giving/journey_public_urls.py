"""The public excuses journey (included in the public site, French and English)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
