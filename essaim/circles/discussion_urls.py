"""Discussion pages, included by the circle URLs under <slug>/discussions/."""

from __future__ import annotations

from django.urls import path

import essaim.circles.discussion_views as views

urlpatterns = [
    path("", views.thread_list, name="thread_list"),
    path("nouvelle/", views.thread_create, name="thread_create"),
    path("<int:thread_id>/", views.thread_detail, name="thread_detail"),
    path("<int:thread_id>/repondre/", views.message_create, name="message_create"),
    path("<int:thread_id>/epingler/", views.thread_pin, name="thread_pin"),
    path("<int:thread_id>/verrouiller/", views.thread_lock, name="thread_lock"),
    path("messages/<int:message_id>/modifier/", views.message_edit, name="message_edit"),
    path("messages/<int:message_id>/reagir/", views.message_react, name="message_react"),
    path("messages/<int:message_id>/signaler/", views.message_report, name="message_report"),
    path("messages/<int:message_id>/masquer/", views.message_hide, name="message_hide"),
    path("messages/<int:message_id>/reafficher/", views.message_unhide, name="message_unhide"),
    path("pieces-jointes/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("fichiers/", views.file_list, name="files"),
    path("signalements/", views.report_list, name="reports"),
    path("signalements/<int:report_id>/classer/", views.report_dismiss, name="report_dismiss"),
]
