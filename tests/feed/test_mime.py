"""Digest emails written straight to MIME parse back like the ones Django builds."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

import pytest
from django.core.mail import BadHeaderError, EmailMultiAlternatives

from essaim.feed.mime import DigestEmail

LONG_LINE = "Réunion " + "très " * 300  # over the 998-octet line limit of SMTP
TEXT = (
    f"Bonjour Zoé,\n\n- Fête de quartier \n  https://exemple.org/a\n.\nFrom here\r\n{LONG_LINE}\n"
)
HTML = f'<p>Bonjour Zoé,</p>\n<ul><li><a href="https://exemple.org/a?x=1&amp;y=2">Fête</a></li></ul>\n<p>{LONG_LINE}</p>'


def build(cls: type[EmailMultiAlternatives], **kw: object) -> EmailMultiAlternatives:
    message = cls(
        subject=kw.get(
            "subject", "Votre récapitulatif de la semaine — Les Amis du Quartier, Paris"
        ),
        body=TEXT,
        from_email=kw.get("from_email", '"Les Amis, Quartier" <ne-pas-repondre@exemple.org>'),
        to=kw.get("to", ["zoe@exemple.org"]),
        headers={
            "List-Unsubscribe": "<https://exemple.org/fil/desabonnement/" + "t" * 120 + "/>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(HTML, "text/html")
    return message


def parse(message: EmailMultiAlternatives) -> EmailMessage:
    raw = message.message().as_bytes(linesep="\r\n")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n")), "SMTP line limit"
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def summary(parsed: EmailMessage) -> dict[str, object]:
    parts = [part for part in parsed.walk() if not part.is_multipart()]
    return {
        "subject": str(parsed["Subject"]).strip(),
        "from": str(parsed["From"]),
        "to": str(parsed["To"]),
        "type": parsed.get_content_type(),
        "headers": {
            # Django folds a long header onto the next line: the value then starts with a space.
            name: str(parsed[name]).strip()
            for name in ("List-Unsubscribe", "List-Unsubscribe-Post", "Auto-Submitted")
        },
        "parts": [
            (part.get_content_type(), part.get_content().replace("\r\n", "\n")) for part in parts
        ],
        "has_date_and_id": bool(parsed["Date"]) and bool(parsed["Message-ID"]),
    }


def test_same_headers_and_parts_as_django_builds() -> None:
    ours, django = summary(parse(build(DigestEmail))), summary(parse(build(EmailMultiAlternatives)))
    assert ours == django
    # Not a tautology: the content survived, accents and long lines included.
    assert ours["subject"] == "Votre récapitulatif de la semaine — Les Amis du Quartier, Paris"
    assert ours["from"] == '"Les Amis, Quartier" <ne-pas-repondre@exemple.org>'
    text = ours["parts"][0][1]  # type: ignore[index]
    assert "Bonjour Zoé" in text and LONG_LINE in text and "\n.\nFrom here\n" in text


def test_international_domain_is_encoded_like_django_does() -> None:
    ours = parse(build(DigestEmail, to=["zoe@quartier-été.fr"]))
    django = parse(build(EmailMultiAlternatives, to=["zoe@quartier-été.fr"]))
    assert str(ours["To"]) == str(django["To"])
    assert str(ours["To"]).startswith("zoe@xn--quartier-")


def test_each_email_gets_its_own_message_id() -> None:
    first, second = parse(build(DigestEmail)), parse(build(DigestEmail))
    assert first["Message-ID"] and first["Message-ID"] != second["Message-ID"]


def test_a_line_break_in_a_header_is_refused() -> None:
    with pytest.raises(BadHeaderError):
        build(DigestEmail, subject="Bonjour\nBcc: tout-le-monde@exemple.org").message()


def test_only_the_digest_shape_is_accepted() -> None:
    message = build(DigestEmail)
    message.attach("note.txt", "x", "text/plain")
    with pytest.raises(ValueError, match="DigestEmail"):
        message.message()
