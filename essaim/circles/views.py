"""Circle pages: list, circle page, members, requests, invitations, create and edit.

Every circle is reached through :func:`get_circle_for_user`, so a secret circle answers
404 to outsiders exactly like an address that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import policies
from .forms import (
    CircleForm,
    CircleSearchForm,
    DecisionForm,
    InvitationForm,
    JoinRequestForm,
    MemberSearchForm,
    ParentSearchInput,
    RemoveForm,
    RoleForm,
)
from .models import Circle, CircleInvitation, InvitationStatus, JoinRequest
from .selectors import (
    PARENT_SUGGESTIONS,
    circle_child_counts,
    circle_children_for_user,
    circle_coordinators,
    circle_list_for_user,
    circle_members,
    circle_pending_invitations,
    circle_pending_requests,
    invitation_get,
    join_request_pending_for,
    membership_get,
    my_memberships,
    parent_candidates_for_user,
    parent_suggestions,
)
from .services import (
    circle_archive,
    circle_create,
    circle_update,
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitation_revoke,
    join_request_create,
    join_request_decide,
    join_request_withdraw,
    membership_join,
    membership_leave,
    membership_remove,
    membership_set_role,
)

CIRCLE_PAGE_SIZE = 50
MEMBER_PAGE_SIZE = 50
REQUEST_PAGE_SIZE = 20
INVITATION_PAGE_SIZE = 50

View = Callable[..., HttpResponse]


def signed_in(view: View) -> View:
    """Send anonymous visitors to the login page (before any lookup: nothing is revealed)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.history_restore_request)


