"""Tax receipts under /recus/: register, annual batch, yearly figures, PDF download."""

from django.urls import URLPattern, URLResolver, path

from . import receipt_views as views

app_name = "receipts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:code>/pdf/", views.receipt_pdf, name="pdf"),
]
