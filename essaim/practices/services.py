"""Writes for the practice library: sheets, revisions, publication, comments and votes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from essaim.actions.models import Action
from essaim.circles.models import Circle, Membership
from essaim.core.markdown import render_markdown
from essaim.core.services import audit_record
from essaim.feed.models import NotificationKind, Verb
from essaim.feed.services import activity_record, notifications_create
from essaim.people.models import Person, fold
from essaim.people.services import person_ensure_for_user

from .models import (
    PracticeComment,
    PracticeRevision,
    PracticeSheet,
    PracticeStatus,
    PracticeTag,
    PracticeVisibility,
    PracticeVote,
)
from .selectors import forget_search_vocabulary

MAX_TAGS = 12
TAG_MAX_LENGTH = 60
SEARCH_TEXT_MAX = 700
RESERVED_SLUGS = frozenset({"nouvelle", "apercu"})


def _person_of(actor: Any) -> Person | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return person_ensure_for_user(user=actor)


def sheet_url(sheet: PracticeSheet) -> str:
    return reverse("practices:detail", kwargs={"slug": sheet.slug})


HEADING = re.compile(r"<(/?)h([1-6])>")


def render_body(text: str) -> str:
    """Render a sheet's Markdown; its top heading becomes an h2, right below the sheet's h1."""
    html = str(render_markdown(text))
    levels = [int(level) for _slash, level in HEADING.findall(html)]
    if not levels:
        return html
    shift = min(levels) - 2
    return HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) - shift, 6)}>", html)


def action_link(action: Action) -> str:
    """The action's page (its URL module may not be mounted yet while actions are built)."""
    try:
        return reverse("actions:detail", kwargs={"slug": action.slug})
    except NoReverseMatch:
        return f"/actions/{action.slug}/"


def search_text_for(*, title: str, summary: str, tag_names: Iterable[str]) -> str:
    """Fold title, summary and tags into the accent-free text the library searches."""
    parts = [title, summary, *tag_names]
    return " ".join(fold(part) for part in parts if part)[:SEARCH_TEXT_MAX]


def body_text_for(body: str) -> str:
    """Fold a sheet's body for the SQLite search; empty on PostgreSQL (it has the vector)."""
    if connection.vendor == "postgresql":
        return ""
    return fold(body)


SEARCH_VECTOR_SQL = (
    "UPDATE practices_practicesheet AS s SET search_vector = "
    "setweight(to_tsvector('french', v.t), 'A') || setweight(to_tsvector('french', v.s), 'B') "
    "|| setweight(to_tsvector('french', v.b), 'C') "
    "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS v(id, t, s, b) "
    "WHERE s.id = v.id"
)


# A word of the library: letters only, 3 to 40 of them (what PracticeSearchWord holds).
SEARCH_WORD = re.compile(r"\b[^\W\d_]{3,40}\b")
SEARCH_WORDS_SQL = (
    "INSERT INTO practices_practicesearchword (word) SELECT unnest(%s::text[]) "
    "ON CONFLICT (word) DO NOTHING"
)


def search_vectors_write(*, rows: Iterable[tuple[int, str, str, Iterable[str], str]]) -> None:
    """Write the French full-text vectors of sheets given as (id, title, summary, tags, body),
    and add their new words to the library's words (the typo fallback's dictionary).

    PostgreSQL only (SQLite ranks without them). The texts are folded first: accents are
    forgiven without the unaccent extension, and the stemmer still cuts the plurals.
    """
    if connection.vendor != "postgresql":
        return
    rows = list(rows)
    for start in range(0, len(rows), 5000):
        batch = rows[start : start + 5000]
        titles = [fold(r[1]) for r in batch]
        others = [" ".join(fold(part) for part in (r[2], *r[3]) if part) for r in batch]
        bodies = [fold(r[4]) for r in batch]
        words: set[str] = set()
        for text in (*titles, *others, *bodies):
            words.update(SEARCH_WORD.findall(text))
        with connection.cursor() as cursor:
            cursor.execute(SEARCH_VECTOR_SQL, [[r[0] for r in batch], titles, others, bodies])
            # Sorted: two writers adding the same new words take their locks in one order.
            cursor.execute(SEARCH_WORDS_SQL, [sorted(words)])


