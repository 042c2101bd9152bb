"""Giving pages management under /collecte/pages/."""

from django.urls import URLPattern, URLResolver, path

from . import page_views

app_name = "giving_pages"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", page_views.page_list, name="list"),
    path("nouvelle/", page_views.page_create, name="create"),
    path("<slug:slug>/", page_views.page_edit, name="edit"),
    path("<slug:slug>/hors-ligne/", page_views.page_deactivate, name="deactivate"),
]
