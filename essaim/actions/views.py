"""Action pages: lists, the action page, create and edit, lifecycle moves, objectives, tasks.

Every action is reached through :func:`policies.get_action_for_user`: an action the user
may not see answers 404 exactly like an address that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from essaim.circles.models import Circle
from essaim.circles.policies import (
    can_manage_circle,
    get_circle_for_user,
    is_circle_admin,
    is_circle_member,
)

from . import policies, selectors, services
from .forms import (
    ActionFilterForm,
    ActionForm,
    CancelForm,
    ObjectiveForm,
    ResultsForm,
    TaskForm,
)
from .models import ACTION_TRANSITIONS, Action, ActionStatus, ActionTask, Objective

PAGE_SIZE = 20
PAST_PREVIEW = 10
# Sections other parts of the cycle add to the action page, in this order, when they exist.
SECTION_TEMPLATES = ("actions/missions/_section.html", "actions/debrief/_section.html")

# What each move is called on its button, and what it means.
MOVES: dict[str, tuple[Any, Any]] = {
    ActionStatus.PREPARING: (
        gettext_lazy("Annoncer l'action"),
        gettext_lazy(
            "L'action sort du brouillon : elle devient visible selon son réglage de visibilité "
            "et les membres du cercle sont prévenus."
        ),
    ),
    ActionStatus.DRAFT: (
        gettext_lazy("Repasser en brouillon"),
        gettext_lazy("L'action n'est plus visible que des coordinateurs du cercle."),
    ),
    ActionStatus.RUNNING: (
        gettext_lazy("Démarrer l'action (jour J)"),
        gettext_lazy("L'action est en cours : pointage des présents et résultats en direct."),
    ),
    ActionStatus.DONE: (
        gettext_lazy("Marquer comme terminée"),
        gettext_lazy("L'action est terminée : place au bilan."),
    ),
    ActionStatus.EVALUATED: (
        gettext_lazy("Clore le bilan"),
        gettext_lazy("Le bilan est fait : l'action est close et ne peut plus être modifiée."),
    ),
}

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


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


def _managed(request: HttpRequest, slug: str) -> Action:
    return policies.get_managed_action(request.user, slug)


def _sections() -> list[str]:
    found = []
    for name in SECTION_TEMPLATES:
        try:
            get_template(name)
        except TemplateDoesNotExist:
            continue
        found.append(name)
    return found


def can_see_internals(user: Any, action: Action) -> bool:
    """Objectives and tasks are for the circle's members, its coordinators and admins."""
    return (
        policies.can_manage_action(user, action)
        or is_circle_member(user, action.circle)
        or is_circle_admin(user)
    )


# --- Lists ------------------------------------------------------------------------------


def _day_from(request: HttpRequest) -> date | None:
    try:
        return date.fromisoformat(request.GET.get("jour", ""))
    except ValueError:
        return None


