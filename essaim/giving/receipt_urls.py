"""Tax receipts under /recus/: register, annual batch, yearly figures, PDF download."""

from django.urls import URLPattern, URLResolver

app_name = "receipts"

urlpatterns: list[URLPattern | URLResolver] = []
