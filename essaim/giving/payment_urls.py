"""Payment provider plumbing under /paiements/: webhooks and the demo checkout."""

from django.urls import URLPattern, URLResolver, path

from . import payment_views, webhooks

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("demo/<str:code>/", payment_views.demo_checkout, name="demo_checkout"),
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
    path("webhooks/helloasso/", webhooks.helloasso_webhook, name="helloasso_webhook"),
]
