"""Staff pages of the blog, mounted at /redaction/ (namespace ``writing``)."""

from django.urls import URLPattern, URLResolver, path

from . import writing_views as views

app_name = "writing"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
]
