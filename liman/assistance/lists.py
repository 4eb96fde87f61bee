"""The distribution plans, field incidents and stock transfers lists: columns, filters, order (`liman.core.lists`)."""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from liman.core.lists import Column, Filter, ListSpec, register

from .choices import DistributionState, HowMet, TransferState

DISTRIBUTIONS = register(
    ListSpec(
        url_name="assistance:distribution-list",
        title=_("Distributions"),
        columns=(
            Column("reference", _("Reference"), lambda plan: plan.reference, ("reference",)),
            Column("name", _("Name"), lambda plan: plan.name, ("name",)),
            Column("office", _("Office"), lambda plan: plan.office.code, ("office__code",)),
            Column("site", _("Site"), lambda plan: plan.site.name, ("site__name",)),
            Column("days", _("Days"), lambda plan: plan.starts_on, ("starts_on", "ends_on")),
            Column("state", _("State"), lambda plan: plan.get_state_display(), ("state",)),
            Column("households", _("Households"), lambda plan: plan.n_entitled, ("n_entitled",)),
            Column("received", _("Received"), lambda plan: plan.n_received, ("n_received",)),
            Column("unclaimed", _("Unclaimed"), lambda plan: plan.n_unclaimed, ("n_unclaimed",)),
        ),
        filters=(
            Filter(
                "state", _("State"), choices=lambda request, values: DistributionState.choices, empty_label=_("All")
            ),
            Filter("office", _("Office"), choices=lambda request, values: _offices(request), empty_label=_("All")),
        ),
        default_sort="-days",
    )
)

INCIDENTS = register(
    ListSpec(
        url_name="assistance:incident-list",
        title=_("Field incidents"),
        # The keys of the two columns the page used to sort by are the old `?sort=` values, so old links still sort.
        columns=(
            Column("reference", _("Reference"), lambda incident: incident.reference, ("reference",)),
            Column("occurred_at", _("Date and time"), lambda incident: incident.occurred_at, ("occurred_at",)),
            Column("office", _("Office"), lambda incident: incident.office.code, ("office__code",)),
            Column(
                "district",
                _("District"),
                lambda incident: f"{incident.district.name_tr} ({incident.district.parent.name_tr})",
                ("district__name_tr",),
            ),
            Column("terrain", _("Land or sea"), lambda incident: incident.get_terrain_display(), ("terrain",)),
            Column("authority", _("Authority"), lambda incident: incident.get_authority_display(), ("authority",)),
            Column("how_met", _("How met"), lambda incident: incident.get_how_met_display(), ("how_met",)),
            Column("people_met", _("People met"), lambda incident: incident.people_met, ("people_met",)),
        ),
        filters=(
            Filter("month", _("Month"), choices=lambda request, values: _months(request), empty_label=_("All")),
            Filter(
                "province", _("Province"), choices=lambda request, values: _provinces(request), empty_label=_("All")
            ),
            Filter("how_met", _("How met"), choices=lambda request, values: HowMet.choices, empty_label=_("All")),
        ),
        default_sort="-occurred_at",
    )
)

TRANSFERS = register(
    ListSpec(
        url_name="assistance:stock-transfer-list",
        title=_("Transfers"),
        columns=(
            Column("waybill", _("Waybill"), lambda transfer: transfer.reference, ("reference",)),
            Column("dispatched", _("Dispatched"), lambda transfer: transfer.dispatched_at, ("dispatched_at",)),
            Column("from", _("From"), lambda transfer: transfer.location.name, ("location__name",)),
            Column("to", _("To"), lambda transfer: transfer.to_location.name, ("to_location__name",)),
            Column("item", _("Item"), lambda transfer: transfer.item.name, ("item__name", "lot__code")),
            Column("quantity", _("Quantity"), lambda transfer: transfer.quantity, ("quantity",)),
            Column("state", _("State"), lambda transfer: transfer.get_state_display(), ("state", "received_at")),
        ),
        filters=(
            Filter("state", _("State"), choices=lambda request, values: TransferState.choices, empty_label=_("All")),
            Filter("office", _("Office"), choices=lambda request, values: _offices(request), empty_label=_("All")),
        ),
        default_sort="-dispatched",
    )
)


def _offices(request) -> list[tuple[str, str]]:
    from liman.core.selectors import offices_for

    return [(office.code, f"{office.code} · {office.name}") for office in offices_for(request.user).order_by("code")]


def _months(request) -> list[tuple[str, str]]:
    """The months (local time) in which the user's incidents happened, the latest first."""
    from . import selectors

    months = selectors.incidents_for(request.user).datetimes("occurred_at", "month", order="DESC")
    local = [timezone.localtime(month) for month in months]
    return [(month.strftime("%Y-%m"), formats.date_format(month, "YEAR_MONTH_FORMAT")) for month in local]


def _provinces(request) -> list[tuple[str, str]]:
    """The provinces of the districts where the user's incidents happened."""
    from liman.core.models import AdminArea

    from . import selectors

    provinces = AdminArea.objects.provinces().filter(
        pcode__in=selectors.incidents_for(request.user).values(selectors.PROVINCE)
    )
    return [(area.pcode, area.name_tr) for area in provinces.order_by("name_tr")]
