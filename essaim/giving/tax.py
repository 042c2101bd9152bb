"""The French income-tax reduction on gifts (CGI article 200), as the giving pages show it."""

from __future__ import annotations

from dataclasses import dataclass

from essaim.core.models import Organisation, TaxReduction


@dataclass(frozen=True)
class TaxLine:
    amount_cents: int
    reduction_cents: int

    @property
    def cost_cents(self) -> int:
        """What the gift costs the donor after the reduction."""
        return self.amount_cents - self.reduction_cents


def tax_reduction(amount_cents: int, organisation: Organisation) -> TaxLine:
    """Return the reduction a gift gives (66 %, or 75 % up to the yearly ceiling then 66 %)."""
    amount = max(0, int(amount_cents))
    if organisation.tax_reduction_rate == TaxReduction.AID:
        within = min(amount, organisation.aid_ceiling_cents)
        # Round down to the cent: a page never promises more than the law gives.
        reduction = within * 75 // 100 + (amount - within) * 66 // 100
    else:
        reduction = amount * int(organisation.tax_reduction_rate) // 100
    return TaxLine(amount_cents=amount, reduction_cents=reduction)
