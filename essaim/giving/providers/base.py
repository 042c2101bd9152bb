"""What every payment provider offers: a checkout, a look-up, a monthly schedule's controls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from ..models import Donation, RecurringGift

# No call to a provider waits longer than this (seconds): the donor is waiting too.
TIMEOUT = 10


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered with an error: nothing was recorded twice."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or _(
                "Le service de paiement ne répond pas pour le moment. Votre don n'a pas été "
                "débité : réessayez dans quelques minutes."
            )
        )

    @property
    def message(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Checkout:
    """Where to send the donor to pay, and the provider's reference of that checkout."""

    redirect_url: str
    reference: str = ""


@dataclass(frozen=True)
class PaymentStatus:
    """What the provider says about a checkout, read back from its API (never from a body)."""

    paid: bool
    failed: bool = False
    reference: str = ""
    payment_method: str = ""


class PaymentProvider(Protocol):
    name: str

    @property
    def label(self) -> str | Promise:
        """The provider's name as donors see it."""
        ...

    def is_configured(self) -> bool:
        """Tell whether the provider's keys are set."""
        ...

    def supports(self, frequency: str) -> bool:
        """Tell whether the provider can take gifts of this frequency."""
        ...

    def checkout_start(
        self,
        *,
        donation: Donation,
        recurring: RecurringGift | None,
        return_url: str,
        cancel_url: str,
    ) -> Checkout:
        """Open a checkout for a pending gift (idempotent on the gift's code)."""
        ...

    def checkout_url(
        self, *, donation: Donation, return_url: str = "", cancel_url: str = ""
    ) -> str | None:
        """Return where an open checkout of this gift still lives, or None if it is closed."""
        ...

    def payment_status(self, *, donation: Donation) -> PaymentStatus:
        """Ask the provider whether the gift was paid."""
        ...

    def schedule_pause(self, *, recurring: RecurringGift) -> None:
        """Stop charging a monthly gift until it is resumed."""
        ...

    def schedule_resume(self, *, recurring: RecurringGift) -> None:
        """Charge a paused monthly gift again."""
        ...

    def schedule_cancel(self, *, recurring: RecurringGift) -> None:
        """Stop a monthly gift for good."""
        ...
