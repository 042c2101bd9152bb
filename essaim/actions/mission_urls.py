"""URLs of missions, registrations, check-in and calendars (see urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import mission_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    # Two fixed segments first: they can never be taken for an action's address.
    path("benevolat/mes-missions/", views.my_missions, name="my_missions"),
    path("benevolat/calendriers/", views.calendars, name="calendars"),
    path("ical/<str:token>.ics", views.ical_feed, name="ical"),
    path("<slug:slug>/missions/", views.mission_list, name="missions"),
    path("<slug:slug>/missions/ajouter/", views.mission_create, name="mission_create"),
    path(
        "<slug:slug>/missions/<int:mission_id>/modifier/", views.mission_edit, name="mission_edit"
    ),
    path(
        "<slug:slug>/missions/<int:mission_id>/supprimer/",
        views.mission_delete,
        name="mission_delete",
    ),
    path(
        "<slug:slug>/missions/<int:mission_id>/inscription/",
        views.mission_signup,
        name="mission_signup",
    ),
    path(
        "<slug:slug>/missions/<int:mission_id>/desistement/",
        views.mission_withdraw,
        name="mission_withdraw",
    ),
    path("<slug:slug>/participer/", views.register, name="register"),
    path("<slug:slug>/participer/annuler/", views.register_cancel, name="register_cancel"),
    path("<slug:slug>/pointage/", views.checkin, name="checkin"),
    path(
        "<slug:slug>/pointage/participant/<int:registration_id>/",
        views.checkin_registration,
        name="checkin_registration",
    ),
    path(
        "<slug:slug>/pointage/benevole/<int:signup_id>/",
        views.checkin_signup,
        name="checkin_signup",
    ),
    path("<slug:slug>/pointage/sur-place/", views.walk_in, name="walk_in"),
]
