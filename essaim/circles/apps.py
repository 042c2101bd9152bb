from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CirclesConfig(AppConfig):
    name = "essaim.circles"
    label = "circles"
    verbose_name = _("Cercles")

    def ready(self) -> None:
        # The audit log page names each action in words; circles bring their own.
        from essaim.core.selectors import AUDIT_ACTION_LABELS

        AUDIT_ACTION_LABELS.update(
            {
                "circle.create": _("Cercle créé"),
                "circle.update": _("Cercle modifié"),
                "circle.archive": _("Cercle archivé"),
                "circle.member_role": _("Rôle dans un cercle changé"),
                "circle.member_remove": _("Membre retiré d'un cercle"),
                "circle.request_approve": _("Demande d'adhésion à un cercle acceptée"),
                "circle.request_refuse": _("Demande d'adhésion à un cercle refusée"),
                "circle.invite": _("Invitation à un cercle envoyée"),
                "circle.invite_revoke": _("Invitation à un cercle annulée"),
                "circles.thread_pin": _("Discussion épinglée"),
                "circles.thread_unpin": _("Discussion désépinglée"),
                "circles.thread_lock": _("Discussion verrouillée"),
                "circles.thread_unlock": _("Discussion déverrouillée"),
                "circles.message_hide": _("Message masqué par la coordination"),
                "circles.message_unhide": _("Message de nouveau affiché"),
                "circles.report_dismiss": _("Signalement classé sans suite"),
            }
        )
