"""Stories and fixed pages: the public pages, and the staff pages under /redaction/.

Public pages go through :func:`essaim.blog.public.public_view` (language from the
address, page cache for anonymous visitors). Story pages are cached per day
(``daily=True``): a consent that ends at midnight takes its story down at once.
Staff pages need ``blog.write`` (communication staff and administrators).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from essaim.accounts.policies import require
from essaim.core.http import absolute_url
from essaim.core.selectors import organisation_get

from . import seo, site_pages, stories
from .models import (
    CallToAction,
    ConsentUse,
    Language,
    PublicationStatus,
    SitePageKind,
    Story,
    StoryConsent,
)
from .public import languages, public_absolute, public_reverse, public_view, request_language
from .story_forms import (
    ConsentForm,
    ConsentRenewForm,
    ConsentWithdrawForm,
    SitePageForm,
    StoryForm,
    UnpublishForm,
)
from .story_selectors import (
    consent_state,
    public_stories,
    public_story,
    staff_stories,
    story_blockers,
    story_cover_allowed,
    story_with_consents,
)

PUBLIC_PAGE_SIZE = 12
STAFF_PAGE_SIZE = 25


# --- Public pages ---------------------------------------------------------------------


def stories_deps(request: HttpRequest, *args: Any, **kwargs: Any) -> Iterable[str]:
    return ["stories"]


def site_deps(request: HttpRequest, *args: Any, **kwargs: Any) -> Iterable[str]:
    return []  # "site" is part of every page's key


def _stories_feeds() -> list[tuple[str, str, str]]:
    try:
        return [
            (_("Récits (RSS)"), public_absolute("stories_feed_rss"), "application/rss+xml"),
            (_("Récits (Atom)"), public_absolute("stories_feed_atom"), "application/atom+xml"),
        ]
    except NoReverseMatch:
        return []


def _crumbs(*items: tuple[str, str]) -> list[tuple[str, str]]:
    return [(_("Accueil"), public_reverse("home")), *items]


def _crumbs_ld(crumbs: list[tuple[str, str]]) -> dict[str, Any]:
    return seo.breadcrumbs([(label, absolute_url(path)) for label, path in crumbs])


def _with_page(url: str, number: int) -> str:
    return url if number <= 1 else f"{url}?page={number}"


def _page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        raise Http404(_("Cette page n'existe pas.")) from None
    if number < 1:
        raise Http404(_("Cette page n'existe pas."))
    return number


@public_view(stories_deps, daily=True)
@require_GET
def stories_index(request: HttpRequest) -> HttpResponse:
    """The published stories in the page's language, twelve a page."""
    language = request_language(request)
    org = organisation_get()
    paginator = Paginator(public_stories(language), PUBLIC_PAGE_SIZE)
    try:
        page = paginator.page(_page_number(request))
    except EmptyPage:
        raise Http404(_("Cette page n'existe pas.")) from None
    base_path = public_reverse("stories")
    heading = _("Récits")
    title = (
        heading
        if page.number == 1
        else _("%(title)s — page %(number)s") % {"title": heading, "number": page.number}
    )
    crumbs = _crumbs((heading, base_path))
    meta = seo.PageMeta(
        title=seo.page_title(title, org.display_name),
        description=_(
            "Les histoires de celles et ceux qui agissent avec %(name)s : ce qui s'est passé, "
            "ce qui a changé."
        )
        % {"name": org.display_name},
        canonical=absolute_url(_with_page(base_path, page.number)),
        alternates={
            code: _with_page(public_absolute("stories", lang=code), page.number)
            for code in languages()
        },
        feeds=_stories_feeds(),
        json_ld=[_crumbs_ld(crumbs)],
    )
    context = {
        "meta": meta,
        "public_nav": "stories",
        "page": page,
        "stories": page.object_list,
        "crumbs": crumbs,
        "heading": heading,
        "previous_url": _with_page(base_path, page.previous_page_number())
        if page.has_previous()
        else "",
        "next_url": _with_page(base_path, page.next_page_number()) if page.has_next() else "",
    }
    return render(request, "blog/stories.html", context)


def story_deps(request: HttpRequest, *args: Any, **kwargs: Any) -> Iterable[str]:
    return ["stories", "giving"]


@public_view(story_deps, daily=True)
@require_GET
def story_page(request: HttpRequest, slug: str) -> HttpResponse:
    """A public story; 404 unless published with every consent active and allowing the site."""
    language = request_language(request)
    story = public_story(slug, language)
    if story is None:
        raise Http404(_("Ce récit n'existe pas ou n'est plus publié."))
    return render(
        request,
        "blog/story.html",
        story_context(story, show_cover=getattr(story, "show_cover", False)),
    )


