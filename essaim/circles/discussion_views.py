"""Discussion pages of a circle: thread list, thread, posting, reactions and moderation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from essaim.feed.fragments import fragments_render, template_digest

from . import discussions as services
from .discussion_forms import (
    DismissForm,
    EditForm,
    HideForm,
    ReplyForm,
    ReportForm,
    ThreadForm,
    UnhideForm,
)
from .discussion_selectors import (
    DiscussionAccess,
    attachment_get,
    circle_files,
    discussion_access,
    message_get,
    reaction_summaries,
    report_get,
    reports_closed,
    reports_open,
    thread_get,
    thread_get_for_reader,
    thread_messages,
    thread_page_get,
)
from .discussion_selectors import (
    thread_list as select_thread_list,
)
from .models import Circle, Message, Report, Thread
from .policies import can_manage_circle, can_see_members, visible_parent
from .selectors import circle_pending_requests

# Twenty messages a page, as Discourse loads them: a page of thirty took 40 ms to render.
MESSAGES_PER_PAGE = 20
# The actions under each message, by URL name: reversed once per page, not per message.
MESSAGE_LINKS = {
    "react": "circles:message_react",
    "edit": "circles:message_edit",
    "report": "circles:message_report",
    "hide": "circles:message_hide",
    "unhide": "circles:message_unhide",
}
_PLACEHOLDER = 2_147_483_647


# Where the "Nouveau" badge goes in a message's cached content (_message_content.html).
NEW_MARK = "<!--essaim:new-->"
NEW_BADGE = ' · <span class="badge">{}</span>'


def _message_shown(message: Message) -> tuple[Any, ...]:
    # Every value _message_content.html shows. Attachments are written with the message
    # and never change: its id and creation time stand for them.
    author, hidden_by = message.author, message.hidden_by
    return (
        message.pk,
        message.created_at,
        message.edited_at,
        message.hidden_at,
        message.hidden_reason,
        author.full_name if author is not None else None,
        hidden_by.full_name if hidden_by is not None else None,
        message.body_html,
    )


def message_contents(circle: Circle, messages_: list[Message]) -> None:
    """Give each message its content as every reader sees it (``message.content_html``)."""
    pieces = fragments_render(
        "circles/discussions/_message_content.html",
        messages_,
        shown=lambda message: (circle.slug, *_message_shown(message)),
        context=lambda message: {"message": message, "circle": circle},
        prepare=lambda misses: prefetch_related_objects(misses, "attachments"),
    )
    for message, piece in zip(messages_, pieces, strict=True):
        message.content_html = piece  # type: ignore[attr-defined]


def message_links(circle: Circle, messages_: list[Message]) -> None:
    """Give each message the addresses of its actions (``message.links``)."""
    patterns = {
        key: reverse(name, kwargs={"slug": circle.slug, "message_id": _PLACEHOLDER}).replace(
            str(_PLACEHOLDER), "{}"
        )
        for key, name in MESSAGE_LINKS.items()
    }
    for message in messages_:
        message.links = {  # type: ignore[attr-defined]
            key: pattern.format(message.pk) for key, pattern in patterns.items()
        }


REPORTS_PER_PAGE = 20
FILES_PER_PAGE = 30
FILE_TYPES = {
    "application/pdf": gettext_lazy("Document PDF"),
    "image/jpeg": gettext_lazy("Image JPEG"),
    "image/png": gettext_lazy("Image PNG"),
    "image/webp": gettext_lazy("Image WebP"),
}
# A moderation form posted from the reports list goes back there, not to the thread.
FROM_REPORTS = "signalements"


def _access(
    request: HttpRequest, slug: str, *, write: bool = False, moderate: bool = False
) -> DiscussionAccess:
    return _check(discussion_access(request.user, slug), write=write, moderate=moderate)


def _check(
    access: DiscussionAccess, *, write: bool = False, moderate: bool = False
) -> DiscussionAccess:
    if not access.can_read:
        raise PermissionDenied
    if write and not access.can_write:
        raise PermissionDenied
    if moderate and not access.can_moderate:
        raise PermissionDenied
    return access


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _say_unknown_mentions(request: HttpRequest, unknown: list[str]) -> None:
    if unknown:
        messages.info(
            request,
            _(
                "Ces mentions ne correspondent à aucun membre du cercle ; elles restent "
                "du simple texte et personne n'a été prévenu : %(names)s"
            )
            % {"names": ", ".join(unknown)},
        )


def _add_errors(form: Any, error: ValidationError) -> None:
    for text in error.messages:
        form.add_error(None, text)


@login_required
@require_GET
def thread_list(request: HttpRequest, slug: str) -> HttpResponse:
    access = _access(request, slug)
    page = select_thread_list(
        circle=access.circle, person=access.person, before=request.GET.get("avant", "")
    )
    context = {"access": access, "circle": access.circle, "page": page}
    if _is_htmx(request):
        response = render(request, "circles/discussions/_thread_rows.html", context)
    else:
        response = render(request, "circles/discussions/thread_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def thread_create(request: HttpRequest, slug: str) -> HttpResponse:
    access = _access(request, slug, write=True)
    form = ThreadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            posted = services.thread_create(
                actor=request.user,
                circle=access.circle,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("La discussion est ouverte."))
            _say_unknown_mentions(request, posted.unknown_mentions)
            return redirect(services.thread_url(posted.thread, access.circle))
    return render(
        request,
        "circles/discussions/thread_form.html",
        {"access": access, "circle": access.circle, "form": form},
        status=400 if form.errors else 200,
    )


def _render_thread(
    request: HttpRequest,
    access: DiscussionAccess,
    thread: Thread,
    reply_form: ReplyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render a page of a thread got by ``thread_get_for_reader`` (its count and last read)."""
    paginator = Paginator(
        thread_messages(thread=thread, include_hidden=access.can_moderate), MESSAGES_PER_PAGE
    )
    paginator.count = thread.message_count  # type: ignore[attr-defined]  # counted with the thread
    number = request.GET.get("page")
    page = paginator.get_page(paginator.num_pages if number == "last" else number)
    page_messages: list[Message] = list(page.object_list)
    summaries = reaction_summaries(
        message_ids=[m.pk for m in page_messages],
        person=access.person,
        choices=services.REACTIONS,
    )
    previous_read = thread.last_read_at  # type: ignore[attr-defined]
    message_links(access.circle, page_messages)
    message_contents(access.circle, page_messages)
    new_badge = format_html(NEW_BADGE, _("Nouveau"))
    for message in page_messages:
        message.reaction_counts = summaries[message.pk]  # type: ignore[attr-defined]
        message.is_new = (  # type: ignore[attr-defined]
            previous_read is not None
            and message.created_at > previous_read
            and message.author_id != getattr(access.person, "pk", None)
        )
        # The cached content with its badge, or without: both parts are safe HTML.
        badge = new_badge if message.is_new else ""  # type: ignore[attr-defined]
        content = message.content_html  # type: ignore[attr-defined]
        message.content_html = mark_safe(content.replace(NEW_MARK, badge, 1))  # type: ignore[attr-defined]
    if access.person is not None and request.method == "GET":
        services.thread_mark_read(
            person=access.person, thread=thread, already_read_at=previous_read
        )
    if reply_form is None and access.can_write and not thread.locked:
        reply_form = ReplyForm()
    # An empty reply form is the same for every member: rendered once, then cached.
    reply_fields = ""
    if reply_form is not None and not reply_form.is_bound:
        reply_fields = fragments_render(
            "circles/discussions/_reply_fields.html",
            [reply_form],
            shown=lambda form: (type(form).__name__, template_digest("_form.html")),
            context=lambda form: {"form": form},
        )[0]
    return render(
        request,
        "circles/discussions/thread_detail.html",
        {
            "access": access,
            "circle": access.circle,
            "thread": thread,
            "page": page,
            "page_messages": page_messages,
            "reply_form": reply_form,
            "reply_fields": reply_fields,
            "person": access.person,
        },
        status=status,
    )