def _list_context(request: HttpRequest, circle: Circle | None) -> dict[str, Any]:
    form = ActionFilterForm(request.GET)
    filters = form.filters()
    actions = selectors.actions_for_user(request.user, circle=circle, **filters)
    period = "past" if request.GET.get("periode") == "passees" else "upcoming"
    now = timezone.now()
    params = {k: v for k, v in filters.items() if v}
    day = _day_from(request)
    if day is not None:
        # "And N more" in a calendar cell: every action of that day, past or to come.
        start = timezone.make_aware(datetime.combine(day, time.min))
        actions = actions.filter(starts_at__lt=start + timedelta(days=1), ends_at__gte=start)
        params["jour"] = day.isoformat()
        now = start
    context: dict[str, Any] = {
        "form": form,
        "circle": circle,
        "period": period,
        "filter_query": urlencode(params),
        "active_nav": "actions",
    }
    if period == "past":
        context["page"] = Paginator(selectors.past(actions, now), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context["filter_query"] = urlencode({**params, "periode": "passees"})
        context["upcoming_query"] = urlencode(params)
    else:
        context["page"] = Paginator(selectors.upcoming(actions, now), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context["past_preview"] = list(selectors.past(actions, now)[: PAST_PREVIEW + 1])
        context["past_query"] = urlencode({**params, "periode": "passees"})
    return context


@signed_in
def action_list(request: HttpRequest) -> HttpResponse:
    context = _list_context(request, None)
    context["can_create_in"] = _circles_user_can_create_in(request)
    return render(request, "actions/list.html", context)


def _circles_user_can_create_in(request: HttpRequest) -> bool:
    from essaim.circles.policies import coordinated_circle_ids

    return is_circle_admin(request.user) or bool(coordinated_circle_ids(request.user))


def _circle_page_context(request: HttpRequest, circle: Circle) -> dict[str, Any]:
    from essaim.circles import policies as circle_policies
    from essaim.circles.selectors import circle_pending_requests

    can_manage = can_manage_circle(request.user, circle)
    return {
        "circle": circle,
        "parent": circle_policies.visible_parent(request.user, circle),
        "can_manage": can_manage,
        "can_see_members": circle_policies.can_see_members(request.user, circle),
        "pending_count": circle_pending_requests(circle=circle).count() if can_manage else 0,
        "tab": "actions",
    }


@signed_in
def circle_action_list(request: HttpRequest, slug: str) -> HttpResponse:
    circle = get_circle_for_user(request.user, slug)
    context = _list_context(request, circle)
    context.update(_circle_page_context(request, circle))
    context["active_nav"] = "actions"
    return render(request, "actions/circle_list.html", context)


# --- Action page ------------------------------------------------------------------------


def action_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        action = policies.get_action_for_user(request.user, slug)
    except Http404:
        if not request.user.is_authenticated:
            # A member following a link from an email: log in first, then see it.
            return redirect_to_login(request.get_full_path())
        raise
    can_manage = policies.can_manage_action(request.user, action)
    internals = can_see_internals(request.user, action)
    context: dict[str, Any] = {
        "action": action,
        "circle": action.circle,
        "can_manage": can_manage,
        "can_see_internals": internals,
        "sections": _sections(),
        "active_nav": "actions",
        "today": timezone.localdate(),
    }
    data = selectors.action_page_data(action)
    context["transitions"] = data["transitions"]
    if internals:
        context["objectives"] = data["objectives"]
        context["tasks"] = data["tasks"]
    if can_manage:
        context["moves"] = [
            (status, MOVES[status][0])
            for status in sorted(ACTION_TRANSITIONS[action.status], key=_move_order)
            if status != ActionStatus.CANCELLED
        ]
        context["can_cancel"] = ActionStatus.CANCELLED in ACTION_TRANSITIONS[action.status]
        context["is_closed"] = action.status in (ActionStatus.EVALUATED, ActionStatus.CANCELLED)
    context["my_person_id"] = _person_id(request)
    return render(request, "actions/detail.html", context)


def _move_order(status: str) -> int:
    return list(ActionStatus.values).index(status) if status != ActionStatus.DRAFT else 99


def _person_id(request: HttpRequest) -> int | None:
    if not request.user.is_authenticated:
        return None
    from essaim.people.models import Person

    return Person.objects.filter(user=request.user).values_list("pk", flat=True).first()


# --- Create and edit --------------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def action_create(request: HttpRequest, slug: str) -> HttpResponse:
    circle = get_circle_for_user(request.user, slug)
    if not can_manage_circle(request.user, circle):
        raise PermissionDenied
    form = ActionForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.action_data()
            try:
                action = services.action_create(
                    actor=request.user,
                    circle=circle,
                    title=data.pop("title"),
                    kind=data.pop("kind"),
                    starts_at=data.pop("starts_at"),
                    ends_at=data.pop("ends_at"),
                    **data,
                )
            except ValidationError as error:
                form.add_error(None, error)
                status = 400
            else:
                messages.success(
                    request,
                    _(
                        "L'action « %(title)s » est créée en brouillon. Ajoutez ses objectifs "
                        "et ses tâches, puis annoncez-la."
                    )
                    % {"title": action.title},
                )
                return redirect(services.action_url(action))
        else:
            status = 400
    context = {"form": form, "circle": circle, "active_nav": "actions"}
    return render(request, "actions/action_form.html", context, status=status)


@signed_in
@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, slug: str) -> HttpResponse:
    action = _managed(request, slug)
    editable = Action.objects.get(pk=action.pk)
    form = ActionForm(request.POST or None, request.FILES or None, instance=editable)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.action_update(actor=request.user, action=action, data=form.action_data())
            except ValidationError as error:
                form.add_error(None, error)
                status = 400
            else:
                messages.success(request, _("Les modifications sont enregistrées."))
                return redirect(services.action_url(action))
        else:
            status = 400
    context = {"form": form, "action": action, "circle": action.circle, "active_nav": "actions"}
    return render(request, "actions/action_form.html", context, status=status)


# --- Lifecycle --------------------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def action_move(request: HttpRequest, slug: str, status: str) -> HttpResponse:
    action = _managed(request, slug)
    if status not in MOVES:
        raise Http404
    if status not in ACTION_TRANSITIONS[action.status]:
        messages.error(
            request,
            _("Une action « %(current)s » ne peut pas passer à « %(target)s ».")
            % {
                "current": ActionStatus(action.status).label,
                "target": ActionStatus(status).label,
            },
        )
        return redirect(services.action_url(action))
    if request.method == "POST":
        try:
            services.action_transition(actor=request.user, action=action, target=status)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(
                request,
                _("L'action est maintenant « %(status)s ».")
                % {"status": ActionStatus(status).label},
            )
        return redirect(services.action_url(action))
    label, explanation = MOVES[status]
    context = {
        "action": action,
        "circle": action.circle,
        "target": status,
        "label": label,
        "explanation": explanation,
        "active_nav": "actions",
    }
    return render(request, "actions/move_confirm.html", context)


@signed_in
@require_http_methods(["GET", "POST"])
def action_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    action = _managed(request, slug)
    if ActionStatus.CANCELLED not in ACTION_TRANSITIONS[action.status]:
        messages.error(request, _("Cette action ne peut plus être annulée."))
        return redirect(services.action_url(action))
    form = CancelForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.action_cancel(
                    actor=request.user, action=action, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                form.add_error(None, error)
                status = 400
            else:
                messages.success(
                    request,
                    _("L'action est annulée. Les inscrits et les bénévoles sont prévenus."),
                )
                return redirect(services.action_url(action))
        else:
            status = 400
    context = {"form": form, "action": action, "circle": action.circle, "active_nav": "actions"}
    return render(request, "actions/cancel.html", context, status=status)


# --- Objectives -------------------------------------------------------------------------


def _objective(action: Action, objective_id: int) -> Objective:
    objective = Objective.objects.filter(action=action, pk=objective_id).first()
    if objective is None:
        raise Http404
    objective.action = action
    return objective


@signed_in
@require_http_methods(["GET", "POST"])
def objective_form(
    request: HttpRequest, slug: str, objective_id: int | None = None
) -> HttpResponse:
    action = _managed(request, slug)
    objective = _objective(action, objective_id) if objective_id else None
    form = ObjectiveForm(request.POST or None, objective=objective)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            fields = {
                "metric": data["metric"],
                "target": data["target"],
                "label": data["label"],
                "unit": data["unit"],
            }
            try:
                if objective is None:
                    services.objective_create(actor=request.user, action=action, **fields)
                else:
                    services.objective_update(actor=request.user, objective=objective, **fields)
            except ValidationError as error:
                form.add_error(None, error)
                status = 400
            else:
                messages.success(request, _("L'objectif est enregistré."))
                return redirect(services.action_url(action) + "#objectifs")
        else:
            status = 400
    context = {
        "form": form,
        "action": action,
        "circle": action.circle,
        "objective": objective,
        "active_nav": "actions",
    }
    return render(request, "actions/objective_form.html", context, status=status)


@signed_in
@require_http_methods(["GET", "POST"])
def objective_delete(request: HttpRequest, slug: str, objective_id: int) -> HttpResponse:
    action = _managed(request, slug)
    objective = _objective(action, objective_id)
    if request.method == "POST":
        try:
            services.objective_delete(actor=request.user, objective=objective)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("L'objectif est supprimé."))
        return redirect(services.action_url(action) + "#objectifs")
    context = {
        "action": action,
        "circle": action.circle,
        "objective": objective,
        "active_nav": "actions",
    }
    return render(request, "actions/objective_delete.html", context)


@signed_in
@require_http_methods(["GET", "POST"])
def action_results(request: HttpRequest, slug: str) -> HttpResponse:
    """Live results on the day: one short form with every objective, made for a phone."""
    action = _managed(request, slug)
    objectives = list(action.objectives.all())
    for objective in objectives:
        objective.action = action
    form = ResultsForm(request.POST or None, objectives=objectives)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                from django.db import transaction

                with transaction.atomic():
                    for objective, achieved in form.values():
                        services.objective_record(
                            actor=request.user, objective=objective, achieved=achieved
                        )
            except ValidationError as error:
                form.add_error(None, error)
                status = 400
            else:
                messages.success(request, _("Les résultats sont enregistrés."))
                return redirect(services.action_url(action) + "#objectifs")
        else:
            status = 400
    context = {
        "form": form,
        "action": action,
        "circle": action.circle,
        "objectives": objectives,
        "active_nav": "actions",
    }
    return render(request, "actions/results.html", context, status=status)


# --- Tasks ------------------------------------------------------------------------------


def _task(action: Action, task_id: int) -> ActionTask:
    task = selectors.task_get(action, task_id)
    if task is None:
        raise Http404
    task.action = action
    return task


def _members_for(request: HttpRequest, action: Action, task: ActionTask | None) -> list[Any]:
    query = request.GET.get("q", "").strip()[:100]
    members = selectors.assignable_members(circle=action.circle, query=query)
    wanted: list[int] = []
    if task is not None and task.assignee_id:
        wanted.append(task.assignee_id)
    posted = request.POST.get("assignee", "")
    if posted.isdigit():
        wanted.append(int(posted))
    known = {p.pk for p in members}
    for person_id in wanted:
        if person_id not in known:
            person = selectors.is_assignable(action.circle, person_id)
            if person is not None:
                members.append(person)
                known.add(person.pk)
    return members


@signed_in
@require_http_methods(["GET", "POST"])
def task_form(request: HttpRequest, slug: str, task_id: int | None = None) -> HttpResponse:
    action = _managed(request, slug)
    task = _task(action, task_id) if task_id else None
    members = _members_for(request, action, task)
    initial: dict[str, Any] = {}
    if task is not None:
        initial = {
            "title": task.title,
            "notes": task.notes,
            "assignee": task.assignee_id or "",
            "due_on": task.due_on,
        }
    form = TaskForm(request.POST or None, members=members, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            by_id = {p.pk: p for p in members}
            fields = {
                "title": data["title"],
                "notes": data["notes"],
                "assignee": by_id.get(data["assignee"]) if data["assignee"] else None,
                "due_on": data["due_on"],
            }
            try:
                if task is None:
                    services.task_create(actor=request.user, action=action, **fields)
                else:
                    services.task_update(actor=request.user, task=task, **fields)
            except ValidationError as error:
                form.add_error(None, error)
                status = 400
            else:
                messages.success(request, _("La tâche est enregistrée."))
                return redirect(services.action_url(action) + "#taches")
        else:
            status = 400
    context = {
        "form": form,
        "action": action,
        "circle": action.circle,
        "task": task,
        "query": request.GET.get("q", ""),
        "active_nav": "actions",
    }
    return render(request, "actions/task_form.html", context, status=status)


@signed_in
@require_POST
def task_done(request: HttpRequest, slug: str, task_id: int) -> HttpResponse:
    """Tick a task off (done=1) or back on (done=0): its coordinators and its assignee may."""
    action = policies.get_action_for_user(request.user, slug)
    task = _task(action, task_id)
    person_id = _person_id(request)
    if not (
        policies.can_manage_action(request.user, action)
        or (person_id is not None and task.assignee_id == person_id)
    ):
        raise PermissionDenied
    done = request.POST.get("done", "1") != "0"
    updated = services.task_set_done(actor=request.user, task=task, done=done)
    if _is_htmx(request) and request.POST.get("next") != "mes-taches":
        # Only the ticked task is swapped; the rest of the page stays as it is.
        updated.action, updated.assignee = action, task.assignee
        context = {
            "task": updated,
            "action": action,
            "can_manage": policies.can_manage_action(request.user, action),
            "is_closed": action.status in (ActionStatus.EVALUATED, ActionStatus.CANCELLED),
            "my_person_id": person_id,
            "today": timezone.localdate(),
        }
        response = render(request, "actions/_task.html", context)
        patch_vary_headers(response, ["HX-Request"])
        return response
    messages.success(
        request,
        _("« %(task)s » : faite.") % {"task": task.title}
        if done
        else _("« %(task)s » : à refaire.") % {"task": task.title},
    )
    if request.POST.get("next") == "mes-taches":
        return redirect("actions:my_tasks")
    return redirect(services.action_url(action) + "#taches")


@signed_in
@require_http_methods(["GET", "POST"])
def task_delete(request: HttpRequest, slug: str, task_id: int) -> HttpResponse:
    action = _managed(request, slug)
    task = _task(action, task_id)
    if request.method == "POST":
        try:
            services.task_delete(actor=request.user, task=task)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("La tâche est supprimée."))
        return redirect(services.action_url(action) + "#taches")
    context = {"action": action, "circle": action.circle, "task": task, "active_nav": "actions"}
    return render(request, "actions/task_delete.html", context)


@signed_in
def my_tasks(request: HttpRequest) -> HttpResponse:
    tasks = selectors.open_tasks_of(_person_id(request))
    page = Paginator(tasks, PAGE_SIZE * 2).get_page(request.GET.get("page"))
    context = {"page": page, "today": timezone.localdate(), "active_nav": "actions"}
    return render(request, "actions/my_tasks.html", context)
