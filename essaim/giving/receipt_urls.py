"""Tax receipts under /recus/: register, annual batch, yearly figures, PDF download."""

from django.urls import URLPattern, URLResolver, path

from . import receipt_views as views

app_name = "receipts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("registre/", views.register, name="register"),
    path("registre/export.csv", views.register_csv, name="register_csv"),
    path("registre/export.xlsx", views.register_xlsx, name="register_xlsx"),
    path("annuel/", views.annual, name="annual"),
    path("declaration/", views.declaration, name="declaration"),
    path("declaration/export.csv", views.declaration_csv, name="declaration_csv"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/pdf/", views.receipt_pdf, name="pdf"),
    path("<str:code>/annuler/", views.cancel, name="cancel"),
    path("<str:code>/remplacer/", views.replace, name="replace"),
    path("<str:code>/renvoyer/", views.resend, name="resend"),
]
