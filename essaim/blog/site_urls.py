"""The blog's public pages (home, lists, articles), included under / and /en/."""

from django.urls import URLPattern, URLResolver, path

from . import site_views

urlpatterns: list[URLPattern | URLResolver] = [
    # At the root, "/" is answered by essaim.core.views.home (the public home for
    # visitors); this name gives the English home (/en/) and reverses to both.
    path("", site_views.home, name="home"),
    path("blog/", site_views.index, name="index"),
    path("blog/categorie/<slug:slug>/", site_views.category, name="category"),
    path("blog/etiquette/<slug:slug>/", site_views.tag, name="tag"),
    path("blog/archives/<int:year>/<int:month>/", site_views.archive, name="archive"),
    path("blog/<slug:slug>/", site_views.article, name="article"),
]
