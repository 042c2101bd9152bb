"""Reads for the practice library: the searchable index and a sheet's page."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Lookup,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Length, Substr
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from essaim.actions.models import Action
from essaim.actions.policies import can_see_action
from essaim.circles.models import Circle, Membership, Visibility
from essaim.people.models import fold

from .models import (
    PracticeComment,
    PracticeRevision,
    PracticeSheet,
    PracticeStatus,
    PracticeTag,
    PracticeVisibility,
    PracticeVote,
)
from .policies import draft_sheets_filter, published_sheets_filter

MAX_SEARCH_WORDS = 6
MIN_WORD = 3
VOCABULARY_CACHE_KEY = "practices:search-vocabulary"
VOCABULARY_SECONDS = 600
TAGS_CACHE_KEY = "practices:popular-tags"
TAGS_SECONDS = 600
VOCABULARY_MAX = 200_000
SORTS = ("relevance", "recent", "useful")
# Full-text rank weights for D, C, B, A: title (A) far above summary and tags (B), then body (C).
RANK_WEIGHTS = [0.05, 0.2, 0.4, 1.0]
RANK_CANDIDATES = 1001
VOCABULARY_ROWS = 20_000


def search_words(query: str) -> list[str]:
    """Fold a query into words, plural endings cut so "maraudes" finds "maraude"."""
    words = []
    for word in fold(query).split()[:MAX_SEARCH_WORDS]:
        word = word.strip(".,;:!?'\"()«»")
        if len(word) > 3 and word[-1] in "sx":
            word = word[:-1]
        if word:
            words.append(word)
    return words


@dataclass
class LibrarySearch:
    sheets: QuerySet[PracticeSheet]
    words: list[str] = field(default_factory=list)
    # Set when nothing matched exactly and close words were used instead.
    corrected: str = ""
    # How many sheets match, capped at RANK_CANDIDATES, when the search already counted them
    # (PostgreSQL: the candidate ids); the paginator then runs no count query.
    count: int | None = None


# Columns the library's rows never show: a ranked search carries its 1,001 candidates'
# rows through the sort, and the page would parse 20 vectors and bodies for nothing.
LIST_DEFERRED = ("body", "body_html", "body_text", "search_text", "search_vector")


def _with_rows(sheets: QuerySet[PracticeSheet]) -> QuerySet[PracticeSheet]:
    return (
        sheets.defer(*LIST_DEFERRED)
        .select_related("circle")
        .prefetch_related(Prefetch("tags", queryset=PracticeTag.objects.order_by("name")))
    )


def search_vocabulary() -> frozenset[str]:
    """Every distinct word of the library's folded texts, cached: the typo fallback's dictionary."""
    cached = cache.get(VOCABULARY_CACHE_KEY)
    if cached is not None:
        return cast(frozenset[str], cached)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT word FROM practices_practicesheet, "
                "unnest(string_to_array(search_text, ' ')) AS word "
                "WHERE length(word) >= %s AND word !~ '[0-9]' LIMIT %s",
                [MIN_WORD, VOCABULARY_MAX],
            )
            words = frozenset(row[0] for row in cursor.fetchall())
    else:
        found: set[str] = set()
        texts = PracticeSheet.objects.order_by("-id").values_list("search_text", "body_text")
        for text, body in texts[:VOCABULARY_ROWS]:
            for word in f"{text} {body}".split():
                word = word.strip(".,;:!?'\"()«»*_#`[]")
                if len(word) >= MIN_WORD and word.isalpha():
                    found.add(word)
        words = frozenset(found)
    cache.set(VOCABULARY_CACHE_KEY, words, VOCABULARY_SECONDS)
    return words


def forget_search_vocabulary() -> None:
    """Drop the cached vocabulary and tag list after a sheet was written."""
    cache.delete_many([VOCABULARY_CACHE_KEY, TAGS_CACHE_KEY])


# For each searched word (in order): whether the library holds it as a word, and the library's
# words nearest to it by trigram similarity (pg_trgm's "%" above NEAR_THRESHOLD), found through
# the trigram index of PracticeSearchWord (1-15 ms at 300,000 words).
NEAR_WORDS_SQL = """
SELECT
  EXISTS (SELECT 1 FROM practices_practicesearchword w WHERE w.word = q.word),
  ARRAY(
    SELECT w.word FROM practices_practicesearchword w WHERE w.word %% q.word
    ORDER BY similarity(w.word, q.word) DESC, w.word LIMIT %s
  )
