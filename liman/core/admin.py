"""The Django admin, read-only: every write goes through the pages and the audited services.

Staff accounts and role grants are managed on the staff pages (`/staff/`), field users on theirs, offices
with `office_create`; the admin stays a place to look things up. Every ModelAdmin and inline the project
registers derives from `ReadOnlyAdmin` / `ReadOnlyInline`; `tests/core/test_admin_writes.py` walks the admin
site and fails on any write that leaves no audit event.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import AdminArea, ApiToken, AuditEvent, Office, Programme, RoleGrant, User


class ReadOnlyAdminMixin:
    """No add, change or delete in the admin: the audited services are the only write path."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0


class RoleGrantInline(ReadOnlyInline):
    model = RoleGrant
    fk_name = "user"
    fields = ["role", "office", "programme", "expires_on", "is_pending", "granted_by", "approved_by"]


@admin.register(User)
class LimanUserAdmin(ReadOnlyAdminMixin, UserAdmin):
    inlines = [RoleGrantInline]
    fieldsets = (*UserAdmin.fieldsets, ("Liman", {"fields": ["preferred_language"]}))


@admin.register(Office)
class OfficeAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "type", "province", "is_active"]
    list_select_related = ["province"]


@admin.register(Programme)
class ProgrammeAdmin(ReadOnlyAdmin):
    list_display = ["code", "name"]


@admin.register(AdminArea)
class AdminAreaAdmin(ReadOnlyAdmin):
    list_display = ["pcode", "name_tr", "name_en", "level", "iso_code"]
    list_filter = ["level"]
    search_fields = ["pcode", "name_tr", "name_en"]
    exclude = ["geometry"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "actor_username", "action", "object_type", "object_id"]
    list_filter = ["action"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Which tokens exist and when they expire; the digest is no use to anyone and is not shown."""

    list_display = ["user", "prefix", "created_at", "expires_at", "last_used_at"]
    exclude = ["digest"]
