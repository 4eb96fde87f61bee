from django.contrib import admin

from liman.core.admin import ReadOnlyAdmin

from .models import PartnerOrganisation


@admin.register(PartnerOrganisation)
class PartnerOrganisationAdmin(ReadOnlyAdmin):
    """The directory of partner organisations and the partner users who answer their referrals (read-only:
    `partner_organisation_create` and `partner_member_add` write them, audited)."""

    list_display = ["name", "acronym", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "acronym"]