@login_required
@require_GET
def thread_detail(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    found = thread_page_get(user=request.user, slug=slug, thread_id=thread_id)
    if found is None:
        _access(request, slug)  # a circle they may not see or read: 404 or 403
        raise Http404
    access, thread = _check(found[0]), found[1]
    if access.person is not None:
        # Where essaim.core.context_processors keeps the header badge's count: read with
        # the person, one round trip fewer (this page changes no notification).
        request._essaim_unread = access.person.unread_count  # type: ignore[attr-defined]
    return _render_thread(request, access, thread)


@login_required
@require_POST
def message_create(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    access = _access(request, slug, write=True)
    thread = thread_get_for_reader(
        circle=access.circle,
        thread_id=thread_id,
        person=access.person,
        include_hidden=access.can_moderate,
    )
    if thread.locked:
        messages.error(request, _("Cette discussion est verrouillée : on ne peut plus y répondre."))
        return redirect(services.thread_url(thread, access.circle))
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            posted = services.message_post(
                actor=request.user,
                thread=thread,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Votre réponse est publiée."))
            _say_unknown_mentions(request, posted.unknown_mentions)
            url = services.thread_url(thread, access.circle)
            return redirect(f"{url}?page=last#message-{posted.message.pk}")
    return _render_thread(request, access, thread, reply_form=form, status=400)


def _moderation_toggle(request: HttpRequest, slug: str, thread_id: int, what: str) -> HttpResponse:
    access = _access(request, slug, moderate=True)
    thread = thread_get(circle=access.circle, thread_id=thread_id)
    on = request.POST.get("value") == "1"
    if what == "pin":
        services.thread_set_pinned(actor=request.user, thread=thread, pinned=on)
        messages.success(request, _("Discussion épinglée.") if on else _("Discussion désépinglée."))
    else:
        services.thread_set_locked(actor=request.user, thread=thread, locked=on)
        messages.success(
            request, _("Discussion verrouillée.") if on else _("Discussion déverrouillée.")
        )
    return redirect(services.thread_url(thread, access.circle))


@login_required
@require_POST
def thread_pin(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    return _moderation_toggle(request, slug, thread_id, "pin")


@login_required
@require_POST
def thread_lock(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    return _moderation_toggle(request, slug, thread_id, "lock")


def _back_to(message: Message, access: DiscussionAccess) -> HttpResponseRedirect:
    url = services.thread_url(message.thread, access.circle)
    return redirect(f"{url}#message-{message.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def message_edit(request: HttpRequest, slug: str, message_id: int) -> HttpResponse:
    access = _access(request, slug, write=True)
    message = message_get(circle=access.circle, message_id=message_id, include_hidden=False)
    if access.person is None or message.author_id != access.person.pk:
        raise PermissionDenied
    form = EditForm(request.POST or None, initial={"body": message.body})
    if request.method == "POST" and form.is_valid():
        try:
            posted = services.message_edit(
                actor=request.user, message=message, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Votre message est modifié."))
            _say_unknown_mentions(request, posted.unknown_mentions)
            return _back_to(message, access)
    return render(
        request,
        "circles/discussions/message_edit.html",
        {"access": access, "circle": access.circle, "message": message, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def message_react(request: HttpRequest, slug: str, message_id: int) -> HttpResponse:
    access = _access(request, slug, write=True)
    message = message_get(circle=access.circle, message_id=message_id, include_hidden=False)
    try:
        services.reaction_toggle(
            actor=request.user, message=message, emoji=request.POST.get("emoji", "")
        )
    except ValidationError as error:
        if not _is_htmx(request):
            messages.error(request, " ".join(error.messages))
            return _back_to(message, access)
        return HttpResponse(" ".join(error.messages), status=400)
    if _is_htmx(request):
        message.reaction_counts = reaction_summaries(  # type: ignore[attr-defined]
            message_ids=[message.pk], person=access.person, choices=services.REACTIONS
        )[message.pk]
        message_links(access.circle, [message])
        return render(
            request,
            "circles/discussions/_reactions.html",
            {"access": access, "circle": access.circle, "message": message},
        )
    return _back_to(message, access)


def _reports_url(access: DiscussionAccess) -> str:
    return reverse("circles:reports", kwargs={"slug": access.circle.slug})


def _reason_form(
    request: HttpRequest,
    access: DiscussionAccess,
    *,
    form_class: type[forms.Form],
    template: str,
    act: Callable[[str], Any],
    success: str,
    back: Callable[[], HttpResponse],
    context: dict[str, Any],
) -> HttpResponse:
    """Show a form with a reason; on a valid POST run ``act(reason)``, say so and go back."""
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            act(form.cleaned_data["reason"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, success)
            return back()
    from_reports = (request.POST or request.GET).get("depuis") == FROM_REPORTS
    return render(
        request,
        template,
        {
            "access": access,
            "circle": access.circle,
            "form": form,
            "from_reports": from_reports,
            **context,
        },
        status=400 if form.errors else 200,
    )


def _reason_form_on_message(
    request: HttpRequest,
    slug: str,
    message_id: int,
    *,
    moderate: bool,
    include_hidden: bool,
    form_class: type[forms.Form],
    template: str,
    service: Callable[..., Any],
    success: str,
) -> HttpResponse:
    """The shared shape of report, hide and unhide: a form with a reason, POSTed on a message."""
    access = _access(request, slug, write=not moderate, moderate=moderate)
    message = message_get(
        circle=access.circle, message_id=message_id, include_hidden=include_hidden
    )

    def back() -> HttpResponse:
        if request.POST.get("depuis") == FROM_REPORTS and access.can_moderate:
            return redirect(_reports_url(access))
        return _back_to(message, access)

    return _reason_form(
        request,
        access,
        form_class=form_class,
        template=template,
        act=lambda reason: service(actor=request.user, message=message, reason=reason),
        success=success,
        back=back,
        context={"message": message},
    )


@login_required
@require_http_methods(["GET", "POST"])
def message_report(request: HttpRequest, slug: str, message_id: int) -> HttpResponse:
    return _reason_form_on_message(
        request,
        slug,
        message_id,
        moderate=False,
        include_hidden=False,
        form_class=ReportForm,
        template="circles/discussions/message_report.html",
        service=services.message_report,
        success=_("Merci : les coordinateurs du cercle sont prévenus et vont regarder."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def message_hide(request: HttpRequest, slug: str, message_id: int) -> HttpResponse:
    return _reason_form_on_message(
        request,
        slug,
        message_id,
        moderate=True,
        include_hidden=True,
        form_class=HideForm,
        template="circles/discussions/message_hide.html",
        service=services.message_hide,
        success=_("Le message est masqué pour les membres ; il reste visible ici."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def message_unhide(request: HttpRequest, slug: str, message_id: int) -> HttpResponse:
    return _reason_form_on_message(
        request,
        slug,
        message_id,
        moderate=True,
        include_hidden=True,
        form_class=UnhideForm,
        template="circles/discussions/message_unhide.html",
        service=services.message_unhide,
        success=_("Le message est de nouveau visible par les membres."),
    )


def _head_context(request: HttpRequest, access: DiscussionAccess, tab: str) -> dict[str, Any]:
    """What the circle's heading and tabs need (see circles/_circle_head.html)."""
    can_manage = can_manage_circle(request.user, access.circle)
    return {
        "access": access,
        "circle": access.circle,
        "parent": visible_parent(request.user, access.circle),
        "can_manage": can_manage,
        "can_see_members": can_see_members(request.user, access.circle),
        "pending_count": circle_pending_requests(circle=access.circle).count() if can_manage else 0,
        "tab": tab,
        "active_nav": "circles",
    }


@login_required
@require_GET
def report_list(request: HttpRequest, slug: str) -> HttpResponse:
    access = _access(request, slug, moderate=True)
    closed = request.GET.get("vue") == "traites"
    reports = reports_closed(circle=access.circle) if closed else reports_open(circle=access.circle)
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    context = _head_context(request, access, "reports")
    context.update({"page": page, "from_reports": FROM_REPORTS, "closed": closed})
    if not closed:
        # The list counts the open reports already: the tab's badge reuses that count.
        context["open_report_total"] = page.paginator.count
    return render(request, "circles/discussions/reports.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def report_dismiss(request: HttpRequest, slug: str, report_id: int) -> HttpResponse:
    access = _access(request, slug, moderate=True)
    report: Report = report_get(circle=access.circle, report_id=report_id)
    return _reason_form(
        request,
        access,
        form_class=DismissForm,
        template="circles/discussions/report_dismiss.html",
        act=lambda note: services.report_dismiss(actor=request.user, report=report, note=note),
        success=_("Le signalement est classé sans suite ; le message reste visible."),
        back=lambda: redirect(_reports_url(access)),
        context={"report": report, "message": report.message},
    )


@login_required
@require_GET
def file_list(request: HttpRequest, slug: str) -> HttpResponse:
    access = _access(request, slug)
    # Files are for the circle's members (and admins), even in a public circle.
    if not can_see_members(request.user, access.circle):
        raise PermissionDenied
    files = circle_files(circle=access.circle, include_hidden=access.can_moderate)
    page = Paginator(files, FILES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for attachment in page.object_list:
        attachment.type_label = FILE_TYPES.get(  # type: ignore[attr-defined]
            attachment.content_type, attachment.content_type
        )
    context = _head_context(request, access, "files")
    context["page"] = page
    return render(request, "circles/discussions/files.html", context)


@login_required
@require_GET
def attachment_download(request: HttpRequest, slug: str, attachment_id: int) -> FileResponse:
    access = _access(request, slug)
    attachment = attachment_get(
        circle=access.circle, attachment_id=attachment_id, include_hidden=access.can_moderate
    )
    is_image = attachment.content_type.startswith("image/")
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=not is_image,
        filename=attachment.original_name,
    )
    # Even a crafted file cannot run as a page of this site.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
