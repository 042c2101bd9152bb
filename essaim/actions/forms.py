"""Forms of the action pages: the action itself, objectives, results, tasks, cancelling."""

from __future__ import annotations

import io
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from essaim.core.forms import ACCEPTED_FORMATS, IMAGE_INVALID, MAX_IMAGE_PIXELS
from essaim.people.models import Person

from .models import Action, ActionKind, ActionStatus, Metric, Objective

MAX_COVER_BYTES = 5 * 1024 * 1024
COVER_BOX = (1600, 1600)
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %Hh%M",
    "%d/%m/%Y %H h %M",
    "%d/%m/%Y %Hh",
    "%d/%m/%Y",
]
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]


def reencode_cover(upload: UploadedFile) -> SimpleUploadedFile:
    """Check a cover image with Pillow and return a clean, re-encoded, resized copy.

    Re-encoding drops metadata (a photo's GPS position) and anything hidden after the image.
    """
    if (upload.size or 0) > MAX_COVER_BYTES:
        raise forms.ValidationError(
            _("L'image pèse plus de 5 Mo : choisissez un fichier plus léger."), code="too_big"
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            fmt = probe.format or ""
            width, height = probe.size
            probe.verify()
        if fmt not in ACCEPTED_FORMATS:
            raise forms.ValidationError(IMAGE_INVALID, code="invalid_image")
        if width * height > MAX_IMAGE_PIXELS:
            raise forms.ValidationError(
                _("L'image est trop grande : réduisez-la avant de l'envoyer."),
                code="too_many_pixels",
            )
        upload.seek(0)
        with Image.open(upload) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened) or opened
            image.thumbnail(COVER_BOX)
            out = io.BytesIO()
            extension = ACCEPTED_FORMATS[fmt]
            if extension == "jpg":
                image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
                content_type = "image/jpeg"
            elif extension == "webp":
                image.save(out, format="WEBP", quality=85)
                content_type = "image/webp"
            else:
                keep = "RGBA" if image.mode in {"RGBA", "LA", "P", "PA"} else "RGB"
                image.convert(keep).save(out, format="PNG", optimize=True)
                content_type = "image/png"
    except forms.ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise forms.ValidationError(IMAGE_INVALID, code="invalid_image") from None
    return SimpleUploadedFile(f"couverture.{extension}", out.getvalue(), content_type=content_type)


def parse_quantity(text: str, *, money: bool) -> int:
    """Read a number typed by a person: « 1 234,50 » euros become 123450 cents.

    Raises ValueError with a French message when the text is not a positive number.
    """
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text or "").replace(",", ".")
    if not cleaned:
        raise ValueError(str(_("Indiquez un nombre.")))
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(
            str(_("« %(text)s » n'est pas un nombre (exemple : 1 234,50).") % {"text": text})
        ) from None
    if not value.is_finite():
        raise ValueError(str(_("Indiquez un nombre.")))
    if value < 0:
        raise ValueError(str(_("Le nombre ne peut pas être négatif.")))
    if money:
        cents = value * 100
        if cents != cents.to_integral_value():
            raise ValueError(str(_("Un montant a au plus deux chiffres après la virgule.")))
        result = int(cents)
    else:
        if value != value.to_integral_value():
            raise ValueError(str(_("Indiquez un nombre entier.")))
        result = int(value)
    if result > 10**15:
        raise ValueError(str(_("Ce nombre est trop grand.")))
    return result


