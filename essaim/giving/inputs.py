"""What the giving forms hand to the services: the donor as typed, and where the gift came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from essaim.referrals.links import Attribution
    from essaim.referrals.models import Campaign

    from .models import GivingPage


@dataclass(frozen=True)
class DonorInput:
    given_name: str
    family_name: str
    email: str
    address_line1: str = ""
    address_line2: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "FR"

    @property
    def has_postal_address(self) -> bool:
        return bool(self.address_line1 and self.postal_code and self.city)

    def as_fields(self) -> dict[str, str]:
        """Return the values as model fields (Donation, RecurringGift and Receipt share them)."""
        return {
            "given_name": self.given_name.strip(),
            "family_name": self.family_name.strip(),
            "email": self.email.strip().lower(),
            "address_line1": self.address_line1.strip(),
            "address_line2": self.address_line2.strip(),
            "postal_code": self.postal_code.strip(),
            "city": self.city.strip(),
            "country": (self.country or "FR").strip().upper()[:2],
        }


@dataclass(frozen=True)
class GiftSource:
    """Where a gift came from: its page, campaign, personal link and excuses journey step."""

    page: GivingPage | None = None
    campaign: Campaign | None = None
    attribution: Attribution | None = None
    excuse_id: int | None = None
    rebuttal_id: int | None = None
