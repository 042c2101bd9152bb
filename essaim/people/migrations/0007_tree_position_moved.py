"""The referral path and depth now live in referrals.TreePosition (copied by referrals 0007)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0006_lean_indexes"),
        ("referrals", "0007_tree_position_and_network_tally"),
    ]

    operations = [
        migrations.RemoveField(model_name="person", name="referral_depth"),
        migrations.RemoveField(model_name="person", name="referral_path"),
    ]
