"""Template filters of the treasurer screens: amounts in euros the French way."""

from __future__ import annotations

from django import template

from essaim.core.money import format_euros

register = template.Library()


@register.filter
def euros(cents: int | None) -> str:
    """Show cents as euros: 123456 -> "1 234,56 €"."""
    return format_euros(cents)
