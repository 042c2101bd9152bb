"""Technical admin for the organisation row and a read-only view of the audit log."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditLog, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ("name", "city", "rna_number", "siren")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row only: the settings page edits it; the admin must not create a second.
        return not Organisation.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Organisation | None = None) -> bool:
        return False


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin[AuditLog]):
    list_display = ("created_at", "actor", "action", "target_label")
    list_filter = ("action",)
    list_select_related = ("actor",)
    search_fields = ("target_label", "actor__email")
    date_hierarchy = "created_at"

    # The log is evidence: nobody edits or deletes it, not even from the admin.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False
