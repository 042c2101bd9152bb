"""Contact files hold personal data: they must never be reachable by URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.people.test_import import validated_job

pytestmark = pytest.mark.django_db


def test_uploaded_contact_file_is_private_and_renamed(admin_user, client):
    job = validated_job(admin_user)
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    stored = Path(storage.path(name))
    # Outside the public media folder, under a random name rather than the user's file name.
    assert Path(settings.MEDIA_ROOT) not in stored.parents
    assert stored.parent.parent == Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    assert job.original_name not in name
    with pytest.raises(ValueError):
        job.file.url  # noqa: B018 — a private storage has no URL at all
    # Even a guessed path under /media/ finds nothing.
    assert client.get(f"/media/{name}").status_code == 404
