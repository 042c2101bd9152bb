"""The donor space under /mes-dons/: history, receipts, address, monthly gifts."""

from django.urls import URLPattern, URLResolver, path

from . import donor_views

app_name = "donor"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", donor_views.home, name="home"),
    path("lien/", donor_views.request_link, name="request_link"),
    path("lien/<str:token>/", donor_views.signed, name="signed"),
    path("adresse/", donor_views.address, name="address"),
    path("quitter/", donor_views.leave, name="leave"),
    path("mensuel/<str:token>/", donor_views.recurring, name="recurring"),
    path("dons-mensuels/<str:code>/", donor_views.recurring_change, name="recurring_change"),
]
