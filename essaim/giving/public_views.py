"""Public giving pages and the thank-you page (the public site, French and English).

These pages carry a form with a CSRF token, or a donor's name: they are never served
from the page cache. Their language comes from their address, as every public page's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from essaim.blog import seo
from essaim.blog.public import languages, public_absolute, public_reverse, request_language
from essaim.core.markdown import render_markdown
from essaim.core.money import format_euros
from essaim.core.selectors import organisation_get
from essaim.referrals.links import attribution_from_request

from . import donor_links, providers, selectors, services
from .forms import GiftForm, amount_cards, page_frequencies, tax_sentence
from .inputs import GiftSource
from .journey import journey_from_request
from .models import Donation, DonationStatus, Frequency, GivingPage
from .tax import tax_reduction

FREQUENCY_PARAM = "rythme"


def in_page_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render a public page that is never cached in its address's language."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = request_language(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        return response

    return wrapper


def _page_path(page: GivingPage) -> str:
    if page.is_default:
        return public_reverse("give")
    return public_reverse("give_page", kwargs={"slug": page.slug})


def _page_alternates(page: GivingPage) -> dict[str, str]:
    if page.is_default:
        return {code: public_absolute("give", lang=code) for code in languages()}
    return {
        code: public_absolute("give_page", lang=code, kwargs={"slug": page.slug})
        for code in languages()
    }


def _progress(page: GivingPage) -> dict[str, Any] | None:
    if not page.goal_cents:
        return None
    raised = selectors.giving_page_raised_cents(page)
    return {
        "raised": format_euros(raised),
        "goal": format_euros(page.goal_cents),
        "percent": min(100, raised * 100 // page.goal_cents),
        "raised_cents": raised,
    }


def _thanks_template(language: str) -> str:
    # The provider sends the donor back here; the code is known only once the gift exists.
    return reverse(
        f"{'blog_en' if language == 'en' else 'blog'}:give_thanks", kwargs={"code": "CODE"}
    )


@never_cache
@in_page_language
@require_http_methods(["GET", "POST"])
def give(request: HttpRequest) -> HttpResponse:
    """The default giving page."""
    page = selectors.giving_page_default()
    if page is None:
        # "Soutenir l'association" leads here: without a giving page, to the institutional site.
        website = organisation_get().website_url
        if website:
            return HttpResponseRedirect(website)
        raise Http404(_("Aucune page de don n'est en ligne."))
    return _give(request, page)


@never_cache
@in_page_language
@require_http_methods(["GET", "POST"])
def give_page(request: HttpRequest, slug: str) -> HttpResponse:
    """A giving page by its address (a campaign's, an action's)."""
    page = selectors.giving_page_public(slug)
    if page is None:
        raise Http404(_("Cette page de don n'existe pas ou n'est plus en ligne."))
    return _give(request, page)


def _give(request: HttpRequest, page: GivingPage) -> HttpResponse:
    org = organisation_get()
    offered = page_frequencies(page)
    if not offered:
        raise Http404(_("Cette page de don n'accepte plus de dons."))
    asked = (
        request.POST.get("frequency")
        if request.method == "POST"
        else request.GET.get(FREQUENCY_PARAM)
    )
    frequency = asked if asked in offered else offered[0]
    choices = [(p.name, str(p.label)) for p in providers.available(frequency)]
    cards = amount_cards(list(page.amounts.all()), frequency, org)
    form_kwargs: dict[str, Any] = {
        "page": page,
        "frequency": frequency,
        "cards": cards,
        "providers": choices,
    }
    if request.method == "POST":
        form = GiftForm(request.POST, **form_kwargs)
        if form.is_valid():
            response = _start(request, page, form)
            if response is not None:
                return response
    else:
        form = GiftForm(initial=_known_donor(request), **form_kwargs)
    return render(request, "giving/public/give.html", _give_context(request, page, form))


def _known_donor(request: HttpRequest) -> dict[str, str]:
    """The signed-in person's name, e-mail and address, to fill the form in for them."""
    if not request.user.is_authenticated:
        return {}
    from essaim.people.models import Person

    person = Person.objects.filter(user=request.user, erased_at__isnull=True).first()
    if person is None:
        return {}
    names = ("given_name", "family_name", "email", "address_line1", "address_line2")
    return {name: getattr(person, name) for name in (*names, "postal_code", "city")}


