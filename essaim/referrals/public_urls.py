"""Short public addresses: personal links, invitation answers, public campaign pages."""

from django.urls import URLPattern, URLResolver, path

from . import public_views

app_name = "capillarity"

urlpatterns: list[URLPattern | URLResolver] = [
    path("r/<str:code>/", public_views.link, name="link"),
    path("invitation/<str:code>/", public_views.invitation, name="invitation"),
    path("invitation/<str:code>/stop/", public_views.invitation_stop_view, name="invitation_stop"),
    path("campagne/<slug:slug>/", public_views.campaign, name="campaign"),
]
