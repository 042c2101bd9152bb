"""Forms of capillarity: invitations, campaigns, share texts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .invitations import (
    MAX_ADDRESSES,
    MAX_MESSAGE,
    addresses_from_csv,
    addresses_from_text,
    addresses_parse,
)
from .links import OFFERED_GOALS
from .models import Campaign, LinkGoal, ShareChannel

TOO_BIG = _("Le fichier dépasse 100 Ko : découpez-le ou collez les adresses dans le champ.")


class InvitationForm(forms.Form):
    addresses = forms.CharField(
        label=_("Adresses e-mail"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "Séparées par des virgules, des espaces ou des retours à la ligne (500 au plus)."
        ),
    )
    file = forms.FileField(
        label=_("Ou un fichier CSV"),
        required=False,
        help_text=_(
            "100 Ko et 500 lignes au plus ; la colonne « email » ou « courriel », "
            "sinon la première."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    message = forms.CharField(
        label=_("Message personnel (facultatif)"),
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    campaign = forms.ModelChoiceField(
        label=_("Campagne"),
        required=False,
        queryset=Campaign.objects.none(),
        empty_label=_("Aucune"),
    )

    def __init__(self, *args: Any, campaigns: list[Campaign] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if campaigns:
            self.fields["campaign"].queryset = Campaign.objects.filter(  # type: ignore[attr-defined]
                pk__in=[campaign.pk for campaign in campaigns]
            )
        else:
            del self.fields["campaign"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = addresses_from_text(data.get("addresses", ""))
        upload = data.get("file")
        if upload is not None:
            if upload.size > 100 * 1024:
                raise ValidationError(TOO_BIG)
            raw += addresses_from_csv(upload.read())
        if len(raw) > MAX_ADDRESSES:
            raise ValidationError(
                _("La liste compte %(count)d adresses : %(max)d au plus par envoi.")
                % {"count": len(raw), "max": MAX_ADDRESSES}
            )
        parsed = addresses_parse(raw)
        if parsed.invalid:
            shown = ", ".join(parsed.invalid[:20])
            more = len(parsed.invalid) - 20
            text = _("Ces adresses ne sont pas valides : %(list)s.") % {"list": shown}
            if more > 0:
                text += " " + str(_("Et %(count)d autres.") % {"count": more})
            raise ValidationError(text)
        if not parsed.valid:
            raise ValidationError(_("Indiquez au moins une adresse e-mail."))
        data["valid_addresses"] = parsed.valid
        return data


class CampaignForm(forms.ModelForm[Campaign]):
    class Meta:
        model = Campaign
        fields = [
            "title",
            "description",
            "goal_kind",
            "target",
            "starts_on",
            "ends_on",
            "is_public",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("La fin doit suivre le début de la campagne."))
        return data


def share_field_name(goal: str, channel: str, part: str) -> str:
    return f"{goal}__{channel}__{part}"


class ShareTextsForm(forms.Form):
    """One text per goal and channel (and a subject for e-mails)."""

    def __init__(
        self, *args: Any, texts: dict[tuple[str, str], tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.groups: list[tuple[str, list[str]]] = []
        for goal in OFFERED_GOALS:
            names = []
            for channel in ShareChannel:
                subject, text = texts[(goal, channel.value)]
                if channel == ShareChannel.EMAIL:
                    name = share_field_name(goal, channel.value, "subject")
                    self.fields[name] = forms.CharField(
                        label=_("%(channel)s : objet") % {"channel": channel.label},
                        max_length=200,
                        initial=subject,
                    )
                    names.append(name)
                name = share_field_name(goal, channel.value, "text")
                self.fields[name] = forms.CharField(
                    label=_("%(channel)s : texte") % {"channel": channel.label},
                    initial=text,
                    max_length=2000,
                    widget=forms.Textarea(attrs={"rows": 4 if channel == "email" else 2}),
                )
                names.append(name)
            self.groups.append((str(LinkGoal(goal).label), names))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, value in list(data.items()):
            if name.endswith("__text") and "{lien}" not in (value or ""):
                self.add_error(name, _("Le texte doit contenir {lien}."))
        return data

    def texts(self) -> dict[tuple[str, str], tuple[str, str]]:
        data = self.cleaned_data
        result = {}
        for goal in OFFERED_GOALS:
            for channel in ShareChannel.values:
                subject = data.get(share_field_name(goal, channel, "subject"), "")
                text = data[share_field_name(goal, channel, "text")]
                result[(str(goal), channel)] = (subject, text)
        return result

    def bound_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(label, [self[name] for name in names]) for label, names in self.groups]
