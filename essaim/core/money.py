"""Money is integer cents: shown and typed in euros the French way."""

from __future__ import annotations


def format_euros(cents: int | None) -> str:
    """Format cents the French way: 1234567 -> "12 345,67 €" (no decimals when round)."""
    if cents is None:
        return ""
    negative = cents < 0
    euros, rest = divmod(abs(int(cents)), 100)
    whole = f"{euros:,}".replace(",", "\u202f")
    text = f"{whole},{rest:02d}" if rest else whole
    return f"{'-' if negative else ''}{text}\u00a0€"


def parse_euros(text: str) -> int:
    """Read an amount typed in euros ("11,88", "1 200", "12.5 €") as cents, or raise ValueError."""
    cleaned = (
        str(text).replace("€", "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    )
    cleaned = cleaned.replace(",", ".")
    if not cleaned or len(cleaned) > 15 or cleaned.count(".") > 1 or cleaned.startswith("-"):
        raise ValueError(text)
    whole, _dot, decimals = cleaned.partition(".")
    if not (whole or decimals) or not (whole + decimals).isdigit() or len(decimals) > 2:
        raise ValueError(text)
    return int(whole or "0") * 100 + int((decimals + "00")[:2])
