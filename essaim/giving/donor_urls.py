"""The donor space under /mes-dons/: history, receipts, address, monthly gifts."""

from django.urls import URLPattern, URLResolver

app_name = "donor"

urlpatterns: list[URLPattern | URLResolver] = []
