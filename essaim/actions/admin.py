"""Django admin for actions: read-mostly; the lifecycle moves through the action pages."""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from .models import Action, ActionTask, ActionTransition, Objective


class ObjectiveInline(admin.TabularInline[Objective, Action]):
    model = Objective
    extra = 0
    fields = ("metric", "label", "unit", "target", "achieved", "position")
    readonly_fields = ("achieved",)


class TransitionInline(admin.TabularInline[ActionTransition, Action]):
    model = ActionTransition
    extra = 0
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin[Action]):
    list_display = ("title", "circle", "kind", "status", "visibility", "starts_at")
    list_filter = ("status", "kind", "visibility")
    search_fields = ("title", "slug", "circle__name")
    date_hierarchy = "starts_at"
    raw_id_fields = ("circle", "created_by")
    # The status changes only through the lifecycle services (history, notifications).
    readonly_fields = (
        "status",
        "cancel_reason",
        "registered_count",
        "feedback_sent_at",
        "created_at",
        "updated_at",
    )
    list_select_related = ("circle",)
    inlines = [ObjectiveInline, TransitionInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin[Objective]):
    list_display = ("__str__", "action", "metric", "target", "achieved")
    list_filter = ("metric",)
    search_fields = ("label", "action__title")
    raw_id_fields = ("action", "achieved_updated_by")
    readonly_fields = ("achieved_updated_at",)
    list_select_related = ("action",)


@admin.register(ActionTask)
class ActionTaskAdmin(admin.ModelAdmin[ActionTask]):
    list_display = ("title", "action", "assignee", "due_on", "done_at")
    list_filter = ("done_at",)
    search_fields = ("title", "action__title")
    raw_id_fields = ("action", "assignee", "done_by", "created_by")
    readonly_fields = ("done_at", "done_by", "created_by", "created_at")
    list_select_related = ("action", "assignee")

    def has_add_permission(self, request: object) -> bool:
        return False