def parse_tag_names(raw: str | Sequence[str]) -> list[str]:
    """Split "Accueil, maraude ; Accueil" into distinct clean names, in order."""
    pieces = re.split(r"[,;\n]", raw) if isinstance(raw, str) else list(raw)
    names: dict[str, str] = {}
    for piece in pieces:
        name = " ".join(str(piece).split())[:TAG_MAX_LENGTH].strip()
        if name and fold(name) not in names:
            names[fold(name)] = name
    if len(names) > MAX_TAGS:
        raise ValidationError(_("Au plus %(max)d thèmes par fiche.") % {"max": MAX_TAGS})
    return list(names.values())


def _tags_for(names: Sequence[str]) -> list[PracticeTag]:
    """Find the tags by name (any case), creating the missing ones."""
    tags: list[PracticeTag] = []
    for name in names:
        tag = PracticeTag.objects.filter(name__iexact=name).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = PracticeTag.objects.create(name=name)
            except IntegrityError:  # created at the same instant by someone else
                tag = PracticeTag.objects.get(name__iexact=name)
        tags.append(tag)
    return tags


def _unique_slug(title: str) -> str:
    base = (slugify(title) or "fiche")[:140]
    if base in RESERVED_SLUGS:  # the library's own pages
        base = f"{base}-fiche"
    taken = set(PracticeSheet.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug = f"{base}-{number}"
        number += 1
    return slug


def _check(
    *,
    title: str,
    circle: Circle | None,
    visibility: str,
    actions: Sequence[Action],
) -> None:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("Donnez un titre à la fiche.")
    if visibility not in PracticeVisibility.values:
        errors["visibility"] = _("Choisissez qui peut lire la fiche.")
    elif visibility == PracticeVisibility.CIRCLE and circle is None:
        errors["circle"] = _(
            "Une fiche réservée aux membres d'un cercle doit être rattachée à un cercle."
        )
    if any(circle is None or action.circle_id != circle.pk for action in actions):
        errors["actions"] = _("Les actions liées doivent appartenir au cercle de la fiche.")
    if errors:
        raise ValidationError(errors)


def _add_revision(sheet: PracticeSheet, author: Person | None) -> PracticeRevision:
    """Number the sheet's new state; the caller holds the sheet's row lock."""
    sheet.revision_count += 1
    PracticeSheet.objects.filter(pk=sheet.pk).update(revision_count=sheet.revision_count)
    return PracticeRevision.objects.create(
        sheet=sheet,
        number=sheet.revision_count,
        title=sheet.title,
        summary=sheet.summary,
        body=sheet.body,
        author=author,
    )


def _refresh_search_text(sheet: PracticeSheet, tag_names: Iterable[str]) -> None:
    sheet.search_text = search_text_for(
        title=sheet.title, summary=sheet.summary, tag_names=tag_names
    )
    sheet.body_text = body_text_for(sheet.body)


@transaction.atomic
def practice_create(
    *,
    actor: Any,
    title: str,
    summary: str = "",
    body: str = "",
    tags: str | Sequence[str] = (),
    circle: Circle | None = None,
    visibility: str = PracticeVisibility.NETWORK,
    actions: Sequence[Action] = (),
    source_action: Action | None = None,
) -> PracticeSheet:
    """Write a new sheet as a draft, with its first revision."""
    actions = list(actions)
    _check(title=title, circle=circle, visibility=visibility, actions=actions)
    tag_names = parse_tag_names(tags)
    author = _person_of(actor)
    sheet = PracticeSheet(
        title=title.strip(),
        slug=_unique_slug(title),
        summary=summary.strip(),
        body=body,
        body_html=render_body(body),
        author=author,
        circle=circle,
        visibility=visibility,
        status=PracticeStatus.DRAFT,
        source_action=source_action,
    )
    _refresh_search_text(sheet, tag_names)
    sheet.full_clean(exclude=["slug"])
    sheet.save()
    sheet.tags.set(_tags_for(tag_names))
    search_vectors_write(rows=[(sheet.pk, sheet.title, sheet.summary, tag_names, sheet.body)])
    if actions:
        sheet.actions.set(actions)
    _add_revision(sheet, author)
    transaction.on_commit(forget_search_vocabulary)
    return sheet


@transaction.atomic
def practice_update(*, actor: Any, sheet: PracticeSheet, data: dict[str, Any]) -> PracticeSheet:
    """Change a sheet; a change of its text adds a revision to its history."""
    locked = PracticeSheet.objects.select_for_update().get(pk=sheet.pk)
    title = data.get("title", locked.title)
    summary = data.get("summary", locked.summary)
    body = data.get("body", locked.body)
    circle = data.get("circle", locked.circle)
    visibility = data.get("visibility", locked.visibility)
    if "actions" in data:
        actions = list(data["actions"])
    else:
        actions = list(locked.actions.all())
        if circle is None or circle.pk != locked.circle_id:
            # A sheet that changes circle keeps only the actions of its new circle.
            actions = [a for a in actions if circle is not None and a.circle_id == circle.pk]
    _check(title=title, circle=circle, visibility=visibility, actions=actions)
    tag_names = (
        parse_tag_names(data["tags"])
        if "tags" in data
        else list(locked.tags.values_list("name", flat=True))
    )
    text_changed = (title.strip(), summary.strip(), body) != (
        locked.title,
        locked.summary,
        locked.body,
    )
    locked.title = title.strip()
    locked.summary = summary.strip()
    if body != locked.body:
        locked.body = body
        locked.body_html = render_body(body)
    locked.circle = circle
    locked.visibility = visibility
    _refresh_search_text(locked, tag_names)
    locked.full_clean(exclude=["slug"])
    locked.save()
    locked.tags.set(_tags_for(tag_names))
    search_vectors_write(rows=[(locked.pk, locked.title, locked.summary, tag_names, locked.body)])
    locked.actions.set(actions)
    if text_changed:
        _add_revision(locked, _person_of(actor))
    transaction.on_commit(forget_search_vocabulary)
    return locked


@transaction.atomic
def practice_publish(*, actor: Any, sheet: PracticeSheet) -> PracticeSheet:
    """Publish a draft: its readers find it in the library, its circle's feed tells them."""
    locked = (
        PracticeSheet.objects.select_for_update(of=("self",))
        .select_related("circle")
        .get(pk=sheet.pk)
    )
    if locked.status != PracticeStatus.DRAFT:
        raise ValidationError(_("Cette fiche est déjà publiée."))
    locked.status = PracticeStatus.PUBLISHED
    locked.published_at = timezone.now()
    locked.save(update_fields=["status", "published_at", "updated_at"])
    if locked.circle is not None:
        activity_record(
            circle=locked.circle,
            actor=_person_of(actor),
            verb=Verb.PRACTICE_PUBLISHED,
            summary=locked.title,
            url=sheet_url(locked),
        )
    transaction.on_commit(forget_search_vocabulary)
    audit_record(actor=actor, action="practice.publish", target=locked)
    return locked


@transaction.atomic
def practice_unpublish(*, actor: Any, sheet: PracticeSheet) -> PracticeSheet:
    """Take a sheet back to draft: only its editors read it again."""
    locked = PracticeSheet.objects.select_for_update().get(pk=sheet.pk)
    if locked.status != PracticeStatus.PUBLISHED:
        raise ValidationError(_("Cette fiche n'est pas publiée."))
    locked.status = PracticeStatus.DRAFT
    locked.save(update_fields=["status", "updated_at"])
    transaction.on_commit(forget_search_vocabulary)
    audit_record(actor=actor, action="practice.unpublish", target=locked)
    return locked


@transaction.atomic
def practice_restore_revision(
    *, actor: Any, sheet: PracticeSheet, revision: PracticeRevision
) -> PracticeSheet:
    """Bring back the text of an older revision, as a new revision (history is never lost)."""
    if revision.sheet_id != sheet.pk:
        raise ValidationError(_("Cette version n'appartient pas à cette fiche."))
    return practice_update(
        actor=actor,
        sheet=sheet,
        data={"title": revision.title, "summary": revision.summary, "body": revision.body},
    )


def _may_still_read(person_ids: set[int], sheet: PracticeSheet) -> set[int]:
    """Keep the people who may read the sheet (a circle sheet: its members, and its author)."""
    if sheet.visibility != PracticeVisibility.CIRCLE or sheet.circle_id is None:
        return person_ids
    members = set(
        Membership.objects.filter(circle_id=sheet.circle_id, person_id__in=person_ids).values_list(
            "person_id", flat=True
        )
    )
    if sheet.author_id in person_ids:
        members.add(sheet.author_id)
    return members


@transaction.atomic
def practice_comment_add(*, actor: Any, sheet: PracticeSheet, body: str) -> PracticeComment:
    """Comment on a sheet and tell its author and earlier commenters."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Écrivez votre commentaire avant de l'envoyer.")})
    if len(body) > 5000:
        raise ValidationError({"body": _("Votre commentaire dépasse 5 000 caractères.")})
    author = _person_of(actor)
    comment = PracticeComment.objects.create(
        sheet=sheet, author=author, body=body, body_html=render_markdown(body)
    )
    PracticeSheet.objects.filter(pk=sheet.pk).update(comment_count=F("comment_count") + 1)
    followers = set(
        PracticeComment.objects.filter(sheet=sheet, author__isnull=False)
        .exclude(pk=comment.pk)
        .values_list("author_id", flat=True)
    )
    if sheet.author_id is not None:
        followers.add(sheet.author_id)
    if author is not None:
        followers.discard(author.pk)
    recipients = _may_still_read(followers, sheet)
    if recipients:
        name = (author.full_name if author is not None else "") or _("Un membre")
        notifications_create(
            recipients=Person.objects.filter(pk__in=recipients, erased_at__isnull=True),
            kind=NotificationKind.PRACTICE,
            summary=_("%(name)s a commenté la fiche « %(title)s »")
            % {"name": name, "title": sheet.title},
            url=f"{sheet_url(sheet)}#commentaire-{comment.pk}",
            circle=sheet.circle,
        )
    return comment


@transaction.atomic
def practice_comment_hide(*, actor: Any, comment: PracticeComment) -> PracticeComment:
    """Hide a comment (editors of the sheet moderate its comments)."""
    if comment.hidden_at is None:
        comment.hidden_at = timezone.now()
        PracticeComment.objects.filter(pk=comment.pk).update(hidden_at=comment.hidden_at)
        PracticeSheet.objects.filter(pk=comment.sheet_id, comment_count__gt=0).update(
            comment_count=F("comment_count") - 1
        )
        audit_record(actor=actor, action="practice.comment_hide", target=comment)
    return comment


def practice_vote_toggle(*, actor: Any, sheet: PracticeSheet) -> tuple[bool, int]:
    """Mark a sheet useful, or take the mark back; return (voted, new count)."""
    with transaction.atomic():
        person = _person_of(actor)
        if person is None:
            raise ValidationError(_("Connectez-vous pour voter."))
        # Counters move by F() so simultaneous votes of different people all count;
        # the unique (sheet, person) row decides between two clicks of the same person.
        deleted, _rows = PracticeVote.objects.filter(sheet=sheet, person=person).delete()
        if deleted:
            PracticeSheet.objects.filter(pk=sheet.pk, useful_count__gt=0).update(
                useful_count=F("useful_count") - 1
            )
            voted = False
        else:
            try:
                with transaction.atomic():
                    PracticeVote.objects.create(sheet=sheet, person=person)
            except IntegrityError:
                voted = True  # the same person's other click won: it already counted
            else:
                PracticeSheet.objects.filter(pk=sheet.pk).update(useful_count=F("useful_count") + 1)
                voted = True
    count = PracticeSheet.objects.filter(pk=sheet.pk).values_list("useful_count", flat=True).get()
    return voted, count


@transaction.atomic
def practice_draft_from_lesson(
    *, actor: Any, action: Action, title: str, lesson: str
) -> PracticeSheet:
    """Turn a lesson from an action's debrief into a draft sheet for the action's circle."""
    link = action_link(action)
    body = f"{lesson.strip()}\n\n" + _("Leçon tirée de l'action [%(action)s](%(url)s).") % {
        "action": action.title.replace("[", "(").replace("]", ")"),
        "url": link,
    }
    return practice_create(
        actor=actor,
        title=(title.strip() or action.title)[:200],
        summary="",
        body=body,
        circle=action.circle,
        visibility=PracticeVisibility.CIRCLE,
        actions=[action],
        source_action=action,
    )
