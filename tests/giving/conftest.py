"""Giving tests start without any giving page.

Migration giving/0003 seeds a default page so a fresh site can take gifts at once; tests
create the pages they need (``GivingPageFactory(is_default=True)``) and some check what
happens with none, so the seeded page is removed before each test (rolled back after).
tests/giving/test_pages.py checks the seed itself.
"""

from __future__ import annotations

import pytest

SEEDED_SLUG = "soutenir-l-association"


@pytest.fixture(autouse=True)
def _no_seeded_giving_page(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    ):
        request.getfixturevalue("transactional_db")
    elif marker is not None or "db" in request.fixturenames:
        request.getfixturevalue("db")
    else:
        return
    from essaim.giving.models import GivingPage

    GivingPage.objects.filter(slug=SEEDED_SLUG, donations__isnull=True).delete()
