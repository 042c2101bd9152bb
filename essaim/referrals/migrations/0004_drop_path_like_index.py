"""PostgreSQL: drop the varchar_pattern_ops ("_like") index Django adds on referral_path.

Subtree queries are byte ranges served by the plain index (COLLATE "C"); nothing runs
LIKE on the path. Moving a subtree rewrites the path of every row in it, and each index
on the column costs one more write per row.
"""

from django.db import migrations


def drop_like_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'people_person' "
            "AND indexname LIKE 'people_person_referral_path_%%_like'"
        )
        for (name,) in cursor.fetchall():
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create_like_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS people_person_referral_path_like "
        "ON people_person (referral_path varchar_pattern_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [("referrals", "0003_tree_indexes")]

    operations = [migrations.RunPython(drop_like_index, create_like_index, elidable=False)]
