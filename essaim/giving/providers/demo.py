"""The demonstration provider: a checkout page of Essaim's own, where no money moves.

Offered when no real provider is configured, or when ESSAIM_GIVING_DEMO is set. Its monthly
gifts are charged by Essaim's daily job (essaim.giving.recurring.recurring_charge_due).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from essaim.core.http import absolute_url

from .base import Checkout, PaymentStatus

if TYPE_CHECKING:
    from ..models import Donation, RecurringGift


BACK_SALT = "essaim.giving.demo.back"


class DemoProvider:
    name = "demo"
    label = _("Démonstration : aucun paiement réel")

    def is_configured(self) -> bool:
        return True

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
        return Checkout(
            redirect_url=self._url(donation, return_url, cancel_url),
            reference=f"demo_{donation.code[:24]}",
        )

    def checkout_url(
        self, *, donation: Donation, return_url: str = "", cancel_url: str = ""
    ) -> str | None:
        return self._url(donation, return_url, cancel_url)

    def payment_status(self, *, donation: Donation) -> PaymentStatus:
        from ..models import DonationStatus

        return PaymentStatus(
            paid=donation.status == DonationStatus.PAID,
            failed=donation.status == DonationStatus.FAILED,
            reference=donation.provider_reference,
        )

    # Essaim itself charges demo schedules: pausing or stopping only changes our own row.
    def schedule_pause(self, *, recurring: RecurringGift) -> None:
        return None

    def schedule_resume(self, *, recurring: RecurringGift) -> None:
        return None

    def schedule_cancel(self, *, recurring: RecurringGift) -> None:
        return None

    @staticmethod
    def _url(donation: Donation, return_url: str, cancel_url: str) -> str:
        # The way back travels signed in the address: no open redirect, no column to store it.
        # Signed without a timestamp: the same gift always has the same checkout address.
        back = signing.Signer(salt=BACK_SALT).sign_object(
            {"r": return_url, "c": cancel_url}, compress=True
        )
        path = reverse("payments:demo_checkout", kwargs={"code": donation.code})
        return absolute_url(f"{path}?{urlencode({'retour': back})}")


def demo_back_urls(value: str) -> tuple[str, str]:
    """Return the (return, cancel) addresses a demo checkout address carries, or ("", "")."""
    try:
        back = signing.Signer(salt=BACK_SALT).unsign_object(value or "")
    except signing.BadSignature:
        return "", ""
    if not isinstance(back, dict):
        return "", ""
    return str(back.get("r", "")), str(back.get("c", ""))
