"""An email backend for benchmarks: build each message as SMTP would, then drop it."""

from __future__ import annotations

from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class SerializingBackend(BaseEmailBackend):
    sent_bytes = 0

    def send_messages(self, email_messages: Any) -> int:
        for message in email_messages:
            SerializingBackend.sent_bytes += len(message.message().as_bytes())
        return len(email_messages)
