from django.urls import path

from . import views

app_name = "feed"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("notifications/", views.notifications, name="notifications"),
    path(
        "notifications/<int:notification_id>/lue/",
        views.notification_read,
        name="notification_read",
    ),
    path("notifications/tout-lu/", views.notifications_read_all, name="notifications_read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("desabonnement/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
