"""Every read the consignment pages, the API and the export show, scoped to the user first."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils import timezone

from liman.assistance.models import StockLocation
from liman.cases.models import PartnerOrganisation
from liman.core.access import get_visible_or_404
from liman.core.models import User

from . import rules
from .choices import ON_THE_ROAD, ConsignmentState
from .models import (
    Consignment,
    CrossingCheck,
    DistributionReport,
    Handover,
    HandoverLine,
    ReportLine,
    ReportUpload,
    Truck,
    TruckLine,
)


def consignments_for(user: User, *, state: str = "", partner: str = "", office: str = "") -> QuerySet[Consignment]:
    consignments = Consignment.objects.visible_to(user).select_related("office", "hub", "partner")
    if state:
        consignments = consignments.filter(state=state)
    if partner:
        consignments = consignments.filter(partner__pk=partner) if partner.isdigit() else consignments.none()
    if office:
        consignments = consignments.filter(office__code=office.upper())
    return consignments.annotate(truck_count=Count("trucks")).order_by("-planned_on", "-id")


def consignment_for(user: User, pk: int) -> Consignment:
    return get_visible_or_404(
        Consignment.objects.select_related("office", "hub", "partner", "created_by", "dispatched_by"), user, pk=pk
    )


def truck_for(user: User, pk: int) -> Truck:
    return get_visible_or_404(
        Truck.objects.select_related("consignment__office", "consignment__hub", "consignment__partner"), user, pk=pk
    )


def upload_for(user: User, pk: int) -> ReportUpload:
    return get_visible_or_404(
        ReportUpload.objects.select_related("batch", "consignment__office", "consignment__partner", "uploaded_by"),
        user,
        pk=pk,
    )


def partners_in(user: User) -> QuerySet[PartnerOrganisation]:
    """The partner organisations of the consignments the user sees (the list's filter)."""
    return PartnerOrganisation.objects.filter(pk__in=Consignment.objects.visible_to(user).values("partner")).order_by(
        "name"
    )


def hubs_for(user: User) -> QuerySet[StockLocation]:
    """The warehouses the user may plan a consignment from: active warehouses of the offices where they keep stock."""
    from .permissions import KEEPER_ROLES

    offices = {grant.office_id for grant in user.grants if grant.role in KEEPER_ROLES}
    warehouses = StockLocation.objects.visible_to(user).filter(kind="warehouse", is_active=True)
    if not user.is_superuser and None not in offices:
        warehouses = warehouses.filter(office__in=offices)
    return warehouses.select_related("office").order_by("office__code", "name")


@dataclass
class TruckView:
    truck: Truck
    status: str
    status_label: str
    lines: list[TruckLine]
    checks: list[CrossingCheck]


def trucks_of(consignment: Consignment) -> list[TruckView]:
    """The consignment's trucks with their lines, checks and status (the user sees them with the consignment)."""
    from .choices import TruckStatus

    trucks = (
        Truck.objects.filter(consignment=consignment)
        .select_related("consignment")
        .prefetch_related(
            Prefetch("lines", queryset=TruckLine.objects.select_related("item", "lot", "handover_line__loss")),
            Prefetch("checks", queryset=CrossingCheck.objects.select_related("checked_by")),
        )
        .order_by("number")
    )
    found = []
    for truck in trucks:
        checks = list(truck.checks.all())
        status = truck.status(checks)
        found.append(TruckView(truck, status, TruckStatus(status).label, list(truck.lines.all()), checks))
    return found


def loaded_by_item(consignment: Consignment) -> list[dict]:
    """Units per item over every truck (what dispatch issues from the hub), with what the hub holds now."""
    from liman.assistance.models import StockBalance

    rows = (
        TruckLine.objects.filter(truck__consignment=consignment)
        .values("item__code", "item__name", "item_id")
        .annotate(units=Sum("quantity"))
        .order_by("item__name")
    )
    held = dict(
        StockBalance.objects.filter(location=consignment.hub)
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .values_list("item_id", "total")
    )
    return [
        {
            "code": row["item__code"],
            "name": row["item__name"],
            "units": row["units"],
            "at_hub": held.get(row["item_id"], 0),
        }
        for row in rows
    ]


def handover_of(consignment: Consignment) -> Handover | None:
    return Handover.objects.filter(consignment=consignment).select_related("recorded_by").first()


def handover_lines(consignment: Consignment) -> list[HandoverLine]:
    return list(
        HandoverLine.objects.filter(handover__consignment=consignment)
        .select_related("truck_line__truck", "truck_line__item", "truck_line__lot", "loss")
        .order_by("truck_line__truck__number", "truck_line__item__name")
    )


@dataclass
class ReportLineView:
    line: ReportLine
    cells: list[int]
    item_cells: list[int]


def report_of(consignment: Consignment) -> tuple[DistributionReport | None, list[ReportLineView], list[tuple]]:
    """The report, its lines (people by sex × age in the report's order, then the units of each item distributed)
    and the item columns (code, name)."""
    report = DistributionReport.objects.filter(consignment=consignment).select_related("submitted_by").first()
    if report is None:
        return None, [], []
    lines = list(report.lines.prefetch_related("people_counts", "items__item").order_by("subdistrict_pcode"))
    names = {row.item.code: row.item.name for line in lines for row in line.items.all()}
    columns = sorted(names.items(), key=lambda pair: pair[1])
    views = []
    for line in lines:
        counts = {(row.sex, row.age_group): row.count for row in line.people_counts.all()}
        distributed = {row.item.code: row.quantity for row in line.items.all()}
        views.append(
            ReportLineView(
                line,
                [counts.get(cell, 0) for cell in rules.SADD_CELLS],
                [distributed.get(code, 0) for code, _name in columns],
            )
        )
    return report, views, columns


def uploads_of(consignment: Consignment) -> QuerySet[ReportUpload]:
    return ReportUpload.objects.filter(consignment=consignment).select_related("batch", "uploaded_by")


def on_the_road(user: User) -> int:
    """Consignments whose trucks left the hub and are not yet handed over (the home figure)."""
    return Consignment.objects.visible_to(user).filter(state__in=ON_THE_ROAD).count()


# --- the export ---------------------------------------------------------------------------------------------


def export_sheets(user: User, *, state: str = "", partner: str = "", office: str = "") -> dict[str, list[list]]:
    """The consignments the user sees (with the list's filters): one sheet of consignments, one of truck lines
    (loaded, received, lost), one of the partners' report lines by sub-district."""
    consignments = list(consignments_for(user, state=state, partner=partner, office=office))
    ids = [consignment.pk for consignment in consignments]
    report_totals = dict(DistributionReport.objects.filter(consignment__in=ids).values_list("consignment_id", "people"))
    summary = [
        ["reference", "office", "hub", "partner", "border_crossing", "destination", "planned_on", "project_code",
         "state", "trucks", "dispatched_at", "people_reached"],
    ]  # fmt: skip
    for c in consignments:
        summary.append(
            [c.reference, c.office.code, c.hub.name, str(c.partner), c.get_crossing_display(), c.destination,
             c.planned_on, c.project_code, c.get_state_display(), c.truck_count, _local(c.dispatched_at),
             report_totals.get(c.pk)]
        )  # fmt: skip
    lines = [
        ["reference", "truck", "plate", "driver", "seal_numbers", "item_code", "item", "lot", "loaded", "received",
         "lost", "loss_reason"],
    ]  # fmt: skip
    truck_lines = (
        TruckLine.objects.filter(truck__consignment__in=ids)
        .select_related("truck__consignment", "item", "lot", "handover_line__loss")
        .order_by("truck__consignment__planned_on", "truck__consignment_id", "truck__number", "item__name")
    )
    for line in truck_lines:
        handed = getattr(line, "handover_line", None)
        loss = getattr(handed, "loss", None) if handed is not None else None
        lines.append(
            [line.truck.consignment.reference, line.truck.number, line.truck.plate, line.truck.driver_name,
             line.truck.seal_numbers, line.item.code, line.item.name, line.lot.code if line.lot_id else "",
             line.quantity, handed.received if handed else None, loss.quantity if loss else None,
             f"{loss.get_reason_kind_display()}: {loss.reason}" if loss else ""]
        )  # fmt: skip
    report = [
        ["reference", "partner", "subdistrict_pcode", "subdistrict_name", "households", "people",
         *[rules.cell_name(sex, age) for sex, age in rules.SADD_CELLS], "items_distributed"],
    ]  # fmt: skip
    report_lines = (
        ReportLine.objects.filter(report__consignment__in=ids)
        .select_related("report__consignment__partner")
        .prefetch_related("people_counts", "items__item")
        .order_by("report__consignment__planned_on", "report__consignment_id", "subdistrict_pcode")
    )
    for line in report_lines:
        counts = {(row.sex, row.age_group): row.count for row in line.people_counts.all()}
        items = "; ".join(f"{row.item.code} {row.quantity}" for row in line.items.all())
        report.append(
            [line.report.consignment.reference, str(line.report.consignment.partner), line.subdistrict_pcode,
             line.subdistrict_name, line.households, line.people,
             *[counts.get(cell, 0) for cell in rules.SADD_CELLS], items]
        )  # fmt: skip
    return {"Consignments": summary, "Truck lines": lines, "Distribution reports": report}


def _local(moment):
    """A moment as the office's clock reads it (a spreadsheet cell holds no time zone)."""
    return None if moment is None else timezone.localtime(moment).replace(tzinfo=None)


def states_for_filter() -> list[tuple[str, str]]:
    return list(ConsignmentState.choices)
