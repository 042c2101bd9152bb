"""Staff pages of the blog: dashboard, writing, preview, images, categories, versions.

Every page needs ``blog.write`` (communication and administrators). Writes go through
:mod:`essaim.blog.services`; a refused change re-renders its form with the reason.
"""

from __future__ import annotations

import difflib
import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from essaim.accounts.policies import require

from . import services
from .forms import (
    ArticleForm,
    CategoryForm,
    ImageEditForm,
    ImageUploadForm,
    PreviewForm,
    ScheduleForm,
    UnpublishForm,
)
from .markdown import render_article_markdown
from .models import Article, ArticleRevision, BlogImage, Category, PublicationStatus
from .public import public_reverse

ARTICLES_PER_PAGE = 30
STATUS_TABS = (
    (PublicationStatus.DRAFT, gettext_lazy("Brouillons")),
    (PublicationStatus.SCHEDULED, gettext_lazy("Programmés")),
    (PublicationStatus.PUBLISHED, gettext_lazy("Publiés")),
    (PublicationStatus.UNPUBLISHED, gettext_lazy("Dépubliés")),
)
IMAGES_PER_PAGE = 24
REVISIONS_PER_PAGE = 30
WRITE = "blog.write"
# Revision fields shown in the comparison, with their labels.
COMPARED_TEXT_FIELDS = (
    ("title", gettext_lazy("Titre")),
    ("slug", gettext_lazy("Adresse")),
    ("summary", gettext_lazy("Résumé")),
    ("body", gettext_lazy("Texte")),
    ("seo_title", gettext_lazy("Titre pour les moteurs de recherche")),
    ("meta_description", gettext_lazy("Description pour les moteurs de recherche")),
)


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, template, {"active_nav": "writing", **context}, status=status)


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            target = field if field in form.fields else None
            for text in errors:
                form.add_error(target, text)
    else:
        for text in error.messages:
            form.add_error(None, text)


def _article(pk: int) -> Article:
    return get_object_or_404(
        Article.objects.select_related("category", "cover", "social_image", "translation_of"),
        pk=pk,
    )


# --- Dashboard -----------------------------------------------------------------------------


def dashboard_articles(*, status: str, query: str) -> QuerySet[Article]:
    """Articles of the dashboard, newest change first, with what the list shows."""
    articles = Article.objects.select_related("category").order_by("-updated_at", "-id")
    if status:
        articles = articles.filter(status=status)
    if query:
        articles = articles.filter(title__icontains=query)
    return articles


