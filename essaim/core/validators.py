"""Validators for French legal identifiers and display settings."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def validate_siren(value: str) -> None:
    """Check a SIREN: nine digits with a valid Luhn key."""
    compact = value.replace(" ", "")
    if not re.fullmatch(r"\d{9}", compact) or not luhn_ok(compact):
        raise ValidationError(
            _("Le SIREN doit compter 9 chiffres et être valide (exemple : 775 672 272)."),
            code="invalid_siren",
        )


def validate_rna(value: str) -> None:
    """Check an RNA number: W followed by nine digits."""
    if not re.fullmatch(r"W\d{9}", value.strip().upper()):
        raise ValidationError(
            _("Le numéro RNA commence par W suivi de 9 chiffres (exemple : W751234567)."),
            code="invalid_rna",
        )


def relative_luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def validate_hex_color(value: str) -> None:
    """Check a colour written as #RRGGBB."""
    if not HEX_COLOR.match(value):
        raise ValidationError(
            _("Indiquez une couleur au format #RRVVBB (exemple : #1f5f8b)."), code="invalid_color"
        )


def validate_readable_on_white(value: str) -> None:
    """Refuse a colour too pale for text and buttons (WCAG AA, ratio 4.5:1 with white)."""
    validate_hex_color(value)
    if contrast_ratio(value, "#ffffff") < 4.5:
        raise ValidationError(
            _(
                "Cette couleur est trop claire : le texte blanc posé dessus serait illisible. "
                "Choisissez une teinte plus foncée."
            ),
            code="low_contrast",
        )
