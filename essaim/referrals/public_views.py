"""Public addresses of capillarity: /r/<code>/, invitation answers, campaign pages."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from essaim.accounts.policies import can

from .invitations import invitation_get, invitation_stop
from .links import (
    attribution_set,
    channel_of,
    is_bot,
    link_resolve,
    link_target,
    visit_record,
)
from .models import Campaign, Channel, InvitationStatus
from .selectors import campaigns_progress


def _unknown(request: HttpRequest, template: str) -> HttpResponse:
    response = render(request, template, status=404)
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_GET
def link(request: HttpRequest, code: str) -> HttpResponse:
    found = link_resolve(code)
    if found is None:
        return _unknown(request, "referrals/public/link_unknown.html")
    response = HttpResponseRedirect(link_target(found))
    if is_bot(request.headers.get("User-Agent", "")):
        # Previews of a shared link neither count nor attribute anything.
        return response
    channel = channel_of(request.GET.get("c"))
    visit_record(link=found, channel=channel)
    attribution_set(request, response, code=found.code, kind="l", channel=channel)
    return response


@never_cache
@require_GET
def invitation(request: HttpRequest, code: str) -> HttpResponse:
    found = invitation_get(code)
    if (
        found is None
        or not found.email
        or found.status
        not in (
            InvitationStatus.SENT,
            InvitationStatus.QUEUED,
        )
    ):
        return _unknown(request, "referrals/public/invitation_unknown.html")
    response = HttpResponseRedirect(reverse("account_signup"))
    if is_bot(request.headers.get("User-Agent", "")):
        return response
    if found.link is not None:
        visit_record(link=found.link, channel=Channel.EMAIL)
    attribution_set(request, response, code=found.code, kind="i", channel=Channel.EMAIL)
    return response


# Mail clients send the RFC 8058 one-click POST without any token: the code is the secret.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_stop_view(request: HttpRequest, code: str) -> HttpResponse:
    found = invitation_get(code)
    if found is None:
        return _unknown(request, "referrals/public/invitation_unknown.html")
    if request.method == "POST":
        invitation_stop(code=found.code)
        return render(request, "referrals/public/invitation_stopped.html")
    return render(request, "referrals/public/invitation_stop.html", {"invitation": found})


@require_GET
def campaign(request: HttpRequest, slug: str) -> HttpResponse:
    found = Campaign.objects.filter(slug=slug[:200]).first()
    if found is None or not (found.is_public or can(request.user, "campaigns.manage")):
        raise Http404
    progress = campaigns_progress([found])[0]
    return render(request, "referrals/public/campaign.html", {"campaign": found, "p": progress})
