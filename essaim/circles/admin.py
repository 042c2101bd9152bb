"""Django admin for circles: read-mostly; memberships change through the circle pages."""

from __future__ import annotations

from django.contrib import admin

from .models import Circle, CircleInvitation, JoinRequest, Membership


@admin.register(Circle)
class CircleAdmin(admin.ModelAdmin[Circle]):
    list_display = ("name", "kind", "parent", "visibility", "join_policy", "member_count")
    list_filter = ("kind", "visibility", "join_policy")
    search_fields = ("name", "slug")
    raw_id_fields = ("parent", "created_by")
    readonly_fields = ("member_count", "created_at", "updated_at", "archived_at")
    list_select_related = ("parent",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("person", "circle", "role", "joined_at")
    list_filter = ("role",)
    search_fields = ("circle__name", "person__search_text")
    raw_id_fields = ("person", "circle")
    list_select_related = ("person", "circle")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(JoinRequest)
class JoinRequestAdmin(admin.ModelAdmin[JoinRequest]):
    list_display = ("person", "circle", "status", "created_at", "decided_at")
    list_filter = ("status",)
    raw_id_fields = ("person", "circle", "decided_by")
    list_select_related = ("person", "circle")


@admin.register(CircleInvitation)
class CircleInvitationAdmin(admin.ModelAdmin[CircleInvitation]):
    list_display = ("email", "circle", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("email", "circle__name")
    raw_id_fields = ("person", "circle", "invited_by")
    readonly_fields = ("code",)
    list_select_related = ("circle",)