@require(WRITE)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("etat", "")
    if status not in PublicationStatus.values:
        status = ""
    query = " ".join(request.GET.get("q", "").split())[:100]
    page = Paginator(dashboard_articles(status=status, query=query), ARTICLES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    counts = dict(
        Article.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    tabs = [("", _("Tous"), sum(counts.values()))] + [
        (value, label, counts.get(value, 0)) for value, label in STATUS_TABS
    ]
    context = {
        "page": page,
        "status": status,
        "query": query,
        "params": urlencode({k: v for k, v in (("etat", status), ("q", query)) if v}),
        "tabs": tabs,
    }
    return _page(request, "blog/writing/dashboard.html", context)


# --- Writing -------------------------------------------------------------------------------


def markdown_snippet(image: BlogImage) -> str:
    """The Markdown that shows an image, its text alternative between the brackets."""
    alt = " ".join(image.alt_text.replace("[", "(").replace("]", ")").split())
    return f"![{alt}]({image.file.url})"


def _with_snippets(images: Any) -> list[BlogImage]:
    images = list(images)
    for image in images:
        image.markdown = markdown_snippet(image)  # type: ignore[attr-defined]
    return images


def _editor(
    request: HttpRequest,
    form: ArticleForm,
    article: Article | None,
    *,
    preview_html: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "article": article,
        "preview_html": preview_html,
        # The latest pictures, ready to paste into the text.
        "recent_images": _with_snippets(BlogImage.objects.order_by("-created_at", "-id")[:8]),
    }
    if article is not None:
        context.update(
            schedule_form=ScheduleForm(
                initial={"publish_at": timezone.localtime(article.publish_at)}
                if article.publish_at
                else None
            ),
            unpublish_form=UnpublishForm(),
            history=list(article.status_changes.select_related("actor")[:5]),
            can_publish=PublicationStatus.PUBLISHED in _next_statuses(article),
            can_schedule=article.status != PublicationStatus.PUBLISHED,
            can_unpublish=article.status == PublicationStatus.PUBLISHED,
            can_draft=PublicationStatus.DRAFT in _next_statuses(article),
            public_url=_public_url(article),
        )
    return _page(request, "blog/writing/article_form.html", context, status=status)


def _next_statuses(article: Article) -> frozenset[str]:
    from .models import PUBLICATION_TRANSITIONS

    return PUBLICATION_TRANSITIONS[article.status]


def _public_url(article: Article) -> str:
    if article.status != PublicationStatus.PUBLISHED:
        return ""
    return public_reverse("article", lang=article.language, kwargs={"slug": article.slug})


def _preview_of(form: ArticleForm) -> str:
    body = form.data.get("body", "")
    try:
        from .markdown import check_article_markdown

        check_article_markdown(body)
    except ValidationError:
        return ""
    return str(render_article_markdown(body))


@require(WRITE)
@require_http_methods(["GET", "POST"])
def article_create(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _editor(request, ArticleForm(initial={"language": "fr"}), None)
    form = ArticleForm(request.POST)
    if "preview" in request.POST:
        form.is_valid()
        return _editor(request, form, None, preview_html=_preview_of(form))
    if form.is_valid():
        try:
            article = services.article_create(actor=request.user, data=form.service_data())  # type: ignore[arg-type]
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Brouillon enregistré."))
            return redirect("writing:article_edit", pk=article.pk)
    return _editor(request, form, None, status=400)


@require(WRITE)
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(pk)
    if request.method == "GET":
        initial = {
            **ArticleForm.initial_for(article),
            "base_revision": services.latest_revision_id(article),
        }
        return _editor(request, ArticleForm(initial=initial, article=article), article)
    form = ArticleForm(request.POST, article=article)
    if "preview" in request.POST:
        form.is_valid()
        return _editor(request, form, article, preview_html=_preview_of(form))
    if form.is_valid():
        try:
            services.article_update(
                actor=request.user,  # type: ignore[arg-type]
                article=article,
                data=form.service_data(),
                base_revision=form.cleaned_data.get("base_revision"),
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "conflict":
                # Saving again keeps this writer's text over the other version.
                data = request.POST.copy()
                data["base_revision"] = str(services.latest_revision_id(article) or "")
                form.data = data
            _add_errors(form, error)
        else:
            messages.success(request, _("Modifications enregistrées."))
            return redirect("writing:article_edit", pk=article.pk)
    return _editor(request, form, article, status=400)


@require(WRITE)
@require_POST
def markdown_preview(request: HttpRequest) -> HttpResponse:
    """The live preview of the text being written (an htmx fragment)."""
    form = PreviewForm(request.POST)
    html, errors = "", []
    if form.is_valid():
        body = form.cleaned_data["body"]
        try:
            from .markdown import check_article_markdown

            check_article_markdown(body)
        except ValidationError as error:
            errors = error.messages
        html = str(render_article_markdown(body))
    else:
        errors = [_("Le texte est trop long pour être prévisualisé.")]
    response = render(
        request, "blog/writing/_preview.html", {"preview_html": html, "preview_errors": errors}
    )
    add_never_cache_headers(response)
    return response


@require(WRITE)
@require_GET
def article_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The article page as the public would see it, with a 'not published' banner."""
    from .site_views import article_context

    article = _article(pk)
    with translation.override(article.language):
        context = article_context(article, preview=True)
        response = render(request, "blog/article.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response


def _lifecycle_done(request: HttpRequest, article: Article, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("writing:article_edit", pk=article.pk)


def _refused(request: HttpRequest, article: Article, error: ValidationError) -> HttpResponse:
    for text in error.messages:
        messages.error(request, text)
    return redirect("writing:article_edit", pk=article.pk)


@require(WRITE)
@require_POST
def article_publish(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(pk)
    try:
        services.article_publish(actor=request.user, article=article)  # type: ignore[arg-type]
    except ValidationError as error:
        return _refused(request, article, error)
    return _lifecycle_done(request, article, _("L'article est publié."))


@require(WRITE)
@require_POST
def article_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(pk)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return _refused(request, article, ValidationError(list(form.errors["publish_at"])))
    try:
        services.article_schedule(
            actor=request.user,  # type: ignore[arg-type]
            article=article,
            publish_at=form.cleaned_data["publish_at"],
        )
    except ValidationError as error:
        return _refused(request, article, error)
    when = timezone.localtime(form.cleaned_data["publish_at"])
    return _lifecycle_done(
        request,
        article,
        _("L'article sera publié le %(day)s à %(time)s.")
        % {"day": when.strftime("%d/%m/%Y"), "time": when.strftime("%H:%M")},
    )


@require(WRITE)
@require_http_methods(["GET", "POST"])
def article_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(pk)
    form = UnpublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.article_unpublish(
                actor=request.user,  # type: ignore[arg-type]
                article=article,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return _lifecycle_done(request, article, _("L'article est retiré du site."))
    status = 400 if request.method == "POST" else 200
    return _page(
        request, "blog/writing/unpublish.html", {"article": article, "form": form}, status=status
    )


@require(WRITE)
@require_POST
def article_return_to_draft(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(pk)
    try:
        services.article_return_to_draft(actor=request.user, article=article)  # type: ignore[arg-type]
    except ValidationError as error:
        return _refused(request, article, error)
    return _lifecycle_done(request, article, _("L'article est revenu à l'état de brouillon."))


# --- Revisions -----------------------------------------------------------------------------


def _diff_rows(old: str, new: str) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        code, text = line[:2], line[2:]
        if code == "+ ":
            rows.append(("added", text))
        elif code == "- ":
            rows.append(("removed", text))
        elif code == "  ":
            rows.append(("same", text))
    return rows


@require(WRITE)
@require_GET
def article_revisions(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(pk)
    revisions = article.revisions.select_related("author__person").order_by("-created_at", "-id")
    page = Paginator(revisions, REVISIONS_PER_PAGE).get_page(request.GET.get("page"))
    return _page(request, "blog/writing/revisions.html", {"article": article, "page": page})


@require(WRITE)
@require_GET
def revision_detail(request: HttpRequest, pk: int, revision_id: int) -> HttpResponse:
    article = _article(pk)
    revision = get_object_or_404(
        ArticleRevision.objects.select_related("author__person"), pk=revision_id, article=article
    )
    current = services.article_snapshot(article)
    comparisons = []
    for field, label in COMPARED_TEXT_FIELDS:
        # From the current text to the revision: what restoring it would change.
        old, new = str(current.get(field) or ""), str(revision.data.get(field) or "")
        comparisons.append(
            {
                "label": label,
                "changed": old != new,
                "rows": _diff_rows(old, new) if old != new else [],
            }
        )
    other_changes = [
        key
        for key in (
            "category",
            "tags",
            "cover",
            "language",
            "translation_of",
            "social_image",
            "noindex",
            "canonical_url",
            "author_name",
        )
        if json.dumps(revision.data.get(key), sort_keys=True)
        != json.dumps(current.get(key), sort_keys=True)
    ]
    labels = {
        "category": _("catégorie"),
        "tags": _("étiquettes"),
        "cover": _("image de couverture"),
        "language": _("langue"),
        "translation_of": _("traduction"),
        "social_image": _("image pour les réseaux sociaux"),
        "noindex": _("référencement"),
        "canonical_url": _("adresse canonique"),
        "author_name": _("signature"),
    }
    context = {
        "article": article,
        "revision": revision,
        "comparisons": comparisons,
        "other_changes": [labels[key] for key in other_changes],
        "identical": not other_changes and not any(c["changed"] for c in comparisons),
    }
    return _page(request, "blog/writing/revision.html", context)


@require(WRITE)
@require_POST
def revision_restore(request: HttpRequest, pk: int, revision_id: int) -> HttpResponse:
    article = _article(pk)
    revision = get_object_or_404(ArticleRevision, pk=revision_id, article=article)
    try:
        services.article_restore(actor=request.user, revision=revision)  # type: ignore[arg-type]
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("writing:revision_detail", pk=article.pk, revision_id=revision.pk)
    messages.success(request, _("Cette version est rétablie ; l'ancienne reste dans l'historique."))
    return redirect("writing:article_edit", pk=article.pk)


# --- Images --------------------------------------------------------------------------------


@require(WRITE)
@require_http_methods(["GET", "POST"])
def image_library(request: HttpRequest) -> HttpResponse:
    form = ImageUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                image = services.image_upload(
                    actor=request.user,  # type: ignore[arg-type]
                    file=form.cleaned_data["file"],
                    alt_text=form.cleaned_data["alt_text"],
                    caption=form.cleaned_data["caption"],
                    credit=form.cleaned_data["credit"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Image « %(alt)s » ajoutée. Copiez son code pour l'insérer dans un article.")
                    % {"alt": image.alt_text},
                )
                return redirect("writing:image_library")
        status = 400
    images = BlogImage.objects.select_related("uploaded_by__person").order_by("-created_at", "-id")
    page = Paginator(images, IMAGES_PER_PAGE).get_page(request.GET.get("page"))
    _with_snippets(page.object_list)
    return _page(request, "blog/writing/images.html", {"form": form, "page": page}, status=status)


@require(WRITE)
@require_http_methods(["GET", "POST"])
def image_edit(request: HttpRequest, pk: int) -> HttpResponse:
    image = get_object_or_404(BlogImage, pk=pk)
    initial = {"alt_text": image.alt_text, "caption": image.caption, "credit": image.credit}
    form = ImageEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.image_update(actor=request.user, image=image, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Image enregistrée."))
            return redirect("writing:image_library")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "image": image, "snippet": markdown_snippet(image)}
    return _page(request, "blog/writing/image_form.html", context, status=status)


@require(WRITE)
@require_http_methods(["GET", "POST"])
def image_delete(request: HttpRequest, pk: int) -> HttpResponse:
    image = get_object_or_404(BlogImage, pk=pk)
    if request.method == "POST":
        try:
            services.image_delete(actor=request.user, image=image)  # type: ignore[arg-type]
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
            return redirect("writing:image_delete", pk=image.pk)
        messages.success(request, _("Image supprimée."))
        return redirect("writing:image_library")
    context = {"image": image, "uses": services.image_uses(image)}
    return _page(request, "blog/writing/image_delete.html", context)


# --- Categories ----------------------------------------------------------------------------


@require(WRITE)
@require_http_methods(["GET", "POST"])
def category_list(request: HttpRequest) -> HttpResponse:
    form = CategoryForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                category = services.category_create(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request, _("Catégorie « %(name)s » ajoutée.") % {"name": category.name}
                )
                return redirect("writing:category_list")
        status = 400
    categories = Category.objects.annotate(article_count=Count("articles")).order_by(
        "position", "name"
    )
    return _page(
        request,
        "blog/writing/categories.html",
        {"form": form, "categories": categories},
        status=status,
    )


@require(WRITE)
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(Category, pk=pk)
    initial = {"name": category.name, "slug": category.slug, "description": category.description}
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.category_update(actor=request.user, category=category, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Catégorie enregistrée."))
            return redirect("writing:category_list")
    status = 400 if request.method == "POST" else 200
    return _page(
        request,
        "blog/writing/category_form.html",
        {"form": form, "category": category},
        status=status,
    )


@require(WRITE)
@require_http_methods(["GET", "POST"])
def category_delete(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(Category.objects.annotate(article_count=Count("articles")), pk=pk)
    if request.method == "POST":
        count = services.category_delete(actor=request.user, category=category)  # type: ignore[arg-type]
        messages.success(
            request,
            _("Catégorie supprimée ; %(count)s article(s) sont désormais sans catégorie.")
            % {"count": count},
        )
        return redirect("writing:category_list")
    return _page(request, "blog/writing/category_delete.html", {"category": category})
