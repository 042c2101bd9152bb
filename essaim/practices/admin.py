from __future__ import annotations

from django.contrib import admin

from .models import PracticeComment, PracticeRevision, PracticeSheet, PracticeTag


class RevisionInline(admin.TabularInline):
    model = PracticeRevision
    extra = 0
    fields = ("number", "title", "author", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = False


@admin.register(PracticeSheet)
class PracticeSheetAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "status",
        "visibility",
        "circle",
        "useful_count",
        "comment_count",
        "published_at",
    )
    list_filter = ("status", "visibility")
    search_fields = ("search_text", "slug")
    list_select_related = ("circle",)
    raw_id_fields = ("author", "circle", "source_action", "actions")
    readonly_fields = ("useful_count", "comment_count", "revision_count", "search_text")
    filter_horizontal = ("tags",)
    inlines = [RevisionInline]


@admin.register(PracticeTag)
class PracticeTagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(PracticeComment)
class PracticeCommentAdmin(admin.ModelAdmin):
    list_display = ("sheet", "author", "created_at", "hidden_at")
    list_select_related = ("sheet", "author")
    raw_id_fields = ("sheet", "author")
    search_fields = ("body",)
