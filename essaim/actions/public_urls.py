"""Public pages of actions (no account needed) under /agir/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import public_views

app_name = "public_actions"

urlpatterns: list[URLPattern | URLResolver] = [
    path("confirmer/<str:code>/", public_views.public_confirm, name="confirm"),
    path("annuler/<str:code>/", public_views.public_cancel, name="cancel"),
    path("<slug:slug>/", public_views.public_detail, name="detail"),
    path("<slug:slug>/merci/", public_views.public_thanks, name="thanks"),
]
