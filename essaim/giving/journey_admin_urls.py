"""Excuses and rebuttals management, and the journey report, under /collecte/excuses/."""

from django.urls import URLPattern, URLResolver

app_name = "journey_admin"

urlpatterns: list[URLPattern | URLResolver] = []
