"""Django admin for accounts: email logins and staff roles.

Role grants and revocations go through the role services so that the audit log and the
"at least one administrator" rule hold here too; a grant is never edited in place.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import RoleGrant, User
from .services import RoleChangeRefused, role_grant, role_revoke


class EmailUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise self.instance.unique_error_message(User, ["email"])
        return email


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class RoleGrantForm(forms.ModelForm[RoleGrant]):
    class Meta:
        model = RoleGrant
        fields = ("user", "role")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        user = cleaned.get("user")
        if user is not None and not user.is_active:
            # Checked here so that the admin shows the message instead of failing in the service.
            raise forms.ValidationError(
                _("Ce compte est désactivé : réactivez-le avant de lui confier un rôle.")
            )
        return cleaned


class RoleGrantInline(admin.TabularInline[RoleGrant, User]):
    model = RoleGrant
    fk_name = "user"
    extra = 0
    fields = ("role", "granted_by", "created_at")
    readonly_fields = ("role", "granted_by", "created_at")
    can_delete = False
    verbose_name_plural = _("rôles attribués (à gérer dans « Rôles attribués »)")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ("email",)
    list_display = ("email", "is_active", "is_staff", "is_superuser", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email",)
    readonly_fields = ("date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Autorisations"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    filter_horizontal = ("groups", "user_permissions")
    inlines = (RoleGrantInline,)

    def get_inlines(self, request: HttpRequest, obj: User | None) -> list[type[Any]]:
        # A new account has no role yet; roles are given in "Rôles attribués".
        return list(self.inlines) if obj is not None else []


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin[RoleGrant]):
    form = RoleGrantForm
    list_display = ("user", "role", "granted_by", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email",)
    list_select_related = ("user", "granted_by")
    autocomplete_fields = ("user",)
    fields = ("user", "role")

    def has_change_permission(self, request: HttpRequest, obj: RoleGrant | None = None) -> bool:
        # A grant is given or taken back, never edited: the audit log stays truthful.
        return False

    def save_model(self, request: HttpRequest, obj: RoleGrant, form: Any, change: bool) -> None:
        grant = role_grant(actor=request.user, user=obj.user, role=obj.role)  # type: ignore[arg-type]
        obj.pk = grant.pk
        obj.granted_by = grant.granted_by
        obj.created_at = grant.created_at

    def delete_model(self, request: HttpRequest, obj: RoleGrant) -> None:
        try:
            role_revoke(actor=request.user, grant=obj)  # type: ignore[arg-type]
        except RoleChangeRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoleGrant]) -> None:
        for grant in queryset:
            self.delete_model(request, grant)