FROM unnest(%s::text[]) WITH ORDINALITY AS q(word, n)
ORDER BY q.n
"""
NEAR_WORDS = 10
NEAR_THRESHOLD = 0.25


@contextmanager
def _search_settings() -> Iterator[None]:
    """On PostgreSQL, a transaction set for the search (the settings end with it):

    - synchronize_seqscans off: a broad word is read by a sequential scan, and on a table
      bigger than a quarter of shared_buffers PostgreSQL starts it where the last scan
      stopped; each search would rank another RANK_CANDIDATES sheets (the same words, another
      first page). Off, the candidates are always the first matches in the table.
    - pg_trgm.similarity_threshold lower than the default 0.3: a plural cut off the searched
      word ("termos" is searched as "termo") leaves "thermos" at 0.27.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('synchronize_seqscans', 'off', true), "
                "set_config('pg_trgm.similarity_threshold', %s, true)",
                [str(NEAR_THRESHOLD)],
            )
        yield


def _close_words_trigram(words: list[str]) -> list[str]:
    """close_words on PostgreSQL: the nearest words come from pg_trgm, difflib picks one."""
    # Run inside _search_settings (its trigram threshold).
    with connection.cursor() as cursor:
        cursor.execute(NEAR_WORDS_SQL, [NEAR_WORDS, words])
        found = cursor.fetchall()
    close = []
    for word, (exists, near) in zip(words, found, strict=True):
        # A word of the library, or inside a near one ("benevole" in "benevoles"), is kept.
        # (A LIKE '%word%' over every word cannot use the index with one pattern per row.)
        if word.isdigit() or exists or any(word in known for known in near):
            close.append(word)
            continue
        # Trigrams find the candidates ("acceuil" and "accueil" share few of them), difflib's
        # ratio (the SQLite fallback's) decides, so both databases correct alike.
        matches = difflib.get_close_matches(word, near, n=1, cutoff=0.75)
        close.append(matches[0] if matches else word)
    return close


def close_words(words: list[str]) -> list[str]:
    """Replace the words no sheet contains by the closest word of the library, if any."""
    if connection.vendor == "postgresql":
        with _search_settings():
            return _close_words_trigram(words)
    vocabulary = search_vocabulary()
    close = []
    for word in words:
        if word.isdigit() or any(word in known for known in vocabulary):
            close.append(word)
            continue
        # Only words of about the same length, starting or ending alike, are compared:
        # a typo rarely hits both ends of a word, and difflib is slow on big lists.
        near = [
            known
            for known in vocabulary
            if abs(len(known) - len(word)) <= 2 and (known[0] == word[0] or known[-2:] == word[-2:])
        ]
        matches = difflib.get_close_matches(word, near, n=1, cutoff=0.75)
        close.append(matches[0] if matches else word)
    return close


class _AnyOf(Lookup[Any]):
    """``column = ANY(array)``: a list of ids bound as one array parameter (PostgreSQL)."""

    lookup_name = "any_of"
    # The ids go as one array literal written here: no per-id preparation by the field
    # (~5 ms for 1,001 ids) nor array dumping by the driver (~2 ms).
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        array = "{" + ",".join(str(int(pk)) for pk in self.rhs) + "}"
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, array]


