"""The donor space: a donor's gifts, monthly gifts, receipts and address, by account or link."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tasks import task

from essaim.core.selectors import organisation_get
from essaim.people.models import Person
from essaim.people.services import person_update

from . import donor_links, policies, selectors
from .donor_forms import AddressForm, LinkRequestForm
from .models import Receipt, RecurringGift, RecurringStatus

LINKS_PER_HOUR = 3
GIFTS_PER_PAGE = 50
RECURRING_ACTIONS = ("pause", "resume", "cancel")


def _receipt_url(receipt: Receipt) -> str:
    try:
        return reverse("receipts:pdf", kwargs={"code": receipt.code})
    except NoReverseMatch:
        return ""


def _recurring_act(request: HttpRequest, recurring: RecurringGift, what: str) -> None:
    """Pause, resume or stop a monthly gift for its donor, with a message saying what happened."""
    from . import recurring as schedules

    actor = request.user if request.user.is_authenticated else None
    action = {
        "pause": schedules.recurring_pause,
        "resume": schedules.recurring_resume,
        "cancel": schedules.recurring_cancel,
    }[what]
    try:
        action(recurring=recurring, actor=actor, by_donor=True)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return
    except Exception as error:  # the provider is down: say it, change nothing here
        from .providers import ProviderUnavailable

        if not isinstance(error, ProviderUnavailable):
            raise
        messages.error(request, error.message)
        return
    done = {
        "pause": _("Votre don mensuel est en pause : aucun prélèvement jusqu'à sa reprise."),
        "resume": _("Votre don mensuel reprend. Merci !"),
        "cancel": _("Votre don mensuel est arrêté : plus aucun prélèvement ne sera fait."),
    }[what]
    messages.success(request, done)


def _recurring_rows(person: Person) -> list[dict[str, object]]:
    return [
        {
            "gift": gift,
            "can_pause": gift.status == RecurringStatus.ACTIVE,
            "can_resume": gift.status == RecurringStatus.PAUSED,
            "can_cancel": gift.status
            in (RecurringStatus.ACTIVE, RecurringStatus.PAUSED, RecurringStatus.PENDING),
        }
        for gift in selectors.donor_recurring_gifts(person)
    ]


def _home_context(request: HttpRequest, person: Person, form: AddressForm) -> dict[str, object]:
    page = Paginator(selectors.donor_donations(person), GIFTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return {
        "person": person,
        "donations": page.object_list,
        "gifts_page": page,
        "recurring_rows": _recurring_rows(person),
        "receipts": [
            {"receipt": receipt, "url": _receipt_url(receipt)}
            for receipt in selectors.donor_receipts(person)
        ],
        "address_form": form,
        "by_link": not request.user.is_authenticated,
        "active_nav": "donor",
    }


@never_cache
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """A donor's gifts, monthly gifts, receipts and address."""
    person = policies.donor_for_request(request)
    if person is None:
        return redirect("donor:request_link")
    context = _home_context(request, person, AddressForm(instance=person))
    return render(request, "giving/donor/home.html", context)


@never_cache
@require_POST
def address(request: HttpRequest) -> HttpResponse:
    """Update the donor's postal address (receipts already issued keep the old one)."""
    person = policies.donor_for_request(request)
    if person is None:
        return redirect("donor:request_link")
    form = AddressForm(request.POST, instance=Person.objects.get(pk=person.pk))
    if form.is_valid():
        person_update(
            actor=request.user if request.user.is_authenticated else None,
            person=person,
            data={name: form.cleaned_data[name] for name in AddressForm.Meta.fields},
        )
        messages.success(
            request,
            _(
                "Votre adresse est à jour pour vos prochains reçus. Les reçus déjà émis gardent "
                "l'ancienne adresse : écrivez-nous si l'un d'eux doit être corrigé."
            ),
        )
        return redirect("donor:home")
    person.refresh_from_db()
    context = _home_context(request, person, form)
    return render(request, "giving/donor/home.html", context, status=400)


