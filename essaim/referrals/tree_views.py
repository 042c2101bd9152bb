"""Pages of the who-brought-whom tree: my downline, the network's figures, the tree, corrections."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from essaim.accounts.policies import can, require
from essaim.core.selectors import organisation_get
from essaim.people.models import Person
from essaim.people.selectors import person_directory, person_for_user

from . import charts
from .figures import (
    CHILDREN_PAGE,
    direct_referrals,
    display_name,
    downline_activity,
    funnel_steps,
    names_setting,
    network_figures,
    tree_children,
    tree_roots,
    upline,
    with_activity,
)
from .tree import referral_correct, referral_path_ensure

SEARCH_RESULTS = 20
# Pages of the tree count at most this many people (100 pages): an exact COUNT of a
# hard core of 200,000 took 15 ms of the 27; beyond, search for the person instead.
TREE_COUNT_CAP = 5_000


class CappedPaginator(Paginator):
    """Count at most TREE_COUNT_CAP rows (the database stops after cap + 1)."""

    @cached_property
    def count(self) -> int:
        return int(self.object_list.order_by()[: TREE_COUNT_CAP + 1].count())  # type: ignore[attr-defined,union-attr]

    @property
    def capped(self) -> bool:
        return self.count > TREE_COUNT_CAP


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.history_restore_request)


def _named(people: Any, names: str) -> list[dict[str, Any]]:
    return [{"person": person, "name": display_name(person, names=names)} for person in people]


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    person = person_for_user(request.user)  # type: ignore[arg-type]
    if person is None:
        raise Http404
    names = names_setting(organisation_get())
    referral_path_ensure(person)
    generations = downline_activity(person)
    page = Paginator(direct_referrals(person), CHILDREN_PAGE).get_page(request.GET.get("page"))
    page.object_list = with_activity(page.object_list)
    context = {
        "person": person,
        "generations": generations,
        "total": sum(g.people for g in generations),
        "page": page,
        "referrals": _named(page.object_list, names) if names != "anonymous" else [],
        "anonymous": names == "anonymous",
        "active_nav": "network",
    }
    return render(request, "referrals/network/mine.html", context)


@require("network.view")
def overview(request: HttpRequest) -> HttpResponse:
    figures = network_figures(names="full")
    month_labels = [row.month.strftime("%m/%Y") for row in figures.months]
    steps = funnel_steps(figures)
    context = {
        "figures": figures,
        "steps": steps,
        "growth_chart": charts.line_chart(
            title=_("Croissance du réseau"),
            desc=_("Nombre total de personnes à la fin de chaque mois, sur deux ans."),
            labels=month_labels,
            values=[row.cumulative for row in figures.months],
        ),
        "arrivals_chart": charts.bar_chart(
            title=_("Personnes amenées par parrainage, par mois"),
            desc=_("Nombre de personnes arrivées par un lien ou une invitation chaque mois."),
            labels=month_labels,
            values=[row.referred for row in figures.months],
        ),
        "funnel_chart": charts.funnel_chart(
            title=_("Entonnoir du parrainage"),
            desc=_(
                "Des visites des liens personnels aux inscriptions, puis aux personnes actives."
            ),
            steps=steps,
        ),
        "generations_chart": charts.bar_chart(
            title=_("Personnes par génération"),
            desc=_(
                "Nombre de personnes amenées à chaque génération : 1 pour les personnes "
                "amenées par le noyau dur, 2 pour celles qu'elles ont amenées, etc."
            ),
            labels=[str(depth) for depth, _n in figures.depths],
            values=[n for _depth, n in figures.depths],
        ),
        "active_nav": "network",
    }
    return render(request, "referrals/network/overview.html", context)


def _children_page(request: HttpRequest, parent: Person | None) -> Any:
    people = tree_children(parent) if parent is not None else tree_roots()
    page = CappedPaginator(people, CHILDREN_PAGE).get_page(request.GET.get("page"))
    page.object_list = with_activity(page.object_list)
    return page


@require("network.view")
def tree(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    start: Person | None = None
    raw = request.GET.get("depuis", "")
    if raw:
        if not raw.isdigit():
            raise Http404
        start = get_object_or_404(Person, pk=int(raw))
        with_activity([start])
        referral_path_ensure(start)
    found = list(person_directory(query=query)[:SEARCH_RESULTS]) if query else []
    context = {
        "start": start,
        "ancestors": upline(start) if start is not None else [],
        "page": _children_page(request, start),
        "query": query,
        "found": found,
        "can_correct": can(request.user, "referral.correct"),
        "pager_query": f"depuis={start.pk}" if start is not None else "",
        "active_nav": "network",
    }
    return render(request, "referrals/network/tree.html", context)


@require("network.view")
def children(request: HttpRequest, pk: int) -> HttpResponse:
    parent = get_object_or_404(Person, pk=pk)
    context = {"page": _children_page(request, parent), "parent": parent}
    if _is_htmx(request):
        response = render(request, "referrals/network/_children.html", context)
    else:
        # Without JavaScript the "open" link leads to the tree from that person.
        response = redirect(f"{reverse('network:tree')}?depuis={parent.pk}")
    patch_vary_headers(response, ["HX-Request"])
    return response


class CorrectionForm(forms.Form):
    referrer = forms.IntegerField(
        label=gettext_lazy("Nouvelle personne qui l'a amenée"), required=False, min_value=1
    )
    detach = forms.BooleanField(
        label=gettext_lazy("Personne ne l'a amenée (la détacher)"), required=False
    )
    note = forms.CharField(
        label=gettext_lazy("Raison de la correction"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        self.new_referrer: Person | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        referrer_id, detach = data.get("referrer"), data.get("detach")
        if bool(referrer_id) == bool(detach):
            raise ValidationError(
                _("Choisissez une nouvelle personne ou cochez « Personne ne l'a amenée ».")
            )
        if referrer_id:
            self.new_referrer = Person.objects.filter(pk=referrer_id).first()
            if self.new_referrer is None:
                raise ValidationError(_("Cette personne n'existe pas."))
        return data


@require("referral.correct")
@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk)
    referral_path_ensure(person)
    query = request.GET.get("q", "").strip()[:100]
    found = (
        list(person_directory(query=query).exclude(pk=person.pk)[:SEARCH_RESULTS]) if query else []
    )
    form = CorrectionForm(request.POST or None, person=person)
    confirming = False
    if request.method == "POST" and form.is_valid():
        if request.POST.get("confirm") == "1":
            try:
                referral_correct(
                    actor=request.user,  # type: ignore[arg-type]
                    person=person,
                    referrer=form.new_referrer,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Le parrainage a été corrigé."))
                return redirect(f"{reverse('network:tree')}?depuis={person.pk}")
        else:
            confirming = True
    current = person.referred_by
    context = {
        "person": person,
        "current": current,
        "form": form,
        "found": found,
        "query": query,
        "confirming": confirming and not form.errors,
        "new_referrer": form.new_referrer,
        "active_nav": "network",
    }
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "referrals/network/correct.html", context, status=status)
