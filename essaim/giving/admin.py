"""Django admin: giving models, read-mostly.

Gifts, receipts and their lifecycles change through the services (the treasurer's
screens keep the history rows, the audit log and the gapless receipt numbers right), so
the admin only shows them. Tax receipts and provider events can never be deleted here.
Giving pages and the excuses journey have staff pages of their own; the admin lets an
administrator look and, for pages, fix a typo.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    Donation,
    DonationChange,
    Excuse,
    GivingPage,
    JourneyDay,
    JourneySettings,
    ProviderEvent,
    Rebuttal,
    Receipt,
    ReceiptBatch,
    ReceiptCounter,
    RecurringChange,
    RecurringGift,
    SuggestedAmount,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SuggestedAmountInline(admin.TabularInline):
    model = SuggestedAmount
    extra = 0


@admin.register(GivingPage)
class GivingPageAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "kind", "is_default", "is_active", "minimum_cents")
    list_filter = ("kind", "is_active", "is_default")
    search_fields = ("title", "slug")
    readonly_fields = ("slug", "is_default", "created_by", "created_at", "updated_at")
    raw_id_fields = ("campaign", "action", "story")
    inlines = (SuggestedAmountInline,)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A page with gifts is taken offline, never deleted (its figures stay).
        return False


class DonationChangeInline(ReadOnlyInline):
    model = DonationChange
    fields = ("at", "from_status", "to_status", "actor", "event", "note")


@admin.register(Donation)
class DonationAdmin(ReadOnlyAdmin):
    list_display = (
        "given_on",
        "donor_name",
        "email",
        "amount_cents",
        "status",
        "provider",
        "payment_method",
        "reconciled_at",
    )
    list_filter = ("status", "provider", "payment_method", "frequency")
    search_fields = ("code", "email", "family_name", "provider_reference", "bank_reference")
    date_hierarchy = "given_on"
    list_select_related = True
    inlines = (DonationChangeInline,)


class RecurringChangeInline(ReadOnlyInline):
    model = RecurringChange
    fields = ("at", "from_status", "to_status", "actor", "by_donor", "note")


@admin.register(RecurringGift)
class RecurringGiftAdmin(ReadOnlyAdmin):
    list_display = ("donor_name", "email", "amount_cents", "status", "provider", "next_payment_on")
    list_filter = ("status", "provider")
    search_fields = ("code", "email", "family_name", "provider_reference")
    inlines = (RecurringChangeInline,)


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "status", "donor_name", "amount_cents", "issued_at")
    list_filter = ("status", "kind", "year")
    search_fields = ("number", "email", "family_name")
    date_hierarchy = "issued_at"


@admin.register(ReceiptCounter)
class ReceiptCounterAdmin(ReadOnlyAdmin):
    list_display = ("year", "last")


@admin.register(ReceiptBatch)
class ReceiptBatchAdmin(ReadOnlyAdmin):
    list_display = ("year", "status", "done", "total", "issued", "created_at", "finished_at")
    list_filter = ("status",)


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ("provider", "event_id", "kind", "occurred_at", "received_at", "outcome")
    list_filter = ("provider", "kind")
    search_fields = ("event_id",)
    date_hierarchy = "received_at"


class RebuttalInline(ReadOnlyInline):
    model = Rebuttal
    fields = ("name", "is_active", "giving_page", "story")


@admin.register(Excuse)
class ExcuseAdmin(ReadOnlyAdmin):
    list_display = ("label", "slug", "position", "is_active")
    inlines = (RebuttalInline,)


@admin.register(JourneySettings)
class JourneySettingsAdmin(ReadOnlyAdmin):
    list_display = ("title",)


@admin.register(JourneyDay)
class JourneyDayAdmin(ReadOnlyAdmin):
    list_display = ("day", "step", "excuse", "rebuttal", "count")
    list_filter = ("step",)
    date_hierarchy = "day"
