"""Public pages of stories and the fixed pages (about, legal notice, privacy)."""

from django.urls import URLPattern, URLResolver, path

from . import story_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("recits/", story_views.stories_index, name="stories"),
    path("recits/<slug:slug>/", story_views.story_page, name="story"),
    path("a-propos/", story_views.about, name="about"),
    path("mentions-legales/", story_views.legal, name="legal"),
    path("confidentialite/", story_views.privacy, name="privacy"),
]
