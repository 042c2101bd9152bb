"""The public page of an action (no account needed): details and a sign-up form.

Spam is kept out by a honeypot field and a per-address rate limit kept in the cache;
a registration counts only once its email address is confirmed by the emailed link.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from essaim.blog import seo
from essaim.core.http import client_ip
from essaim.core.selectors import organisation_get
from essaim.giving.selectors import giving_page_for
from essaim.referrals.links import attribution_from_request

from . import missions, policies
from .mission_forms import PublicRegistrationForm
from .models import Action, Mission, Registration, RegistrationStatus

# At most this many sign-up attempts per address (IP) and window.
RATE_LIMIT = 5
RATE_WINDOW_SECONDS = 600


def _rate_limited(request: HttpRequest) -> bool:
    key = f"actions:public-signup:{client_ip(request)}"
    if cache.add(key, 1, RATE_WINDOW_SECONDS):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, RATE_WINDOW_SECONDS)
        return False
    return count > RATE_LIMIT


def _public_action(slug: str) -> Action:
    action = Action.objects.select_related("circle").filter(slug=slug).first()
    if action is None or not policies.is_public(action):
        raise Http404
    # A secret circle's action has no public page, whatever its visibility says.
    if not policies.can_see_circle(None, action.circle):
        raise Http404
    return action


@require_http_methods(["GET", "POST"])
def public_detail(request: HttpRequest, slug: str) -> HttpResponse:
    action = _public_action(slug)
    form = PublicRegistrationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_spam():
            # Robots get the same answer as people, and nothing is stored.
            return redirect(reverse("public_actions:thanks", kwargs={"slug": action.slug}))
        if _rate_limited(request):
            form.add_error(
                None,
                _("Trop d'inscriptions depuis votre connexion. Réessayez dans quelques minutes."),
            )
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                missions.registration_request_public(
                    action=action,
                    given_name=data["given_name"],
                    family_name=data["family_name"],
                    email=data["email"],
                    phone=data["phone"],
                    newsletter_consent=data["newsletter_consent"],
                    referral=attribution_from_request(request),
                )
            except (ValidationError, PermissionDenied) as error:
                if isinstance(error, ValidationError):
                    for text in error.messages:
                        form.add_error(None, text)
                else:
                    form.add_error(None, _("Les inscriptions à cette action sont fermées."))
            else:
                return redirect(reverse("public_actions:thanks", kwargs={"slug": action.slug}))
        if status == 200:
            status = 400
    full = action.capacity is not None and action.registered_count >= action.capacity
    page_url = request.build_absolute_uri(request.path)
    cover_url = request.build_absolute_uri(action.cover.url) if action.cover else ""
    event = seo.event(action=action, url=page_url, image=cover_url, org=organisation_get())
    return render(
        request,
        "actions/public/detail.html",
        {
            "action": action,
            "form": form,
            "missions": list(Mission.objects.filter(action=action)),
            "full": full,
            "open": action.status in ("preparing", "running")
            and action.registrations_open
            and not full,
            "page_url": page_url,
            "cover_url": cover_url,
            "event_json_ld": event,
            "giving_page": giving_page_for(action=action),
        },
        status=status,
    )


def public_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    action = _public_action(slug)
    return render(request, "actions/public/thanks.html", {"action": action})


def _registration(code: str) -> Registration:
    registration = (
        Registration.objects.select_related("action", "action__circle", "person")
        .filter(code=code)
        .first()
    )
    if registration is None:
        raise Http404
    return registration


@require_http_methods(["GET", "POST"])
def public_confirm(request: HttpRequest, code: str) -> HttpResponse:
    # A click in the email shows a button; only the POST confirms (link scanners only GET).
    registration = _registration(code)
    if request.method == "POST":
        try:
            registration = missions.registration_confirm(code=code)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("Votre inscription est confirmée. À bientôt !"))
        return redirect(reverse("public_actions:confirm", kwargs={"code": code}))
    return render(
        request,
        "actions/public/confirm.html",
        {
            "registration": registration,
            "action": registration.action,
            "confirmed": registration.status == RegistrationStatus.CONFIRMED,
            "cancelled": registration.status == RegistrationStatus.CANCELLED,
        },
    )


@require_http_methods(["GET", "POST"])
def public_cancel(request: HttpRequest, code: str) -> HttpResponse:
    registration = _registration(code)
    if request.method == "POST":
        try:
            missions.registration_cancel_by_code(code=code)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("Votre inscription est annulée."))
        return redirect(reverse("public_actions:cancel", kwargs={"code": code}))
    return render(
        request,
        "actions/public/cancel.html",
        {
            "registration": registration,
            "action": registration.action,
            "cancelled": registration.status == RegistrationStatus.CANCELLED,
        },
    )
