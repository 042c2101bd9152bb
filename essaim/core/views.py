"""Home page, health check and error pages."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from essaim.accounts import policies
from essaim.accounts.policies import require
from essaim.people.selectors import person_for_user

from .forms import OrganisationForm
from .selectors import organisation_get
from .services import organisation_update

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    person = person_for_user(request.user) if request.user.is_authenticated else None  # type: ignore[arg-type]
    user = request.user
    context = {
        "active_nav": "home",
        "person": person,
        "can_view_people": policies.can(user, "people.view"),
        "can_import_people": policies.can(user, "people.import"),
        "can_edit_organisation": policies.can(user, "organisation.edit"),
    }
    return render(request, "core/home.html", context)


@require("organisation.edit")
def organisation(request: HttpRequest) -> HttpResponse:
    current = organisation_get()
    form = OrganisationForm(request.POST or None, request.FILES or None, instance=current)
    if request.method == "POST" and form.is_valid():
        organisation_update(actor=request.user, organisation=current, data=form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("Les paramètres de l'organisation sont enregistrés."))
        return redirect("core:organisation")
    return render(request, "core/organisation.html", {"form": form, "active_nav": "organisation"})


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: database unreachable")
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # The database may be what failed: render without context processors.
    return HttpResponse(loader.render_to_string("500.html"), status=500)
