"""The payment cycle list: its columns, filters and order (see `liman.core.lists`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liman.core.lists import Column, Filter, ListSpec, register

from .choices import CycleState

CYCLES = register(
    ListSpec(
        url_name="cash:cash-cycle-list",
        title=_("Payment cycles"),
        columns=(
            Column("cycle", _("Cycle"), lambda cycle: cycle.reference, ("reference",)),
            Column("programme", _("Programme"), lambda cycle: cycle.programme.code, ("programme__code",)),
            Column("office", _("Office"), lambda cycle: cycle.office.code, ("office__code",)),
            Column("state", _("State"), lambda cycle: cycle.get_state_display(), ("state",)),
            Column("households", _("Households"), lambda cycle: cycle.households, ("households",)),
            Column("total", _("Total"), lambda cycle: cycle.total, ("total",)),
            Column(
                "prepared",
                _("Prepared by"),
                lambda cycle: cycle.prepared_by.display_name if cycle.prepared_by_id else "",
                ("prepared_by__last_name", "prepared_by__first_name", "prepared_by__username"),
            ),
            Column(
                "approved",
                _("Approved by"),
                lambda cycle: cycle.approved_by.display_name if cycle.approved_by_id else "",
                ("approved_by__last_name", "approved_by__first_name", "approved_by__username"),
            ),
            Column("created", _("Prepared on"), lambda cycle: cycle.created_at, ("created_at",)),
        ),
        filters=(
            Filter("state", _("State"), choices=lambda request, values: CycleState.choices, empty_label=_("All")),
            Filter("office", _("Office"), choices=lambda request, values: _offices(request), empty_label=_("All")),
        ),
        default_sort="-created",
    )
)


def _offices(request) -> list[tuple[str, str]]:
    from liman.core.selectors import offices_for

    return [(office.code, f"{office.code} · {office.name}") for office in offices_for(request.user)]
