"""Tree positions in their own narrow table, and the network figures' running totals.

- TreePosition takes each person's referral path and depth from people_person (copied
  here; people 0007 then drops the columns): moving a subtree rewrites these narrow rows
  and their two indexes instead of contact rows with fifteen. The path compares byte by
  byte (COLLATE "C" on PostgreSQL, as 0002 did for the old column) so that a subtree is a
  range of its index.
- NetworkTally holds the totals behind the whole-network figures (essaim.referrals.tally),
  counted here from the tables once.
"""

from collections import Counter

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def collate_c(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE referrals_treeposition ALTER COLUMN path TYPE varchar(1000) COLLATE "C"'
        )


COPY_POSITIONS = (
    "INSERT INTO referrals_treeposition (person_id, path, depth) "
    "SELECT id, referral_path, referral_depth FROM people_person WHERE referral_path <> ''"
)
COPY_BACK = (
    "UPDATE people_person SET "
    "referral_path = (SELECT t.path FROM referrals_treeposition t WHERE t.person_id = people_person.id), "
    "referral_depth = (SELECT t.depth FROM referrals_treeposition t WHERE t.person_id = people_person.id) "
    "WHERE id IN (SELECT person_id FROM referrals_treeposition)"
)


def month(moment):  # type: ignore[no-untyped-def]
    return timezone.localtime(moment).strftime("%Y-%m") if moment else ""


def fill_tallies(apps, schema_editor):  # type: ignore[no-untyped-def]
    # The same counts as essaim.referrals.tally.network_tally_scan, frozen for this step.
    person = apps.get_model("people", "Person")
    event = apps.get_model("referrals", "ReferralEvent")
    visit_day = apps.get_model("referrals", "LinkVisitDay")
    tally = apps.get_model("referrals", "NetworkTally")
    counts: Counter = Counter()
    amounts: Counter = Counter()
    rows = person.objects.filter(erased_at__isnull=True).values_list(
        "created_at", "referred_by_id", "referred_at", "referral_depth"
    )
    for created_at, referrer_id, referred_at, depth in rows.iterator(chunk_size=20000):
        counts[("arrived", month(created_at))] += 1
        if referrer_id is not None:
            counts[("referred", month(referred_at))] += 1
            if depth:
                counts[("depth", f"{depth:03d}")] += 1
    grouped = (
        event.objects.values_list("channel", "campaign", "kind")
        .annotate(n=models.Count("id"), amount=models.Sum("amount_cents"))
        .order_by()
    )
    for channel, campaign_id, kind, n, amount in grouped:
        key = ("event", f"{channel}|{campaign_id or ''}|{kind}")
        counts[key] += n
        amounts[key] += amount or 0
    for day, count in visit_day.objects.values_list("day", "count").iterator(chunk_size=20000):
        counts[("visits", day.strftime("%Y-%m"))] += count
    tally.objects.bulk_create(
        tally(
            metric=metric, key=key, count=counts[(metric, key)], amount_cents=amounts[(metric, key)]
        )
        for metric, key in sorted(counts)
        if key
    )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0006_lean_indexes"),
        ("referrals", "0006_invitation_retries"),
    ]

    operations = [
        migrations.CreateModel(
            name="TreePosition",
            fields=[
                (
                    "person",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="tree_position",
                        serialize=False,
                        to="people.person",
                    ),
                ),
                ("path", models.CharField(max_length=1000)),
                ("depth", models.PositiveSmallIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(collate_c, migrations.RunPython.noop, elidable=False),
        migrations.RunSQL(COPY_POSITIONS, reverse_sql=COPY_BACK, elidable=False),
        migrations.AddIndex(
            model_name="treeposition",
            index=models.Index(fields=["path"], name="referrals_position_path_idx"),
        ),
        migrations.CreateModel(
            name="NetworkTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("metric", models.CharField(max_length=12)),
                ("key", models.CharField(max_length=80)),
                ("count", models.BigIntegerField(default=0)),
                ("amount_cents", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddConstraint(
            model_name="networktally",
            constraint=models.UniqueConstraint(
                fields=("metric", "key"), name="referrals_tally_unique"
            ),
        ),
        migrations.AddIndex(
            model_name="referralevent",
            index=models.Index(fields=["kind", "person"], name="referrals_event_kind_person"),
        ),
        migrations.RunPython(fill_tallies, migrations.RunPython.noop, elidable=False),
    ]