@never_cache
@require_POST
def recurring_change(request: HttpRequest, code: str) -> HttpResponse:
    """Pause, resume or stop one of the donor's monthly gifts from their space."""
    person = policies.donor_for_request(request)
    if person is None:
        raise Http404(_("Ce don n'existe pas ou ne vous concerne pas."))
    gift = policies.get_recurring_for_donor(person, code)
    what = request.POST.get("action", "")
    if what not in RECURRING_ACTIONS:
        messages.error(request, _("Cette action n'existe pas."))
    else:
        _recurring_act(request, gift, what)
    return redirect("donor:home")


@never_cache
@require_http_methods(["GET", "POST"])
def recurring(request: HttpRequest, token: str) -> HttpResponse:
    """Manage one monthly gift from the signed link of an e-mail, without an account."""
    gift = donor_links.recurring_from_token(token)
    if gift is None:
        raise Http404(_("Ce lien n'est pas valide."))
    if request.method == "POST":
        what = request.POST.get("action", "")
        if what not in RECURRING_ACTIONS:
            messages.error(request, _("Cette action n'existe pas."))
        else:
            _recurring_act(request, gift, what)
        return redirect("donor:recurring", token=token)
    context = {
        "gift": gift,
        "can_pause": gift.status == RecurringStatus.ACTIVE,
        "can_resume": gift.status == RecurringStatus.PAUSED,
        "can_cancel": gift.status
        in (RecurringStatus.ACTIVE, RecurringStatus.PAUSED, RecurringStatus.PENDING),
        "payments": list(gift.payments.order_by("-created_at")[:24]),
    }
    return render(request, "giving/donor/recurring.html", context)


def _rate_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"giving:donor-link:{digest}"


@task()
def donor_link_send(person_id: int) -> bool:
    """E-mail a donor the signed link to their space (off the request: no timing tells)."""
    person = Person.objects.filter(pk=person_id, erased_at__isnull=True).first()
    if person is None or not person.email:
        return False
    _send_link(person)
    return True


def _send_link(person: Person) -> None:
    org = organisation_get()
    url = donor_links.donor_space_url(person)
    body = _(
        "Bonjour %(name)s,\n\n"
        "Voici le lien vers votre espace donateur chez %(org)s : vos dons, vos reçus fiscaux, "
        "vos dons mensuels et votre adresse.\n\n%(url)s\n\n"
        "Ce lien est personnel et reste valable 30 jours. Si vous n'avez rien demandé, "
        "ignorez ce message.\n"
    ) % {"name": person.given_name or person.full_name, "org": org.display_name, "url": url}
    send_mail(
        subject=_("Votre espace donateur — %(org)s") % {"org": org.display_name},
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[person.email],
    )


@never_cache
@require_http_methods(["GET", "POST"])
def request_link(request: HttpRequest) -> HttpResponse:
    """Ask for the signed link to one's donor space (same answer whoever asks)."""
    sent = False
    if request.method == "POST":
        form = LinkRequestForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"]
            key = _rate_key(email)
            count = cache.get(key, 0)
            if count < LINKS_PER_HOUR:
                cache.set(key, count + 1, 60 * 60)
                person = (
                    Person.objects.filter(
                        email__iexact=email, erased_at__isnull=True, donations__isnull=False
                    )
                    .order_by("id")
                    .first()
                )
                if person is not None:
                    # Sent by a task: the answer takes as long whoever asks.
                    person_id = person.pk
                    transaction.on_commit(lambda: donor_link_send.enqueue(person_id))
            sent = True
            form = LinkRequestForm()
    else:
        form = LinkRequestForm()
    status = 400 if request.method == "POST" and not sent else 200
    return render(
        request,
        "giving/donor/request_link.html",
        {"form": form, "sent": sent, "active_nav": "donor"},
        status=status,
    )


@never_cache
@require_GET
def signed(request: HttpRequest, token: str) -> HttpResponse:
    """Open the donor space in this browser from the signed link of an e-mail."""
    person = donor_links.donor_from_token(token)
    if person is None:
        form = LinkRequestForm()
        return render(
            request,
            "giving/donor/request_link.html",
            {"form": form, "sent": False, "expired": True, "active_nav": "donor"},
            status=404,
        )
    policies.donor_session_open(request, person)
    return redirect("donor:home")


@never_cache
@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    """Close the donor space opened by a link in this browser."""
    policies.donor_session_close(request)
    messages.success(request, _("Votre espace donateur est fermé dans ce navigateur."))
    return redirect("donor:request_link")
