from django.urls import include, path

from . import views

app_name = "circles"

urlpatterns = [
    path("", views.circle_list, name="list"),
    path("nouveau/", views.circle_new, name="create"),
    path("nouveau/parents/", views.parent_suggestions_page, name="parent_suggestions"),
    path("invitation/<str:code>/", views.invitation_page, name="invitation"),
    path("<slug:slug>/", views.circle_detail, name="detail"),
    path("<slug:slug>/modifier/", views.circle_edit, name="edit"),
    path("<slug:slug>/archiver/", views.circle_archive_page, name="archive"),
    path("<slug:slug>/rejoindre/", views.circle_join, name="join"),
    path("<slug:slug>/demande/", views.circle_request, name="request"),
    path("<slug:slug>/demande/retirer/", views.circle_request_withdraw, name="request_withdraw"),
    path("<slug:slug>/quitter/", views.circle_leave, name="leave"),
    path("<slug:slug>/membres/", views.circle_members_page, name="members"),
    path("<slug:slug>/membres/<int:membership_id>/role/", views.member_role, name="member_role"),
    path(
        "<slug:slug>/membres/<int:membership_id>/retirer/",
        views.member_remove,
        name="member_remove",
    ),
    path("<slug:slug>/demandes/", views.circle_requests, name="requests"),
    path("<slug:slug>/demandes/<int:request_id>/", views.request_decide, name="request_decide"),
    path("<slug:slug>/inviter/", views.circle_invite, name="invite"),
    path(
        "<slug:slug>/inviter/<int:invitation_id>/annuler/",
        views.invitation_cancel,
        name="invitation_revoke",
    ),
    path("<slug:slug>/discussions/", include("essaim.circles.discussion_urls")),
]
