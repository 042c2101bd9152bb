"""Pages of volunteer missions, registrations, check-in and calendar feeds.

Every action is reached through the policies' one door: an action the user may not see
answers 404, one they may see but not manage answers 403 on the coordinators' pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from essaim.circles.policies import get_circle_for_user
from essaim.circles.views import signed_in
from essaim.referrals.links import attribution_from_request

from . import ical, missions
from . import mission_selectors as selectors
from .mission_forms import MissionForm, WalkInForm
from .models import Action, Mission, MissionSignup, Registration, SignupStatus
from .policies import get_action_for_user, get_managed_action
from .services import action_url, person_of

MY_MISSIONS_PAGE_SIZE = 50


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.history_restore_request)


def action_link(action: Action) -> str:
    """The action's page (or its missions page while the action page does not exist)."""
    try:
        return action_url(action)
    except NoReverseMatch:
        return reverse("actions:missions", kwargs={"slug": action.slug})


def _back(request: HttpRequest, action: Action) -> HttpResponseRedirect:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(action_link(action))


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


def _section(request: HttpRequest, action: Action) -> HttpResponse:
    from .policies import can_manage_action

    response = render(
        request,
        "actions/missions/_section.html",
        # Swapped in by htmx: the page's own messages area is not redrawn, so the
        # section shows the outcome of the click itself.
        {"action": action, "can_manage": can_manage_action(request.user, action), "partial": True},
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _mission(action: Action, mission_id: int) -> Mission:
    mission = selectors.mission_get(action, mission_id)
    if mission is None:
        raise Http404
    return mission


# --- The missions of an action --------------------------------------------------------------


@signed_in
@require_GET
def mission_list(request: HttpRequest, slug: str) -> HttpResponse:
    action = get_action_for_user(request.user, slug)
    from .policies import can_manage_action

    return render(
        request,
        "actions/missions/list.html",
        {"action": action, "can_manage": can_manage_action(request.user, action)},
    )


@signed_in
@require_http_methods(["GET", "POST"])
def mission_create(request: HttpRequest, slug: str) -> HttpResponse:
    action = get_managed_action(request.user, slug)
    form = MissionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            missions.mission_create(actor=request.user, action=action, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("La mission est ajoutée."))
            return redirect(action_link(action))
    if request.method == "GET":
        form = MissionForm(initial={"starts_at": action.starts_at, "ends_at": action.ends_at})
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "actions/missions/form.html",
        {"action": action, "form": form, "mission": None},
        status=status,
    )


@signed_in
@require_http_methods(["GET", "POST"])
def mission_edit(request: HttpRequest, slug: str, mission_id: int) -> HttpResponse:
    action = get_managed_action(request.user, slug)
    mission = _mission(action, mission_id)
    form = MissionForm(request.POST or None, instance=mission)
    if request.method == "POST" and form.is_valid():
        try:
            missions.mission_update(actor=request.user, mission=mission, data=form.cleaned_data)
        except ValidationError as error:
            mission.refresh_from_db()
            form.add_error(None, error)
        else:
            messages.success(request, _("La mission est modifiée."))
            return redirect(action_link(action))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "actions/missions/form.html",
        {"action": action, "form": form, "mission": mission},
        status=status,
    )


@signed_in
@require_http_methods(["GET", "POST"])
def mission_delete(request: HttpRequest, slug: str, mission_id: int) -> HttpResponse:
    action = get_managed_action(request.user, slug)
    mission = _mission(action, mission_id)
    if request.method == "POST":
        try:
            missions.mission_delete(actor=request.user, mission=mission)
        except ValidationError as error:
            _errors(request, error)
            return redirect(action_link(action))
        messages.success(request, _("La mission est supprimée."))
        return redirect(action_link(action))
    return render(request, "actions/missions/delete.html", {"action": action, "mission": mission})


