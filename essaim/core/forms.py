"""Organisation settings form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Organisation

MAX_IMAGE_BYTES = 2 * 1024 * 1024


class OrganisationForm(forms.ModelForm[Organisation]):
    class Meta:
        model = Organisation
        fields = [
            "name",
            "short_name",
            "tagline",
            "logo",
            "primary_color",
            "accent_color",
            "website_url",
            "contact_email",
            "rna_number",
            "siren",
            "address_line1",
            "address_line2",
            "postal_code",
            "city",
            "purpose",
            "tax_reduction_rate",
            "receipt_signer_name",
            "receipt_signer_role",
            "receipt_signature",
        ]
        widgets = {
            "primary_color": forms.TextInput(attrs={"type": "color"}),
            "accent_color": forms.TextInput(attrs={"type": "color"}),
            "purpose": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rna_number"].help_text = _("W suivi de 9 chiffres.")
        self.fields["siren"].help_text = _(
            "9 chiffres, tel qu'il figure sur l'avis de situation INSEE."
        )

    def _clean_image(self, name: str) -> Any:
        image = self.cleaned_data.get(name)
        if image and getattr(image, "size", 0) > MAX_IMAGE_BYTES:
            raise forms.ValidationError(
                _("L'image dépasse 2 Mo : choisissez un fichier plus léger.")
            )
        return image

    def clean_logo(self) -> Any:
        return self._clean_image("logo")

    def clean_receipt_signature(self) -> Any:
        return self._clean_image("receipt_signature")

    def clean_rna_number(self) -> str:
        return str(self.cleaned_data.get("rna_number", "")).strip().upper()

    def clean_siren(self) -> str:
        return str(self.cleaned_data.get("siren", "")).replace(" ", "")
