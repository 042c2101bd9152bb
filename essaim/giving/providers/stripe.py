"""Stripe: Checkout Sessions for one-off gifts (mode payment) and monthly gifts (subscription).

Keys come from the settings at call time. Each gift's code travels in the session's
metadata, its payment's metadata and the subscription's metadata, so that every webhook
event finds its gift (essaim.giving.webhooks). Every call waits 10 seconds at most.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import stripe as stripe_lib
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from essaim.core.selectors import organisation_get

from .base import TIMEOUT, Checkout, PaymentStatus, ProviderUnavailable

if TYPE_CHECKING:
    from ..models import Donation, RecurringGift

logger = logging.getLogger(__name__)


def client() -> stripe_lib.StripeClient:
    """Return a Stripe client with the configured key and a 10-second timeout."""
    return stripe_lib.StripeClient(
        settings.STRIPE_SECRET_KEY,
        http_client=stripe_lib.RequestsClient(timeout=TIMEOUT),
        max_network_retries=1,
    )


def call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the Stripe API; turn its failures into ProviderUnavailable (logged)."""
    try:
        return function(*args, **kwargs)
    except stripe_lib.StripeError as error:
        logger.warning("Stripe call failed: %r", error)
        raise ProviderUnavailable() from error


def as_dict(value: Any) -> dict[str, Any]:
    """Return a Stripe object (or a plain dict, in tests) as a dict."""
    if isinstance(value, dict):
        return value
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else {}


class StripeProvider:
    name = "stripe"
    label = gettext_lazy("Carte bancaire (Stripe)")

    def is_configured(self) -> bool:
        return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)

    def supports(self, frequency: str) -> bool:
        return True

    def checkout_start(
        self,
        *,
        donation: Donation,
        recurring: RecurringGift | None,
        return_url: str,
        cancel_url: str,
    ) -> Checkout:
        organisation = organisation_get()
        name = _("Don à %(name)s") % {"name": organisation.display_name}
        metadata = {"donation": donation.code}
        price: dict[str, Any] = {
            "currency": "eur",
            "unit_amount": donation.amount_cents,
            "product_data": {"name": name},
        }
        params: dict[str, Any] = {
            "success_url": return_url,
            "cancel_url": cancel_url,
            "customer_email": donation.email,
            "client_reference_id": donation.code,
            "metadata": metadata,
            "locale": "fr",
        }
        if recurring is not None:
            metadata["recurring"] = recurring.code
            price["recurring"] = {"interval": "month"}
            price["product_data"] = {
                "name": _("Don mensuel à %(name)s") % {"name": organisation.display_name}
            }
            params["mode"] = "subscription"
            params["subscription_data"] = {"metadata": dict(metadata)}
        else:
            params["mode"] = "payment"
            params["submit_type"] = "donate"
            params["payment_intent_data"] = {"metadata": dict(metadata), "description": name}
        params["line_items"] = [{"price_data": price, "quantity": 1}]
        # Stripe's own idempotency: a retry after a timeout reuses the session it made; a
        # new session replacing an expired one (named in the key) gets a key of its own.
        previous = donation.provider_reference or "first"
        session = call(
            client().v1.checkout.sessions.create,
            params,
            {"idempotency_key": f"essaim-checkout-{donation.code}-{previous}"},
        )
        data = as_dict(session)
        return Checkout(redirect_url=str(data.get("url", "")), reference=str(data.get("id", "")))

    def checkout_url(
        self, *, donation: Donation, return_url: str = "", cancel_url: str = ""
    ) -> str | None:
        if not donation.provider_reference.startswith("cs_"):
            return None
        session = as_dict(call(client().v1.checkout.sessions.retrieve, donation.provider_reference))
        if session.get("status") != "open":
            return None
        return str(session.get("url") or "") or None

    def payment_status(self, *, donation: Donation) -> PaymentStatus:
        session = as_dict(call(client().v1.checkout.sessions.retrieve, donation.provider_reference))
        paid = session.get("status") == "complete" and session.get("payment_status") in (
            "paid",
            "no_payment_required",
        )
        return PaymentStatus(
            paid=paid,
            failed=session.get("status") == "expired",
            reference=str(session.get("payment_intent") or session.get("id") or ""),
        )

    def schedule_pause(self, *, recurring: RecurringGift) -> None:
        # Invoices are voided while paused: nothing is owed for the paused months.
        call(
            client().v1.subscriptions.update,
            recurring.provider_reference,
            {"pause_collection": {"behavior": "void"}},
        )

    def schedule_resume(self, *, recurring: RecurringGift) -> None:
        call(
            client().v1.subscriptions.update,
            recurring.provider_reference,
            {"pause_collection": ""},
        )

    def schedule_cancel(self, *, recurring: RecurringGift) -> None:
        call(client().v1.subscriptions.cancel, recurring.provider_reference)
