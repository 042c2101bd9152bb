"""Storage for files that must never be served by URL (they hold personal data)."""

from __future__ import annotations

from typing import NoReturn

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    def url(self, name: str | None) -> NoReturn:
        raise ValueError("Private files have no public URL; serve them through a view.")
