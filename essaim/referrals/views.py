"""Member and staff pages of capillarity under /parrainage/: links, invitations, campaigns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from essaim.accounts.policies import can, require
from essaim.actions.models import Action, Mission
from essaim.actions.policies import get_action_for_user
from essaim.people.models import Person
from essaim.people.services import person_ensure_for_user

from . import campaigns as campaign_services
from . import invitations as invitation_services
from .forms import CampaignForm, InvitationForm, ShareTextsForm
from .links import OFFERED_GOALS, link_get_or_create, share_texts_update
from .links import link_renew as renew
from .models import Campaign, Channel, LinkGoal, ReferralLink
from .qr import qr_png, qr_svg
from .selectors import (
    ShareOption,
    actions_offered,
    campaigns_all,
    campaigns_progress,
    campaigns_running,
    invitations_left_today,
    invitations_of,
    link_arrivals,
    link_url,
    link_visits,
    missions_of,
    person_links,
    share_options,
    share_texts_for,
)

INVITATIONS_PER_PAGE = 25
CAMPAIGNS_PER_PAGE = 25


def _person(request: HttpRequest) -> Person:
    return person_ensure_for_user(user=request.user)  # type: ignore[arg-type]


@dataclass
class LinkCard:
    link: ReferralLink
    title: str
    url: str
    qr: str
    shares: list[ShareOption]
    visits: int
    arrivals: int


def _title(link: ReferralLink) -> str:
    if link.mission_id:
        mission = link.mission
        assert mission is not None
        return _("Bénévolat : %(role)s (%(action)s)") % {
            "role": mission.role,
            "action": mission.action.title,
        }
    if link.action_id:
        assert link.action is not None
        return _("Bénévolat : %(action)s") % {"action": link.action.title}
    return str(LinkGoal(link.goal).label)


def _cards(person: Person, links: list[ReferralLink]) -> list[LinkCard]:
    texts = share_texts_for(sorted({link.goal for link in links}))
    visits, arrivals = link_visits(links), link_arrivals(links)
    first_name = person.given_name
    return [
        LinkCard(
            link=link,
            title=_title(link),
            url=link_url(link),
            qr=qr_svg(link_url(link, Channel.QR), title=_("QR code du lien : %s") % _title(link)),
            shares=share_options(link=link, texts=texts, first_name=first_name),
            visits=visits.get(link.pk, 0),
            arrivals=arrivals.get(link.pk, 0),
        )
        for link in links
    ]


@login_required
@require_GET
def links(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    running = campaigns_running()
    campaign: Campaign | None = None
    if request.GET.get("campagne"):
        campaign = next((c for c in running if c.slug == request.GET["campagne"]), None)
        if campaign is None:
            raise Http404
    action: Action | None = None
    if request.GET.get("action"):
        action = get_action_for_user(request.user, request.GET["action"][:200])
    chosen = [
        link_get_or_create(owner=person, goal=goal, campaign=campaign) for goal in OFFERED_GOALS
    ]
    mission_links: list[ReferralLink] = []
    if action is not None:
        chosen.append(
            link_get_or_create(
                owner=person, goal=LinkGoal.VOLUNTEER, action=action, campaign=campaign
            )
        )
        missions: list[Mission] = missions_of(action)
        existing = {
            link.mission_id: link
            for link in ReferralLink.objects.filter(
                owner=person, goal=LinkGoal.VOLUNTEER, mission__in=missions, campaign=campaign
            )
        }
        # One query for the links that exist; only a mission seen for the first time adds one.
        mission_links = [
            existing.get(mission.pk)
            or link_get_or_create(
                owner=person, goal=LinkGoal.VOLUNTEER, mission=mission, campaign=campaign
            )
            for mission in missions
        ]
    wanted = {link.pk for link in chosen + mission_links}
    # Read back once with what each link points to (titles without a query per link).
    all_links = [link for link in person_links(person) if link.pk in wanted]
    order = {link.pk: index for index, link in enumerate(chosen + mission_links)}
    all_links.sort(key=lambda link: order[link.pk])
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx and not htmx.history_restore_request)
    response = render(
        request,
        "referrals/_link_cards.html" if partial else "referrals/links.html",
        {
            "cards": _cards(person, all_links),
            "campaigns": running,
            "campaign": campaign,
            "progress": campaigns_progress(running),
            "actions": actions_offered(request.user),
            "action": action,
            "can_edit_texts": can(request.user, "share_texts.edit"),
            "can_manage_campaigns": can(request.user, "campaigns.manage"),
        },
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def qr(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    person = _person(request)
    link = ReferralLink.objects.filter(code=code[:16], owner=person).first()
    if link is None or fmt not in ("svg", "png"):
        raise Http404
    url = link_url(link, Channel.QR)
    filename = f"lien-{link.goal}-{link.code}.{fmt}"
    if fmt == "png":
        response = HttpResponse(qr_png(url), content_type="image/png")
    else:
        svg = qr_svg(url, title=_("QR code du lien : %s") % _title(link), scale=10, inline=False)
        response = HttpResponse(
            '<?xml version="1.0" encoding="utf-8"?>\n' + svg, content_type="image/svg+xml"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def link_renew(request: HttpRequest, code: str) -> HttpResponse:
    person = _person(request)
    link = ReferralLink.objects.filter(code=code[:16], owner=person).first()
    if link is None:
        raise Http404
    renew(owner=person, link=link)
    messages.success(
        request,
        _("Nouveau lien créé : l'ancienne adresse et son QR code ne fonctionnent plus."),
    )
    query = request.POST.get("retour", "")
    url = reverse("referrals:links")
    return redirect(f"{url}?{query}" if query and query.isascii() and "//" not in query else url)


@login_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    running = campaigns_running()
    form = InvitationForm(request.POST or None, request.FILES or None, campaigns=running)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = invitation_services.invitations_create(
                    inviter=person,
                    addresses=form.cleaned_data["valid_addresses"],
                    message=form.cleaned_data["message"],
                    campaign=form.cleaned_data.get("campaign"),
                )
            except ValidationError as error:
                for text in error.messages:
                    form.add_error(None, text)
            else:
                for line in result.summary():
                    messages.success(request, line)
                return redirect("referrals:invitations")
        status = 400
    return render(
        request,
        "referrals/invite.html",
        {"form": form, "left": invitations_left_today(person)},
        status=status,
    )


@login_required
@require_GET
def invitations(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    page = Paginator(invitations_of(person), INVITATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "referrals/invitations.html",
        {"page": page, "left": invitations_left_today(person)},
    )


@require("share_texts.edit")
@require_http_methods(["GET", "POST"])
def share_texts(request: HttpRequest) -> HttpResponse:
    texts = share_texts_for(list(OFFERED_GOALS))
    form = ShareTextsForm(request.POST or None, texts=texts)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = share_texts_update(actor=request.user, texts=form.texts())
            except ValidationError as error:
                for text in error.messages:
                    form.add_error(None, text)
            else:
                messages.success(
                    request,
                    _("Textes de partage enregistrés.")
                    if changed
                    else _("Aucun texte n'a changé."),
                )
                return redirect("referrals:share_texts")
        status = 400
    return render(request, "referrals/share_texts.html", {"form": form}, status=status)


@require("campaigns.manage")
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(campaigns_all(), CAMPAIGNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "referrals/campaigns.html",
        {"page": page, "progress": campaigns_progress(list(page.object_list))},
    )


def _campaign_form(
    request: HttpRequest, campaign: Campaign | None
) -> tuple[CampaignForm, Campaign | None, int]:
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method != "POST":
        return form, None, 200
    if form.is_valid():
        try:
            if campaign is None:
                saved = campaign_services.campaign_create(
                    actor=request.user, data=form.cleaned_data
                )
            else:
                saved = campaign_services.campaign_update(
                    actor=request.user, campaign=campaign, data=form.cleaned_data
                )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return form, saved, 200
    return form, None, 400


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for text in errors:
                form.add_error(field if field in form.fields else None, text)
    else:
        for text in error.messages:
            form.add_error(None, text)


@require("campaigns.manage")
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    form, saved, status = _campaign_form(request, None)
    if saved is not None:
        messages.success(request, _("Campagne créée."))
        return redirect("referrals:campaigns")
    return render(
        request, "referrals/campaign_form.html", {"form": form, "campaign": None}, status=status
    )


@require("campaigns.manage")
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    form, saved, status = _campaign_form(request, campaign)
    if saved is not None:
        messages.success(request, _("Campagne enregistrée."))
        return redirect("referrals:campaigns")
    return render(
        request,
        "referrals/campaign_form.html",
        {"form": form, "campaign": campaign},
        status=status,
    )
