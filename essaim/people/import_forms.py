"""Forms of the contact import steps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .importing import IMPORT_FIELDS, mapping_problems
from .models import ImportJob

ENCODING_CHOICES = (
    ("auto", _("Automatique (UTF-8, conseillé)")),
    ("cp1252", _("Windows (Excel ancien)")),
)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier de contacts"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,.txt,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
        error_messages={
            "required": _("Choisissez un fichier CSV ou XLSX."),
            "empty": _("Le fichier est vide."),
        },
    )
    encoding = forms.ChoiceField(
        label=_("Encodage du fichier CSV"),
        choices=ENCODING_CHOICES,
        initial="auto",
        help_text=_(
            "Laissez « Automatique » sauf si Essaim vous signale que le fichier n'est pas en UTF-8."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        megabytes = settings.ESSAIM_IMPORT_MAX_BYTES // 1048576
        self.fields["file"].help_text = _(
            "Un tableau CSV ou Excel (.xlsx) de %(max)s Mo au plus, avec une première ligne "
            "de titres (Prénom, Nom, E-mail…)."
        ) % {"max": megabytes}


class ImportMappingForm(forms.Form):
    tag_name = forms.CharField(
        label=_("Étiquette à ajouter à toutes les personnes importées"),
        max_length=60,
        required=False,
        help_text=_("Facultatif. Elle permettra de retrouver ces personnes dans l'annuaire."),
    )

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        choices = [("", _("— ignorer cette colonne —")), *IMPORT_FIELDS]
        self.column_fields: list[tuple[forms.BoundField, list[str]]] = []
        for index, title in enumerate(job.header):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=title, choices=choices, required=False, initial=job.mapping.get(str(index))
            )
        if not self.is_bound:
            self.initial["tag_name"] = job.tag_name
        for index, _title in enumerate(job.header):
            examples = [
                row["cells"][index]
                for row in job.sample_rows[:3]
                if index < len(row["cells"]) and row["cells"][index]
            ]
            self.column_fields.append((self[f"col_{index}"], examples))

    def mapping(self) -> dict[str, str]:
        return {
            str(index): self.cleaned_data.get(f"col_{index}") or ""
            for index in range(len(self.job.header))
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for problem in mapping_problems(self.job.header, self.mapping()):
            self.add_error(None, problem)
        return cleaned


class ImportConfirmForm(forms.Form):
    skip_invalid = forms.BooleanField(
        label=_("Ignorer les lignes en erreur et importer seulement les lignes valides"),
        required=False,
    )
