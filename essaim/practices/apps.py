from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PracticesConfig(AppConfig):
    name = "essaim.practices"
    label = "practices"
    verbose_name = _("Fiches pratiques")

    def ready(self) -> None:
        # The audit log page names each action in words. Writing a sheet is not audited:
        # its revision history already says who changed what.
        from essaim.core.selectors import AUDIT_ACTION_LABELS

        AUDIT_ACTION_LABELS.update(
            {
                "practice.publish": _("Fiche pratique publiée"),
                "practice.unpublish": _("Fiche pratique repassée en brouillon"),
                "practice.comment_hide": _("Commentaire d'une fiche pratique masqué"),
            }
        )
