from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.functional import empty

from essaim.accounts.models import Role, User
from essaim.people.models import private_files
from tests.accounts.factories import RoleGrantFactory, UserFactory
from tests.people.factories import PersonFactory

STAFF_ROLE_OF = {
    "coordinator": Role.COORDINATOR,
    "treasurer": Role.TREASURER,
    "communication": Role.COMMUNICATION,
    "admin": Role.ADMIN,
}


@pytest.fixture(autouse=True)
def _french_by_default() -> Iterator[None]:
    # A request in English leaves its language active in the thread (LocaleMiddleware does
    # not reset it): without this, a service called directly by the next test would write
    # English text, depending on which tests ran before on the same worker.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Organisation settings and rate-limit counters live in the cache: start each test clean.
    cache.clear()


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Any) -> Iterator[None]:
    # Uploaded files (logos, contact imports) must not pile up under the real var/.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "essaim.core.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }
    private_files._wrapped = empty
    yield
    private_files._wrapped = empty


def make_user_for_role(role: str) -> User | None:
    """Create an account with its Person for one of the matrix roles (None for anonymous)."""
    if role == "anonymous":
        return None
    user = UserFactory(email=f"{role}-{UserFactory._meta.next_sequence()}@exemple.org")
    PersonFactory(
        user=user,
        email=user.email,
        is_sympathiser=role == "sympathiser",
        is_member=role != "sympathiser",
    )
    if role in STAFF_ROLE_OF:
        RoleGrantFactory(user=user, role=STAFF_ROLE_OF[role])
    return user


@pytest.fixture
def login_as() -> Callable[[str], Any]:
    return make_user_for_role


@pytest.fixture
def admin_user() -> User:
    user = make_user_for_role("admin")
    assert user is not None
    return user


@pytest.fixture
def admin_client(client: Any, admin_user: User) -> Any:
    client.force_login(admin_user)
    return client
