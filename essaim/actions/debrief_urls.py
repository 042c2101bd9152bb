"""URLs of the evaluation (see urls.py): debrief, files, lessons, survey, volunteer hours."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import debrief_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    # Fixed prefixes first: they must not be read as an action's address.
    path("benevolat/heures/", views.hours_report, name="hours_report"),
    path("benevolat/heures/export.<str:fmt>", views.hours_export, name="hours_export"),
    path("avis/<str:code>/", views.survey, name="survey"),
    path("<slug:slug>/bilan/", views.debrief_detail, name="debrief"),
    path("<slug:slug>/bilan/modifier/", views.debrief_edit, name="debrief_edit"),
    path("<slug:slug>/bilan/fichiers/", views.debrief_file_add, name="debrief_file_add"),
    path(
        "<slug:slug>/bilan/fichiers/<int:file_id>/",
        views.debrief_file_download,
        name="debrief_file",
    ),
    path(
        "<slug:slug>/bilan/fichiers/<int:file_id>/supprimer/",
        views.debrief_file_delete,
        name="debrief_file_delete",
    ),
    path("<slug:slug>/bilan/fiche-pratique/", views.debrief_lesson, name="debrief_lesson"),
    path("<slug:slug>/benevoles/heures/", views.action_hours, name="action_hours"),
    path(
        "<slug:slug>/benevoles/heures/<int:signup_id>/",
        views.hours_edit,
        name="hours_edit",
    ),
]
