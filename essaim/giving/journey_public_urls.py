"""The public excuses journey (included in the public site, French and English)."""

from django.urls import URLPattern, URLResolver, path

from . import journey_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("je-n-aime-pas-donner/", journey_views.excuses, name="excuses"),
    path("je-n-aime-pas-donner/<slug:slug>/", journey_views.excuse, name="excuse"),
    path("je-n-aime-pas-donner/<slug:slug>/donner/", journey_views.excuse_give, name="excuse_give"),
    path(
        "je-n-aime-pas-donner/<slug:slug>/benevolat/",
        journey_views.excuse_volunteer,
        name="excuse_volunteer",
    ),
]