def format_quantity(value: int | None, *, money: bool) -> str:
    """The reverse of parse_quantity, for a form's initial value: 123450 -> « 1234,50 »."""
    if value is None:
        return ""
    if money:
        return f"{value // 100},{value % 100:02d}"
    return str(value)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class ActionForm(forms.ModelForm[Action]):
    starts_at = forms.DateTimeField(
        label=_("Début"),
        input_formats=DATETIME_INPUT_FORMATS,
        widget=DateTimeInput(),
        help_text=_("Date et heure, par exemple 12/12/2026 14:00 (heure de Paris)."),
        error_messages={"invalid": _("Date et heure non reconnues : écrivez 12/12/2026 14:00.")},
    )
    ends_at = forms.DateTimeField(
        label=_("Fin"),
        input_formats=DATETIME_INPUT_FORMATS,
        widget=DateTimeInput(),
        help_text=_("Doit venir après le début."),
        error_messages={"invalid": _("Date et heure non reconnues : écrivez 12/12/2026 18:00.")},
    )
    online_url = forms.URLField(
        label=_("Lien de connexion (en ligne)"),
        required=False,
        assume_scheme="https",
        help_text=_("Pour une action en ligne : l'adresse de la visioconférence."),
    )

    class Meta:
        model = Action
        fields = [
            "title",
            "kind",
            "summary",
            "description",
            "starts_at",
            "ends_at",
            "place_name",
            "address",
            "postal_code",
            "city",
            "online_url",
            "visibility",
            "capacity",
            "registrations_open",
            "cover",
            "cover_alt",
        ]
        labels = {
            "title": _("Titre"),
            "kind": _("Type d'action"),
            "summary": _("Résumé en une phrase"),
            "description": _("Description"),
            "place_name": _("Lieu"),
            "address": _("Adresse"),
            "postal_code": _("Code postal"),
            "city": _("Ville"),
            "visibility": _("Qui peut voir cette action ?"),
            "capacity": _("Nombre de places pour les participants"),
            "registrations_open": _("Inscriptions ouvertes"),
            "cover": _("Image de couverture"),
            "cover_alt": _("Description de l'image"),
        }
        help_texts = {
            "description": _(
                "Mise en forme simple possible : **gras**, *italique*, listes avec « - »."
            ),
            "place_name": _("Par exemple : Maison des associations, salle 2."),
            "capacity": _("Laissez vide s'il n'y a pas de limite."),
            "cover": _("Image PNG, JPEG ou WebP de 5 Mo au plus."),
            "cover_alt": _(
                "Obligatoire avec une image : ce qu'elle montre, pour les personnes "
                "qui ne la voient pas."
            ),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 8}),
            "cover": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
            "postal_code": forms.TextInput(attrs={"inputmode": "numeric"}),
        }

    FIELDSETS: tuple[tuple[Any, tuple[str, ...]], ...] = (
        (_("L'essentiel"), ("title", "kind", "summary", "description")),
        (_("Quand"), ("starts_at", "ends_at")),
        (_("Où"), ("place_name", "address", "postal_code", "city", "online_url")),
        (_("Qui peut venir"), ("visibility", "capacity", "registrations_open")),
        (_("Image"), ("cover", "cover_alt")),
    )

    def fieldsets(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["capacity"].widget.attrs.update({"min": "0", "inputmode": "numeric"})
        self.fields["capacity"].error_messages["min_value"] = _(
            "Le nombre de places ne peut pas être négatif."
        )
        self.fields["cover"].error_messages["invalid_image"] = IMAGE_INVALID

    def clean_cover(self) -> Any:
        image = self.cleaned_data.get("cover")
        if isinstance(image, UploadedFile):
            return reencode_cover(image)
        return image

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends < starts:
            self.add_error("ends_at", _("La fin doit venir après le début."))
        cover = data.get("cover")
        if cover and not (data.get("cover_alt") or "").strip():
            self.add_error("cover_alt", _("Décrivez l'image en quelques mots."))
        return data

    def action_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if data["cover"] is False:  # "remove the image" ticked
            data["cover"], data["cover_alt"] = "", ""
        elif data["cover"] is None:
            data["cover"] = ""
        return data


class ActionFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Tous les types")), *ActionKind.choices]
    )
    status = forms.ChoiceField(
        label=_("État"), required=False, choices=[("", _("Tous les états")), *ActionStatus.choices]
    )

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {"kind": "", "status": ""}
        return {"kind": self.cleaned_data["kind"], "status": self.cleaned_data["status"]}