def _start(request: HttpRequest, page: GivingPage, form: GiftForm) -> HttpResponse | None:
    """Start the gift and send the donor to pay; None (errors on the form) when it cannot."""
    data = form.cleaned_data
    excuse_id, rebuttal_id = journey_from_request(request)
    source = GiftSource(
        page=page,
        campaign=page.campaign,
        attribution=attribution_from_request(request),
        excuse_id=excuse_id,
        rebuttal_id=rebuttal_id,
    )
    language = request_language(request)
    thanks = _thanks_template(language)
    try:
        start = services.donation_start(
            donor=form.donor(),
            amount_cents=data["amount_cents"],
            frequency=data["frequency"],
            provider=data["provider"],
            idempotency_key=data["key"],
            source=source,
            wants_receipt=bool(data.get("wants_receipt")),
            consent_news=bool(data.get("consent_news")),
            user=request.user if request.user.is_authenticated else None,
            return_url=request.build_absolute_uri(thanks).replace("CODE", "{code}"),
            cancel_url=request.build_absolute_uri(_page_path(page)),
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return None
    except providers.ProviderUnavailable:
        form.add_error(
            None,
            _(
                "Le service de paiement ne répond pas, réessayez dans quelques minutes ; aucun "
                "don n'a été enregistré deux fois."
            ),
        )
        return None
    response = HttpResponseRedirect(start.redirect_url)
    response.status_code = 303
    return response


def _give_context(request: HttpRequest, page: GivingPage, form: GiftForm) -> dict[str, Any]:
    language = request_language(request)
    org = organisation_get()
    path = _page_path(page)
    offered = page_frequencies(page)
    frequency = form.chosen_frequency
    tabs = [
        {
            "value": value,
            "label": Frequency(value).label,
            "url": f"{path}?{FREQUENCY_PARAM}={value}",
            "current": value == frequency,
        }
        for value in offered
    ]
    story = selectors.giving_page_story(page, language=language)
    description = _("Faites un don à %(name)s : %(title)s.") % {
        "name": org.display_name,
        "title": page.title,
    }
    meta = seo.PageMeta(
        title=seo.page_title(page.title, org.display_name),
        description=description,
        canonical=public_absolute("give_page", kwargs={"slug": page.slug})
        if not page.is_default
        else public_absolute("give"),
        alternates=_page_alternates(page),
    )
    example = tax_sentence(10000, org)
    return {
        "meta": meta,
        "public_nav": "give",
        "page": page,
        "intro": render_markdown(page.intro) if page.intro else "",
        "form": form,
        "cards": form.cards,
        "tabs": tabs if len(tabs) > 1 else [],
        "frequency": frequency,
        "monthly": frequency == Frequency.MONTHLY,
        "progress": _progress(page),
        "story": story,
        "tax_example": example,
        "is_aid": org.tax_reduction_rate == 75,
        "aid_ceiling_cents": org.aid_ceiling_cents,
        "tax_template": _free_tax_template(org, monthly=frequency == Frequency.MONTHLY),
        "privacy_url": _privacy_url(),
        "minimum": format_euros(page.minimum_cents),
        "action_path": path,
    }


def _free_tax_template(org: Any, *, monthly: bool) -> str:
    """The tax line with AMOUNT and COST left for the page's script to fill in."""
    return (
        tax_sentence(100, org, monthly=monthly)
        .replace("1\u00a0€", "AMOUNT", 1)
        .replace(format_euros(tax_reduction(100, org).cost_cents), "COST", 1)
    )


def _privacy_url() -> str:
    try:
        return public_reverse("privacy")
    except NoReverseMatch:
        return ""


@never_cache
@in_page_language
@require_GET
def give_thanks(request: HttpRequest, code: str) -> HttpResponse:
    """Where the provider sends the donor back: thanks, or waiting, or try again."""
    donation = selectors.donation_public(code)
    if donation is None:
        raise Http404(_("Ce don n'existe pas."))
    org = organisation_get()
    page = donation.page
    receipt = (
        selectors.donation_issued_receipt(donation)
        if donation.status == DonationStatus.PAID
        else None
    )
    meta = seo.PageMeta(
        title=seo.page_title(_("Merci pour votre don"), org.display_name),
        description=_("Votre don à %(name)s.") % {"name": org.display_name},
        canonical=request.build_absolute_uri(request.path),
        noindex=True,
    )
    context = {
        "meta": meta,
        "public_nav": "give",
        "donation": donation,
        "page": page,
        "amount": format_euros(donation.amount_cents),
        "monthly": donation.frequency == Frequency.MONTHLY,
        "tax_line": tax_sentence(
            donation.amount_cents, org, monthly=donation.frequency == Frequency.MONTHLY
        ),
        "thank_you": render_markdown(page.thank_you_text) if page and page.thank_you_text else "",
        "receipt_url": _receipt_url(receipt.code) if receipt is not None else "",
        "share_url": _share_url(request, donation),
        "manage_url": donor_links.recurring_manage_url(donation.recurring)
        if donation.recurring is not None and donation.status == DonationStatus.PAID
        else "",
        "volunteer_url": _volunteer_url(),
        "retry_url": _page_path(page) if page is not None and page.is_active else _default_path(),
        "is_paid": donation.status == DonationStatus.PAID,
        "is_pending": donation.status == DonationStatus.PENDING,
        "is_failed": donation.status == DonationStatus.FAILED,
    }
    return render(request, "giving/public/thanks.html", context)


def _receipt_url(code: str) -> str:
    try:
        return reverse("receipts:pdf", kwargs={"code": code})
    except NoReverseMatch:
        return ""


def _default_path() -> str:
    return public_reverse("give") if selectors.giving_page_default() is not None else ""


def _volunteer_url() -> str:
    """Where a donor who wants to give time too goes: the public actions on the home page."""
    return public_reverse("home") + "#agir"


def _share_url(request: HttpRequest, donation: Donation) -> str:
    """The donor's own give link to share, when they have an account; '' otherwise."""
    user = request.user
    person = donation.person
    if not user.is_authenticated or person.user_id != user.pk:
        return ""
    try:
        from essaim.referrals.links import link_get_or_create
        from essaim.referrals.models import LinkGoal

        link = link_get_or_create(owner=person, goal=LinkGoal.GIVE)
        return request.build_absolute_uri(reverse("capillarity:link", kwargs={"code": link.code}))
    except (NoReverseMatch, ValidationError, ValueError):
        return ""