def _matching(
    sheets: QuerySet[PracticeSheet], words: list[str]
) -> tuple[QuerySet[PracticeSheet], int | None]:
    """The sheets holding every word: in the folded title, summary, tags or body (SQLite),
    or, on PostgreSQL, in the folded title, summary and tags or anywhere in the French
    full-text vector (body included, stems matched).
    Also how many matched (capped at RANK_CANDIDATES) when already known (PostgreSQL), else
    None."""
    if connection.vendor != "postgresql":
        # SQLite: every word in the folded title, summary and tags, or in the folded body.
        for word in words:
            sheets = sheets.filter(Q(search_text__contains=word) | Q(body_text__contains=word))
        return sheets, None
    folded = sheets
    for word in words:
        folded = folded.filter(search_text__contains=word)
    terms = [re.sub(r"\W", "", word) for word in words]
    raw = " & ".join(f"{term}:*" for term in terms if term)
    if not raw:
        return folded, None
    query = SearchQuery(raw, config="french", search_type="raw")
    all_words = Q()
    for word in words:
        all_words &= Q(search_text__contains=word)
    # Ranking every match of a broad word costs ~80 ms at 100k sheets: at most RANK_CANDIDATES
    # matches are ranked (the library shows at most COUNT_CAP results anyway); their ids come
    # from the GIN indexes in one query. (A second set "matching in the title", from the
    # weight-A query, was dropped: the planner cannot estimate weights and scanned the table.)
    # The full-text matches come first, then those only the folded texts hold (a stop word,
    # a word inside another), as two disjoint halves of a UNION ALL under one LIMIT: when the
    # full-text half fills the candidates, the second (the trigram index, 8-20 ms for two
    # words at 100k sheets) is never run.
    stems = sheets.filter(search_vector=query).order_by().values_list("pk", flat=True)
    others = (
        sheets.filter(all_words)
        .exclude(search_vector=query)
        .order_by()
        .values_list("pk", flat=True)
    )
    limit = RANK_CANDIDATES
    # Run inside _search_settings: the same search finds the same candidates.
    ids = list(stems[:limit].union(others[:limit], all=True)[:limit])
    # The ids go back as one array parameter: "IN (%s, %s, ...)" with 1,001 placeholders cost
    # ~10 ms of SQL compiling and quoting in Python per query.
    # alias(), not annotate(): a count would then compute no rank.
    ranked = PracticeSheet.objects.filter(_AnyOf(F("pk"), ids)).alias(
        rank=SearchRank(F("search_vector"), query, weights=RANK_WEIGHTS)
    )
    return ranked, len(ids)


