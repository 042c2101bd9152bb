"""On PostgreSQL, index Person.search_text with trigrams so that directory search
(``LIKE '%word%'``) uses an index instead of reading the whole table. SQLite has no
such index type; its scan stays fast enough for the sizes SQLite is meant for."""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS people_person_search_trgm "
        "ON people_person USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS people_person_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("people", "0002_import_job")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
