from django.urls import path

from . import import_views

urlpatterns = [
    path("", import_views.import_start, name="import_start"),
    path("<uuid:job_id>/", import_views.import_detail, name="import_detail"),
    path("<uuid:job_id>/colonnes/", import_views.import_mapping, name="import_mapping"),
    path("<uuid:job_id>/apercu/", import_views.import_preview, name="import_preview"),
    path("<uuid:job_id>/confirmer/", import_views.import_confirm, name="import_confirm"),
]
