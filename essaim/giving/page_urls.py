"""Giving pages management under /collecte/pages/."""

from django.urls import URLPattern, URLResolver

app_name = "giving_pages"

urlpatterns: list[URLPattern | URLResolver] = []
