"""Set up the demo association used by `make run`; a second run reuses everything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.accounts.models import Role, RoleGrant, User
from essaim.accounts.services import role_grant
from essaim.circles.discussions import message_post, thread_create
from essaim.circles.models import Circle, CircleKind, JoinPolicy, Visibility
from essaim.circles.services import circle_create, membership_join
from essaim.core.models import Organisation
from essaim.core.populate import populate
from essaim.core.services import organisation_update
from essaim.people.models import Person
from essaim.people.services import person_ensure_for_user, person_update

DEMO_ORGANISATION: dict[str, Any] = {
    "name": "Les Amis du Quartier",
    "short_name": "Amis du Quartier",
    "tagline": "Entraide, jardins partagés et fêtes de rue dans le 11e arrondissement",
    "primary_color": "#2d5f3f",
    "accent_color": "#9c3d1a",
    "website_url": "https://amis-du-quartier.example.org",
    "contact_email": "bonjour@amis-du-quartier.example.org",
    "rna_number": "W751234567",
    "siren": "552100554",
    "address_line1": "12 rue de la Fontaine-au-Roi",
    "postal_code": "75011",
    "city": "Paris",
    "purpose": (
        "Favoriser l'entraide entre les habitants du quartier, animer des jardins partagés "
        "et organiser des moments de convivialité ouverts à tous."
    ),
    "tax_reduction_rate": 66,
    "receipt_signer_name": "Camille Martin",
    "receipt_signer_role": "Présidente",
}


DEMO_CIRCLE_SLUG = "antenne-paris-11"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    given_name: str
    family_name: str
    role: str | None
    label: str
    member: bool = True


DEMO_ACCOUNTS = (
    DemoAccount(
        "admin@demo.essaim.fr", "essaim-admin", "Camille", "Martin", Role.ADMIN, "Administratrice"
    ),
    DemoAccount(
        "tresorier@demo.essaim.fr",
        "essaim-tresorier",
        "Hugo",
        "Bernard",
        Role.TREASURER,
        "Trésorier",
    ),
    DemoAccount(
        "communication@demo.essaim.fr",
        "essaim-communication",
        "Léa",
        "Dubois",
        Role.COMMUNICATION,
        "Communication",
    ),
    DemoAccount(
        "coordinateur@demo.essaim.fr",
        "essaim-coordinateur",
        "Karim",
        "Haddad",
        Role.COORDINATOR,
        "Coordinateur",
    ),
    DemoAccount(
        "adherent@demo.essaim.fr", "essaim-adherent", "Sophie", "Laurent", None, "Adhérente"
    ),
    DemoAccount(
        "sympathisant@demo.essaim.fr",
        "essaim-sympathisant",
        "Lucas",
        "Petit",
        None,
        "Sympathisant",
        member=False,
    ),
)


DEMO_ARTICLES: tuple[dict[str, Any], ...] = (
    {
        "title": "Le jardin partagé de la rue des Lilas a fêté ses cinq ans",
        "summary": "Cinq ans de salades, de tomates et de voisins qui se parlent enfin.",
        "body": (
            "Il y a cinq ans, la parcelle n'était qu'une friche. Aujourd'hui, **trente "
            "familles** y cultivent leurs légumes.\n\n## Ce qui a marché\n\n"
            "- un arrosage partagé, organisé par un tableau au local ;\n"
            "- des ateliers le mercredi pour les enfants ;\n"
            "- une fête chaque juin, ouverte à tout le quartier.\n\n"
            "## Et maintenant ?\n\nNous cherchons des bénévoles pour ouvrir une seconde "
            "parcelle au printemps. Passez nous voir le samedi matin !"
        ),
        "tags": "jardin partagé, environnement",
        "life": False,
        "with_cover": True,
    },
    {
        "title": "Assemblée générale : le bilan de l'année en dix minutes",
        "summary": "Nos comptes, nos actions et nos projets, résumés pour celles et ceux qui "
        "n'ont pas pu venir.",
        "body": (
            "Merci aux **quatre-vingts adhérents** venus à l'assemblée générale.\n\n"
            "## Les chiffres\n\n| Action | Personnes aidées |\n|---|---:|\n"
            "| Distribution du samedi | 1 240 |\n| Soutien scolaire | 64 |\n"
            "| Maraude du jeudi | 310 |\n\n## Les projets\n\nUne seconde permanence "
            "d'accès aux droits ouvrira en septembre."
        ),
        "tags": "assemblée générale, rapport annuel",
        "life": True,
        "with_cover": False,
    },
    {
        "title": "Devenir bénévole : deux heures par mois suffisent",
        "summary": "Pas besoin d'être disponible tous les jours pour être utile : voici "
        "comment commencer.",
        "body": (
            "Beaucoup pensent qu'il faut beaucoup de temps pour aider. C'est faux.\n\n"
            "## Comment commencer\n\n1. Venez à une permanence, le mardi soir.\n"
            "2. Choisissez une mission : accueil, logistique, soutien scolaire.\n"
            "3. Un bénévole expérimenté vous accompagne les premières fois.\n\n"
            "> « J'ai commencé par deux heures un samedi, je ne suis jamais reparti. » "
            "— Karim, bénévole depuis 2019"
        ),
        "tags": "bénévolat, accueil",
        "life": True,
        "with_cover": False,
    },
    {
        "title": "Maraude du jeudi : l'hiver approche",
        "summary": "Couvertures, boissons chaudes, écoute : ce dont nous avons besoin pour "
        "passer l'hiver.",
        "body": (
            "Chaque jeudi soir, une équipe de six bénévoles part à la rencontre des "
            "personnes à la rue du quartier.\n\n## Ce qui nous manque\n\n"
            "- des **couvertures** et des duvets propres ;\n- des thermos ;\n"
            "- des bénévoles disponibles un jeudi sur deux, de 19 h à 22 h.\n\n"
            "Vous pouvez déposer vos dons au local, 12 rue de la Fontaine-au-Roi."
        ),
        "tags": "maraude, hiver, solidarité",
        "life": False,
        "with_cover": False,
    },
)


def _demo_cover() -> bytes:
    """Draw a garden-like picture (sky, rows of plants) as a JPEG, 1600 x 900."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1600, 900), (170, 205, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 420, 1600, 900), fill=(120, 85, 55))
    for row in range(5):
        y = 470 + row * 90
        for x in range(40 + (row % 2) * 40, 1600, 80):
            draw.ellipse((x - 28, y - 22, x + 28, y + 22), fill=(60 + row * 12, 140, 60))
    draw.ellipse((1300, 60, 1440, 200), fill=(250, 215, 90))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82)
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Create (once) the demo association, its accounts and a few hundred contacts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=300, help="Contacts on first run.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--force", action="store_true", help="Allow running with ESSAIM_ENV=production."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", False) and not options["force"]:
            raise CommandError(
                _(
                    "La démonstration crée des comptes aux mots de passe connus : elle est "
                    "refusée en production (ajoutez --force si c'est bien voulu)."
                )
            )
        created: list[str] = []
        with transaction.atomic():
            if self._setup_organisation():
                created.append(_("organisation"))
            accounts = sum(self._ensure_account(account) for account in DEMO_ACCOUNTS)
            if accounts:
                created.append(_("%(n)s comptes") % {"n": accounts})
        # The demo contacts are loaded once; the accounts' own people have a user.
        if not Person.objects.filter(user__isnull=True).exists() and options["persons"] > 0:
            self.stdout.write(
                _("Création de %(n)s contacts de démonstration…") % {"n": options["persons"]}
            )
            populate(persons=options["persons"], seed=options["seed"], log=lambda _msg: None)
            created.append(_("%(n)s contacts") % {"n": options["persons"]})
        if self._setup_network():
            created.append(_("un cercle avec une discussion"))
        if self._setup_actions():
            created.append(_("deux actions et une fiche pratique"))
        if self._setup_blog():
            created.append(_("quatre articles et un récit sur le site public"))
        if self._setup_giving():
            created.append(_("une vingtaine de dons, leurs reçus fiscaux et un don mensuel"))
        if self._setup_journey():
            created.append(_("deux mois de chiffres du parcours des excuses et un test A/B"))
        if created:
            self.stdout.write(self.style.SUCCESS(_("Créé : ") + ", ".join(created) + "."))
        else:
            self.stdout.write(_("Données de démonstration déjà en place : rien de nouveau créé."))
        self._print_table()

    def _setup_organisation(self) -> bool:
        # Read the row itself, not the cached copy: the cache may lag a transaction behind.
        current, _created = Organisation.objects.get_or_create(pk=Organisation.SINGLETON_PK)
        # Only a never-configured organisation is filled in: an admin's edits are kept.
        default_name = Organisation._meta.get_field("name").default
        if current.name != default_name:
            return False
        organisation_update(actor=None, organisation=current, data=DEMO_ORGANISATION)
        return True

    def _setup_network(self) -> bool:
        """Give the demo accounts a circle with a discussion, so the network is not empty."""
        if Circle.objects.filter(slug=DEMO_CIRCLE_SLUG).exists():
            return False
        users = {a.email: User.objects.get(email__iexact=a.email) for a in DEMO_ACCOUNTS}
        coordinator = users["coordinateur@demo.essaim.fr"]
        member = users["adherent@demo.essaim.fr"]
        parent = Circle.objects.filter(kind=CircleKind.NATIONAL).order_by("pk").first()
        with transaction.atomic():
            circle = circle_create(
                actor=coordinator,
                name=_("Antenne Paris 11e"),
                slug=DEMO_CIRCLE_SLUG,
                kind=CircleKind.BRANCH,
                description=_(
                    "Les bénévoles du 11e arrondissement : jardins partagés, fête de rue, "
                    "aide aux devoirs."
                ),
                parent=parent,
                visibility=Visibility.PRIVATE,
                join_policy=JoinPolicy.OPEN,
            )
            membership_join(actor=member, circle=circle)
            posted = thread_create(
                actor=coordinator,
                circle=circle,
                title=_("Préparer la fête de rue du 14 juin"),
                body=_(
                    "Bonjour à toutes et à tous,\n\nIl nous faut **six bénévoles** pour "
                    "l'accueil et deux pour la buvette. @Sophie Laurent, peux-tu reprendre la "
                    "liste de l'an dernier ?"
                ),
            )
            message_post(
                actor=member,
                thread=posted.thread,
                body=_("Avec plaisir ! Je la partage ici d'ici vendredi."),
            )
        return True

    def _setup_actions(self) -> bool:
        """Give the demo circle an action in preparation and one evaluated, and a practice sheet."""
        from essaim.actions import evaluation, missions, services
        from essaim.actions.models import (
            Action,
            ActionStatus,
            ActionVisibility,
            Metric,
            Mission,
            MissionSignup,
            SignupStatus,
        )
        from essaim.practices.services import practice_create, practice_publish

        circle = Circle.objects.filter(slug=DEMO_CIRCLE_SLUG).first()
        if circle is None or Action.objects.filter(circle=circle).exists():
            return False
        users = {a.email: User.objects.get(email__iexact=a.email) for a in DEMO_ACCOUNTS}
        coordinator = users["coordinateur@demo.essaim.fr"]
        member = users["adherent@demo.essaim.fr"]
        member_person = Person.objects.get(user=member)
        today = timezone.localtime().replace(minute=0, second=0, microsecond=0)
        with transaction.atomic():
            fete_start = (today + timedelta(days=12)).replace(hour=14)
            fete = services.action_create(
                actor=coordinator,
                circle=circle,
                title=_("Fête de rue de la rue Oberkampf"),
                kind="event",
                starts_at=fete_start,
                ends_at=fete_start + timedelta(hours=6),
                visibility=ActionVisibility.PUBLIC,
                summary=_("Jeux, buvette et concert : venez rencontrer les bénévoles du 11e."),
                description=_(
                    "La fête de rue annuelle de l'antenne : **jeux pour les enfants**, buvette, "
                    "concert en fin d'après-midi et stand d'information."
                ),
                place_name=_("Rue Oberkampf, devant le square"),
                postal_code="75011",
                city="Paris",
                capacity=300,
            )
            fete = services.action_transition(
                actor=coordinator, action=fete, target=ActionStatus.PREPARING
            )
            services.objective_create(
                actor=coordinator, action=fete, metric=Metric.PARTICIPANTS, target=200
            )
            services.objective_create(
                actor=coordinator, action=fete, metric=Metric.MONEY, target=50_000
            )
            services.task_create(
                actor=coordinator,
                action=fete,
                title=_("Demander l'autorisation d'occuper la rue"),
                due_on=(today - timedelta(days=2)).date(),
            )
            services.task_create(
                actor=coordinator,
                action=fete,
                title=_("Imprimer les affiches"),
                assignee=member_person,
                due_on=(today + timedelta(days=5)).date(),
            )
            welcome = missions.mission_create(
                actor=coordinator,
                action=fete,
                data={
                    "role": _("Accueil"),
                    "description": _("Accueillir les visiteurs et présenter l'association."),
                    "starts_at": fete_start,
                    "ends_at": fete_start + timedelta(hours=3),
                    "capacity": 6,
                },
            )
            missions.mission_create(
                actor=coordinator,
                action=fete,
                data={
                    "role": _("Buvette"),
                    "skills": _("permis d'exploitation apprécié"),
                    "starts_at": fete_start,
                    "ends_at": fete_start + timedelta(hours=6),
                    "capacity": 2,
                },
            )
            missions.mission_signup(actor=member, mission=welcome)

            market_start = (today - timedelta(days=9)).replace(hour=9)
            market = services.action_create(
                actor=coordinator,
                circle=circle,
                title=_("Collecte solidaire au marché Richard-Lenoir"),
                kind="fundraiser",
                starts_at=market_start,
                ends_at=market_start + timedelta(hours=4),
                visibility=ActionVisibility.CIRCLE,
                place_name=_("Marché Richard-Lenoir"),
                city="Paris",
            )
            market = services.action_transition(
                actor=coordinator, action=market, target=ActionStatus.PREPARING
            )
            goal = services.objective_create(
                actor=coordinator, action=market, metric=Metric.MONEY, target=80_000
            )
            stand = missions.mission_create(
                actor=coordinator,
                action=market,
                data={
                    "role": _("Tenue du stand"),
                    "starts_at": market_start,
                    "ends_at": market_start + timedelta(hours=4),
                    "capacity": 4,
                },
            )
            # History: she signed up before the market (sign-ups close once a mission starts).
            signup = MissionSignup.objects.create(
                mission=stand, person=member_person, status=SignupStatus.CONFIRMED
            )
            Mission.objects.filter(pk=stand.pk).update(confirmed_count=1)
            for step in (ActionStatus.RUNNING, ActionStatus.DONE):
                market = services.action_transition(actor=coordinator, action=market, target=step)
            missions.signup_check_in(actor=coordinator, signup=signup, attended=True)
            evaluation.debrief_update(
                actor=coordinator,
                action=market,
                what_worked=_("Le stand près de l'entrée du marché : beaucoup de passage."),
                to_improve=_(
                    "Prévoir un terminal de paiement par carte : peu de gens ont du liquide."
                ),
                notes=_("Merci aux quatre bénévoles présents malgré la pluie."),
                achieved={goal.pk: 92_350},
            )
            services.action_transition(
                actor=coordinator, action=market, target=ActionStatus.EVALUATED
            )
            sheet = practice_create(
                actor=coordinator,
                title=_("Tenir un stand de collecte sur un marché"),
                summary=_("Où se placer, quoi apporter, comment aborder les passants."),
                body=_(
                    "## Avant\n\n- Demander l'accord du placier.\n- Prévoir un terminal de "
                    "paiement par carte.\n\n## Pendant\n\nSe placer près d'une entrée, "
                    "sourire, raconter une histoire vraie plutôt qu'un chiffre."
                ),
                tags=_("collecte, marché"),
                circle=circle,
                actions=[market],
            )
            practice_publish(actor=coordinator, sheet=sheet)
        return True

    def _setup_blog(self) -> bool:
        """Give the public site four articles in two categories (one with a cover) and a story."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        from essaim.blog import services as blog
        from essaim.blog.models import Article, ConsentUse, ImageRights, Story
        from essaim.blog.stories import consent_record, story_create, story_publish
        from essaim.core.pagecache import bump

        if Article.objects.exists() or Story.objects.exists():
            return False
        writer = User.objects.filter(email="communication@demo.essaim.fr").first()
        with transaction.atomic():
            life = blog.category_create(
                actor=writer,
                name=_("Vie de l'association"),
                description=_("Nouvelles de l'équipe, assemblées et bilans."),
            )
            solidarity = blog.category_create(
                actor=writer,
                name=_("Solidarité"),
                description=_("Distributions, maraudes, jardins partagés."),
            )
            cover = blog.image_upload(
                actor=writer,
                file=SimpleUploadedFile("jardin.jpg", _demo_cover(), content_type="image/jpeg"),
                alt_text=_("Des bénévoles plantent des salades dans un jardin partagé"),
                credit="Les Amis du Quartier",
            )
        # Make the responsive variants now: `make run` starts no task worker.
        blog.image_variants_make(image_id=cover.pk)
        now = timezone.now()
        for days, data in enumerate(DEMO_ARTICLES):
            fields = dict(data)
            fields["category"] = life if fields.pop("life") else solidarity
            if fields.pop("with_cover"):
                fields["cover"] = cover
            article = blog.article_create(actor=writer, data=fields)
            article = blog.article_publish(actor=writer, article=article)
            # Spread the publication dates over the last weeks, as on a real blog.
            Article.objects.filter(pk=article.pk).update(
                published_at=now - timedelta(days=7 * (len(DEMO_ARTICLES) - days)),
                content_updated_at=now - timedelta(days=7 * (len(DEMO_ARTICLES) - days)),
            )
        bump("articles")
        with transaction.atomic():
            story = story_create(
                actor=writer,
                title=_("Amina, de la file d'attente à l'équipe d'accueil"),
                subject=_("Amina, 34 ans"),
                summary=_(
                    "Arrivée seule dans le quartier, Amina coordonne aujourd'hui l'accueil "
                    "de la distribution du samedi."
                ),
                situation=_(
                    "Amina est arrivée dans le 11e il y a trois ans avec ses deux enfants. "
                    "Elle ne connaissait personne et n'osait pas demander de l'aide."
                ),
                what_happened=_(
                    "Une voisine l'a emmenée à la distribution du samedi. Elle est revenue "
                    "la semaine suivante, cette fois pour aider à ranger les cageots."
                ),
                what_changed=_(
                    "Aujourd'hui, Amina accueille les nouvelles familles, traduit en arabe "
                    "et forme les bénévoles qui arrivent. « Ici, on m'a fait confiance. »"
                ),
                call_to_action="volunteer",
            )
            consent_record(
                actor=writer,
                story=story,
                featured_name="Amina",
                given_by="Amina",
                given_on=timezone.localdate() - timedelta(days=20),
                uses=[ConsentUse.BLOG, ConsentUse.GIVING],
                image_rights=ImageRights.NONE,
                valid_until=timezone.localdate() + timedelta(days=730),
                notes=_("Consentement signé lors de l'entretien du 3 mars, classé au local."),
            )
            story_publish(actor=writer, story=story)
        return True

    def _setup_giving(self) -> bool:
        """Give the treasury a year of gifts (demo payments, cheques, a refund, a monthly gift)."""
        from essaim.giving.demo import giving_demo_setup

        return giving_demo_setup(
            admin=User.objects.get(email__iexact="admin@demo.essaim.fr"),
            treasurer=User.objects.get(email__iexact="tresorier@demo.essaim.fr"),
        )

    def _setup_journey(self) -> bool:
        """Give the excuses journey two months of figures and an A/B test to read."""
        from essaim.giving.journey_demo import journey_demo_setup

        return journey_demo_setup(admin=User.objects.get(email__iexact="admin@demo.essaim.fr"))

    def _ensure_account(self, account: DemoAccount) -> int:
        user = User.objects.filter(email__iexact=account.email).first()
        new = user is None
        if user is None:
            user = User.objects.create_user(account.email, account.password)
        elif not user.check_password(account.password):
            # The table printed below must stay true even if someone changed the password.
            user.set_password(account.password)
            user.save(update_fields=["password"])
        EmailAddress.objects.get_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
        person = person_ensure_for_user(
            user=user, given_name=account.given_name, family_name=account.family_name
        )
        if new:
            person_update(
                actor=None,
                person=person,
                data={
                    "is_member": account.member,
                    "is_volunteer": account.role is not None,
                    "is_sympathiser": not account.member,
                },
            )
        if account.role and not RoleGrant.objects.filter(user=user, role=account.role).exists():
            role_grant(actor=None, user=user, role=account.role)
        return int(new)

    def _print_table(self) -> None:
        rows = [(_("Rôle"), _("Adresse e-mail"), _("Mot de passe"))]
        rows += [(str(a.label), a.email, a.password) for a in DEMO_ACCOUNTS]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        line = "  ".join("-" * w for w in widths)
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(_("Comptes de démonstration")))
        for index, row in enumerate(rows):
            cells = (cell.ljust(w) for cell, w in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())
            if index == 0:
                self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(
            _("Essaim sera accessible à l'adresse %(url)s") % {"url": settings.SITE_URL}
        )
