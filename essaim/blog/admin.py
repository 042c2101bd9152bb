"""Django admin of the blog: read-only (writing goes through /redaction/ and its services).

Editing here would skip what the services do: revisions, slug redirects, the status
history, the audit log and the page cache. The admin is for looking things up.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from .models import (
    Article,
    ArticleRevision,
    ArticleSlugRedirect,
    BlogImage,
    Category,
    PublicationChange,
    Tag,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HistoryInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RevisionInline(HistoryInline):
    model = ArticleRevision
    fields = ("created_at", "author", "note")


class StatusChangeInline(HistoryInline):
    model = PublicationChange
    fields = ("created_at", "from_status", "to_status", "actor", "note")


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ("title", "status", "language", "category", "published_at", "publish_at")
    list_filter = ("status", "language")
    search_fields = ("title", "slug")
    list_select_related = ("category",)
    inlines = [StatusChangeInline, RevisionInline]


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    list_display = ("name", "slug", "position")


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)


@admin.register(BlogImage)
class BlogImageAdmin(ReadOnlyAdmin):
    list_display = ("alt_text", "width", "height", "created_at")
    search_fields = ("alt_text",)


@admin.register(ArticleSlugRedirect)
class ArticleSlugRedirectAdmin(ReadOnlyAdmin):
    list_display = ("slug", "article", "created_at")
    search_fields = ("slug",)
    list_select_related = ("article",)
