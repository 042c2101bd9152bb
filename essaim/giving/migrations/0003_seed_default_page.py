"""Seed a usable default giving page: "Soutenir l'association" and its suggested amounts.

15, 30, 50 and 100 € once; 10, 20 and 30 € a month, each with a neutral phrase staff
replace with their own impact figures. A site that already has a default page (or a page
at this address) is left alone, so running it again changes nothing.
"""

from typing import Any

from django.db import migrations

SLUG = "soutenir-l-association"
AMOUNTS = [
    ("one_off", 1500, "Un coup de pouce qui compte"),
    ("one_off", 3000, "Un soutien concret à nos actions"),
    ("one_off", 5000, "Une aide précieuse pour agir dans la durée"),
    ("one_off", 10000, "Un engagement fort à nos côtés"),
    ("monthly", 1000, "Un soutien régulier qui nous permet de prévoir"),
    ("monthly", 2000, "Une présence fidèle tout au long de l'année"),
    ("monthly", 3000, "Un pilier de nos actions, mois après mois"),
]


def seed(apps: Any, schema_editor: Any) -> None:
    page_model = apps.get_model("giving", "GivingPage")
    amount_model = apps.get_model("giving", "SuggestedAmount")
    if page_model.objects.filter(is_default=True).exists():
        return
    if page_model.objects.filter(slug=SLUG).exists():
        return
    page = page_model.objects.create(
        title="Soutenir l'association",
        slug=SLUG,
        kind="general",
        intro=(
            "Votre don nous permet d'agir en toute indépendance. Chaque euro compte, "
            "et un don mensuel nous aide à prévoir nos actions."
        ),
        allow_one_off=True,
        allow_monthly=True,
        default_frequency="one_off",
        allow_free_amount=True,
        minimum_cents=500,
        goal_cents=0,
        is_default=True,
        is_active=True,
        thank_you_text="Merci pour votre générosité : votre don compte pour nous.",
    )
    positions: dict[str, int] = {}
    for frequency, cents, impact in AMOUNTS:
        positions[frequency] = positions.get(frequency, -1) + 1
        amount_model.objects.create(
            page=page,
            frequency=frequency,
            amount_cents=cents,
            impact=impact,
            position=positions[frequency],
        )


class Migration(migrations.Migration):
    dependencies = [("giving", "0002_seed_excuses")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
