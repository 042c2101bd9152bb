"""Public giving pages (included in the public site, French and English)."""

from django.urls import URLPattern, URLResolver, path

from . import public_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("don/", public_views.give, name="give"),
    # Before give_page: "merci" is not a page's address.
    path("don/merci/<str:code>/", public_views.give_thanks, name="give_thanks"),
    path("don/<slug:slug>/", public_views.give_page, name="give_page"),
]
