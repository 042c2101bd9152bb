"""Shared steps of the account tests: sign-up data and links read from the sent emails."""

from __future__ import annotations

import re
import time
from typing import Any

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail

PASSWORD = "mot-de-passe-solide-42"
NEW_PASSWORD = "Un-autre-secret-2025"


def signup_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "given_name": "Camille",
        "family_name": "Durand",
        "email": "camille.durand@exemple.org",
        "password1": "Ruche-Solidaire-2025",
        "password2": "Ruche-Solidaire-2025",
        "newsletter_consent": "on",
    }
    data.update(overrides)
    return data


def link_in(message: mail.EmailMessage, path_fragment: str) -> str:
    """Return the path of the first link of an email that contains ``path_fragment``."""
    paths = [
        p for p in re.findall(r"https?://[^/\s]+(/\S*)", str(message.body)) if path_fragment in p
    ]
    assert paths, f"no link with {path_fragment!r} in:\n{message.body}"
    return paths[0]


def totp_code(secret: str) -> str:
    """Compute the current code the way an authenticator app would (RFC 6238, 30 s)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def is_logged_in(client: Any) -> bool:
    return "_auth_user_id" in client.session