def _story_json_ld(story: Story, *, url: str, description: str, image: str) -> dict[str, Any]:
    org = organisation_get()
    modified = story.content_updated_at or story.published_at
    data: dict[str, Any] = {
        "@context": seo.SCHEMA,
        "@type": "Article",
        "headline": story.title[:110],
        "description": description,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "inLanguage": story.language,
        "about": story.subject,
        "author": {"@type": "Organization", "name": org.name, "url": seo.organisation_url()},
        "publisher": seo.publisher(org),
    }
    if image:
        data["image"] = [image]
    if story.published_at:
        data["datePublished"] = story.published_at.isoformat()
    if modified:
        data["dateModified"] = modified.isoformat()
    return data


def _call_to_action(story: Story) -> dict[str, Any] | None:
    """The call that closes the story: where it leads, or None when it cannot lead anywhere."""
    org = organisation_get()
    text = story.call_to_action_text
    if story.call_to_action == CallToAction.VOLUNTEER:
        return {
            "kind": "volunteer",
            "text": text or _("Vous aussi, rejoignez nos bénévoles."),
            "links": [
                (_("Voir nos prochaines actions"), public_reverse("home") + "#agir"),
                (_("Créer mon compte de bénévole"), reverse("account_signup")),
            ],
        }
    if story.call_to_action == CallToAction.GIVE:
        # The default giving page when one is online, else the institutional website.
        from essaim.giving.selectors import giving_page_default_exists

        if giving_page_default_exists():
            target = public_reverse("give", lang=story.language)
        elif org.website_url:
            target = org.website_url
        else:
            return None
        return {
            "kind": "give",
            "text": text or _("Soutenez notre action par un don."),
            "links": [(_("Faire un don"), target)],
        }
    return {"kind": "share", "text": text or _("Faites connaître cette histoire autour de vous.")}


def story_context(story: Story, *, show_cover: bool, preview: bool = False) -> dict[str, Any]:
    """Everything templates/blog/story.html shows (also used by the staff preview)."""
    from .images import image_url_for_social, social_image_size

    org = organisation_get()
    own_path = public_reverse("story", lang=story.language, kwargs={"slug": story.slug})
    own_url = absolute_url(own_path)
    canonical = story.canonical_url or own_url
    description = seo.truncate_description(
        story.meta_description or story.summary or story.situation_html
    )
    # A person who refused photos may be in any picture of the story: none is shown.
    picture = (story.social_image or story.cover) if show_cover else None
    image = image_url_for_social(picture)
    width, height = social_image_size(picture)
    crumbs = _crumbs(
        (_("Récits"), public_reverse("stories", lang=story.language)), (story.title, own_path)
    )
    meta = seo.PageMeta(
        title=story.seo_title or seo.page_title(story.title, org.display_name),
        description=description,
        canonical=canonical,
        image=image,
        image_alt=picture.alt_text if picture is not None and image else "",
        image_width=width if image else 0,
        image_height=height if image else 0,
        og_type="article",
        noindex=story.noindex or preview,
        published=story.published_at,
        modified=story.content_updated_at or story.published_at,
        feeds=_stories_feeds(),
        json_ld=[
            _story_json_ld(story, url=canonical, description=description, image=image),
            _crumbs_ld(crumbs),
        ],
    )
    return {
        "meta": meta,
        "public_nav": "stories",
        "story": story,
        "show_cover": show_cover and story.cover_id is not None,
        "crumbs": crumbs,
        "cta": _call_to_action(story),
        "share_url": canonical,
        "preview": preview,
    }


def _site_page(request: HttpRequest, kind: str) -> HttpResponse:
    language = request_language(request)
    org = organisation_get()
    text = site_pages.site_page_text(kind, language)
    url_name = site_pages.URL_NAMES[SitePageKind(kind)]
    own_path = public_reverse(url_name)
    page = text.page
    crumbs = _crumbs((text.title, own_path))
    meta = seo.PageMeta(
        title=(page.seo_title if page and page.seo_title else "")
        or seo.page_title(text.title, org.display_name),
        description=(page.meta_description if page and page.meta_description else "")
        or seo.truncate_description(text.html),
        canonical=absolute_url(own_path),
        alternates={code: public_absolute(url_name, lang=code) for code in languages()},
        noindex=bool(page and page.noindex),
        json_ld=[_crumbs_ld(crumbs)]
        + ([seo.organisation(org)] if kind == SitePageKind.ABOUT else []),
    )
    context = {"meta": meta, "public_nav": "", "text": text, "crumbs": crumbs}
    return render(request, "blog/site_page.html", context)


@public_view(site_deps)
@require_GET
def about(request: HttpRequest) -> HttpResponse:
    return _site_page(request, SitePageKind.ABOUT)


@public_view(site_deps)
@require_GET
def legal(request: HttpRequest) -> HttpResponse:
    return _site_page(request, SitePageKind.LEGAL)


