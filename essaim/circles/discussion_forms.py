"""Forms for circle discussions: new thread, reply, edit, report, hide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .discussions import MAX_BODY, MAX_FILES, PreparedFile, attachment_prepare


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files at once, each checked by its content (not its name)."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"})

    def clean(self, data: Any, initial: Any = None) -> list[PreparedFile]:
        uploads = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(uploads) > MAX_FILES:
            raise ValidationError(_("Cinq fichiers au plus par message."), code="too_many")
        errors: list[ValidationError] = []
        prepared: list[PreparedFile] = []
        for upload in uploads:
            try:
                prepared.append(attachment_prepare(upload))
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return prepared


BODY_HELP = _(
    "Mise en forme Markdown : **gras**, *italique*, listes avec « - ». "
    "Mentionnez un membre du cercle avec @Prénom Nom."
)
FILES_HELP = _(
    "Images JPEG, PNG ou WebP et documents PDF, 10 Mo au plus chacun, 5 fichiers au plus."
)


def _body_field() -> forms.CharField:
    return forms.CharField(
        label=_("Message"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=BODY_HELP,
        error_messages={
            "required": _("Le message est vide : écrivez quelques mots."),
            "max_length": _(
                "Le message est trop long (%(show_value)d caractères, 20 000 au plus)."
            ),
        },
    )


class ThreadForm(forms.Form):
    title = forms.CharField(
        label=_("Titre"),
        max_length=200,
        error_messages={
            "required": _("Donnez un titre à la discussion."),
            "max_length": _("Le titre est trop long (200 caractères au plus)."),
        },
    )
    body = _body_field()
    attachments = AttachmentsField(label=_("Pièces jointes"), required=False, help_text=FILES_HELP)


class ReplyForm(forms.Form):
    body = _body_field()
    attachments = AttachmentsField(label=_("Pièces jointes"), required=False, help_text=FILES_HELP)


class EditForm(forms.Form):
    body = _body_field()


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("Ce qui pose problème"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Seuls les coordinateurs du cercle verront votre signalement."),
        error_messages={"required": _("Dites en quelques mots ce qui pose problème.")},
    )


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du masquage"),
        max_length=300,
        help_text=_(
            "Gardé pour la coordination et le journal d'audit ; les membres ne le voient pas."
        ),
        error_messages={"required": _("Indiquez le motif du masquage.")},
    )


class UnhideForm(forms.Form):
    reason = forms.CharField(
        label=_("Pourquoi l'afficher à nouveau (facultatif)"),
        max_length=300,
        required=False,
        help_text=_("Gardé dans le journal d'audit, avec le motif du masquage d'origine."),
        error_messages={"max_length": _("Le motif est trop long (300 caractères au plus).")},
    )


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Note pour la coordination (facultatif)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Par exemple : « message relu, il respecte la charte »."),
        error_messages={"max_length": _("La note est trop longue (2 000 caractères au plus).")},
    )
