"""E-mails to donors after a payment: the thank-you, the monthly gift's confirmation and receipts.

Each has a text and an HTML part, in French, and links that work without an account: the
signed donor space and, for monthly gifts, the page where the donor pauses or stops giving.
"""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from essaim.core.money import format_euros
from essaim.core.selectors import organisation_get

from .donor_links import donor_space_url, recurring_manage_url
from .models import Donation, DonationStatus
from .tax import tax_reduction


def thank_you_email(donation: Donation, *, first_monthly: bool = False) -> EmailMultiAlternatives:
    """Build the e-mail sent after a paid gift (or a monthly gift's confirmation)."""
    organisation = organisation_get()
    recurring = donation.recurring
    tax = tax_reduction(donation.amount_cents, organisation)
    context = {
        "donation": donation,
        "recurring": recurring,
        "first_monthly": first_monthly,
        "organisation": organisation,
        "org_name": organisation.display_name,
        "amount": format_euros(donation.amount_cents),
        "reduction": format_euros(tax.reduction_cents),
        "cost": format_euros(tax.cost_cents),
        "rate": organisation.tax_reduction_rate,
        "donor_url": donor_space_url(donation.person),
        "manage_url": recurring_manage_url(recurring) if recurring is not None else "",
        "receipt_by_year": recurring is not None,
    }
    if recurring is None:
        subject = _("Merci pour votre don de %(amount)s") % {"amount": context["amount"]}
    elif first_monthly:
        subject = _("Votre don mensuel de %(amount)s est en place : merci !") % {
            "amount": context["amount"]
        }
    else:
        subject = _("Votre don mensuel de %(amount)s a bien été reçu") % {
            "amount": context["amount"]
        }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("giving/emails/thank_you.txt", context),
        to=[donation.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string("giving/emails/thank_you.html", context), "text/html"
    )
    return message


def donation_thank_send(*, donation_id: int, first_monthly: bool = False) -> bool:
    """Send the thank-you of a paid gift; tell whether it went out (refunded meanwhile: no)."""
    donation = (
        Donation.objects.select_related("person", "recurring", "page")
        .filter(pk=donation_id, status=DonationStatus.PAID)
        .first()
    )
    if donation is None or not donation.email or donation.person.erased_at is not None:
        return False
    thank_you_email(donation, first_monthly=first_monthly).send()
    return True