def _ranked(sheets: QuerySet[PracticeSheet], words: list[str]) -> QuerySet[PracticeSheet]:
    """Order by relevance: full-text rank on PostgreSQL, else a score where a word found in
    the title weighs more than one in the summary or tags (search_text starts with the title)."""
    title = Substr("search_text", 1, Length("title"))
    score: Any = Value(0)
    for word in words:
        score = score + Case(
            When(Q(title_folded__contains=word), then=Value(3)),
            When(Q(search_text__contains=word), then=Value(2)),
            When(Q(body_text__contains=word), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    sheets = sheets.alias(title_folded=title, score=score)
    if connection.vendor == "postgresql" and "rank" in sheets.query.annotations:
        # The words in the title first, then the full-text rank (summary, tags, body).
        total = F("score") + F("rank")
        return sheets.alias(relevance=total * Value(1.0, output_field=FloatField())).order_by(
            "-relevance", "-published_at", "-id"
        )
    return sheets.order_by("-score", "-published_at", "-id")


def library_search(
    *,
    user: Any,
    query: str = "",
    tag: str = "",
    circle: Circle | None = None,
    sort: str = "recent",
    drafts: bool = False,
) -> LibrarySearch:
    """Return the sheets the user may read matching a search, ranked, with rows prefetched.

    "relevance" orders by how well the sheets match (title first); without words it is "recent".
    A misspelt word is replaced by the closest word of the library's vocabulary.
    """
    condition = draft_sheets_filter(user) if drafts else published_sheets_filter(user)
    sheets = PracticeSheet.objects.filter(condition)
    if tag:
        # The tag's id first: the sheets then come from the (tag, sheet) index alone.
        found = PracticeTag.objects.filter(name__iexact=tag).values_list("pk", flat=True).first()
        sheets = sheets.filter(tags=found) if found is not None else sheets.none()
    if circle is not None:
        sheets = sheets.filter(circle=circle)
    words = search_words(query)
    result = LibrarySearch(sheets=sheets, words=words)
    if words:
        with _search_settings():
            exact, count = _matching(sheets, words)
            if count if count is not None else exact.exists():
                result.sheets, result.count = exact, count
            else:
                # Nothing has all the words: a misspelt word is replaced by the closest one.
                if connection.vendor == "postgresql":
                    close = _close_words_trigram(words)
                else:
                    close = close_words(words)
                if close != words:
                    result.sheets, result.count = _matching(sheets, close)
                    result.words = close
                    result.corrected = " ".join(close)
                else:
                    result.sheets, result.count = exact, count
    if sort == "useful":
        order = ["-useful_count", "-published_at", "-id"]
    elif drafts:
        order = ["-updated_at", "-id"]
    else:
        order = ["-published_at", "-id"]
    if sort == "relevance" and result.words:
        result.sheets = _with_rows(_ranked(result.sheets, result.words))
    else:
        result.sheets = _with_rows(result.sheets.order_by(*order))
    return result


def popular_tags(limit: int = 30) -> list[PracticeTag]:
    """The tags of most network-wide sheets, for the library's filter (cached: a 100k-row count)."""
    cached = cache.get(TAGS_CACHE_KEY)
    if cached is None:
        # Only sheets the whole network reads: a secret circle's tag names stay unknown.
        cached = list(
            PracticeTag.objects.filter(
                sheets__status=PracticeStatus.PUBLISHED,
                sheets__visibility=PracticeVisibility.NETWORK,
            )
            .exclude(sheets__circle__visibility=Visibility.SECRET)
            .annotate(uses=Count("sheets"))
            .order_by("-uses", "name")[:limit]
        )
        cache.set(TAGS_CACHE_KEY, cached, TAGS_SECONDS)
    return cast(list[PracticeTag], cached)


def my_circles(user: Any) -> list[Circle]:
    """The circles the user belongs to, for the library's filter and the sheet form."""
    if user is None or not user.is_authenticated:
        return []
    return [
        m.circle
        for m in Membership.objects.filter(person__user=user, circle__archived_at__isnull=True)
        .select_related("circle")
        .order_by("circle__name")
    ]


def sheet_comments(sheet: PracticeSheet) -> list[PracticeComment]:
    return list(
        PracticeComment.objects.filter(sheet=sheet, hidden_at__isnull=True).select_related("author")
    )


def sheet_actions(user: Any, sheet: PracticeSheet) -> list[Action]:
    """The sheet's linked actions the user may see."""
    actions = sheet.actions.select_related("circle", "circle__parent").order_by("-starts_at")
    return [action for action in actions if can_see_action(user, action)]


def sheet_revisions(sheet: PracticeSheet) -> QuerySet[PracticeRevision]:
    return PracticeRevision.objects.filter(sheet=sheet).select_related("author")


def has_voted(user: Any, sheet: PracticeSheet) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return PracticeVote.objects.filter(sheet=sheet, person__user=user).exists()


def _folded_with_map(text: str) -> tuple[str, list[int]]:
    """Fold a text keeping, for each folded character, the index of its original character."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char):
            if not unicodedata.combining(part):
                for lower in part.lower():
                    folded.append(lower)
                    origin.append(index)
    return "".join(folded), origin


def highlight(text: str, words: list[str]) -> SafeString:
    """Escape a text and wrap the searched words (accents ignored) in <mark>."""
    if not text or not words:
        return SafeString(escape(text))
    folded, origin = _folded_with_map(text)
    marked = [False] * len(text)
    for word in words:
        start = folded.find(word)
        while start != -1 and word:
            for i in range(start, start + len(word)):
                marked[origin[i]] = True
            start = folded.find(word, start + len(word))
    out: list[str] = []
    index = 0
    while index < len(text):
        end = index
        while end < len(text) and marked[end] == marked[index]:
            end += 1
        chunk = escape(text[index:end])
        out.append(f"<mark>{chunk}</mark>" if marked[index] else chunk)
        index = end
    # Every chunk is escaped above.
    return mark_safe("".join(out))


def sheet_author_name(sheet: PracticeSheet) -> str:
    return str(sheet.author) if sheet.author is not None else ""


def sheets_for_action(user: Any, action: Action) -> list[PracticeSheet]:
    """The sheets linked to an action that the user may read (published, or drafts they edit)."""
    readable = published_sheets_filter(user) | draft_sheets_filter(user)
    return list(
        PracticeSheet.objects.filter(readable, actions=action)
        .select_related("circle")
        .order_by("-published_at", "-id")
    )
