from django.urls import include, path

from . import views

app_name = "people"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("ajouter/", views.create, name="create"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/modifier/", views.edit, name="edit"),
    path("<int:pk>/fusionner/", views.merge, name="merge"),
    path("<int:pk>/effacer/", views.erase, name="erase"),
    path("import/", include("essaim.people.import_urls")),
]