def _render(
    request: HttpRequest, full: str, partial: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, partial if _is_htmx(request) else full, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


def _managed_circle(request: HttpRequest, slug: str) -> Circle:
    circle = policies.get_circle_for_user(request.user, slug)
    if not policies.can_manage_circle(request.user, circle):
        raise PermissionDenied
    return circle


# --- List -------------------------------------------------------------------------------


def circle_list(request: HttpRequest) -> HttpResponse:
    form = CircleSearchForm(request.GET)
    query = form.query()
    parent_slug = request.GET.get("parent", "")
    parent = policies.get_circle_for_user(request.user, parent_slug) if parent_slug else None
    circles = circle_list_for_user(request.user, query=query, parent=parent)
    page = Paginator(circles, CIRCLE_PAGE_SIZE).get_page(request.GET.get("page"))
    roles = policies.circle_roles_of(request.user)
    page.object_list = list(page.object_list)
    child_counts = circle_child_counts(request.user, [c.pk for c in page.object_list])
    for circle in page.object_list:
        circle.visible_parent = policies.visible_parent(request.user, circle)  # type: ignore[attr-defined]
        circle.my_role = roles.get(circle.pk)  # type: ignore[attr-defined]
        circle.child_count = child_counts.get(circle.pk, 0)  # type: ignore[attr-defined]
    params = {k: v for k, v in (("q", query), ("parent", parent_slug)) if v}
    context: dict[str, Any] = {
        "form": form,
        "query": query,
        "parent": parent,
        "page": page,
        "filter_query": urlencode(params),
        "can_create": policies.can_create_some_circle(request.user),
        "active_nav": "circles",
    }
    if parent is not None:
        context["grandparent"] = policies.visible_parent(request.user, parent)
    if not _is_htmx(request):
        memberships = list(my_memberships(request.user))
        for membership in memberships:
            membership.circle.visible_parent = policies.visible_parent(  # type: ignore[attr-defined]
                request.user, membership.circle
            )
        context["my_memberships"] = memberships
    return _render(request, "circles/list.html", "circles/_list_partial.html", context)


# --- Circle page ------------------------------------------------------------------------


def _circle_context(request: HttpRequest, circle: Circle) -> dict[str, Any]:
    user = request.user
    role = policies.circle_role(user, circle)
    can_manage = policies.can_manage_circle(user, circle)
    return {
        "circle": circle,
        # A secret parent stays unnamed for those outside it.
        "parent": policies.visible_parent(user, circle),
        "role": role,
        "is_member": role is not None,
        "can_read": policies.can_read_circle_content(user, circle),
        "can_manage": can_manage,
        "can_see_members": policies.can_see_members(user, circle),
        "can_join": policies.can_join(user, circle),
        "can_request": policies.can_request_to_join(user, circle),
        "can_create_child": policies.can_create_circle(user, circle),
        "pending_request": join_request_pending_for(circle=circle, user=user)
        if user.is_authenticated and role is None
        else None,
        "pending_count": circle_pending_requests(circle=circle).count() if can_manage else 0,
        "active_nav": "circles",
    }


def circle_detail(request: HttpRequest, slug: str) -> HttpResponse:
    circle = policies.get_circle_for_user(request.user, slug)
    context = _circle_context(request, circle)
    context["children"] = list(circle_children_for_user(request.user, circle)[:100])
    from essaim.actions.selectors import circle_upcoming_actions

    context["upcoming_actions"] = circle_upcoming_actions(request.user, circle)
    return render(request, "circles/detail.html", context)


def _membership_box(request: HttpRequest, circle: Circle) -> HttpResponse:
    """After joining or leaving: the button area for htmx, the circle page otherwise."""
    if _is_htmx(request):
        policies.forget_circle_roles(request.user)
        circle.refresh_from_db()
        context = _circle_context(request, circle)
        # 200 even after a refusal: htmx does not swap 4xx answers, and the box shows why.
        return render(request, "circles/_membership.html", context)
    return redirect("circles:detail", slug=circle.slug)


@signed_in
@require_POST
def circle_join(request: HttpRequest, slug: str) -> HttpResponse:
    circle = policies.get_circle_for_user(request.user, slug)
    try:
        membership_join(actor=request.user, circle=circle)  # type: ignore[arg-type]
    except ValidationError as error:
        _errors(request, error)
        return _membership_box(request, circle)
    messages.success(request, _("Bienvenue dans le cercle « %(circle)s » !") % {"circle": circle})
    return _membership_box(request, circle)


@signed_in
@require_http_methods(["GET", "POST"])
def circle_request(request: HttpRequest, slug: str) -> HttpResponse:
    circle = policies.get_circle_for_user(request.user, slug)
    form = JoinRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                join_request_create(
                    actor=request.user,  # type: ignore[arg-type]
                    circle=circle,
                    message=form.cleaned_data["message"],
                )
            except ValidationError as error:
                _errors(request, error)
                return redirect("circles:detail", slug=circle.slug)
            messages.success(
                request,
                _("Votre demande est envoyée : les coordinateurs du cercle vous répondront."),
            )
            return redirect("circles:detail", slug=circle.slug)
        status = 400
    context = {**_circle_context(request, circle), "form": form}
    return render(request, "circles/request_form.html", context, status=status)


@signed_in
@require_POST
def circle_request_withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    circle = policies.get_circle_for_user(request.user, slug)
    pending = join_request_pending_for(circle=circle, user=request.user)
    if pending is None:
        messages.error(request, _("Vous n'avez pas de demande en attente pour ce cercle."))
        return redirect("circles:detail", slug=circle.slug)
    try:
        join_request_withdraw(actor=request.user, join_request=pending)  # type: ignore[arg-type]
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Votre demande est retirée."))
    return redirect("circles:detail", slug=circle.slug)


@signed_in
@require_http_methods(["GET", "POST"])
def circle_leave(request: HttpRequest, slug: str) -> HttpResponse:
    circle = policies.get_circle_for_user(request.user, slug)
    if not policies.is_circle_member(request.user, circle):
        messages.error(request, _("Vous n'êtes pas membre de ce cercle."))
        return redirect("circles:detail", slug=circle.slug)
    if request.method == "POST":
        try:
            membership_leave(actor=request.user, circle=circle)  # type: ignore[arg-type]
        except ValidationError as error:
            _errors(request, error)
            return _membership_box(request, circle)
        messages.success(
            request, _("Vous avez quitté le cercle « %(circle)s ».") % {"circle": circle}
        )
        return _membership_box(request, circle)
    return render(request, "circles/leave.html", _circle_context(request, circle))


# --- Members ------------------------------------------------------------------------------


@signed_in
def circle_members_page(request: HttpRequest, slug: str) -> HttpResponse:
    circle = policies.get_circle_for_user(request.user, slug)
    if not policies.can_see_members(request.user, circle):
        raise PermissionDenied
    form = MemberSearchForm(request.GET)
    query = form.query()
    page = Paginator(circle_members(circle=circle, query=query), MEMBER_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        **_circle_context(request, circle),
        "form": form,
        "query": query,
        "page": page,
        "filter_query": urlencode({"q": query}) if query else "",
        "coordinators": circle_coordinators(circle=circle),
    }
    return _render(request, "circles/members.html", "circles/_members_partial.html", context)


@signed_in
@require_POST
def member_role(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    circle = _managed_circle(request, slug)
    membership = membership_get(circle=circle, pk=membership_id)
    if membership is None:
        raise Http404
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez un rôle dans la liste."))
        return redirect("circles:members", slug=circle.slug)
    try:
        membership_set_role(
            actor=request.user,  # type: ignore[arg-type]
            membership=membership,
            role=form.cleaned_data["role"],
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request,
            _("Le rôle de %(person)s est enregistré.") % {"person": membership.person},
        )
    return redirect("circles:members", slug=circle.slug)


@signed_in
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    circle = _managed_circle(request, slug)
    membership = membership_get(circle=circle, pk=membership_id)
    if membership is None:
        raise Http404
    form = RemoveForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                membership_remove(
                    actor=request.user,  # type: ignore[arg-type]
                    membership=membership,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                _errors(request, error)
                status = 400
            else:
                messages.success(
                    request,
                    _("%(person)s ne fait plus partie du cercle.") % {"person": membership.person},
                )
                return redirect("circles:members", slug=circle.slug)
        else:
            status = 400
    context = {**_circle_context(request, circle), "membership": membership, "form": form}
    return render(request, "circles/member_remove.html", context, status=status)


# --- Requests and invitations ------------------------------------------------------------


@signed_in
def circle_requests(request: HttpRequest, slug: str) -> HttpResponse:
    circle = _managed_circle(request, slug)
    page = Paginator(circle_pending_requests(circle=circle), REQUEST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {**_circle_context(request, circle), "page": page, "form": DecisionForm()}
    return render(request, "circles/requests.html", context)


def _back_to_page(name: str, circle: Circle, request: HttpRequest) -> HttpResponse:
    """Redirect to a paginated list, on the page the form was sent from (if a number)."""
    response = redirect(name, slug=circle.slug)
    page = str(request.POST.get("page", ""))
    if page.isdigit() and page != "1":
        response["Location"] += f"?page={page}"
    return response


@signed_in
@require_POST
def request_decide(request: HttpRequest, slug: str, request_id: int) -> HttpResponse:
    circle = _managed_circle(request, slug)
    join_request = (
        JoinRequest.objects.select_related("person").filter(circle=circle, pk=request_id).first()
    )
    if join_request is None:
        raise Http404
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez « Accepter » ou « Refuser »."))
        return _back_to_page("circles:requests", circle, request)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        join_request_decide(
            actor=request.user,  # type: ignore[arg-type]
            join_request=join_request,
            approve=approve,
            response=form.cleaned_data["response"],
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        text = (
            _("%(person)s est maintenant membre du cercle.")
            if approve
            else _("La demande de %(person)s est refusée ; la personne en est informée.")
        )
        messages.success(request, text % {"person": join_request.person})
    return _back_to_page("circles:requests", circle, request)


@signed_in
@require_http_methods(["GET", "POST"])
def circle_invite(request: HttpRequest, slug: str) -> HttpResponse:
    circle = _managed_circle(request, slug)
    form = InvitationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation_create(
                    actor=request.user,  # type: ignore[arg-type]
                    circle=circle,
                    email=form.cleaned_data["email"],
                    base_url=request.build_absolute_uri("/"),
                )
            except ValidationError as error:
                form.add_error("email", error)
                status = 400
            else:
                messages.success(
                    request,
                    _("L'invitation est envoyée à %(email)s.")
                    % {"email": form.cleaned_data["email"]},
                )
                return redirect("circles:invite", slug=circle.slug)
        else:
            status = 400
    context = {
        **_circle_context(request, circle),
        "form": form,
        "page": Paginator(circle_pending_invitations(circle=circle), INVITATION_PAGE_SIZE).get_page(
            request.GET.get("page")
        ),
    }
    return render(request, "circles/invite.html", context, status=status)


@signed_in
@require_POST
def invitation_cancel(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    circle = _managed_circle(request, slug)
    invitation = CircleInvitation.objects.filter(circle=circle, pk=invitation_id).first()
    if invitation is None:
        raise Http404
    try:
        invitation_revoke(actor=request.user, invitation=invitation)  # type: ignore[arg-type]
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request,
            _("L'invitation envoyée à %(email)s est annulée : son lien ne fonctionne plus.")
            % {"email": invitation.email},
        )
    return _back_to_page("circles:invite", circle, request)


@require_http_methods(["GET", "POST"])
def invitation_page(request: HttpRequest, code: str) -> HttpResponse:
    invitation = invitation_get(code=code)
    if invitation is None:
        raise Http404
    circle = invitation.circle
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        # Ask to sign in or sign up first; the page comes back here afterwards.
        context = {"invitation": invitation, "circle": circle, "next": request.get_full_path()}
        return render(request, "circles/invitation.html", context)
    is_invited = policies.is_invited_person(request.user, invitation)
    if request.method == "POST" and is_invited:
        answer = request.POST.get("answer")
        try:
            if answer == "accept":
                invitation_accept(actor=request.user, invitation=invitation)  # type: ignore[arg-type]
                messages.success(
                    request, _("Bienvenue dans le cercle « %(circle)s » !") % {"circle": circle}
                )
                return redirect("circles:detail", slug=circle.slug)
            if answer == "decline":
                invitation_decline(actor=request.user, invitation=invitation)  # type: ignore[arg-type]
                messages.info(request, _("Vous avez décliné l'invitation."))
                return redirect("circles:list")
            messages.error(request, _("Choisissez d'accepter ou de décliner l'invitation."))
        except ValidationError as error:
            _errors(request, error)
        invitation.refresh_from_db()
    elif request.method == "POST":
        raise PermissionDenied
    context = {
        "invitation": invitation,
        "circle": circle,
        "is_invited": is_invited,
        "is_pending": invitation.status == InvitationStatus.PENDING,
        "is_member": policies.is_circle_member(request.user, circle),
    }
    status = 200 if is_invited else 403
    return render(request, "circles/invitation.html", context, status=status)


# --- Create, edit, archive ----------------------------------------------------------------


def _parent_search_circle(request: HttpRequest) -> Circle | None:
    """The circle being edited, named by ``circle`` in the query (none when creating)."""
    slug = str(request.GET.get("circle", ""))
    return _managed_circle(request, slug) if slug else None


@signed_in
@require_GET
def parent_suggestions_page(request: HttpRequest) -> HttpResponse:
    """Suggest parent circles while typing (htmx), or fill the field with a chosen one."""
    if not policies.can_create_some_circle(request.user):
        raise PermissionDenied
    circle = _parent_search_circle(request)
    candidates = parent_candidates_for_user(request.user, circle=circle)
    circle_slug = circle.slug if circle is not None else ""
    pick = str(request.GET.get("pick", ""))[:140]
    if pick:
        chosen = candidates.filter(slug=pick).first()
        attrs = {"id": "id_parent", "aria-describedby": "id_parent_helptext", "autofocus": True}
        widget = ParentSearchInput(circle_slug=circle_slug)
        context = widget.get_context("parent", chosen.slug if chosen else pick, attrs)
        context["status"] = (
            _("Cercle parent choisi : %(circle)s.") % {"circle": chosen.name}
            if chosen is not None
            else _("Ce cercle ne peut pas être choisi comme parent : tapez un autre nom.")
        )
        html = render_to_string(ParentSearchInput.template_name, context, request=request)
        return HttpResponse(html)
    query = " ".join(str(request.GET.get("parent", "")).split())[:140]
    found = parent_suggestions(candidates, query)
    shown = found[:PARENT_SUGGESTIONS]
    for suggestion in shown:
        suggestion.shown_parent = policies.visible_parent(request.user, suggestion)  # type: ignore[attr-defined]
    context = {
        "query": query,
        "circles": shown,
        "more": len(found) > PARENT_SUGGESTIONS,
        "url": request.path,
        "circle_slug": circle_slug,
    }
    response = render(request, "circles/_parent_suggestions.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@signed_in
@require_http_methods(["GET", "POST"])
def circle_new(request: HttpRequest) -> HttpResponse:
    if not policies.can_create_some_circle(request.user):
        raise PermissionDenied
    is_admin = policies.is_circle_admin(request.user)
    initial: dict[str, Any] = {}
    parent_slug = request.GET.get("parent", "")
    if parent_slug:
        initial["parent"] = policies.get_circle_for_user(request.user, parent_slug).slug
    form = CircleForm(
        request.POST or None,
        initial=initial,
        parents=parent_candidates_for_user(request.user, is_admin=is_admin),
        parent_required=not is_admin,
        is_admin=is_admin,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.circle_data()
            if not policies.can_create_circle(request.user, data["parent"]):
                raise PermissionDenied
            try:
                circle = circle_create(actor=request.user, **data)  # type: ignore[arg-type]
            except ValidationError as error:
                form.add_error(None, error)
                status = 400
            else:
                messages.success(
                    request,
                    _("Le cercle « %(circle)s » est créé ; vous en êtes coordinateur.")
                    % {"circle": circle},
                )
                return redirect("circles:detail", slug=circle.slug)
        else:
            status = 400
    context = {"form": form, "active_nav": "circles"}
    return render(request, "circles/circle_form.html", context, status=status)


@signed_in
@require_http_methods(["GET", "POST"])
def circle_edit(request: HttpRequest, slug: str) -> HttpResponse:
    circle = _managed_circle(request, slug)
    editable = Circle.objects.get(pk=circle.pk)
    is_admin = policies.is_circle_admin(request.user)
    form = CircleForm(
        request.POST or None,
        instance=editable,
        # A coordinator keeps the current parent even without coordinating it.
        parents=parent_candidates_for_user(request.user, circle=circle, is_admin=is_admin),
        parent_required=not is_admin and circle.parent_id is not None,
        is_admin=is_admin,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                updated = circle_update(
                    actor=request.user,  # type: ignore[arg-type]
                    circle=circle,
                    data=form.circle_data(),
                )
            except ValidationError as error:
                form.add_error(None, error)
                status = 400
            else:
                messages.success(request, _("Les modifications sont enregistrées."))
                return redirect("circles:detail", slug=updated.slug)
        else:
            status = 400
    context = {"form": form, "circle": circle, "can_manage": True, "active_nav": "circles"}
    return render(request, "circles/circle_form.html", context, status=status)


@signed_in
@require_http_methods(["GET", "POST"])
def circle_archive_page(request: HttpRequest, slug: str) -> HttpResponse:
    circle = _managed_circle(request, slug)
    if request.method == "POST":
        try:
            circle_archive(actor=request.user, circle=circle)  # type: ignore[arg-type]
        except ValidationError as error:
            _errors(request, error)
            return redirect("circles:detail", slug=circle.slug)
        messages.success(request, _("Le cercle « %(circle)s » est archivé.") % {"circle": circle})
        return redirect("circles:list")
    return render(request, "circles/archive.html", _circle_context(request, circle))
