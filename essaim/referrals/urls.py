"""Member and staff pages of capillarity, under /parrainage/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "referrals"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.links, name="links"),
    path("qr/<str:code>/<str:fmt>/", views.qr, name="qr"),
    path("liens/<str:code>/renouveler/", views.link_renew, name="link_renew"),
    path("inviter/", views.invite, name="invite"),
    path("invitations/", views.invitations, name="invitations"),
    path("textes/", views.share_texts, name="share_texts"),
    path("campagnes/", views.campaign_list, name="campaigns"),
    path("campagnes/nouvelle/", views.campaign_create, name="campaign_create"),
    path("campagnes/<slug:slug>/modifier/", views.campaign_edit, name="campaign_edit"),
]
