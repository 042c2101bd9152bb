"""Excuses and rebuttals management, and the journey report, under /collecte/excuses/."""

from django.urls import URLPattern, URLResolver, path

from . import journey_views

app_name = "journey_admin"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", journey_views.staff_list, name="list"),
    path("page/", journey_views.settings_edit, name="settings"),
    path("rapport/", journey_views.report, name="report"),
    path("rapport.csv", journey_views.report_csv, name="report_csv"),
    path("nouvelle/", journey_views.excuse_create, name="excuse_create"),
    path("<int:pk>/", journey_views.excuse_edit, name="excuse_edit"),
    path("<int:pk>/deplacer/", journey_views.excuse_move, name="excuse_move"),
    path("<int:pk>/affichage/", journey_views.excuse_active, name="excuse_active"),
    path("<int:pk>/variantes/nouvelle/", journey_views.rebuttal_create, name="rebuttal_create"),
    path("variantes/<int:pk>/", journey_views.rebuttal_edit, name="rebuttal_edit"),
    path("variantes/<int:pk>/affichage/", journey_views.rebuttal_active, name="rebuttal_active"),
    path("variantes/<int:pk>/apercu/", journey_views.rebuttal_preview, name="rebuttal_preview"),
]
