from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import AdminArea, AuditEvent, Office, Programme, RoleGrant, User


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    fk_name = "user"
    extra = 0
    fields = ["role", "office", "programme", "expires_on"]


@admin.register(User)
class LimanUserAdmin(UserAdmin):
    inlines = [RoleGrantInline]
    fieldsets = (*UserAdmin.fieldsets, ("Liman", {"fields": ["preferred_language"]}))


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "type", "province", "is_active"]
    list_select_related = ["province"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(AdminArea)
class AdminAreaAdmin(admin.ModelAdmin):
    list_display = ["pcode", "name_tr", "name_en", "level", "iso_code"]
    list_filter = ["level"]
    search_fields = ["pcode", "name_tr", "name_en"]
    exclude = ["geometry"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["seq", "at", "actor_username", "action", "object_type", "object_id"]
    list_filter = ["action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
