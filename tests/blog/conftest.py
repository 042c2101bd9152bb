"""Shared fixtures of the blog tests: a writer (communication role), images in a temp media."""

from __future__ import annotations

from typing import Any

import pytest

from essaim.accounts.models import User
from tests.conftest import make_user_for_role


@pytest.fixture
def writer() -> User:
    """An account with the communication role (holds ``blog.write``)."""
    user = make_user_for_role("communication")
    assert user is not None
    return user


@pytest.fixture
def writer_client(client: Any, writer: User) -> Any:
    client.force_login(writer)
    return client
