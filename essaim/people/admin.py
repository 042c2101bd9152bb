"""Django admin for people: read-mostly, day-to-day work happens in the directory."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Person, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    list_display = ("name", "created_at")
    search_fields = ("name",)
    readonly_fields = ("created_at",)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin[Person]):
    list_display = (
        "__str__",
        "email",
        "city",
        "is_member",
        "is_volunteer",
        "is_donor",
        "is_sympathiser",
        "erased_at",
    )
    list_filter = ("is_member", "is_volunteer", "is_donor", "is_sympathiser", "source")
    search_fields = ("search_text", "email", "family_name", "given_name")
    list_select_related = ("user",)
    show_full_result_count = False  # no COUNT(*) over a million rows on every page
    autocomplete_fields = ("tags",)
    readonly_fields = (
        "user",
        # The tree's derived fields follow `referred_by`: it changes only through the
        # correction page (essaim.referrals.tree.referral_correct), never here.
        "referred_by",
        "referred_at",
        "source",
        "newsletter_consent",
        "newsletter_consent_at",
        "newsletter_consent_proof",
        "erased_at",
        "search_text",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # People are created in the directory or by import, where the rules apply.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting bypasses merge and RGPD erasure (audit, account closure): use those pages.
        return False

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        obj.refresh_search_text()
        super().save_model(request, obj, form, change)
