"""Public addresses of capillarity: /r/<code>/, invitation answers, campaign pages."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from essaim.accounts.policies import can
from essaim.core.http import client_ip

from .invitations import invitation_get, invitation_stop
from .links import (
    attribution_set,
    channel_of,
    is_bot,
    link_resolve,
    link_target,
    visit_record,
)
from .models import Campaign, Channel, GoalKind, InvitationStatus
from .selectors import campaigns_progress

# A browser's visits of one link count once a day: the codes it visited today ride in a
# first-party cookie (no identity: link codes and the date, gone at the end of the day).
SEEN_COOKIE = "essaim_seen"
SEEN_SALT = "essaim.referrals.seen"
SEEN_MAX = 20
# Beyond this many visits a minute from one address (a script), visits are not counted.
VISITS_PER_MINUTE = 30


def _seen(request: HttpRequest, code: str) -> tuple[bool, str]:
    """Tell whether this browser visited the link today; return the cookie's new value."""
    today = timezone.localdate().isoformat()
    raw = request.get_signed_cookie(SEEN_COOKIE, default="", salt=SEEN_SALT)
    day, _sep, listed = (raw or "").partition(":")
    codes = listed.split(",") if day == today and listed else []
    if code in codes:
        return True, raw or ""
    return False, f"{today}:{','.join([*codes[-(SEEN_MAX - 1) :], code])}"


def _over_rate(request: HttpRequest) -> bool:
    # Kept a minute in the cache under a keyed hash: the address itself is never stored.
    digest = hmac.new(
        settings.SECRET_KEY.encode(), client_ip(request).encode(), hashlib.sha256
    ).hexdigest()[:24]
    key = f"referrals:visits:{digest}:{int(time.time() // 60)}"
    if cache.add(key, 1, 90):
        return False
    try:
        return cache.incr(key) > VISITS_PER_MINUTE
    except ValueError:  # expired between add and incr
        return False


def _count_visit(request: HttpRequest, response: HttpResponse, *, link: Any, channel: str) -> None:
    """Count a visit unless this browser already made it today or the address floods."""
    seen, value = _seen(request, link.code)
    if seen or _over_rate(request):
        return
    visit_record(link=link, channel=channel)
    midnight = datetime.combine(timezone.localdate() + timedelta(days=1), datetime.min.time())
    seconds = int((timezone.make_aware(midnight) - timezone.now()).total_seconds())
    response.set_signed_cookie(
        SEEN_COOKIE,
        value,
        salt=SEEN_SALT,
        max_age=max(seconds, 60),
        samesite="Lax",
        httponly=True,
        secure=request.is_secure(),
    )


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
    _count_visit(request, response, link=found, channel=channel)
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
        _count_visit(request, response, link=found.link, channel=Channel.EMAIL)
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
    from essaim.giving.selectors import giving_page_default, giving_page_for

    giving_page = giving_page_for(campaign=found)
    if giving_page is None and found.goal_kind in (GoalKind.DONORS, GoalKind.MONTHLY_DONORS):
        giving_page = giving_page_default()
    return render(
        request,
        "referrals/public/campaign.html",
        {"campaign": found, "p": progress, "giving_page": giving_page},
    )
