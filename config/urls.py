"""Essaim's URL map: each app owns its own ``urls.py``."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from config.api import api
from essaim.core import views as core_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("essaim.core.urls")),
    path("", include("essaim.blog.seo_urls")),
    # The public site: French at the root, English under /en/ (see essaim/blog/public.py).
    path("", include("essaim.blog.public_urls", namespace="blog")),
    path("en/", include("essaim.blog.public_urls", namespace="blog_en")),
    path("compte/", include("essaim.accounts.urls")),
    path("compte/", include("allauth.urls")),
    path("personnes/", include("essaim.people.urls")),
    path("cercles/", include("essaim.circles.urls")),
    path("fil/", include("essaim.feed.urls")),
    path("actions/", include("essaim.actions.urls")),
    path("agir/", include("essaim.actions.public_urls")),
    path("pratiques/", include("essaim.practices.urls")),
    path("redaction/", include("essaim.blog.writing_urls")),
    path("parrainage/", include("essaim.referrals.urls")),
    path("reseau/", include("essaim.referrals.tree_urls")),
    # Personal links (/r/<code>/) and invitation answers: short public addresses.
    path("", include("essaim.referrals.public_urls")),
    path("redaction/", include("essaim.blog.site_admin_urls")),
    # Giving (essaim/giving): payments plumbing, treasurer, receipts, donor space, staff.
    path("paiements/", include("essaim.giving.payment_urls")),
    path("tresorerie/", include("essaim.giving.treasury_urls")),
    path("recus/", include("essaim.giving.receipt_urls")),
    path("mes-dons/", include("essaim.giving.donor_urls")),
    path("collecte/pages/", include("essaim.giving.page_urls")),
    path("collecte/excuses/", include("essaim.giving.journey_admin_urls")),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler403 = core_views.error_403
handler404 = core_views.error_404
handler500 = core_views.error_500
