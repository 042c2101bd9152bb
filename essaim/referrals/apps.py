from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "essaim.referrals"
    label = "referrals"
    verbose_name = _("Parrainage")

    def ready(self) -> None:
        from essaim.core.selectors import AUDIT_ACTION_LABELS

        AUDIT_ACTION_LABELS.update(
            {
                "referral.correct": _("Parrain corrigé"),
                "campaign.create": _("Campagne de recrutement créée"),
                "campaign.update": _("Campagne de recrutement modifiée"),
                "share_text.update": _("Textes de partage modifiés"),
            }
        )
