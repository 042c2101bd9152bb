"""Forms of the feed pages: circle filter, delivery preferences."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from essaim.circles.models import Circle

from .models import Delivery, NotificationKind


class FeedFilterForm(forms.Form):
    circle = forms.TypedChoiceField(label=_("Cercle"), required=False, coerce=int, empty_value=None)
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, circles: list[Circle], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["circle"])
        field.choices = [("", _("Tous mes cercles"))] + [(c.pk, c.name) for c in circles]
        self.fields["circle"].error_messages["invalid_choice"] = _(
            "Ce cercle n'est pas l'un des vôtres : choisissez-en un dans la liste."
        )


class PreferencesForm(forms.Form):
    def __init__(
        self,
        *args: Any,
        current: dict[str, str],
        kinds: Collection[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            if kinds is not None and kind.value not in kinds:
                continue
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=Delivery.choices,
                initial=current[kind.value],
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choisissez comment recevoir ce type de notification."),
                    "invalid_choice": _("Ce choix n'existe pas : choisissez dans la liste."),
                },
            )
