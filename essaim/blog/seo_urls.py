"""robots.txt and the sitemaps, at the root of the site (or of its path prefix)."""

from django.urls import URLPattern, URLResolver, path

from . import seo_views

app_name = "seo"

urlpatterns: list[URLPattern | URLResolver] = [
    path("robots.txt", seo_views.robots, name="robots"),
    path("sitemap.xml", seo_views.sitemap, name="sitemap"),
    path("sitemap-<slug:section>.xml", seo_views.sitemap_section, name="sitemap_section"),
]
