"""Staff pages of the blog, mounted at /redaction/ (namespace ``writing``)."""

from django.urls import URLPattern, URLResolver, path

from . import writing_views as views

app_name = "writing"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("articles/nouveau/", views.article_create, name="article_create"),
    path("articles/apercu-du-texte/", views.markdown_preview, name="preview"),
    path("articles/<int:pk>/", views.article_edit, name="article_edit"),
    path("articles/<int:pk>/apercu/", views.article_preview, name="article_preview"),
    path("articles/<int:pk>/publier/", views.article_publish, name="article_publish"),
    path("articles/<int:pk>/programmer/", views.article_schedule, name="article_schedule"),
    path("articles/<int:pk>/retirer/", views.article_unpublish, name="article_unpublish"),
    path("articles/<int:pk>/brouillon/", views.article_return_to_draft, name="article_draft"),
    path("articles/<int:pk>/versions/", views.article_revisions, name="article_revisions"),
    path(
        "articles/<int:pk>/versions/<int:revision_id>/",
        views.revision_detail,
        name="revision_detail",
    ),
    path(
        "articles/<int:pk>/versions/<int:revision_id>/retablir/",
        views.revision_restore,
        name="revision_restore",
    ),
    path("images/", views.image_library, name="image_library"),
    path("images/<int:pk>/", views.image_edit, name="image_edit"),
    path("images/<int:pk>/supprimer/", views.image_delete, name="image_delete"),
    path("categories/", views.category_list, name="category_list"),
    path("categories/<int:pk>/", views.category_edit, name="category_edit"),
    path("categories/<int:pk>/supprimer/", views.category_delete, name="category_delete"),
]
