"""Treasurer screens under /tresorerie/: gifts, offline gifts, reconciliation, exports."""

from django.urls import URLPattern, URLResolver, path

from . import treasury_views as views

app_name = "treasury"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("dons/", views.gift_list, name="gifts"),
    path("dons/export.csv", views.export_csv, name="export_csv"),
    path("dons/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("dons/hors-ligne/", views.offline_new, name="offline"),
    path("dons/<str:code>/", views.gift_detail, name="gift"),
    path("dons/<str:code>/rembourse/", views.gift_refund, name="gift_refund"),
    path("dons/<str:code>/impaye/", views.gift_fail, name="gift_fail"),
    path("rapprochement/", views.reconcile, name="reconcile"),
    path("rapprochement/total/", views.reconcile_total, name="reconcile_total"),
    path("rapprochement/<str:code>/annuler/", views.reconcile_undo, name="reconcile_undo"),
]
