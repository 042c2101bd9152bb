"""PostgreSQL: compare referral paths byte by byte (COLLATE "C").

Downline queries select a subtree with a range on the path (``path >= p AND path < p ||
'~'``). Under a linguistic collation the btree index is ordered by language rules and the
range is wrong or unindexed; "C" orders by bytes as SQLite always does. Altering the type
rebuilds the column's existing index with the new collation.
"""

from django.db import migrations


def collate_c(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'ALTER TABLE people_person ALTER COLUMN referral_path TYPE varchar(1000) COLLATE "C"'
    )


def collate_default(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'ALTER TABLE people_person ALTER COLUMN referral_path TYPE varchar(1000) COLLATE "default"'
    )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_person_referral_tree"),
        ("referrals", "0001_initial"),
    ]

    operations = [migrations.RunPython(collate_c, collate_default, elidable=False)]
