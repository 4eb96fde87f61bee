"""The consignment list: its columns, filters and order (see `liman.core.lists`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liman.core.lists import Column, Filter, ListSpec, register

CONSIGNMENTS = register(
    ListSpec(
        url_name="consignments:consignment-list",
        title=_("Consignments"),
        columns=(
            Column("reference", _("Reference"), lambda row: row.reference, ("reference",)),
            Column("planned", _("Planned for"), lambda row: row.planned_on, ("planned_on",)),
            Column("hub", _("Hub"), lambda row: row.hub.name, ("hub__name",)),
            Column("partner", _("Partner"), lambda row: str(row.partner), ("partner__name",)),
            Column("crossing", _("Border crossing"), lambda row: row.get_crossing_display(), ("crossing",)),
            Column("trucks", _("Trucks"), lambda row: row.truck_count, ("truck_count",)),
            Column("state", _("State"), lambda row: row.get_state_display(), ("state",)),
        ),
        filters=(
            Filter("state", _("State"), choices=lambda request, values: _states(), empty_label=_("All")),
            Filter("partner", _("Partner"), choices=lambda request, values: _partners(request), empty_label=_("All")),
            Filter("office", _("Office"), kind="text", in_bar=False),
        ),
        default_sort="-planned",
    )
)


def _states():
    from . import selectors

    return selectors.states_for_filter()


def _partners(request):
    from . import selectors

    return [(partner.pk, str(partner)) for partner in selectors.partners_in(request.user)]
