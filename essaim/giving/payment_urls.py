"""Payment provider plumbing under /paiements/: webhooks and the demo checkout."""

from django.urls import URLPattern, URLResolver

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = []
