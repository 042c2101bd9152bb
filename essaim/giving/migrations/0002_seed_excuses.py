"""Seed the excuses journey: the page's title and the seven excuses of the seed post.

Each excuse gets one answer (variant "A") written from true general facts only (the 66 %
tax reduction, two minutes to give online, published accounts); staff add their own
impact figures and variants. Running it again changes nothing (excuses found by address).
"""

from typing import Any

from django.db import migrations

INTRO = (
    "Vous n'aimez pas donner ? Vous n'êtes pas seul, et nous ne vous ferons pas la morale.\n\n"
    "Choisissez votre excuse : nous vous répondons franchement. Ensuite, c'est vous qui décidez."
)

EXCUSES: list[dict[str, str]] = [
    {
        "slug": "d-autres-donnent-pour-moi",
        "label": "D'autres donnent pour moi",
        "text": (
            "C'est vrai, d'autres donnent. C'est même grâce à eux que l'association existe "
            "aujourd'hui.\n\n"
            "Mais nos actions tiennent à la somme de dons souvent modestes : quand chacun compte "
            "sur les autres, c'est toute la chaîne qui s'affaiblit. Votre don n'a pas besoin "
            "d'être grand pour compter, et un don régulier nous permet de prévoir au lieu "
            "d'espérer."
        ),
        "impact": "Un don de 10 € par mois ne vous coûte que 3,40 € après réduction d'impôt.",
    },
    {
        "slug": "on-me-sollicite-trop-souvent",
        "label": "On me sollicite trop souvent",
        "text": (
            "Vous avez raison de le dire, et nous l'entendons : les appels aux dons se "
            "multiplient, et on finit par ne plus les lire.\n\n"
            "Ici, c'est vous qui décidez. Vous choisissez le montant et la fréquence ; un don "
            "mensuel se met en pause ou s'arrête à tout moment, depuis le lien reçu par e-mail, "
            "sans avoir à vous justifier. Et si vous ne voulez pas de nos nouvelles, ne cochez "
            "pas la case : nous ne vous écrirons que pour votre reçu fiscal."
        ),
        "impact": "",
    },
    {
        "slug": "j-ai-assez-de-problemes-comme-ca",
        "label": "J'ai assez de problèmes comme ça",
        "text": (
            "On ne vous demande pas de porter les problèmes du monde. Vous avez les vôtres, et "
            "ils sont bien réels.\n\n"
            "Donner, même un peu, c'est une façon de ne pas rester seul face à ce qui ne va "
            "pas : vous rejoignez des personnes qui agissent ensemble. Et si le budget est "
            "serré, donner du temps compte tout autant."
        ),
        "impact": "",
    },
    {
        "slug": "je-n-ai-pas-le-temps",
        "label": "Je n'ai pas le temps",
        "text": (
            "Ça tombe bien : donner en ligne prend deux minutes. Un montant, vos coordonnées "
            "pour le reçu fiscal, un paiement sécurisé, et c'est fait.\n\n"
            "Avec un don mensuel, vous n'aurez plus à y penser : il se fait tout seul, et vous "
            "recevez chaque année un reçu récapitulatif pour votre déclaration d'impôt."
        ),
        "impact": "Deux minutes : le temps qu'il faut pour donner en ligne.",
    },
    {
        "slug": "je-ne-sais-pas-ou-va-l-argent",
        "label": "Je ne sais pas où va l'argent",
        "text": (
            "C'est la bonne question, et vous avez droit à une réponse. L'association publie "
            "ses comptes chaque année : ce qu'elle reçoit, ce qu'elle dépense, et pour quoi.\n\n"
            "Sur notre blog, nous racontons ce que les dons ont rendu possible. Et si une "
            "question reste sans réponse, écrivez-nous : nous vous répondrons."
        ),
        "impact": "",
    },
    {
        "slug": "je-n-ai-pas-de-monnaie-sur-moi",
        "label": "Je n'ai pas de monnaie sur moi",
        "text": (
            "Pas besoin de monnaie : une carte bancaire suffit. Vous pouvez aussi donner par "
            "chèque ou par virement.\n\n"
            "Et comme votre don est enregistré à votre nom, vous recevez un reçu fiscal : si "
            "vous êtes imposable, 66 % de votre don vient en réduction de votre impôt sur le "
            "revenu (dans la limite de 20 % de votre revenu imposable)."
        ),
        "impact": "Un don de 30 € ne vous coûte que 10,20 € après réduction d'impôt.",
    },
    {
        "slug": "ca-ne-sert-a-rien",
        "label": "Ça ne sert à rien",
        "text": (
            "Nous comprenons ce découragement : les problèmes sont immenses, et un don paraît "
            "minuscule à côté.\n\n"
            "Mais une association ne change pas le monde d'un coup : elle change des "
            "situations, une par une, avec des personnes qui donnent de l'argent ou du temps. "
            "Les récits de celles et ceux que nous accompagnons répondent mieux que nous à "
            "cette excuse."
        ),
        "impact": "",
    },
]


def seed(apps: Any, schema_editor: Any) -> None:
    JourneySettings = apps.get_model("giving", "JourneySettings")
    Excuse = apps.get_model("giving", "Excuse")
    Rebuttal = apps.get_model("giving", "Rebuttal")
    JourneySettings.objects.get_or_create(
        pk=1, defaults={"title": "Je n'aime pas donner", "intro": INTRO}
    )
    for position, row in enumerate(EXCUSES):
        if Excuse.objects.filter(slug=row["slug"]).exists():
            continue
        excuse = Excuse.objects.create(slug=row["slug"], label=row["label"], position=position)
        Rebuttal.objects.create(
            excuse=excuse, name="A", text=row["text"], impact_figure=row["impact"]
        )


class Migration(migrations.Migration):
    dependencies = [("giving", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
