"""Staff pages of stories, their consents and the fixed pages, under /redaction/."""

from django.urls import URLPattern, URLResolver, path

from . import story_views as views

app_name = "site_admin"

urlpatterns: list[URLPattern | URLResolver] = [
    path("recits/", views.story_list, name="story_list"),
    path("recits/nouveau/", views.story_create, name="story_create"),
    path("recits/<int:story_id>/", views.story_detail, name="story_detail"),
    path("recits/<int:story_id>/modifier/", views.story_edit, name="story_edit"),
    path("recits/<int:story_id>/apercu/", views.story_preview, name="story_preview"),
    path("recits/<int:story_id>/publier/", views.story_publish, name="story_publish"),
    path("recits/<int:story_id>/depublier/", views.story_unpublish, name="story_unpublish"),
    path("recits/<int:story_id>/consentements/ajouter/", views.consent_add, name="consent_add"),
    path("consentements/<int:consent_id>/renouveler/", views.consent_renew, name="consent_renew"),
    path(
        "consentements/<int:consent_id>/retirer/", views.consent_withdraw, name="consent_withdraw"
    ),
    path(
        "consentements/<int:consent_id>/formulaire/",
        views.consent_document,
        name="consent_document",
    ),
    path("pages/", views.page_list, name="page_list"),
    path("pages/<str:kind>/<str:language>/", views.page_edit, name="page_edit"),
    path("pages/<str:kind>/<str:language>/par-defaut/", views.page_reset, name="page_reset"),
]
