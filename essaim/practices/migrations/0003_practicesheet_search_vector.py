"""A stored French full-text vector for the library's relevance ranking (PostgreSQL only).

The vector is built from accent-folded texts (title weight A, summary and tags B, body C), so
the ``french`` configuration's stemming forgives plurals without the unaccent extension.
SQLite keeps the column empty: its search ranks with a simple score instead."""

import unicodedata

import django.contrib.postgres.search
from django.db import migrations

VECTOR_SQL = (
    "UPDATE practices_practicesheet AS s SET search_vector = "
    "setweight(to_tsvector('french', v.t), 'A') || setweight(to_tsvector('french', v.s), 'B') "
    "|| setweight(to_tsvector('french', v.b), 'C') "
    "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS v(id, t, s, b) "
    "WHERE s.id = v.id"
)


def _fold(text):
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS practices_sheet_search_vector "
        "ON practices_practicesheet USING gin (search_vector)"
    )
    Sheet = apps.get_model("practices", "PracticeSheet")
    rows = Sheet.objects.order_by("pk").values_list("pk", "title", "summary", "body", "search_text")
    batch: list = []
    with schema_editor.connection.cursor() as cursor:
        for row in rows.iterator(chunk_size=2000):
            batch.append(row)
            if len(batch) == 2000:
                _write(cursor, batch)
                batch = []
        if batch:
            _write(cursor, batch)


def _write(cursor, batch):
    cursor.execute(
        VECTOR_SQL,
        [
            [r[0] for r in batch],
            [_fold(r[1]) for r in batch],
            # search_text holds the folded title, summary and tags: the title part is dropped.
            [r[4][len(_fold(r[1])) :] for r in batch],
            [_fold(r[3]) for r in batch],
        ],
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS practices_sheet_search_vector")


class Migration(migrations.Migration):
    dependencies = [("practices", "0002_a4_search_trigram")]

    operations = [
        migrations.AddField(
            model_name="practicesheet",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(
                blank=True, editable=False, null=True
            ),
        ),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
