"""On PostgreSQL, index PracticeSheet.search_text with trigrams: the library's word search
(``LIKE '%word%'``) and its close-word fallback (``word_similarity``) use the index instead of
reading every sheet. SQLite has no such index type; its scan suits the sizes it is meant for.
Also an index for the library sorted by "most useful"."""

from django.db import migrations, models


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS practices_sheet_search_trgm "
        "ON practices_practicesheet USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS practices_sheet_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("practices", "0001_initial"), ("people", "0003_person_search_trigram")]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
        migrations.AddIndex(
            model_name="practicesheet",
            index=models.Index(
                fields=["status", "-useful_count", "-published_at"], name="practices_useful_idx"
            ),
        ),
    ]