class TransitionForm(forms.Form):
    note = forms.CharField(
        label=_("Remarque (facultative)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de l'annulation"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Il sera envoyé aux personnes inscrites et aux bénévoles."),
        error_messages={"required": _("Indiquez le motif de l'annulation.")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Indiquez le motif de l'annulation."))
        return reason


class ObjectiveForm(forms.Form):
    metric = forms.ChoiceField(label=_("Indicateur"), choices=Metric.choices)
    label = forms.CharField(
        label=_("Intitulé"),
        required=False,
        max_length=100,
        help_text=_("Obligatoire pour « Autre » : par exemple « tracts distribués »."),
    )
    unit = forms.CharField(
        label=_("Unité"),
        required=False,
        max_length=30,
        help_text=_("Facultatif, par exemple « kg »."),
    )
    target = forms.CharField(
        label=_("Objectif visé"),
        max_length=30,
        help_text=_("Un nombre ; pour un montant, en euros : 1 234,50."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={"required": _("Indiquez l'objectif visé.")},
    )

    def __init__(self, *args: Any, objective: Objective | None = None, **kwargs: Any) -> None:
        if objective is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "metric": objective.metric,
                "label": objective.label,
                "unit": objective.unit,
                "target": format_quantity(objective.target, money=objective.metric == Metric.MONEY),
            }
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        metric = data.get("metric")
        if metric == Metric.CUSTOM and not (data.get("label") or "").strip():
            self.add_error("label", _("Donnez un intitulé à cet indicateur."))
        if metric and "target" in data:
            try:
                data["target"] = parse_quantity(data["target"], money=metric == Metric.MONEY)
            except ValueError as error:
                self.add_error("target", str(error))
        return data


class ResultsForm(forms.Form):
    """One field per objective: what was achieved so far (blank: not measured yet)."""

    def __init__(self, *args: Any, objectives: list[Objective], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.objectives = objectives
        for objective in objectives:
            money = objective.metric == Metric.MONEY
            unit = "€" if money else objective.unit
            self.fields[f"achieved_{objective.pk}"] = forms.CharField(
                label=f"{objective}" + (f" ({unit})" if unit else ""),
                required=False,
                max_length=30,
                initial=format_quantity(objective.achieved, money=money),
                widget=forms.TextInput(
                    attrs={"inputmode": "decimal" if money else "numeric", "autocomplete": "off"}
                ),
                help_text=_("Objectif : %(target)s")
                % {
                    "target": format_quantity(objective.target, money=money)
                    + (f" {unit}" if unit else "")
                },
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for objective in self.objectives:
            name = f"achieved_{objective.pk}"
            text = (data.get(name) or "").strip()
            if not text:
                data[name] = None
                continue
            try:
                data[name] = parse_quantity(text, money=objective.metric == Metric.MONEY)
            except ValueError as error:
                self.add_error(name, str(error))
        return data

    def values(self) -> list[tuple[Objective, int | None]]:
        return [(o, self.cleaned_data[f"achieved_{o.pk}"]) for o in self.objectives]


class TaskForm(forms.Form):
    title = forms.CharField(
        label=_("Tâche"),
        max_length=200,
        error_messages={"required": _("Décrivez la tâche en quelques mots.")},
    )
    notes = forms.CharField(
        label=_("Précisions"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    assignee = forms.TypedChoiceField(
        label=_("Confiée à"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Un membre du cercle ; utilisez la recherche pour trouver un nom."),
    )
    due_on = forms.DateField(
        label=_("À faire pour le"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Date non reconnue : écrivez 12/12/2026.")},
    )

    def __init__(self, *args: Any, members: list[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("— Personne pour l'instant —"))] + [
            (p.pk, p.full_name or str(p)) for p in members
        ]
        field.error_messages["invalid_choice"] = _(
            "Choisissez un membre du cercle dans la liste (cherchez son nom au besoin)."
        )
