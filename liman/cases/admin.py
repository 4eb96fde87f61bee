from django.contrib import admin

from .models import PartnerOrganisation


@admin.register(PartnerOrganisation)
class PartnerOrganisationAdmin(admin.ModelAdmin):
    """The directory of partner organisations and the partner users who answer their referrals."""

    list_display = ["name", "acronym", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "acronym"]
    filter_horizontal = ["members"]
