"""Home page, health check, organisation pages (settings, roles, audit log) and errors."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.static import serve as static_serve

from essaim.accounts import policies
from essaim.accounts.models import Role
from essaim.accounts.policies import require
from essaim.accounts.services import RoleChangeRefused, role_grant, role_revoke
from essaim.people.selectors import person_for_user

from .forms import AuditFilterForm, OrganisationForm, RoleGrantForm
from .selectors import (
    audit_action_choices,
    audit_action_label,
    audit_details_display,
    audit_log_filtered,
    organisation_get,
    role_grant_list,
)
from .services import organisation_update

AUDIT_PAGE_SIZE = 50

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    """The public home for visitors (cached), the member home for signed-in people."""
    if not request.user.is_authenticated:
        from essaim.blog.site_views import home as public_home

        # Public pages take their language from the address alone (one page per address for
        # search engines and the cache): the English home is /en/, linked from this one.
        return public_home(request)
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
    context = {
        "form": form,
        "colors": form.preview_colors(),
        "active_nav": "organisation",
        "active_tab": "settings",
    }
    return render(request, "core/organisation.html", context)


@require("roles.manage")
def roles(request: HttpRequest) -> HttpResponse:
    form = RoleGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            role_grant(actor=request.user, user=form.user, role=form.cleaned_data["role"])  # type: ignore[arg-type]
        except RoleChangeRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request,
                _("Le rôle « %(role)s » est confié à %(email)s.")
                % {"role": Role(form.cleaned_data["role"]).label, "email": form.user.email},
            )
            return redirect("core:roles")
    context = {
        "form": form,
        "grants": role_grant_list(),
        "active_nav": "organisation",
        "active_tab": "roles",
    }
    return render(request, "core/roles.html", context)


@require("roles.manage")
def role_revoke_view(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = get_object_or_404(role_grant_list(), pk=grant_id)
    if request.method == "POST":
        try:
            role_revoke(actor=request.user, grant=grant)  # type: ignore[arg-type]
        except RoleChangeRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                _("Le rôle « %(role)s » est retiré à %(email)s.")
                % {"role": grant.get_role_display(), "email": grant.user.email},
            )
        return redirect("core:roles")
    context = {"grant": grant, "active_nav": "organisation", "active_tab": "roles"}
    return render(request, "core/role_revoke.html", context)


@require("audit.view")
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, actions=audit_action_choices())
    action = form.cleaned_data["action"] if form.is_valid() else ""
    paginator = Paginator(audit_log_filtered(action=action), AUDIT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    entries = [
        {
            "entry": entry,
            "label": audit_action_label(entry.action),
            "details": audit_details_display(entry),
        }
        for entry in page.object_list
    ]
    context = {
        "form": form,
        "page": page,
        "entries": entries,
        "action": action,
        "active_nav": "organisation",
        "active_tab": "audit",
    }
    template = "core/_audit_partial.html" if request.htmx else "core/audit.html"  # type: ignore[attr-defined]
    return render(request, template, context)


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


def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Serve public uploads (the logo) when no web server does it (`make run`)."""
    # MEDIA_ROOT is read per request, not frozen when the URLs are loaded.
    return static_serve(request, path, document_root=str(settings.MEDIA_ROOT))
