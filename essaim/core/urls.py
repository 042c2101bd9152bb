from django.conf import settings
from django.urls import URLPattern, URLResolver, path, re_path

from . import views

app_name = "core"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("organisation/", views.organisation, name="organisation"),
    path("organisation/roles/", views.roles, name="roles"),
    path("organisation/roles/<int:grant_id>/retirer/", views.role_revoke_view, name="role_revoke"),
    path("organisation/journal/", views.audit, name="audit"),
]

if not settings.PRODUCTION and not settings.DEBUG:
    # `make run` serves uploads (the logo) itself; in production nginx serves /media/.
    urlpatterns.append(
        re_path(
            r"^media/(?P<path>.*)$",
            views.media,
            name="media",
        )
    )
