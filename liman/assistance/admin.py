from django.contrib import admin

from liman.core.admin import ReadOnlyAdmin

from .models import Item


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    """The item catalogue (read-only: `item_create` writes it, audited; stock moves only through the services)."""

    list_display = ["code", "name", "unit", "category", "tracks_lots", "is_active"]
    list_filter = ["category", "tracks_lots", "is_active"]
    search_fields = ["code", "name"]
