from django.urls import include, path

from . import views

app_name = "people"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("import/", include("essaim.people.import_urls")),
]
