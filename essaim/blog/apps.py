from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlogConfig(AppConfig):
    name = "essaim.blog"
    label = "blog"
    verbose_name = _("Site public")

    def ready(self) -> None:
        from essaim.core.selectors import AUDIT_ACTION_LABELS

        AUDIT_ACTION_LABELS.update(
            {
                "article.publish": _("Article publié"),
                "article.schedule": _("Publication d'un article programmée"),
                "article.unpublish": _("Article dépublié"),
                "article.restore": _("Version d'un article restaurée"),
                "story.create": _("Récit écrit"),
                "story.update": _("Récit modifié"),
                "story.publish": _("Récit publié"),
                "story.unpublish": _("Récit dépublié"),
                "story_consent.record": _("Consentement enregistré pour un récit"),
                "story_consent.withdraw": _("Consentement retiré pour un récit"),
                "story_consent.renew": _("Consentement renouvelé pour un récit"),
                "site_page.create": _("Page du site écrite"),
                "site_page.update": _("Page du site modifiée"),
                "site_page.reset": _("Page du site revenue au texte par défaut"),
            }
        )
