"""Every named URL of Essaim is in a role matrix, or its test is named here.

Later issues add their routes to a ``ROUTES`` list (see tests/access.py); this test
fails when a URL is added without one, so no page ships untested for some role.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

from tests.accounts.test_pages import ROUTES as ACCOUNT_ROUTES
from tests.actions.test_access import ROUTES as ACTION_ROUTES
from tests.actions.test_evaluation_access import ROUTES as EVALUATION_ROUTES
from tests.actions.test_missions_access import ROUTES as MISSION_ROUTES
from tests.blog.test_feeds import ROUTES as FEED_URL_ROUTES
from tests.blog.test_public_access import ROUTES as PUBLIC_BLOG_ROUTES
from tests.blog.test_sitemap import ROUTES as SEO_ROUTES
from tests.blog.test_story_access import ROUTES as STORY_ROUTES
from tests.blog.test_writing_access import ROUTES as WRITING_ROUTES
from tests.circles.test_access import ROUTES as CIRCLE_ROUTES
from tests.circles.test_discussions_access import ROUTES as DISCUSSION_ROUTES
from tests.core.test_pages import ROUTES as CORE_ROUTES
from tests.feed.test_access import ROUTES as FEED_ROUTES
from tests.giving.test_donor_access import ROUTES as DONOR_ROUTES
from tests.giving.test_journey_access import ROUTES as JOURNEY_ROUTES
from tests.giving.test_pages_access import ROUTES as GIVING_PAGE_ROUTES
from tests.giving.test_payments_access import ROUTES as PAYMENT_ROUTES
from tests.giving.test_public_access import ROUTES as PUBLIC_GIVING_ROUTES
from tests.giving.test_receipt_access import ROUTES as RECEIPT_ROUTES
from tests.giving.test_treasury_access import ROUTES as TREASURY_ROUTES
from tests.people.test_access import ROUTES as PEOPLE_ROUTES
from tests.people.test_import import ROUTES as IMPORT_ROUTES
from tests.practices.test_access import ROUTES as PRACTICE_ROUTES
from tests.referrals.test_links_access import ROUTES as REFERRAL_LINK_ROUTES
from tests.referrals.test_network_pages import ROUTES as NETWORK_ROUTES

MATRICES = (
    CORE_ROUTES,
    ACCOUNT_ROUTES,
    PEOPLE_ROUTES,
    IMPORT_ROUTES,
    FEED_ROUTES,
    CIRCLE_ROUTES,
    DISCUSSION_ROUTES,
    ACTION_ROUTES,
    MISSION_ROUTES,
    EVALUATION_ROUTES,
    PRACTICE_ROUTES,
    STORY_ROUTES,
    WRITING_ROUTES,
    PUBLIC_BLOG_ROUTES,
    FEED_URL_ROUTES,
    SEO_ROUTES,
    REFERRAL_LINK_ROUTES,
    NETWORK_ROUTES,
    PUBLIC_GIVING_ROUTES,
    DONOR_ROUTES,
    JOURNEY_ROUTES,
    RECEIPT_ROUTES,
    GIVING_PAGE_ROUTES,
    TREASURY_ROUTES,
    PAYMENT_ROUTES,
)

# URLs that need a secret key, a pending login or a second factor: their roles are
# exercised by the flow tests named here rather than by the generic matrix.
COVERED_ELSEWHERE = {
    "account_confirm_email": "tests/accounts/test_signup.py (confirmation by key)",
    "account_confirm_login_code": "allauth login by code, disabled (ACCOUNT_LOGIN_BY_CODE off)",
    "account_inactive": "tests/accounts/test_recovery_pages.py",
    "account_logout": "tests/accounts/test_pages.py::test_logout_page",
    "account_reauthenticate": "tests/accounts/test_mfa.py (reauthentication before TOTP)",
    "account_reset_password_from_key": "tests/accounts/test_session.py (reset by key)",
    "account_reset_password_from_key_done": "tests/accounts/test_session.py",
    "account_set_password": "allauth: only for accounts without a password (none here)",
    "core:media": "tests/core/test_organisation.py (logo) and tests/people/test_import_storage.py",
    "mfa_activate_totp": "tests/accounts/test_mfa.py",
    "mfa_authenticate": "tests/accounts/test_mfa.py (second step of login)",
    "mfa_deactivate_totp": "tests/accounts/test_mfa.py",
    "mfa_download_recovery_codes": "tests/accounts/test_recovery_pages.py",
    "mfa_generate_recovery_codes": "tests/accounts/test_recovery_pages.py",
    "mfa_reauthenticate": "tests/accounts/test_mfa.py",
    "set_language": "tests/core/test_i18n.py",
}
OUT_OF_SCOPE_NAMESPACES = {"admin", "api"}  # Django admin; the API has its own tests


def named_urls(resolver: URLResolver, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            full = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            if full.split(":")[0] not in OUT_OF_SCOPE_NAMESPACES:
                names |= named_urls(pattern, full)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def test_every_url_is_in_a_role_matrix():
    in_matrix = {route.name for routes in MATRICES for route in routes}
    missing = named_urls(get_resolver()) - in_matrix - set(COVERED_ELSEWHERE)
    assert not missing, f"URLs without a role-matrix row: {sorted(missing)}"


def test_exceptions_still_exist():
    stale = set(COVERED_ELSEWHERE) - named_urls(get_resolver())
    assert not stale, f"Remove these names from COVERED_ELSEWHERE: {sorted(stale)}"
