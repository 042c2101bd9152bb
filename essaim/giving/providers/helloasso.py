"""HelloAsso (API v5): checkout intents for one-off gifts, free of fees for the association.

OAuth2 client credentials give a token (kept in the cache until shortly before it expires);
``POST /v5/organizations/{slug}/checkout-intents`` opens the checkout and returns its id and
the address to send the donor to; ``GET …/checkout-intents/{id}`` returns the order once
paid. Notifications are never trusted: the webhook asks the API (see essaim.giving.webhooks).
Monthly gifts are not offered through HelloAsso here (its checkout takes instalments of a
known total, not an open-ended monthly gift).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from essaim.core.selectors import organisation_get

from .base import TIMEOUT, Checkout, PaymentStatus, ProviderUnavailable

if TYPE_CHECKING:
    from ..models import Donation, RecurringGift

logger = logging.getLogger(__name__)

# HelloAsso's payment page address is short-lived: past this, a retry opens a new checkout.
REDIRECT_LIFETIME = timedelta(minutes=14)
TOKEN_CACHE_KEY = "giving:helloasso:token"  # noqa: S105 (a cache key, not a secret)
# HelloAsso payment states that mean the money was taken.
PAID_STATES = frozenset({"Authorized", "Processed", "Registered"})
FAILED_STATES = frozenset({"Refused", "Canceled"})
REFUNDED_STATES = frozenset({"Refunded"})
DISPUTED_STATES = frozenset({"Contested"})
# ISO 3166 alpha-2 -> alpha-3 for the countries donors of a French association give from most.
COUNTRIES = {
    "FR": "FRA",
    "BE": "BEL",
    "CH": "CHE",
    "LU": "LUX",
    "MC": "MCO",
    "DE": "DEU",
    "ES": "ESP",
    "IT": "ITA",
    "GB": "GBR",
    "CA": "CAN",
    "US": "USA",
}


def _url(path: str) -> str:
    return f"{settings.HELLOASSO_API_URL}{path}"


def _request(method: str, path: str, **kwargs: Any) -> Any:
    """Send one request; a network error, a timeout or a 5xx is ProviderUnavailable."""
    try:
        response = requests.request(method, _url(path), timeout=TIMEOUT, **kwargs)
    except requests.RequestException as error:
        logger.warning("HelloAsso %s %s failed: %r", method, path, error)
        raise ProviderUnavailable() from error
    if response.status_code >= 500 or response.status_code in (401, 403, 429):
        logger.warning("HelloAsso %s %s answered %s", method, path, response.status_code)
        raise ProviderUnavailable()
    if response.status_code >= 400:
        logger.warning("HelloAsso %s %s refused: %s", method, path, response.text[:500])
        raise ProviderUnavailable(
            _(
                "HelloAsso a refusé ce paiement. Vérifiez vos coordonnées ou choisissez un "
                "autre moyen de paiement."
            )
        )
    try:
        return response.json()
    except ValueError as error:
        raise ProviderUnavailable() from error


def access_token() -> str:
    """Return a bearer token (client credentials), from the cache while it is valid."""
    token = cache.get(TOKEN_CACHE_KEY)
    if token:
        return str(token)
    data = _request(
        "POST",
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": settings.HELLOASSO_CLIENT_ID,
            "client_secret": settings.HELLOASSO_CLIENT_SECRET,
        },
    )
    token = str(data.get("access_token", ""))
    if not token:
        raise ProviderUnavailable()
    expires_in = int(data.get("expires_in") or 1800)
    cache.set(TOKEN_CACHE_KEY, token, max(60, expires_in - 60))
    return token


def api(method: str, path: str, **kwargs: Any) -> Any:
    """Call the authenticated API (v5)."""
    headers = {"Authorization": f"Bearer {access_token()}", "Accept": "application/json"}
    return _request(method, path, headers=headers, **kwargs)


def checkout_intent(intent_id: str) -> dict[str, Any]:
    """Return what the API says about a checkout intent (with its order once paid)."""
    slug = settings.HELLOASSO_ORGANIZATION_SLUG
    data = api("GET", f"/v5/organizations/{slug}/checkout-intents/{int(intent_id)}")
    return data if isinstance(data, dict) else {}


def payment(payment_id: str) -> dict[str, Any]:
    """Return what the API says about a payment (its state: refunded, contested…)."""
    data = api("GET", f"/v5/payments/{int(payment_id)}")
    return data if isinstance(data, dict) else {}


def order_payments(intent: dict[str, Any]) -> list[dict[str, Any]]:
    order = intent.get("order") or {}
    payments = order.get("payments") or [] if isinstance(order, dict) else []
    return [p for p in payments if isinstance(p, dict)]


class HelloAssoProvider:
    name = "helloasso"
    label = gettext_lazy("HelloAsso (carte bancaire, sans frais pour l'association)")

    def is_configured(self) -> bool:
        return bool(
            settings.HELLOASSO_CLIENT_ID
            and settings.HELLOASSO_CLIENT_SECRET
            and settings.HELLOASSO_ORGANIZATION_SLUG
        )

    def supports(self, frequency: str) -> bool:
        return frequency == "one_off"

    def checkout_start(
        self,
        *,
        donation: Donation,
        recurring: RecurringGift | None,
        return_url: str,
        cancel_url: str,
    ) -> Checkout:
        organisation = organisation_get()
        payer: dict[str, Any] = {
            "firstName": donation.given_name,
            "lastName": donation.family_name,
            "email": donation.email,
        }
        if donation.has_postal_address:
            payer.update(
                address=" ".join(filter(None, [donation.address_line1, donation.address_line2])),
                city=donation.city,
                zipCode=donation.postal_code,
                country=COUNTRIES.get(donation.country, "FRA"),
            )
        body = {
            "totalAmount": donation.amount_cents,
            "initialAmount": donation.amount_cents,
            "itemName": (_("Don à %(name)s") % {"name": organisation.display_name})[:250],
            "backUrl": cancel_url,
            "errorUrl": cancel_url,
            "returnUrl": return_url,
            "containsDonation": True,
            "payer": payer,
            "metadata": {"donation": donation.code},
        }
        slug = settings.HELLOASSO_ORGANIZATION_SLUG
        data = api("POST", f"/v5/organizations/{slug}/checkout-intents", json=body)
        url, intent_id = data.get("redirectUrl"), data.get("id")
        if not url or not intent_id:
            raise ProviderUnavailable()
        return Checkout(redirect_url=str(url), reference=str(intent_id))

    def checkout_url(
        self, *, donation: Donation, return_url: str = "", cancel_url: str = ""
    ) -> str | None:
        if not donation.provider_reference.isdigit():
            return None
        if timezone.now() - donation.updated_at > REDIRECT_LIFETIME:
            return None  # the payment page's address no longer works: open a new checkout
        intent = checkout_intent(donation.provider_reference)
        if intent.get("order"):
            return None  # paid already: the webhook or the thank-you page records it
        return str(intent.get("redirectUrl") or "") or None

    def payment_status(self, *, donation: Donation) -> PaymentStatus:
        intent = checkout_intent(donation.provider_reference)
        states = {str(p.get("state")) for p in order_payments(intent)}
        paid = bool(states & PAID_STATES)
        first = next(iter(order_payments(intent)), {})
        return PaymentStatus(
            paid=paid,
            failed=bool(states) and states <= FAILED_STATES,
            reference=str(first.get("id") or ""),
        )

    # Monthly gifts never go through HelloAsso (supports() refuses them).
    def schedule_pause(self, *, recurring: RecurringGift) -> None:
        raise ProviderUnavailable(_("HelloAsso ne gère pas les dons mensuels ici."))

    def schedule_resume(self, *, recurring: RecurringGift) -> None:
        raise ProviderUnavailable(_("HelloAsso ne gère pas les dons mensuels ici."))

    def schedule_cancel(self, *, recurring: RecurringGift) -> None:
        raise ProviderUnavailable(_("HelloAsso ne gère pas les dons mensuels ici."))
