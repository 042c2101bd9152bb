"""URLs for the discussion tests until the circle URLs include the discussions themselves."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from config.urls import urlpatterns as site_urlpatterns

try:
    from essaim.circles.urls import urlpatterns as circle_urlpatterns
except ImportError:  # the circle pages are not there yet
    circle_urlpatterns = []

circle_patterns: list[URLPattern | URLResolver] = list(circle_urlpatterns)
if not any("discussions" in str(getattr(p, "pattern", "")) for p in circle_patterns):
    circle_patterns.append(
        path("<slug:slug>/discussions/", include("essaim.circles.discussion_urls"))
    )

urlpatterns: list[URLPattern | URLResolver] = [
    p for p in site_urlpatterns if getattr(p, "namespace", None) != "circles"
] + [path("cercles/", include((circle_patterns, "circles")))]

handler403 = "essaim.core.views.error_403"
handler404 = "essaim.core.views.error_404"
handler500 = "essaim.core.views.error_500"
