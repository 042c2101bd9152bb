"""Essaim's HTTP API (django-ninja); OpenAPI documentation at /api/docs."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import django_auth

from essaim.people.api import router as people_router

api = NinjaAPI(
    title="Essaim API",
    version="1",
    description="API d'Essaim. Authentification par la session du navigateur.",
    urls_namespace="api",
    auth=django_auth,
)
api.add_router("/people/", people_router)
