from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GivingConfig(AppConfig):
    name = "essaim.giving"
    label = "giving"
    verbose_name = _("Dons")

    def ready(self) -> None:
        from essaim.core.selectors import AUDIT_ACTION_LABELS

        AUDIT_ACTION_LABELS.update(
            {
                "receipt.issue": _("Reçu fiscal émis"),
                "receipt.cancel": _("Reçu fiscal annulé"),
                "receipt.replace": _("Reçu fiscal corrigé (remplacement)"),
                "receipt.resend": _("Reçu fiscal renvoyé au donateur"),
                "receipt.annual_start": _("Reçus annuels lancés"),
            }
        )
