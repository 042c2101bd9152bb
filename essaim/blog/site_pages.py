"""The fixed pages of the public site (about, legal notice, privacy): texts and their writes.

A page is the ``SitePage`` row the staff wrote for its kind and language, or else a
sensible default built from the organisation's settings, so a new installation has
complete legal pages on its first day. Defaults are French strings passed through
gettext: the English pages come from the translation catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from essaim.core import pagecache
from essaim.core.models import Organisation
from essaim.core.selectors import organisation_get
from essaim.core.services import audit_record

from .models import Language, SitePage, SitePageKind

# The URL name of each fixed page (public_url "about", …).
URL_NAMES = {
    SitePageKind.ABOUT: "about",
    SitePageKind.LEGAL: "legal",
    SitePageKind.PRIVACY: "privacy",
}
MAX_PAGE_CHARS = 100_000


@dataclass(frozen=True)
class PageText:
    """What a fixed page shows: its title, its HTML and whether the staff wrote it."""

    kind: str
    language: str
    title: str
    html: str
    written: bool
    page: SitePage | None = None


def render_page(text: str) -> str:
    """Render a fixed page's Markdown (the articles' renderer)."""
    from .markdown import render_article_markdown

    return str(render_article_markdown(text))


def _address(org: Organisation) -> str:
    parts = [
        org.address_line1,
        org.address_line2,
        " ".join(p for p in (org.postal_code, org.city) if p),
    ]
    return ", ".join(part for part in parts if part)


def _md(value: str) -> str:
    """Escape what Markdown would read as formatting in a value typed by the staff."""
    for char in "\\`*_[]#<>|":
        value = value.replace(char, f"\\{char}")
    return value


def default_title(kind: str) -> str:
    """Return the default title of a fixed page in the active language."""
    return str(SitePageKind(kind).label)


def default_markdown(kind: str, org: Organisation | None = None) -> str:
    """Return the default text of a fixed page (Markdown) in the active language."""
    org = org or organisation_get()
    if kind == SitePageKind.ABOUT:
        return _about(org)
    if kind == SitePageKind.LEGAL:
        return _legal(org)
    return _privacy(org)


def _contact_line(org: Organisation) -> str:
    if org.contact_email:
        return _("Pour nous écrire : %(email)s.") % {
            "email": f"[{_md(org.contact_email)}](mailto:{org.contact_email})"
        }
    return _("Pour nous écrire, utilisez les coordonnées de notre site institutionnel.")


def _about(org: Organisation) -> str:
    name = _md(org.name)
    lines = [f"## {name}"]
    if org.tagline:
        lines.append(f"*{_md(org.tagline)}*")
    if org.purpose:
        lines.append(_md(org.purpose))
    else:
        lines.append(
            _(
                "%(name)s est une association. Ce site raconte ce que nous faisons, avec "
                "celles et ceux qui s'engagent à nos côtés."
            )
            % {"name": name}
        )
    lines.append(_("## Nous rejoindre"))
    lines.append(
        _(
            "Vous pouvez devenir bénévole, participer à nos actions ou nous soutenir. "
            "Les récits publiés ici montrent ce que cet engagement change."
        )
    )
    if org.website_url:
        lines.append(
            _("Notre site institutionnel : %(link)s.")
            % {"link": f"[{_md(org.website_url)}]({org.website_url})"}
        )
    lines.append(_contact_line(org))
    return "\n\n".join(lines)


def _legal(org: Organisation) -> str:
    unknown = _("non renseigné")
    address = _address(org)
    lines = [_("## Éditeur du site")]
    editor = [f"**{_md(org.name)}**"]
    editor.append(_("Adresse : %(address)s") % {"address": _md(address) if address else unknown})
    if org.rna_number:
        editor.append(_("Numéro RNA : %(rna)s") % {"rna": _md(org.rna_number)})
    if org.siren:
        editor.append(_("SIREN : %(siren)s") % {"siren": _md(org.siren)})
    if org.contact_email:
        editor.append(
            _("Contact : %(email)s")
            % {"email": f"[{_md(org.contact_email)}](mailto:{org.contact_email})"}
        )
    lines.append("  \n".join(editor))
    lines.append(_("## Directeur de la publication"))
    if org.receipt_signer_name:
        signer = _md(org.receipt_signer_name)
        if org.receipt_signer_role:
            signer = f"{signer}, {_md(org.receipt_signer_role)}"
        lines.append(signer)
    else:
        lines.append(
            _("Le représentant légal de %(name)s (président ou présidente).")
            % {"name": _md(org.name)}
        )
    lines.append(_("## Hébergement"))
    host = str(getattr(settings, "ESSAIM_HOSTING_PROVIDER", "") or "").strip()
    if host:
        lines.append(_md(host))
    else:
        lines.append(
            _(
                "Ce site est hébergé par l'association elle-même, à l'adresse indiquée "
                "ci-dessus, avec le logiciel libre Essaim."
            )
        )
    lines.append(_("## Propriété intellectuelle"))
    lines.append(
        _(
            "Les textes et les images de ce site appartiennent à %(name)s ou à leurs auteurs. "
            "Les personnes photographiées ou dont l'histoire est racontée ont donné leur "
            "consentement ; elles peuvent le retirer à tout moment."
        )
        % {"name": _md(org.name)}
    )
    lines.append(_("## Données personnelles"))
    lines.append(
        _("La page « Confidentialité » explique quelles données nous gardons et vos droits.")
    )
    return "\n\n".join(lines)


def _privacy(org: Organisation) -> str:
    name = _md(org.name)
    lines = [
        _(
            "%(name)s respecte votre vie privée. Cette page dit quelles données nous "
            "gardons, pourquoi, et comment exercer vos droits (Règlement général sur la "
            "protection des données, RGPD)."
        )
        % {"name": name},
        _("## Lire ce site"),
        _(
            "Vous pouvez lire ce site sans compte. Nous n'y mettons aucun outil de mesure "
            "d'audience d'un tiers, aucune publicité, aucun bouton de réseau social qui "
            "vous suivrait : les liens de partage sont de simples liens."
        ),
        _("## Les cookies"),
        _("Ce site n'utilise que des cookies nécessaires à son fonctionnement :"),
        "\n".join(
            [
                "- "
                + _(
                    "**sessionid** : garde votre connexion à l'espace des membres "
                    "(seulement si vous vous connectez) ;"
                ),
                "- "
                + _(
                    "**csrftoken** : protège les formulaires contre l'usurpation "
                    "(seulement quand vous en remplissez un) ;"
                ),
                "- " + _("**django_language** : retient la langue choisie, si vous en changez ;"),
                "- "
                + _("**messages** : affiche une confirmation après une action, puis s'efface."),
            ]
        ),
        _("Aucun de ces cookies ne sert à vous suivre ni à vous proposer de la publicité."),
        # Capillarity (essaim/referrals/links.py): the first-party attribution cookie.
        _(
            "Si vous arrivez par le lien personnel qu'une personne de notre réseau vous a "
            "envoyé, un cookie **essaim_ref** retient ce lien et la date de votre première "
            "visite, pendant %(days)d jours au plus, pour la remercier si vous vous inscrivez "
            "ou vous engagez. Il n'est lu que par ce site ; les visites de ces liens sont "
            "comptées par jour, sans adresse IP ni rien qui vous identifie."
        )
        % {"days": org.referral_window_days},
        _(
            "Un cookie **essaim_seen** retient, jusqu'à minuit, les liens personnels que vous "
            "avez déjà ouverts dans la journée, pour que vos visites répétées ne soient "
            "comptées qu'une fois."
        ),
        # The excuses journey (essaim/giving/journey.py): the variant and the give click.
        _(
            "Sur la page « Je n'aime pas donner », un cookie **essaim_variant** retient, pour "
            "chaque excuse, laquelle de nos réponses vous avez lue (nous en comparons "
            "plusieurs) et ce que vous avez déjà fait dans la journée (pour ne compter qu'une "
            "fois une page rechargée), pendant 180 jours au plus ; si vous cliquez ensuite sur "
            "« Je donne », "
            "un cookie **essaim_give** retient cette réponse pendant 30 jours, pour savoir "
            "laquelle a convaincu. Ils ne contiennent que des numéros d'excuse et de réponse, "
            "ne sont lus que par ce site, et les lectures et clics sont comptés par jour, sans "
            "adresse IP ni rien qui vous identifie."
        ),
        _("## Les données que nous gardons, et pourquoi"),
        "\n".join(
            [
                "- "
                + _(
                    "**Votre compte** (adresse e-mail, nom, mot de passe chiffré) : pour "
                    "vous donner accès à l'espace des membres."
                ),
                "- "
                + _(
                    "**Votre fiche de contact** (coordonnées, engagements, actions "
                    "auxquelles vous participez) : pour organiser la vie de l'association "
                    "et vous tenir informé·e si vous l'avez accepté."
                ),
                "- "
                + _(
                    "**Vos dons** : pour vous envoyer vos reçus fiscaux et tenir la "
                    "comptabilité, aussi longtemps que la loi l'exige."
                ),
                "- "
                + _(
                    "**Les récits et leurs consentements** : nous ne publions l'histoire "
                    "ou la photo d'une personne qu'avec son accord écrit, pour les usages "
                    "et la durée qu'elle a choisis."
                ),
            ]
        ),
        _(
            "Ces données restent chez %(name)s. Elles ne sont ni vendues ni prêtées, et "
            "seules les personnes de l'association qui en ont besoin y ont accès."
        )
        % {"name": name},
        _("## Vos droits"),
        _(
            "Vous pouvez demander à voir, corriger, exporter ou effacer vos données, vous "
            "opposer à leur usage, et retirer à tout moment un consentement donné (lettre "
            "d'information, récit, photo)."
        ),
        _contact_line(org),
        _(
            "Si vous estimez que vos droits ne sont pas respectés, vous pouvez saisir la "
            "CNIL (www.cnil.fr)."
        ),
    ]
    return "\n\n".join(lines)


def site_page_text(kind: str, language: str) -> PageText:
    """Return the text of a fixed page in a language: the staff's, or the default."""
    if kind not in SitePageKind.values:
        raise ValueError(f"Unknown site page kind: {kind!r}")
    page = SitePage.objects.filter(kind=kind, language=language).first()
    if page is not None:
        return PageText(
            kind=kind,
            language=language,
            title=page.title,
            html=page.body_html,
            written=True,
            page=page,
        )
    with override(language):
        return PageText(
            kind=kind,
            language=language,
            title=default_title(kind),
            html=render_page(default_markdown(kind)),
            written=False,
        )


