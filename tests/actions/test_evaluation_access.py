"""Role matrix of these pages: see tests/circles/test_access.py for the pattern."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
