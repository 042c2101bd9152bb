"""The practice library under /pratiques/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "practices"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.library, name="list"),
    path("nouvelle/", views.sheet_create, name="create"),
    path("apercu/", views.sheet_preview, name="preview"),
    path("<slug:slug>/", views.sheet_detail, name="detail"),
    path("<slug:slug>/modifier/", views.sheet_edit, name="edit"),
    path("<slug:slug>/publication/", views.sheet_publish, name="publish"),
    path("<slug:slug>/utile/", views.sheet_vote, name="vote"),
    path("<slug:slug>/commentaires/", views.comment_create, name="comment"),
    path(
        "<slug:slug>/commentaires/<int:comment_id>/masquer/",
        views.comment_hide,
        name="comment_hide",
    ),
    path("<slug:slug>/historique/", views.sheet_history, name="history"),
    path(
        "<slug:slug>/historique/<int:number>/retablir/",
        views.revision_restore,
        name="restore",
    ),
]
