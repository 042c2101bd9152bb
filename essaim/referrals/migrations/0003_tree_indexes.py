"""Indexes of the tree pages and figures on people_person.

- (referred_by_id, downline_count DESC, id): a person's children biggest first, 50 a
  page, and the hard core (referred_by_id IS NULL) in the same order, without sorting;
- downline_count and direct_referrals_count: the top relays without a full scan.

Created with SQL (on both databases) because Person belongs to the people app and these
indexes serve only the referral tree.
"""

from django.db import migrations

INDEXES = (
    ("people_person_tree_children_idx", "(referred_by_id, downline_count DESC, id)"),
    ("people_person_downline_idx", "(downline_count)"),
    ("people_person_direct_idx", "(direct_referrals_count)"),
)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0002_tree_path_collation")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {name} ON people_person {columns}",
            reverse_sql=f"DROP INDEX {name}",
            elidable=False,
        )
        for name, columns in INDEXES
    ]
