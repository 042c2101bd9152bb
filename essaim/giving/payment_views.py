"""Views of the payment plumbing: the demo checkout page and the providers' webhooks."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from essaim.core.money import format_euros

from . import providers
from .models import Donation, DonationStatus, Provider
from .providers.demo import demo_back_urls
from .services import donation_mark_failed, donation_mark_paid


def _safe(url: str, request: HttpRequest) -> str:
    from django.conf import settings

    hosts = {request.get_host()}
    origin = getattr(settings, "SITE_ORIGIN", "")
    if origin:
        hosts.add(origin.split("://", 1)[-1].split("/", 1)[0])
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts=hosts):
        return url
    return ""


def _thanks_url(donation: Donation) -> str:
    from essaim.blog.public import public_reverse

    try:
        return public_reverse("give_thanks", kwargs={"code": donation.code})
    except NoReverseMatch:
        return "/"


@require_http_methods(["GET", "POST"])
def demo_checkout(request: HttpRequest, code: str) -> HttpResponse:
    """Show the demonstration checkout of a gift and pay or fail it (no real money)."""
    donation = (
        Donation.objects.select_related("recurring", "page")
        .filter(code=code, provider=Provider.DEMO)
        .first()
    )
    if donation is None or not any(p.name == Provider.DEMO for p in providers.available()):
        # Once a real provider replaces the demo one, no demo gift can be "paid" any more.
        raise Http404
    back = request.GET.get("retour", "")
    return_url, cancel_url = demo_back_urls(back)
    return_url = _safe(return_url, request) or _thanks_url(donation)
    cancel_url = _safe(cancel_url, request) or return_url
    if request.method == "POST":
        if donation.status not in (DonationStatus.PENDING, DonationStatus.FAILED):
            return HttpResponseRedirect(return_url)  # paid already: a second click pays nothing
        if request.POST.get("outcome") == "pay":
            donation_mark_paid(donation=donation, at=timezone.now())
            return HttpResponseRedirect(return_url)
        donation_mark_failed(donation=donation, at=timezone.now(), note="Démonstration : échec")
        return HttpResponseRedirect(cancel_url)
    return render(
        request,
        "giving/payments/demo_checkout.html",
        {
            "donation": donation,
            "amount": format_euros(donation.amount_cents),
            "back": back,
            "open": donation.status in (DonationStatus.PENDING, DonationStatus.FAILED),
            "return_url": return_url,
        },
    )
