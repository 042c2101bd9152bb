"""Distinct words of the library with a trigram index (PostgreSQL): the close-word fallback of
the search asks ``pg_trgm`` for the words nearest a misspelt one instead of loading and scanning
a vocabulary in Python. SQLite keeps the table empty (its fallback keeps its vocabulary)."""

import re
import unicodedata

from django.db import migrations, models

WORD = re.compile(r"\b[^\W\d_]{3,40}\b")
INSERT_SQL = (
    "INSERT INTO practices_practicesearchword (word) SELECT unnest(%s::text[]) "
    "ON CONFLICT (word) DO NOTHING"
)


def _fold(text):
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def fill_words(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS practices_searchword_trgm "
        "ON practices_practicesearchword USING gin (word gin_trgm_ops)"
    )
    Sheet = apps.get_model("practices", "PracticeSheet")
    words = set()
    # search_text holds the folded title, summary and tags.
    for text, body in Sheet.objects.values_list("search_text", "body").iterator(chunk_size=2000):
        words.update(WORD.findall(text))
        words.update(WORD.findall(_fold(body)))
    ordered = sorted(words)
    with schema_editor.connection.cursor() as cursor:
        for start in range(0, len(ordered), 10000):
            cursor.execute(INSERT_SQL, [ordered[start : start + 10000]])


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS practices_searchword_trgm")


class Migration(migrations.Migration):
    dependencies = [("practices", "0004_body_text")]

    operations = [
        migrations.CreateModel(
            name="PracticeSearchWord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("word", models.CharField(max_length=40, unique=True)),
            ],
        ),
        migrations.RunPython(fill_words, drop_index, elidable=False),
    ]
