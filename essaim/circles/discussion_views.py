"""Discussion pages of a circle: thread list, thread, posting, reactions and moderation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import discussions as services
from .discussion_forms import EditForm, HideForm, ReplyForm, ReportForm, ThreadForm
from .discussion_selectors import (
    DiscussionAccess,
    attachment_get,
    discussion_access,
    last_read_at,
    message_get,
    reaction_summaries,
    thread_get,
    thread_messages,
)
from .discussion_selectors import (
    thread_list as select_thread_list,
)
from .models import Message, Thread

MESSAGES_PER_PAGE = 30


def _access(
    request: HttpRequest, slug: str, *, write: bool = False, moderate: bool = False
) -> DiscussionAccess:
    access = discussion_access(request.user, slug)
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
    paginator = Paginator(
        thread_messages(thread=thread, include_hidden=access.can_moderate), MESSAGES_PER_PAGE
    )
    number = request.GET.get("page")
    page = paginator.get_page(paginator.num_pages if number == "last" else number)
    page_messages: list[Message] = list(page.object_list)
    summaries = reaction_summaries(
        message_ids=[m.pk for m in page_messages],
        person=access.person,
        choices=services.REACTIONS,
    )
    previous_read = last_read_at(thread=thread, person=access.person)
    for message in page_messages:
        message.reaction_counts = summaries[message.pk]  # type: ignore[attr-defined]
        message.is_new = (  # type: ignore[attr-defined]
            previous_read is not None
            and message.created_at > previous_read
            and message.author_id != getattr(access.person, "pk", None)
        )
    if access.person is not None and request.method == "GET":
        services.thread_mark_read(person=access.person, thread=thread)
    if reply_form is None and access.can_write and not thread.locked:
        reply_form = ReplyForm()
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
            "person": access.person,
        },
        status=status,
    )


@login_required
@require_GET
def thread_detail(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    access = _access(request, slug)
    thread = thread_get(circle=access.circle, thread_id=thread_id)
    return _render_thread(request, access, thread)


@login_required
@require_POST
def message_create(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    access = _access(request, slug, write=True)
    thread = thread_get(circle=access.circle, thread_id=thread_id)
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
        return render(
            request,
            "circles/discussions/_reactions.html",
            {"access": access, "circle": access.circle, "message": message},
        )
    return _back_to(message, access)


@login_required
@require_http_methods(["GET", "POST"])
def message_report(request: HttpRequest, slug: str, message_id: int) -> HttpResponse:
    access = _access(request, slug, write=True)
    message = message_get(circle=access.circle, message_id=message_id, include_hidden=False)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_report(
                actor=request.user, message=message, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("Merci : les coordinateurs du cercle sont prévenus et vont regarder.")
            )
            return _back_to(message, access)
    return render(
        request,
        "circles/discussions/message_report.html",
        {"access": access, "circle": access.circle, "message": message, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def message_hide(request: HttpRequest, slug: str, message_id: int) -> HttpResponse:
    access = _access(request, slug, moderate=True)
    message = message_get(circle=access.circle, message_id=message_id, include_hidden=True)
    form = HideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_hide(
                actor=request.user, message=message, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("Le message est masqué pour les membres ; il reste visible ici.")
            )
            return _back_to(message, access)
    return render(
        request,
        "circles/discussions/message_hide.html",
        {"access": access, "circle": access.circle, "message": message, "form": form},
        status=400 if form.errors else 200,
    )


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
