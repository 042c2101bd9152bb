"""Forms of the organisation pages: settings, staff roles, audit log filter."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from essaim.accounts.models import Role, User

from .models import Organisation
from .money import format_euros, parse_euros
from .validators import contrast_ratio

MAX_IMAGE_BYTES = 2 * 1024 * 1024
# Beyond this many pixels a small file may be a decompression bomb.
MAX_IMAGE_PIXELS = 40_000_000
# Stored images are resized to fit this box: the header shows the logo at 40 px.
STORED_IMAGE_BOX = (1200, 1200)
ACCEPTED_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "png"}

IMAGE_INVALID = _(
    "Ce fichier n'est pas une image lisible. Envoyez une image PNG, JPEG ou WebP "
    "(les fichiers SVG et PDF ne sont pas acceptés)."
)


def reencode_image(upload: UploadedFile, *, stem: str) -> SimpleUploadedFile:
    """Check an uploaded image with Pillow and return a clean re-encoded copy.

    Re-encoding drops metadata and anything hidden after the image data (polyglot files).
    """
    if (upload.size or 0) > MAX_IMAGE_BYTES:
        raise forms.ValidationError(
            _("L'image pèse plus de 2 Mo : choisissez un fichier plus léger."), code="too_big"
        )
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            fmt = probe.format or ""
            width, height = probe.size
            probe.verify()
        if fmt not in ACCEPTED_FORMATS:
            raise forms.ValidationError(IMAGE_INVALID, code="invalid_image")
        if width * height > MAX_IMAGE_PIXELS:
            raise forms.ValidationError(
                _(
                    "L'image est trop grande (%(w)s × %(h)s pixels) : "
                    "réduisez-la avant de l'envoyer."
                )
                % {"w": width, "h": height},
                code="too_many_pixels",
            )
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            image.thumbnail(STORED_IMAGE_BOX)
            out = io.BytesIO()
            extension = ACCEPTED_FORMATS[fmt]
            if extension == "jpg":
                image.convert("RGB").save(out, format="JPEG", quality=90, optimize=True)
                content_type = "image/jpeg"
            elif extension == "webp":
                image.save(out, format="WEBP", quality=90)
                content_type = "image/webp"
            else:
                keep = "RGBA" if image.mode in {"RGBA", "LA", "P", "PA"} else "RGB"
                image.convert(keep).save(out, format="PNG", optimize=True)
                content_type = "image/png"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise forms.ValidationError(IMAGE_INVALID, code="invalid_image") from None
    return SimpleUploadedFile(f"{stem}.{extension}", out.getvalue(), content_type=content_type)


class EurosField(forms.CharField):
    """An amount typed in euros ("11,88", "1 200 €"), cleaned to integer cents."""

    default_error_messages = {
        "invalid": _("Indiquez un montant en euros, par exemple 11,88."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # No max_length validator: it would run on the cleaned cents, an int.
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("maxlength", "20")

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            return format_euros(value).replace("\u00a0€", "").replace("\u202f", " ")
        return value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_euros(str(text))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


REFERRAL_SETTINGS = (
    "referral_window_days",
    "invitations_per_day",
    "invitation_retention_days",
    "referral_names",
)


class OrganisationForm(forms.ModelForm[Organisation]):
    # Typed in euros, stored in cents; empty means the hours are not valued.
    volunteer_hourly_rate_cents = EurosField(
        label=_("valeur d'une heure de bénévolat (€)"),
        required=False,
        help_text=_(
            "Pour la valorisation du bénévolat dans le rapport annuel, par exemple 11,88 "
            "(le SMIC horaire brut). Laissez vide pour ne pas valoriser les heures en euros."
        ),
    )
    website_url = forms.URLField(
        label=_("site institutionnel"),
        required=False,
        assume_scheme="https",
        help_text=_("Adresse de votre site principal, par exemple https://www.mon-asso.fr."),
    )
    FIELDSETS: tuple[tuple[Any, tuple[str, ...]], ...] = (
        (
            _("Identité et apparence"),
            (
                "name",
                "short_name",
                "tagline",
                "logo",
                "primary_color",
                "accent_color",
                "website_url",
                "contact_email",
            ),
        ),
        (
            _("Identité légale"),
            (
                "rna_number",
                "siren",
                "address_line1",
                "address_line2",
                "postal_code",
                "city",
                "purpose",
            ),
        ),
        (
            _("Reçus fiscaux"),
            (
                "tax_reduction_rate",
                "receipt_signer_name",
                "receipt_signer_role",
                "receipt_signature",
            ),
        ),
        (_("Bénévolat"), ("volunteer_hourly_rate_cents",)),
        (
            _("Parrainage"),
            (
                "referral_window_days",
                "invitations_per_day",
                "invitation_retention_days",
                "referral_names",
            ),
        ),
    )

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
            "volunteer_hourly_rate_cents",
            "referral_window_days",
            "invitations_per_day",
            "invitation_retention_days",
            "referral_names",
        ]
        widgets = {
            "primary_color": forms.TextInput(attrs={"type": "color"}),
            "accent_color": forms.TextInput(attrs={"type": "color"}),
            "purpose": forms.Textarea(attrs={"rows": 4}),
            "tax_reduction_rate": forms.RadioSelect,
            "logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
            "receipt_signature": forms.ClearableFileInput(
                attrs={"accept": "image/png,image/jpeg,image/webp"}
            ),
        }
        help_texts = {
            "name": _("Le nom officiel, tel qu'il figure dans vos statuts."),
            "short_name": _(
                "Facultatif : le nom d'usage affiché en haut des pages (par exemple un sigle)."
            ),
            "tagline": _("Une phrase qui dit ce que fait l'association, reprise sous son nom."),
            "logo": _("Image PNG, JPEG ou WebP de 2 Mo au plus, de préférence carrée."),
            "primary_color": _(
                "Fond de l'en-tête et des boutons. Elle doit être assez foncée pour que le texte "
                "blanc reste lisible."
            ),
            "accent_color": _("Sert à souligner les éléments actifs. Même règle de lisibilité."),
            "website_url": _("Adresse de votre site principal, commençant par https://."),
            "contact_email": _("Affichée en bas de chaque page pour vous écrire."),
            "rna_number": _(
                "W suivi de 9 chiffres, inscrit sur le récépissé de déclaration en préfecture."
            ),
            "siren": _(
                "9 chiffres, tel qu'il figure sur l'avis de situation INSEE. Laissez vide si "
                "l'association n'en a pas."
            ),
            "purpose": _(
                "L'objet tel que rédigé dans les statuts ; il figure sur les reçus fiscaux."
            ),
            "tax_reduction_rate": _(
                "Taux de 66 % : cas général. Taux de 75 % : seulement les organismes d'aide "
                "aux personnes en difficulté. En cas de doute, demandez à votre trésorier."
            ),
            "receipt_signer_name": _(
                "La personne qui signe les reçus, souvent le ou la présidente."
            ),
            "receipt_signer_role": _("Par exemple : Présidente, Trésorier."),
            "receipt_signature": _("Image de la signature, PNG ou JPEG de 2 Mo au plus."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("logo", "receipt_signature"):
            self.fields[name].error_messages["invalid_image"] = IMAGE_INVALID
        self.fields["siren"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        self.fields["postal_code"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "postal-code"}
        )
        # Capillarity settings: a form posted without them keeps the saved values.
        for name in REFERRAL_SETTINGS:
            self.fields[name].required = False

    def _keep(self, name: str) -> Any:
        value = self.cleaned_data.get(name)
        return getattr(self.instance, name) if value in (None, "") else value

    def clean_invitations_per_day(self) -> int:
        return int(self._keep("invitations_per_day"))

    def clean_referral_names(self) -> str:
        return str(self._keep("referral_names"))

    def fieldsets(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def _clean_image(self, name: str, stem: str) -> Any:
        image = self.cleaned_data.get(name)
        # Only a new upload is checked: False means "clear", a FieldFile is the current image.
        if isinstance(image, UploadedFile):
            return reencode_image(image, stem=stem)
        return image

    def clean_logo(self) -> Any:
        return self._clean_image("logo", "logo")

    def clean_receipt_signature(self) -> Any:
        return self._clean_image("receipt_signature", "signature")

    def clean_volunteer_hourly_rate_cents(self) -> int:
        cents = int(self.cleaned_data.get("volunteer_hourly_rate_cents") or 0)
        if cents > 100_000:
            raise forms.ValidationError(
                _("Plus de 1 000 € de l'heure : vérifiez le montant (par exemple 11,88)."),
                code="too_high",
            )
        return cents

    def clean_referral_window_days(self) -> int:
        return _days_at_least_one(self._keep("referral_window_days"))

    def clean_invitation_retention_days(self) -> int:
        return _days_at_least_one(self._keep("invitation_retention_days"))

    def clean_rna_number(self) -> str:
        return str(self.cleaned_data.get("rna_number", "")).strip().upper()

    def clean_siren(self) -> str:
        return str(self.cleaned_data.get("siren", "")).replace(" ", "")

    def _clean_color(self, name: str) -> str:
        return str(self.cleaned_data.get(name, "")).strip().lower()

    def clean_primary_color(self) -> str:
        return self._clean_color("primary_color")

    def clean_accent_color(self) -> str:
        return self._clean_color("accent_color")

    def preview_colors(self) -> dict[str, Any]:
        """Return the colours to preview: the submitted ones when they are valid."""
        colors = {}
        for name in ("primary_color", "accent_color"):
            value = self.initial.get(name) or getattr(self.instance, name)
            if self.is_bound and name not in self.errors:
                value = self.data.get(name, value)
            colors[name] = value
        colors["primary_ratio"] = _safe_ratio(colors["primary_color"])
        colors["accent_ratio"] = _safe_ratio(colors["accent_color"])
        return colors


def _safe_ratio(color: str) -> str:
    try:
        return f"{contrast_ratio(color, '#ffffff'):.1f}".replace(".", ",")
    except (ValueError, IndexError):
        return ""


class RoleGrantForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail du compte"),
        help_text=_("La personne doit déjà avoir créé son compte avec cette adresse."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("Rôle à confier"), choices=Role.choices)

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError(
                _(
                    "Aucun compte n'utilise l'adresse %(email)s. Demandez à la personne de créer "
                    "son compte, puis revenez ici."
                )
                % {"email": email},
                code="unknown_account",
            )
        self.user = user
        return email


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Type de modification"), required=False)

    def __init__(self, *args: Any, actions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["action"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Toutes")), *actions]


def _days_at_least_one(value: int) -> int:
    if value is None or value < 1 or value > 3650:
        raise forms.ValidationError(_("Indiquez un nombre de jours entre 1 et 3650."))
    return value
