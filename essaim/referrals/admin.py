"""Django admin: capillarity models read-only.

Edits go through the services (campaigns and share texts have staff pages with audit rows;
referrers are corrected on the network pages, which keep paths and counts right).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    Campaign,
    Invitation,
    LinkVisitDay,
    ReferralEvent,
    ReferralLink,
    ShareText,
    SuppressedAddress,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReferralLink)
class ReferralLinkAdmin(ReadOnlyAdmin):
    list_display = ("code", "owner", "goal", "action", "mission", "campaign", "is_active")
    list_filter = ("goal", "is_active")
    search_fields = ("code",)
    list_select_related = ("owner", "action", "mission", "campaign")
    raw_id_fields = ("owner", "action", "mission", "campaign")


@admin.register(LinkVisitDay)
class LinkVisitDayAdmin(ReadOnlyAdmin):
    list_display = ("link", "day", "channel", "count")
    list_filter = ("channel",)
    date_hierarchy = "day"
    list_select_related = ("link",)


@admin.register(ReferralEvent)
class ReferralEventAdmin(ReadOnlyAdmin):
    list_display = ("person", "referrer", "kind", "channel", "campaign", "created_at")
    list_filter = ("kind", "channel")
    list_select_related = ("person", "referrer", "campaign")
    raw_id_fields = ("person", "referrer", "link", "campaign")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("code", "inviter", "status", "created_at", "sent_at", "accepted_at")
    list_filter = ("status",)
    list_select_related = ("inviter",)
    raw_id_fields = ("inviter", "link", "campaign", "accepted_person")


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(ReadOnlyAdmin):
    list_display = ("email_hash", "created_at")


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("title", "goal_kind", "target", "starts_on", "ends_on", "is_public")
    list_filter = ("goal_kind", "is_public")


@admin.register(ShareText)
class ShareTextAdmin(ReadOnlyAdmin):
    list_display = ("goal", "channel", "subject", "updated_at")
