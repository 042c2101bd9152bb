from __future__ import annotations

import pytest


@pytest.fixture
def member(client, login_as):
    """A signed-in member's person (the feed pages' reader)."""
    user = login_as("member")
    client.force_login(user)
    return user.person
