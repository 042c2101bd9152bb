"""Addresses made from French titles: accents transliterated, punctuation to hyphens."""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD does not decompose into ASCII.
_SPECIAL = str.maketrans(
    {
        "œ": "oe",
        "Œ": "oe",
        "æ": "ae",
        "Æ": "ae",
        "ß": "ss",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ł": "l",
        "Ł": "l",
        "þ": "th",
        "ð": "d",
    }
)


def slugify_fr(text: str) -> str:
    """Return a lower-case ASCII address: "L'été à Noël" -> "l-ete-a-noel"."""
    text = (text or "").translate(_SPECIAL)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