@public_view(site_deps)
@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return _site_page(request, SitePageKind.PRIVACY)


# --- Staff pages: stories ----------------------------------------------------------------

STATUS_TABS = [("", _("Tous")), *PublicationStatus.choices]


def _story_or_404(story_id: int) -> Story:
    story = story_with_consents(story_id)
    if story is None:
        raise Http404(_("Ce récit n'existe pas."))
    return story


def _consent_or_404(consent_id: int) -> StoryConsent:
    return get_object_or_404(StoryConsent.objects.select_related("story"), pk=consent_id)


def _detail_url(story: Story | int) -> str:
    story_id = story if isinstance(story, int) else story.pk
    return reverse("site_admin:story_detail", kwargs={"story_id": story_id})


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require("blog.write")
@require_GET
def story_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("etat", "")
    if status not in PublicationStatus.values:
        status = ""
    paginator = Paginator(staff_stories(status or None), STAFF_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    counts = dict(
        Story.objects.order_by()
        .values_list("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )
    tabs = [
        (value, label, sum(counts.values()) if not value else counts.get(value, 0))
        for value, label in STATUS_TABS
    ]
    context = {
        "page": page,
        "tabs": tabs,
        "status": status,
        "params": urlencode({"etat": status}) if status else "",
        "active_nav": "writing",
    }
    return render(request, "blog/site_admin/story_list.html", context)


@require("blog.write")
@require_http_methods(["GET", "POST"])
def story_create(request: HttpRequest) -> HttpResponse:
    form = StoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.story_data()
        try:
            story = stories.story_create(
                actor=request.user, title=data.pop("title"), subject=data.pop("subject"), **data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Récit enregistré. Ajoutez maintenant le consentement de chaque personne."),
            )
            return redirect(_detail_url(story))
    return render(
        request,
        "blog/site_admin/story_form.html",
        {"form": form, "story": None, "active_nav": "writing"},
    )


@require("blog.write")
@require_http_methods(["GET", "POST"])
def story_edit(request: HttpRequest, story_id: int) -> HttpResponse:
    story = _story_or_404(story_id)
    form = StoryForm(request.POST or None, instance=story)
    if request.method == "POST" and form.is_valid():
        try:
            stories.story_update(actor=request.user, story=story, data=form.story_data())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Récit enregistré."))
            return redirect(_detail_url(story))
    return render(
        request,
        "blog/site_admin/story_form.html",
        {"form": form, "story": story, "active_nav": "writing"},
    )


@require("blog.write")
@require_GET
def story_detail(request: HttpRequest, story_id: int) -> HttpResponse:
    story = _story_or_404(story_id)
    consents = [(consent, consent_state(consent)) for consent in story.consents.all()]
    history = list(story.status_changes.select_related("actor").order_by("-created_at", "-id")[:20])
    blockers = story_blockers(story, ConsentUse.BLOG)
    context = {
        "story": story,
        "consents": consents,
        "blockers": blockers,
        "cover_allowed": story_cover_allowed(story),
        "history": history,
        "is_public": story.status == PublicationStatus.PUBLISHED and not blockers,
        "public_url": public_reverse("story", lang=story.language, kwargs={"slug": story.slug}),
        "unpublish_form": UnpublishForm(),
        "active_nav": "writing",
    }
    return render(request, "blog/site_admin/story_detail.html", context)


@require("blog.write")
@require_POST
def story_publish(request: HttpRequest, story_id: int) -> HttpResponse:
    story = _story_or_404(story_id)
    try:
        stories.story_publish(actor=request.user, story=story)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Récit publié : il est en ligne."))
    return redirect(_detail_url(story))


@require("blog.write")
@require_http_methods(["GET", "POST"])
def story_unpublish(request: HttpRequest, story_id: int) -> HttpResponse:
    story = _story_or_404(story_id)
    form = UnpublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            stories.story_unpublish(
                actor=request.user, story=story, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Récit retiré du site."))
            return redirect(_detail_url(story))
    return render(
        request,
        "blog/site_admin/story_unpublish.html",
        {"form": form, "story": story, "active_nav": "writing"},
    )


@require("blog.write")
@require_GET
def story_preview(request: HttpRequest, story_id: int) -> HttpResponse:
    story = _story_or_404(story_id)
    context = story_context(story, show_cover=story_cover_allowed(story), preview=True)
    response = render(request, "blog/story.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Staff pages: consents ---------------------------------------------------------------


@require("blog.write")
@require_http_methods(["GET", "POST"])
def consent_add(request: HttpRequest, story_id: int) -> HttpResponse:
    story = _story_or_404(story_id)
    form = ConsentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stories.consent_record(
                actor=request.user,
                story=story,
                featured_name=data["featured_name"],
                person=form.person,
                given_by=data["given_by"],
                given_on=data["given_on"],
                uses=data["uses"],
                valid_until=data["valid_until"],
                image_rights=data["image_rights"],
                document=data["document"],
                notes=data["notes"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Consentement enregistré."))
            fresh = _story_or_404(story.pk)
            if fresh.status == PublicationStatus.PUBLISHED and story_blockers(fresh):
                messages.warning(
                    request,
                    _(
                        "Attention : avec ce consentement, le récit publié n'est plus visible "
                        "sur le site."
                    ),
                )
            return redirect(_detail_url(story))
    return render(
        request,
        "blog/site_admin/consent_form.html",
        {"form": form, "story": story, "active_nav": "writing"},
    )


@require("blog.write")
@require_http_methods(["GET", "POST"])
def consent_renew(request: HttpRequest, consent_id: int) -> HttpResponse:
    consent = _consent_or_404(consent_id)
    form = ConsentRenewForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stories.consent_renew(
                actor=request.user,
                consent=consent,
                given_on=data["given_on"],
                valid_until=data["valid_until"],
                document=data["document"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Consentement renouvelé."))
            return redirect(_detail_url(consent.story_id))
    return render(
        request,
        "blog/site_admin/consent_renew.html",
        {"form": form, "consent": consent, "story": consent.story, "active_nav": "writing"},
    )


@require("blog.write")
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, consent_id: int) -> HttpResponse:
    consent = _consent_or_404(consent_id)
    form = ConsentWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            stories.consent_withdraw(
                actor=request.user, consent=consent, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Consentement retiré. Le récit n'est plus visible nulle part ; "
                    "l'équipe communication est prévenue."
                ),
            )
            return redirect(_detail_url(consent.story_id))
    return render(
        request,
        "blog/site_admin/consent_withdraw.html",
        {"form": form, "consent": consent, "story": consent.story, "active_nav": "writing"},
    )


@require("blog.write")
@require_GET
def consent_document(request: HttpRequest, consent_id: int) -> HttpResponse:
    consent = _consent_or_404(consent_id)
    if not consent.document:
        raise Http404(_("Aucun formulaire signé n'est joint à ce consentement."))
    extension = consent.document.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(
        consent.document.open("rb"),
        content_type=stories.document_content_type(consent),
        as_attachment=True,
        filename=f"consentement-{consent.pk}.{extension}",
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return cast(HttpResponse, response)


# --- Staff pages: fixed pages ------------------------------------------------------------


@require("blog.write")
@require_GET
def page_list(request: HttpRequest) -> HttpResponse:
    rows = site_pages.site_pages_overview()
    for row in rows:
        row["public_url"] = public_reverse(row["url_name"], lang=row["language"])
    return render(
        request, "blog/site_admin/page_list.html", {"rows": rows, "active_nav": "writing"}
    )


def _page_kind(kind: str, language: str) -> tuple[str, str]:
    if kind not in SitePageKind.values or language not in Language.values:
        raise Http404(_("Cette page n'existe pas."))
    return kind, language


@require("blog.write")
@require_http_methods(["GET", "POST"])
def page_edit(request: HttpRequest, kind: str, language: str) -> HttpResponse:
    kind, language = _page_kind(kind, language)
    current = site_pages.site_page_text(kind, language)
    page = current.page
    if page is not None:
        initial = {
            "title": page.title,
            "body": page.body,
            "seo_title": page.seo_title,
            "meta_description": page.meta_description,
            "noindex": page.noindex,
        }
    else:
        from django.utils.translation import override

        with override(language):
            initial = {
                "title": site_pages.default_title(kind),
                "body": site_pages.default_markdown(kind),
            }
    form = SitePageForm(request.POST or None, initial=initial)
    preview_html = ""
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview_html = site_pages.render_page(form.cleaned_data["body"])
        else:
            try:
                site_pages.site_page_save(
                    actor=request.user, kind=kind, language=language, **form.cleaned_data
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Page enregistrée : elle est en ligne."))
                return redirect("site_admin:page_list")
    context = {
        "form": form,
        "kind": kind,
        "kind_label": SitePageKind(kind).label,
        "language": language,
        "language_label": Language(language).label,
        "written": current.written,
        "preview_html": preview_html,
        "public_url": public_reverse(site_pages.URL_NAMES[SitePageKind(kind)], lang=language),
        "active_nav": "writing",
    }
    return render(request, "blog/site_admin/page_edit.html", context)


@require("blog.write")
@require_POST
def page_reset(request: HttpRequest, kind: str, language: str) -> HttpResponse:
    kind, language = _page_kind(kind, language)
    if site_pages.site_page_reset(actor=request.user, kind=kind, language=language):
        messages.success(request, _("Le texte proposé par Essaim est de nouveau en ligne."))
    return redirect("site_admin:page_list")
