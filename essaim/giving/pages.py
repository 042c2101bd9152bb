"""Giving pages: staff create, change and take offline the pages where people give.

One page at most is the default one (where "Soutenir l'association" leads); making a page
the default takes the mark from the previous one in the same transaction. Every change is
recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from essaim.accounts.policies import can
from essaim.blog.slugs import slugify_fr
from essaim.core.money import format_euros
from essaim.core.pagecache import bump
from essaim.core.services import audit_record

from .models import Frequency, GivingPage, SuggestedAmount

PAGE_FIELDS = (
    "title",
    "kind",
    "intro",
    "campaign",
    "action",
    "story",
    "allow_one_off",
    "allow_monthly",
    "default_frequency",
    "allow_free_amount",
    "minimum_cents",
    "goal_cents",
    "is_default",
    "is_active",
    "thank_you_text",
)

# The amounts a fresh page offers (staff edit them; the seed migration uses the same).
DEFAULT_AMOUNTS: tuple[tuple[str, int], ...] = (
    (Frequency.ONE_OFF, 1500),
    (Frequency.ONE_OFF, 3000),
    (Frequency.ONE_OFF, 5000),
    (Frequency.ONE_OFF, 10000),
    (Frequency.MONTHLY, 1000),
    (Frequency.MONTHLY, 2000),
    (Frequency.MONTHLY, 3000),
)


@dataclass(frozen=True)
class AmountRow:
    """One suggested amount as typed by staff."""

    frequency: str
    amount_cents: int
    impact: str = ""


def _max_cents() -> int:
    return int(getattr(settings, "ESSAIM_GIVING_MAX_CENTS", 10_000_000))


def giving_pages_all() -> QuerySet[GivingPage]:
    """Return every giving page, default first, with its links and amounts loaded."""
    return GivingPage.objects.select_related("campaign", "action", "story").prefetch_related(
        Prefetch("amounts", queryset=SuggestedAmount.objects.order_by("frequency", "position"))
    )


def giving_page_default() -> GivingPage | None:
    """Return the page where the general giving links lead, if one is online."""
    return giving_pages_all().filter(is_default=True, is_active=True).first()


def _unique_slug(title: str, exclude: int | None = None) -> str:
    base = slugify_fr(title)[:180] or "don"
    slug, n = base, 2
    others = GivingPage.objects.exclude(pk=exclude) if exclude else GivingPage.objects.all()
    while others.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check(data: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if not data.get("allow_one_off") and not data.get("allow_monthly"):
        errors["allow_one_off"] = _("Proposez au moins les dons ponctuels ou les dons mensuels.")
    frequency = data.get("default_frequency")
    if frequency == Frequency.MONTHLY and not data.get("allow_monthly"):
        errors["default_frequency"] = _("Les dons mensuels ne sont pas proposés sur cette page.")
    if frequency == Frequency.ONE_OFF and not data.get("allow_one_off"):
        errors["default_frequency"] = _("Les dons ponctuels ne sont pas proposés sur cette page.")
    minimum = data.get("minimum_cents") or 0
    if minimum < 100:
        errors["minimum_cents"] = _("Le montant minimum est d'au moins 1 €.")
    elif minimum > _max_cents():
        errors["minimum_cents"] = _("Le montant minimum dépasse le plafond de %(max)s.") % {
            "max": format_euros(_max_cents())
        }
    if data.get("is_default") and not data.get("is_active"):
        errors["is_default"] = _("La page principale doit être en ligne.")
    if errors:
        raise ValidationError(errors)


def _check_amounts(rows: Sequence[AmountRow], *, minimum_cents: int) -> None:
    seen: set[tuple[str, int]] = set()
    for row in rows:
        if row.frequency not in Frequency.values:
            raise ValidationError(_("Fréquence inconnue."))
        if row.amount_cents < minimum_cents:
            raise ValidationError(
                _("Le montant suggéré %(amount)s est sous le minimum de la page (%(min)s).")
                % {"amount": format_euros(row.amount_cents), "min": format_euros(minimum_cents)}
            )
        if row.amount_cents > _max_cents():
            raise ValidationError(
                _("Le montant suggéré %(amount)s dépasse le plafond de %(max)s.")
                % {"amount": format_euros(row.amount_cents), "max": format_euros(_max_cents())}
            )
        key = (row.frequency, row.amount_cents)
        if key in seen:
            raise ValidationError(
                _("Le montant %(amount)s est proposé deux fois pour la même fréquence.")
                % {"amount": format_euros(row.amount_cents)}
            )
        seen.add(key)


def _take_default(page: GivingPage) -> None:
    # The partial unique index allows one default: clear the old one first.
    GivingPage.objects.filter(is_default=True).exclude(pk=page.pk).update(is_default=False)


def _write_amounts(page: GivingPage, rows: Sequence[AmountRow]) -> None:
    page.amounts.all().delete()
    positions: dict[str, int] = {}
    objects = []
    for row in sorted(rows, key=lambda r: (r.frequency, r.amount_cents)):
        positions[row.frequency] = positions.get(row.frequency, -1) + 1
        objects.append(
            SuggestedAmount(
                page=page,
                frequency=row.frequency,
                amount_cents=row.amount_cents,
                impact=row.impact.strip(),
                position=positions[row.frequency],
            )
        )
    SuggestedAmount.objects.bulk_create(objects)


def _amounts_summary(rows: Sequence[AmountRow]) -> list[str]:
    return [f"{r.frequency} {r.amount_cents} {r.impact}".strip() for r in rows]


@transaction.atomic
def giving_page_create(
    *, actor: Any, data: dict[str, Any], amounts: Sequence[AmountRow] | None = None
) -> GivingPage:
    """Create a giving page with its suggested amounts."""
    if not can(actor, "giving.pages"):
        raise PermissionDenied
    _check(data)
    rows = (
        list(amounts)
        if amounts is not None
        else [AmountRow(frequency=f, amount_cents=c) for f, c in DEFAULT_AMOUNTS]
    )
    _check_amounts(rows, minimum_cents=data["minimum_cents"])
    page = GivingPage(created_by=actor, **{name: data[name] for name in PAGE_FIELDS})
    page.slug = _unique_slug(page.title)
    if page.is_default:
        _take_default(page)
    try:
        with transaction.atomic():
            page.save()
    except IntegrityError as error:
        raise ValidationError(_("Une page de don porte déjà cette adresse.")) from error
    _write_amounts(page, rows)
    audit_record(
        actor=actor,
        action="giving_page.create",
        target=page,
        details={"amounts": _amounts_summary(rows)},
    )
    bump("giving")  # the public home's "Soutenir l'association" follows the default page
    return page


@transaction.atomic
def giving_page_update(
    *,
    actor: Any,
    page: GivingPage,
    data: dict[str, Any],
    amounts: Sequence[AmountRow] | None = None,
) -> GivingPage:
    """Change a giving page (its public address stays the same) and, if given, its amounts."""
    if not can(actor, "giving.pages"):
        raise PermissionDenied
    _check(data)
    locked = GivingPage.objects.select_for_update().get(pk=page.pk)
    if amounts is not None:
        _check_amounts(amounts, minimum_cents=data["minimum_cents"])
    else:
        low = locked.amounts.filter(amount_cents__lt=data["minimum_cents"]).first()
        if low is not None:
            raise ValidationError(
                {
                    "minimum_cents": _(
                        "Le montant suggéré %(amount)s serait sous le nouveau minimum."
                    )
                    % {"amount": format_euros(low.amount_cents)}
                }
            )
    changed: dict[str, Any] = {}
    for name in PAGE_FIELDS:
        old, new = getattr(locked, name), data[name]
        if old != new:
            changed[name] = str(new.pk if hasattr(new, "pk") else new)
        setattr(locked, name, new)
    if locked.is_default:
        _take_default(locked)
    locked.save()
    if amounts is not None:
        before = [
            AmountRow(frequency=a.frequency, amount_cents=a.amount_cents, impact=a.impact)
            for a in locked.amounts.order_by("frequency", "amount_cents")
        ]
        after = sorted(amounts, key=lambda r: (r.frequency, r.amount_cents))
        if [(r.frequency, r.amount_cents, r.impact.strip()) for r in after] != [
            (r.frequency, r.amount_cents, r.impact) for r in before
        ]:
            _write_amounts(locked, amounts)
            changed["amounts"] = _amounts_summary(after)
    if changed:
        audit_record(actor=actor, action="giving_page.update", target=locked, details=changed)
        bump("giving")
    return locked


@transaction.atomic
def suggested_amounts_set(
    *, actor: Any, page: GivingPage, amounts: Sequence[AmountRow]
) -> GivingPage:
    """Replace a page's suggested amounts (each with its impact phrase)."""
    if not can(actor, "giving.pages"):
        raise PermissionDenied
    locked = GivingPage.objects.select_for_update().get(pk=page.pk)
    _check_amounts(amounts, minimum_cents=locked.minimum_cents)
    _write_amounts(locked, amounts)
    audit_record(
        actor=actor,
        action="giving_page.amounts",
        target=locked,
        details={"amounts": _amounts_summary(amounts)},
    )
    return locked


@transaction.atomic
def giving_page_deactivate(*, actor: Any, page: GivingPage) -> GivingPage:
    """Take a page offline (it stops being the default page; its gifts stay)."""
    if not can(actor, "giving.pages"):
        raise PermissionDenied
    locked = GivingPage.objects.select_for_update().get(pk=page.pk)
    if not locked.is_active:
        return locked
    locked.is_active = False
    locked.is_default = False
    locked.save(update_fields=["is_active", "is_default", "updated_at"])
    audit_record(actor=actor, action="giving_page.deactivate", target=locked)
    bump("giving")
    return locked
