"""Feeds of the public site (RSS 2.0 and Atom), in the language of their address."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import feeds

urlpatterns: list[URLPattern | URLResolver] = [
    path("blog/flux.rss", feeds.articles_rss, name="feed_rss"),
    path("blog/flux.atom", feeds.articles_atom, name="feed_atom"),
    path("blog/categorie/<slug:slug>/flux.rss", feeds.category_rss, name="category_feed_rss"),
    path("blog/categorie/<slug:slug>/flux.atom", feeds.category_atom, name="category_feed_atom"),
    path("recits/flux.rss", feeds.stories_rss, name="stories_feed_rss"),
    path("recits/flux.atom", feeds.stories_atom, name="stories_feed_atom"),
]