@signed_in
@require_POST
def mission_signup(request: HttpRequest, slug: str, mission_id: int) -> HttpResponse:
    action = get_action_for_user(request.user, slug)
    mission = _mission(action, mission_id)
    try:
        signup = missions.mission_signup(
            actor=request.user, mission=mission, referral=attribution_from_request(request)
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        if signup.status == SignupStatus.CONFIRMED:
            messages.success(request, _("Merci ! Vous êtes inscrit à cette mission."))
        else:
            messages.info(
                request,
                _(
                    "La mission est complète : vous êtes sur la liste d'attente. "
                    "Nous vous prévenons si une place se libère."
                ),
            )
    if _is_htmx(request):
        return _section(request, action)
    return _back(request, action)


@signed_in
@require_POST
def mission_withdraw(request: HttpRequest, slug: str, mission_id: int) -> HttpResponse:
    action = get_action_for_user(request.user, slug)
    mission = _mission(action, mission_id)
    person = person_of(request.user)
    signup = MissionSignup.objects.filter(mission=mission, person=person).first()
    if signup is None or signup.status == SignupStatus.WITHDRAWN:
        messages.info(request, _("Vous n'êtes pas inscrit à cette mission."))
    else:
        missions.mission_withdraw(actor=request.user, signup=signup)
        messages.success(request, _("C'est noté : vous n'êtes plus inscrit à cette mission."))
    if _is_htmx(request):
        return _section(request, action)
    return _back(request, action)


# --- Participants -------------------------------------------------------------------------


@signed_in
@require_POST
def register(request: HttpRequest, slug: str) -> HttpResponse:
    action = get_action_for_user(request.user, slug)
    try:
        missions.registration_create(actor=request.user, action=action)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Vous êtes inscrit. À bientôt !"))
    if _is_htmx(request):
        action.refresh_from_db(fields=["registered_count"])
        return _section(request, action)
    return _back(request, action)


@signed_in
@require_POST
def register_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    action = get_action_for_user(request.user, slug)
    registration = selectors.registration_for(action, person_of(request.user))
    if registration is None:
        messages.info(request, _("Vous n'êtes pas inscrit à cette action."))
    else:
        try:
            missions.registration_cancel(actor=request.user, registration=registration)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Votre inscription est annulée."))
    if _is_htmx(request):
        action.refresh_from_db(fields=["registered_count"])
        return _section(request, action)
    return _back(request, action)


# --- My missions ----------------------------------------------------------------------------


@signed_in
@require_GET
def my_missions(request: HttpRequest) -> HttpResponse:
    person = person_of(request.user)
    assert person is not None
    page = Paginator(selectors.my_missions(person), MY_MISSIONS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "actions/missions/my_missions.html",
        {"page": page, "signups": list(page.object_list), "active_nav": "actions"},
    )


# --- Check-in -------------------------------------------------------------------------------


def _checkin_context(action: Action, walk_in_form: WalkInForm | None = None) -> dict[str, Any]:
    return {
        "action": action,
        "registrations": list(selectors.checkin_registrations(action)),
        "signups": list(selectors.checkin_signups(action)),
        "counts": selectors.checkin_counts(action),
        "open": missions.can_check_in(action),
        "walk_in_form": walk_in_form or WalkInForm(),
    }


@signed_in
@require_GET
def checkin(request: HttpRequest, slug: str) -> HttpResponse:
    action = get_managed_action(request.user, slug)
    return render(request, "actions/missions/checkin.html", _checkin_context(action))


def _attended(request: HttpRequest) -> bool:
    return request.POST.get("attended") == "1"


def _checkin_answer(
    request: HttpRequest, action: Action, row: Registration | MissionSignup, kind: str
) -> HttpResponse:
    if _is_htmx(request):
        response = render(
            request,
            "actions/missions/_checkin_row.html",
            {
                "action": action,
                "row": row,
                "kind": kind,
                "counts": selectors.checkin_counts(action),
                "oob": True,
            },
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    return redirect(reverse("actions:checkin", kwargs={"slug": action.slug}) + f"#{kind}-{row.pk}")


@signed_in
@require_POST
def checkin_registration(request: HttpRequest, slug: str, registration_id: int) -> HttpResponse:
    action = get_managed_action(request.user, slug)
    registration = (
        Registration.objects.select_related("person", "action", "action__circle")
        .filter(action=action, pk=registration_id)
        .first()
    )
    if registration is None:
        raise Http404
    try:
        missions.registration_check_in(
            actor=request.user, registration=registration, attended=_attended(request)
        )
    except ValidationError as error:
        _errors(request, error)
    return _checkin_answer(request, action, registration, "participant")


@signed_in
@require_POST
def checkin_signup(request: HttpRequest, slug: str, signup_id: int) -> HttpResponse:
    action = get_managed_action(request.user, slug)
    signup = (
        MissionSignup.objects.select_related("person", "mission", "mission__action__circle")
        .filter(mission__action=action, pk=signup_id)
        .first()
    )
    if signup is None:
        raise Http404
    try:
        missions.signup_check_in(actor=request.user, signup=signup, attended=_attended(request))
    except ValidationError as error:
        _errors(request, error)
    return _checkin_answer(request, action, signup, "volunteer")


@signed_in
@require_POST
def walk_in(request: HttpRequest, slug: str) -> HttpResponse:
    action = get_managed_action(request.user, slug)
    form = WalkInForm(request.POST)
    if form.is_valid():
        try:
            registration = missions.walk_in_add(
                actor=request.user,
                action=action,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(name)s est ajouté(e) et pointé(e) présent(e).")
                % {"name": registration.person},
            )
            return redirect(reverse("actions:checkin", kwargs={"slug": action.slug}))
    return render(
        request, "actions/missions/checkin.html", _checkin_context(action, form), status=400
    )


# --- Calendars ------------------------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def calendars(request: HttpRequest) -> HttpResponse:
    person = person_of(request.user)
    assert person is not None
    if request.method == "POST":
        circle = None
        slug = request.POST.get("circle", "")
        if slug:
            circle = get_circle_for_user(request.user, slug)
        if request.POST.get("regenerate"):
            missions.calendar_feed_regenerate(actor=request.user, circle=circle)
            messages.success(request, _("Nouvelle adresse créée : l'ancienne ne fonctionne plus."))
        else:
            missions.calendar_feed_get(actor=request.user, circle=circle)
        return redirect("actions:calendars")
    feeds = selectors.calendar_feeds_for(person)
    circles = selectors.my_circles(person)

    def url_of(feed: Any) -> str:
        if feed is None:
            return ""
        return request.build_absolute_uri(reverse("actions:ical", kwargs={"token": feed.token}))

    return render(
        request,
        "actions/missions/calendars.html",
        {
            "personal_url": url_of(feeds.get(None)),
            "circle_feeds": [(c, url_of(feeds.get(c.pk))) for c in circles],
            "active_nav": "actions",
        },
    )


@require_GET
def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A private calendar address: no login (calendar apps cannot log in), the token is the key."""
    feed = selectors.feed_by_token(token)
    if feed is None or feed.person.erased_at is not None:
        raise Http404
    user = feed.person.user
    if user is None or not user.is_active:
        raise Http404
    if feed.circle is None:
        body = ical.missions_calendar(
            _("Mes missions bénévoles"), selectors.feed_missions(feed.person)
        )
    else:
        actions = selectors.feed_actions(user, feed.circle)
        if actions is None:
            raise Http404
        body = ical.actions_calendar(feed.circle.name, actions)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="essaim.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
