"""Essaim's URLs plus ``/__bench__/hello``: the floor every page is compared with."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler403, handler404, handler500
from config.urls import urlpatterns as essaim_urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, world", content_type="text/plain")


urlpatterns = [path("__bench__/hello", hello), *essaim_urlpatterns]
