"""Feed pages: activity stream, notifications, delivery preferences, email unsubscribe."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from essaim.accounts.policies import can
from essaim.people.models import Person
from essaim.people.selectors import person_for_user

from . import selectors, services
from .digests import unsubscribe_read
from .forms import FeedFilterForm, PreferencesForm
from .fragments import fragments_render
from .models import PERMISSION_OF_KIND, Delivery, NotificationKind


def _person(request: HttpRequest) -> Person:
    person = person_for_user(request.user)  # type: ignore[arg-type]
    if person is None:
        # Every account gets its person at sign-up; an orphan account has no stream.
        raise Http404
    return person


def _partial_or_page(request: HttpRequest, page: str, partial: str, context: dict) -> HttpResponse:
    return render(request, partial if request.htmx else page, context)  # type: ignore[attr-defined]


def _circle_select(form: FeedFilterForm) -> str:
    # The same list for every visit of a person (and of people in the same circles):
    # rendered once, then cached under its choices, value and errors.
    field = form["circle"]
    choices = form.fields["circle"].choices  # type: ignore[attr-defined]
    return fragments_render(
        "feed/_circle_select.html",
        [field],
        shown=lambda bound: (
            tuple((str(value), str(label)) for value, label in choices),
            str(bound.value()),
            tuple(str(error) for error in bound.errors),
        ),
        context=lambda bound: {"field": bound},
    )[0]


def _person_and_badge(request: HttpRequest) -> Person:
    """The reader's person, with the header badge's count read in the same query.

    For pages that change no notification: the count is the one of the request's start.
    """
    person = selectors.person_with_unread_count(request.user)
    if person is None:
        raise Http404
    # Where essaim.core.context_processors keeps the badge's count for the request.
    request._essaim_unread = person.unread_count  # type: ignore[attr-defined]
    return person


@login_required
def feed(request: HttpRequest) -> HttpResponse:
    person = _person_and_badge(request)
    circles = selectors.member_circles(person)
    form = FeedFilterForm(request.GET or None, circles=circles)
    circle_ids = [c.pk for c in circles]
    before = None
    if form.is_bound and form.is_valid():
        if form.cleaned_data["circle"]:
            circle_ids = [form.cleaned_data["circle"]]
        before = form.cleaned_data["before"]
    elif form.is_bound:
        circle_ids = []  # a bad filter shows its message and no stream, never another's
    page = selectors.feed_page(circle_ids=circle_ids, before=before)
    context = {
        "form": form,
        "circle_select": "" if request.htmx else _circle_select(form),  # type: ignore[attr-defined]
        "page": page,
        "circles": circles,
        "circle_filter": form.cleaned_data.get("circle")
        if form.is_bound and form.is_valid()
        else None,
        "active_nav": "feed",
    }
    return _partial_or_page(request, "feed/feed.html", "feed/_feed_items.html", context)


def _before(request: HttpRequest) -> int | None:
    raw = request.GET.get("before", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**63 else None


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    page = selectors.notification_page(person=person, before=_before(request))
    context = {
        "page": page,
        "unread": selectors.unread_count(person.pk),
        "active_nav": "notifications",
    }
    return _partial_or_page(request, "feed/notifications.html", "feed/_notifications.html", context)


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    person = _person(request)
    notification = selectors.notification_get_for_person(
        person=person, notification_id=notification_id
    )
    if notification is None:
        raise Http404
    services.notification_mark_read(actor=person, notification=notification)
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "feed/_notification_read.html",
            {"notification": notification, "unread": selectors.unread_count(person.pk)},
        )
    if request.POST.get("open") and notification.url.startswith("/"):
        return redirect(notification.url)
    return redirect("feed:notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    count = services.notifications_mark_all_read(actor=person)
    if request.htmx:  # type: ignore[attr-defined]
        page = selectors.notification_page(person=person)
        return render(request, "feed/_notifications.html", {"page": page, "unread": 0})
    if count:
        messages.success(request, _("Toutes vos notifications sont marquées comme lues."))
    return redirect("feed:notifications")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    current = selectors.preferences_for(person)
    kinds = [
        kind
        for kind in NotificationKind.values
        if kind not in PERMISSION_OF_KIND or can(request.user, PERMISSION_OF_KIND[kind])
    ]
    form = PreferencesForm(request.POST or None, current=current, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        services.notification_preferences_update(
            actor=person, person=person, choices=form.cleaned_data
        )
        messages.success(request, _("Vos préférences de notification sont enregistrées."))
        return redirect("feed:preferences")
    return render(request, "feed/preferences.html", {"form": form, "active_nav": "notifications"})


PERIOD_LABELS: dict[str, Any] = {
    Delivery.IMMEDIATE: gettext_lazy("les e-mails envoyés tout de suite"),
    Delivery.DAILY: gettext_lazy("le récapitulatif quotidien"),
    Delivery.WEEKLY: gettext_lazy("le récapitulatif hebdomadaire"),
}


@require_http_methods(["GET", "POST"])
@csrf_exempt  # the signed token is the credential; mail clients post without a session
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        person_id, delivery = unsubscribe_read(token)
        person = Person.objects.get(pk=person_id, erased_at__isnull=True)
    except (signing.BadSignature, Person.DoesNotExist, ValueError):
        return render(request, "feed/unsubscribe_invalid.html", status=400)
    context = {"period_label": PERIOD_LABELS.get(delivery, ""), "token": token}
    if request.method == "POST":
        services.notifications_unsubscribe(person=person, delivery=delivery)
        return render(request, "feed/unsubscribe_done.html", context)
    # A GET changes nothing: link checkers and previews open links in emails.
    return render(request, "feed/unsubscribe.html", context)
