"""Treasurer screens under /tresorerie/: gifts, offline gifts, reconciliation, exports."""

from django.urls import URLPattern, URLResolver

app_name = "treasury"

urlpatterns: list[URLPattern | URLResolver] = []