def site_pages_overview() -> list[dict[str, Any]]:
    """Return one row per page kind and language, saying whether the staff wrote it."""
    written = {
        (page.kind, page.language): page
        for page in SitePage.objects.select_related("updated_by").order_by("kind", "language")
    }
    rows = []
    for kind, label in SitePageKind.choices:
        for language, language_label in Language.choices:
            rows.append(
                {
                    "kind": kind,
                    "label": label,
                    "language": language,
                    "language_label": language_label,
                    "url_name": URL_NAMES[SitePageKind(kind)],
                    "page": written.get((kind, language)),
                }
            )
    return rows


@transaction.atomic
def site_page_save(
    *,
    actor: Any,
    kind: str,
    language: str,
    title: str,
    body: str,
    seo_title: str = "",
    meta_description: str = "",
    noindex: bool = False,
) -> SitePage:
    """Write a fixed page in a language (created on first save); the public page follows."""
    errors: dict[str, str] = {}
    if kind not in SitePageKind.values:
        errors["kind"] = _("Cette page n'existe pas.")
    if language not in Language.values:
        errors["language"] = _("Cette langue n'est pas proposée.")
    if not title.strip():
        errors["title"] = _("Donnez un titre à la page.")
    if not body.strip():
        errors["body"] = _(
            "La page ne peut pas être vide : pour revenir au texte proposé par Essaim, "
            "utilisez « Revenir au texte par défaut »."
        )
    elif len(body) > MAX_PAGE_CHARS:
        errors["body"] = _("Le texte est trop long (au plus 100 000 caractères).")
    if errors:
        raise ValidationError(errors)
    from .markdown import check_article_markdown

    check_article_markdown(body)
    page = SitePage.objects.select_for_update().filter(kind=kind, language=language).first()
    created = page is None
    if page is None:
        page = SitePage(kind=kind, language=language)
    page.title = title.strip()
    page.body = body
    page.body_html = render_page(body)
    page.seo_title = seo_title.strip()
    page.meta_description = meta_description.strip()
    page.noindex = noindex
    page.updated_by = actor if actor is not None and actor.is_authenticated else None
    page.full_clean()
    page.save()
    audit_record(
        actor=actor,
        action="site_page.create" if created else "site_page.update",
        target=page,
        details={"kind": kind, "language": language},
    )
    pagecache.bump(pagecache.SITE)
    return page


@transaction.atomic
def site_page_reset(*, actor: Any, kind: str, language: str) -> bool:
    """Delete the staff's text of a fixed page: the default text shows again."""
    deleted, _count = SitePage.objects.filter(kind=kind, language=language).delete()
    if deleted:
        audit_record(
            actor=actor, action="site_page.reset", details={"kind": kind, "language": language}
        )
        pagecache.bump(pagecache.SITE)
    return bool(deleted)
