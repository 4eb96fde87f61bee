"""A consignment's way: planned → loaded → dispatched → (at the crossing: held / cleared; every truck returned:
returned) → handed over → reported; cancelled before it leaves.

The steps that move stock or follow the trucks are taken by the services (`consignment_dispatch`, `crossing_check`,
`truck_return`, `handover_record`, `report_submit`), which record what the guards then check.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.core.workflows import Transition, Workflow

from .choices import ConsignmentState as S
from .choices import TruckStatus
from .permissions import KEEPER_ROLES, MONITOR_ROLES, REPORT_ROLES


def every_truck_is_loaded(consignment, **_context) -> str | None:
    """At least one truck, each carrying something and sealed."""
    trucks = list(consignment.trucks.prefetch_related("lines"))
    if not trucks:
        return _("Add the trucks and what each carries first.")
    empty = [truck.plate for truck in trucks if not list(truck.lines.all())]
    if empty:
        return _("These trucks carry nothing yet: %(plates)s.") % {"plates": ", ".join(empty)}
    unsealed = [truck.plate for truck in trucks if not truck.seals]
    if unsealed:
        return _("These trucks have no seal numbers: %(plates)s.") % {"plates": ", ".join(unsealed)}
    return None


def _statuses(consignment) -> dict[str, str]:
    trucks = consignment.trucks.select_related("consignment").prefetch_related("checks")
    return {truck.plate: truck.status() for truck in trucks}


def a_truck_is_held(consignment, **_context) -> str | None:
    if TruckStatus.HELD not in _statuses(consignment).values():
        return _("No truck is held at the crossing.")
    return None


def every_truck_is_through(consignment, **_context) -> str | None:
    """Every truck cleared at the crossing or back at the hub, and at least one cleared."""
    statuses = _statuses(consignment)
    waiting = [plate for plate, status in statuses.items() if status not in (TruckStatus.CLEARED, TruckStatus.RETURNED)]
    if waiting:
        return _("These trucks are not cleared at the crossing yet: %(plates)s.") % {"plates": ", ".join(waiting)}
    if TruckStatus.CLEARED not in statuses.values():
        return _("No truck was cleared: every one went back to the hub.")
    return None


def every_truck_returned(consignment, **_context) -> str | None:
    statuses = _statuses(consignment)
    if not statuses or any(status != TruckStatus.RETURNED for status in statuses.values()):
        return _("Trucks of this consignment are still at the crossing or went on.")
    return None


def handover_is_recorded(consignment, **_context) -> str | None:
    from .models import Handover

    if not Handover.objects.filter(consignment=consignment).exists():
        return _("Record what the partner received first.")
    return None


def report_is_submitted(consignment, **_context) -> str | None:
    from .models import DistributionReport

    if not DistributionReport.objects.filter(consignment=consignment, lines__isnull=False).exists():
        return _("The partner's distribution report is not in yet.")
    return None


CONSIGNMENT_WORKFLOW = Workflow(
    name="consignment",
    states=S,
    initial=S.PLANNED,
    transitions=[
        Transition((S.PLANNED,), S.LOADED, KEEPER_ROLES, (every_truck_is_loaded,), gettext_lazy("Loading done")),
        Transition((S.LOADED,), S.DISPATCHED, KEEPER_ROLES, (every_truck_is_loaded,), gettext_lazy("Dispatch")),
        Transition((S.DISPATCHED,), S.HELD, MONITOR_ROLES, (a_truck_is_held,), gettext_lazy("Held at the crossing")),
        # The last truck through may be a held one the warehouse took back: the keeper's step can clear it too.
        Transition(
            (S.DISPATCHED, S.HELD),
            S.CLEARED,
            MONITOR_ROLES | KEEPER_ROLES,
            (every_truck_is_through,),
            gettext_lazy("Cleared at the crossing"),
        ),
        Transition(
            (S.DISPATCHED, S.HELD),
            S.RETURNED,
            MONITOR_ROLES | KEEPER_ROLES,
            (every_truck_returned,),
            gettext_lazy("Returned to the hub"),
        ),
        Transition((S.CLEARED,), S.HANDED_OVER, MONITOR_ROLES, (handover_is_recorded,), gettext_lazy("Handed over")),
        Transition(
            (S.HANDED_OVER,), S.REPORTED, REPORT_ROLES, (report_is_submitted,), gettext_lazy("Distribution reported")
        ),
        Transition((S.PLANNED, S.LOADED), S.CANCELLED, KEEPER_ROLES, label=gettext_lazy("Cancel"), needs_reason=True),
    ],
    final=frozenset({S.RETURNED, S.REPORTED, S.CANCELLED}),
)
