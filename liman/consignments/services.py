"""Every write of a consignment, in a transaction, audited; the state moves through `core.workflows.transition`.

Stock moves only through the assistance services: dispatch issues every truck's load from the hub
(`stock_issue`, `issued_for=consignment`) in one transaction, a returned truck's load comes back by `stock_return`.
As every stock movement does, dispatch locks the hub's balance rows first (one lock order: no deadlock).
"""

from __future__ import annotations

import contextlib
import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.assistance import services as stock
from liman.assistance.models import Item, StockBalance, StockLocation, StockLot
from liman.assistance.selectors import fefo_suggestion
from liman.cases.models import PartnerOrganisation
from liman.core.models import User
from liman.core.services import new_reference, record_create, record_create_many, record_update
from liman.core.workflows import transition

from . import permissions, rules
from .choices import BorderCrossing, ConsignmentState, CrossingOutcome, ReportSource, TruckStatus
from .models import (
    Consignment,
    CrossingCheck,
    DistributionReport,
    Handover,
    HandoverLine,
    ReportItem,
    ReportLine,
    ReportPeople,
    TransitLoss,
    Truck,
    TruckLine,
)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _require_state(consignment: Consignment, *states: str, message: str) -> None:
    if consignment.state not in states:
        raise ValidationError(message % {"state": consignment.get_state_display()})


def _lock(consignment: Consignment, *states: str, message: str) -> None:
    """Lock the consignment's row until the transaction ends and check its state again under the lock: of two people
    taking the same step at once, the second finds it taken and is refused."""
    locked = Consignment.objects.select_for_update().get(pk=consignment.pk)
    consignment.state = locked.state
    _require_state(consignment, *states, message=message)


def _lock_hub_lines(hub: StockLocation, items) -> None:
    """The hub's balance rows of `items`, locked first, in one order (by id), as every stock movement locks them."""
    list(
        StockBalance.objects.select_for_update(of=("self",))
        .filter(location=hub, item__in=items)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- planning and loading -----------------------------------------------------------------------------------


def consignment_plan(
    *,
    hub: StockLocation,
    partner: PartnerOrganisation,
    crossing: str,
    destination: str,
    planned_on: datetime.date,
    project_code: str,
    by: User | None,
    note: str = "",
) -> Consignment:
    """A new consignment from `hub` (a warehouse; its office is the consignment's) to `partner`, through `crossing`."""
    if by is not None:
        _require(
            permissions.may_plan(by, hub.office_id), _("Only warehouse staff of the hub's office plan a consignment.")
        )
    if not hub.is_active:
        raise ValidationError({"hub": _("%(hub)s is closed.") % {"hub": hub}})
    if not partner.is_active:
        raise ValidationError({"partner": _("%(partner)s is no longer active.") % {"partner": partner}})
    if crossing not in BorderCrossing.values:
        raise ValidationError({"crossing": _("Choose one of the border crossings.")})
    office = hub.office
    return record_create(
        Consignment(
            office=office,
            reference=new_reference(f"CSG-{office.code}-{planned_on.year}", Consignment, length=4),
            hub=hub,
            partner=partner,
            crossing=crossing,
            destination=destination.strip(),
            planned_on=planned_on,
            project_code=project_code.strip().upper(),
            note=note.strip(),
            created_by=by,
        ),
        by=by,
    )


@dataclass(frozen=True)
class LoadLine:
    """What a truck carries of one item: a lot-tracked item without a lot is loaded first expiry first out."""

    item: Item
    quantity: int
    lot: StockLot | None = None


def _normal_plate(plate: str) -> str:
    return " ".join(plate.upper().split())


def _normal_seals(seals: str | Iterable[str]) -> str:
    parts = seals.replace(";", ",").replace("\n", ",").split(",") if isinstance(seals, str) else seals
    return ", ".join(part.strip().upper() for part in parts if part.strip())


def _lot_lines(hub: StockLocation, line: LoadLine) -> list[tuple[StockLot | None, int]]:
    """The lots a line is loaded from: as given, or first expiry first out from the hub's usable stock."""
    if not line.item.tracks_lots or line.lot is not None:
        return [(line.lot, line.quantity)]
    plan = fefo_suggestion(hub, line.item, line.quantity)
    usable = sum(take for _balance, take in plan)
    if usable < line.quantity:
        raise stock.StockShort(
            stock.shortage_message(location=hub, item=line.item, lot=None, available=usable, requested=line.quantity)
        )
    return [(balance.lot, take) for balance, take in plan]


def truck_add(
    *,
    consignment: Consignment,
    plate: str,
    driver_name: str,
    seal_numbers: str | Iterable[str],
    lines: Sequence[LoadLine],
    by: User | None,
) -> Truck:
    """A loaded and sealed truck of a planned consignment, with what it carries (nothing leaves the hub yet)."""
    if by is not None:
        _require(permissions.may_plan(by, consignment.office_id), _("Only warehouse staff of the hub load trucks."))
    _require_state(
        consignment,
        ConsignmentState.PLANNED,
        message=_("Trucks are added while the consignment is planned; it is “%(state)s”."),
    )
    lines = [line for line in lines if line.quantity]
    if not lines:
        raise ValidationError({"lines": _("Say what the truck carries: at least one item.")})
    if any(not isinstance(line.quantity, int) or line.quantity < 0 for line in lines):
        raise ValidationError({"lines": _("A quantity is a whole number of at least one.")})
    plate = _normal_plate(plate)
    if consignment.trucks.filter(plate=plate).exists():
        raise ValidationError({"plate": _("Truck %(plate)s is already on this consignment.") % {"plate": plate}})
    loads: dict[tuple[int, int | None], list] = {}
    for line in lines:
        for lot, quantity in _lot_lines(consignment.hub, line):
            key = (line.item.pk, lot.pk if lot else None)
            if key in loads:
                loads[key][2] += quantity
            else:
                loads[key] = [line.item, lot, quantity]
    with transaction.atomic():
        _lock(consignment, ConsignmentState.PLANNED, message=_("Trucks are added while the consignment is planned."))
        number = (consignment.trucks.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        truck = record_create(
            Truck(
                consignment=consignment,
                number=number,
                plate=plate,
                driver_name=" ".join(driver_name.split()),
                seal_numbers=_normal_seals(seal_numbers),
                added_by=by,
            ),
            by=by,
        )
        for item, lot, quantity in loads.values():
            record_create(TruckLine(truck=truck, item=item, lot=lot, quantity=quantity), by=by)
    return truck


def consignment_loaded(*, consignment: Consignment, by: User | None) -> Consignment:
    """Loading is done: every truck carries something and is sealed (the guard says which is not)."""
    transition(consignment, ConsignmentState.LOADED, by=by)
    return consignment


def consignment_cancel(*, consignment: Consignment, by: User | None, reason: str) -> Consignment:
    """Called off before it left the hub (nothing moved in the ledger)."""
    transition(consignment, ConsignmentState.CANCELLED, by=by, reason=reason.strip())
    return consignment


# --- dispatch: the stock leaves the hub ---------------------------------------------------------------------


def consignment_dispatch(
    *, consignment: Consignment, by: User | None, at: datetime.datetime | None = None
) -> Consignment:
    """The trucks leave: every line of every truck is issued from the hub for the consignment, in one transaction.

    When the hub holds too few of any item (or lot) for all trucks together, nothing is issued and the refusal
    names each balance and what the trucks need."""
    if by is not None:
        _require(permissions.may_plan(by, consignment.office_id), _("Only warehouse staff of the hub dispatch."))
    _require_state(
        consignment, ConsignmentState.LOADED, message=_("Only a loaded consignment is dispatched; it is “%(state)s”.")
    )
    when = at or timezone.now()
    hub = consignment.hub
    lines = list(
        TruckLine.objects.filter(truck__consignment=consignment)
        .select_related("truck", "item", "lot")
        .order_by("truck__number", "pk")
    )
    needed: dict[tuple[int, int | None], int] = defaultdict(int)
    for line in lines:
        needed[(line.item_id, line.lot_id)] += line.quantity
    with transaction.atomic():
        # The hub's balances first, in one order (by id), as every stock movement locks them.
        balances = {
            (balance.item_id, balance.lot_id): balance
            for balance in StockBalance.objects.select_for_update(of=("self",))
            .filter(location=hub, item__in={item for item, _lot in needed})
            .order_by("pk")
        }
        _lock(
            consignment,
            ConsignmentState.LOADED,
            message=_("Only a loaded consignment is dispatched; it is “%(state)s”."),
        )
        shortages = []
        seen: set[tuple[int, int | None]] = set()
        for line in lines:
            key = (line.item_id, line.lot_id)
            if key in seen:
                continue
            seen.add(key)
            available = balances[key].quantity if key in balances else 0
            if available < needed[key]:
                shortages.append(
                    stock.shortage_message(
                        location=hub, item=line.item, lot=line.lot, available=available, requested=needed[key]
                    )
                )
        if shortages:
            raise stock.StockShort([_("Nothing was dispatched: the hub holds too few for the trucks."), *shortages])
        for line in lines:
            stock.stock_issue(
                location=hub,
                item=line.item,
                lot=line.lot,
                quantity=line.quantity,
                issued_for=consignment,
                purpose=_("%(reference)s, truck %(number)d (%(plate)s)")
                % {"reference": consignment.reference, "number": line.truck.number, "plate": line.truck.plate},
                by=by,
                at=when,
            )
        record_update(consignment, by=by, changes={"dispatched_at": when, "dispatched_by": by})
        transition(consignment, ConsignmentState.DISPATCHED, by=by)
    return consignment


# --- at the crossing ----------------------------------------------------------------------------------------


def _move_at_crossing(consignment: Consignment, by: User | None) -> None:
    """Follow the trucks: every truck through (one cleared) → cleared; every truck back → returned; a truck held
    while the consignment was on its way → held."""
    consignment.refresh_from_db(fields=["state"])
    trucks = list(consignment.trucks.select_related("consignment").prefetch_related("checks"))
    statuses = [truck.status() for truck in trucks]
    if all(status == TruckStatus.RETURNED for status in statuses):
        transition(consignment, ConsignmentState.RETURNED, by=by)
    elif all(status in (TruckStatus.CLEARED, TruckStatus.RETURNED) for status in statuses):
        transition(consignment, ConsignmentState.CLEARED, by=by)
    elif TruckStatus.HELD in statuses and consignment.state == ConsignmentState.DISPATCHED:
        transition(consignment, ConsignmentState.HELD, by=by)


def crossing_check(
    *,
    truck: Truck,
    seals_intact: bool,
    outcome: str,
    by: User | None,
    reason: str = "",
    seals_found: str = "",
    at: datetime.datetime | None = None,
) -> CrossingCheck:
    """The monitoring mechanism checks one truck at the crossing: seals, then cleared or held (with the reason).
    A held truck is checked again later (cleared) or goes back to the hub (`truck_return`)."""
    consignment = truck.consignment
    if by is not None:
        _require(
            permissions.may_monitor(by, consignment.office_id),
            _("A programme officer or a supervisor of the office checks trucks at the crossing."),
        )
    _require_state(
        consignment,
        ConsignmentState.DISPATCHED,
        ConsignmentState.HELD,
        message=_("Trucks are checked at the crossing after dispatch; the consignment is “%(state)s”."),
    )
    if outcome not in CrossingOutcome.values:
        raise ValidationError({"outcome": _("A truck is cleared or held.")})
    with transaction.atomic():
        _lock(
            consignment,
            ConsignmentState.DISPATCHED,
            ConsignmentState.HELD,
            message=_("Trucks are checked at the crossing after dispatch; the consignment is “%(state)s”."),
        )
        truck.refresh_from_db(fields=["returned_at"])
        status = truck.status()
        if status == TruckStatus.RETURNED:
            raise ValidationError(_("Truck %(plate)s went back to the hub.") % {"plate": truck.plate})
        if status == TruckStatus.CLEARED:
            raise ValidationError(_("Truck %(plate)s was already cleared.") % {"plate": truck.plate})
        check = record_create(
            CrossingCheck(
                truck=truck,
                checked_at=at or timezone.now(),
                checked_by=by,
                seals_intact=seals_intact,
                seals_found=_normal_seals(seals_found),
                outcome=outcome,
                reason=reason.strip(),
            ),
            by=by,
            reason=reason.strip(),
        )
        _move_at_crossing(consignment, by)
    return check


def truck_return(*, truck: Truck, reason: str, by: User | None, at: datetime.datetime | None = None) -> Truck:
    """A truck held at the crossing goes back: warehouse staff of the hub take its load in again, by a receipt under
    the consignment's project code naming the consignment."""
    consignment = truck.consignment
    if by is not None:
        _require(
            permissions.may_plan(by, consignment.office_id),
            _("Warehouse staff of the hub take a returned truck's load back in."),
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the truck went back.")})
    when = at or timezone.now()
    lines = list(truck.lines.select_related("item", "lot"))
    with transaction.atomic():
        _lock_hub_lines(consignment.hub, {line.item_id for line in lines})
        _lock(
            consignment,
            ConsignmentState.DISPATCHED,
            ConsignmentState.HELD,
            message=_("Only a truck held at the crossing is returned; the consignment is “%(state)s”."),
        )
        truck.refresh_from_db(fields=["returned_at"])
        if truck.status() != TruckStatus.HELD:
            raise ValidationError(_("Only a truck held at the crossing is returned to the hub."))
        for line in lines:
            stock.stock_return(
                location=consignment.hub,
                item=line.item,
                lot=line.lot,
                quantity=line.quantity,
                returned_from=consignment,
                reason=_("Returned from the crossing: %(reference)s, truck %(number)d (%(plate)s)")
                % {"reference": consignment.reference, "number": truck.number, "plate": truck.plate},
                by=by,
                at=when,
            )
        record_update(truck, by=by, changes={"returned_at": when, "returned_by": by, "return_reason": reason.strip()})
        _move_at_crossing(consignment, by)
    return truck


# --- handover to the partner --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """What the partner received of one truck line; a shortfall is a transit loss and says why."""

    line: TruckLine
    received: int
    loss_reason_kind: str = ""
    loss_reason: str = ""


def handover_record(
    *,
    consignment: Consignment,
    received: Sequence[Received],
    received_by_name: str,
    place: str,
    by: User | None,
    handed_over_at: datetime.datetime | None = None,
    note: str = "",
) -> Handover:
    """The partner receives the cleared trucks: the quantity received of every line; each shortfall becomes a
    transit loss with its reason (the goods left the hub's ledger at dispatch: nothing is posted to it)."""
    if by is not None:
        _require(
            permissions.may_monitor(by, consignment.office_id),
            _("A programme officer or a supervisor of the office records the handover."),
        )
    _require_state(
        consignment,
        ConsignmentState.CLEARED,
        message=_("A consignment is handed over once cleared at the crossing; it is “%(state)s”."),
    )
    expected = {
        line.pk: line
        for line in TruckLine.objects.filter(
            truck__consignment=consignment, truck__returned_at__isnull=True
        ).select_related("truck", "item", "lot")
    }
    given = {entry.line.pk: entry for entry in received}
    errors: list[str] = []
    missing = [line for pk, line in expected.items() if pk not in given]
    if missing:
        errors += [
            _("Truck %(plate)s, %(line)s: how many were received?") % {"plate": line.truck.plate, "line": line}
            for line in missing
        ]
    if set(given) - set(expected):
        errors.append(_("A line that is not on a cleared truck of this consignment was given."))
    for pk, entry in given.items():
        line = expected.get(pk)
        if line is None:
            continue
        where = {"plate": line.truck.plate, "item": line.item}
        if not isinstance(entry.received, int) or entry.received < 0:
            errors.append(_("Truck %(plate)s, %(item)s: a quantity is zero or more.") % where)
        elif entry.received > line.quantity:
            errors.append(
                _("Truck %(plate)s, %(item)s: %(received)d received, more than the %(loaded)d loaded.")
                % {**where, "received": entry.received, "loaded": line.quantity}
            )
        elif entry.received < line.quantity and not (entry.loss_reason_kind and entry.loss_reason.strip()):
            errors.append(
                _("Truck %(plate)s, %(item)s: %(lost)d did not arrive; say what happened to them.")
                % {**where, "lost": line.quantity - entry.received}
            )
    if not received_by_name.strip():
        errors.append(_("Name the partner's representative who received the goods."))
    if not place.strip():
        errors.append(_("Say where the goods were handed over."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _lock(
            consignment,
            ConsignmentState.CLEARED,
            message=_("A consignment is handed over once cleared at the crossing; it is “%(state)s”."),
        )
        handover = record_create(
            Handover(
                consignment=consignment,
                handed_over_at=handed_over_at or timezone.now(),
                received_by_name=received_by_name.strip(),
                place=place.strip(),
                note=note.strip(),
                recorded_by=by,
            ),
            by=by,
        )
        for pk, entry in sorted(given.items()):
            line = expected[pk]
            handed = record_create(HandoverLine(handover=handover, truck_line=line, received=entry.received), by=by)
            if entry.received < line.quantity:
                record_create(
                    TransitLoss(
                        line=handed,
                        quantity=line.quantity - entry.received,
                        reason_kind=entry.loss_reason_kind,
                        reason=entry.loss_reason.strip(),
                    ),
                    by=by,
                )
        transition(consignment, ConsignmentState.HANDED_OVER, by=by)
    return handover


def received_by_item(consignment: Consignment) -> dict[str, int]:
    """Item code → units the partner received at the handover (what a report may say was distributed)."""
    totals: dict[str, int] = defaultdict(int)
    lines = HandoverLine.objects.filter(handover__consignment=consignment).values_list(
        "truck_line__item__code", "received"
    )
    for code, quantity in lines:
        totals[code] += quantity
    return dict(totals)


# --- the partner's distribution report ----------------------------------------------------------------------


@dataclass
class ReportLineInput:
    """One sub-district of a report, as the partner gives it (on the page or in a row of the XLSX)."""

    subdistrict_name: str
    subdistrict_pcode: str
    households: int
    people: int
    #: (sex, age group) → people.
    sadd: Mapping[tuple[str, str], int] = field(default_factory=dict)
    #: Item code → units distributed.
    items: Mapping[str, int] = field(default_factory=dict)


def report_problems(consignment: Consignment, lines: Sequence[ReportLineInput]) -> list[str]:
    """Every rule a report breaks, each message naming the line (and sub-district) it is about."""
    problems: list[str] = []
    if not lines:
        return [_("The report lists the sub-districts where the goods were distributed: at least one.")]
    seen: dict[str, int] = {}
    distributed: dict[str, int] = defaultdict(int)
    for number, line in enumerate(lines, start=1):
        where = _("Line %(number)d (%(name)s)") % {"number": number, "name": line.subdistrict_name or "—"}
        found = [rules.name_problem(line.subdistrict_name), rules.pcode_problem(line.subdistrict_pcode)]
        found += list(rules.line_problems(households=line.households, people=line.people, sadd=line.sadd).values())
        if any(count < 0 for count in (line.households, line.people, *line.sadd.values(), *line.items.values())):
            found.append(_("A count is zero or more."))
        if line.subdistrict_pcode in seen:
            found.append(
                _("%(pcode)s is already on line %(other)d: one line per sub-district.")
                % {"pcode": line.subdistrict_pcode, "other": seen[line.subdistrict_pcode]}
            )
        seen.setdefault(line.subdistrict_pcode, number)
        problems += [f"{where}: {message}" for message in found if message]
        for code, quantity in line.items.items():
            distributed[code] += quantity
    received = received_by_item(consignment)
    names = dict(Item.objects.filter(code__in=set(received) | set(distributed)).values_list("code", "name"))
    problems += list(rules.distributed_problems(distributed, received, names).values())
    if not any(distributed.values()):
        problems.append(_("Say what was distributed: at least one item."))
    return problems


def report_submit(
    *,
    consignment: Consignment,
    lines: Sequence[ReportLineInput],
    by: User | None,
    source: str = ReportSource.FORM,
    note: str = "",
) -> DistributionReport:
    """The partner's distribution report of a handed-over consignment: households and people reached by sub-district
    (people by sex × age group, their sum), and the items distributed (no more than were received). All or nothing;
    the consignment is then reported."""
    if by is not None:
        _require(
            permissions.may_report(by, consignment),
            _("Only the partner organisation's own users report on its consignments."),
        )
    _require_state(
        consignment,
        ConsignmentState.HANDED_OVER,
        message=_("A distribution is reported after the handover; the consignment is “%(state)s”."),
    )
    problems = report_problems(consignment, lines)
    if problems:
        raise ValidationError(problems)
    catalogue = {item.code: item for item in Item.objects.filter(code__in={c for line in lines for c in line.items})}
    with transaction.atomic():
        _lock(
            consignment,
            ConsignmentState.HANDED_OVER,
            message=_("A distribution is reported after the handover; the consignment is “%(state)s”."),
        )
        report = record_create(
            DistributionReport(
                consignment=consignment,
                source=source,
                households=sum(line.households for line in lines),
                people=sum(line.people for line in lines),
                note=note.strip(),
                submitted_by=by,
            ),
            by=by,
        )
        for line in lines:
            row = record_create(
                ReportLine(
                    report=report,
                    subdistrict_name=" ".join(line.subdistrict_name.split()),
                    subdistrict_pcode=line.subdistrict_pcode,
                    households=line.households,
                    people=line.people,
                ),
                by=by,
            )
            record_create_many(
                ReportPeople,
                [
                    ReportPeople(line=row, sex=sex, age_group=age, count=count)
                    for (sex, age), count in sorted(line.sadd.items())
                    if count
                ],
                by=by,
            )
            record_create_many(
                ReportItem,
                [
                    ReportItem(line=row, item=catalogue[code], quantity=quantity)
                    for code, quantity in sorted(line.items.items())
                    if quantity
                ],
                by=by,
            )
        transition(consignment, ConsignmentState.REPORTED, by=by)
    return report


def report_upload_stage(*, consignment: Consignment, file, file_name: str, by: User | None):
    """Stage a partner's XLSX (or CSV) report for `consignment` (core.staging): every row checked into the batch's
    report, nothing else written until the batch is committed (`staging.import_commit`)."""
    from liman.core import staging
    from liman.core.tabular import Limits, TableError, read_table

    from .importers import DistributionReportImporter
    from .models import ReportUpload

    if by is not None:
        _require(
            permissions.may_report(by, consignment),
            _("Only the partner organisation's own users report on its consignments."),
        )
    _require_state(
        consignment,
        ConsignmentState.HANDED_OVER,
        message=_("A distribution is reported after the handover; the consignment is “%(state)s”."),
    )
    limits = Limits.from_settings()
    try:
        table = read_table(file, file_name, limits=limits, skip_sheets=staging.template_note_sheets())
    except TableError as exc:
        raise staging.ImportRefused(str(exc)) from exc
    importer_class = DistributionReportImporter.for_consignment(consignment)
    with contextlib.closing(table), transaction.atomic():
        batch = staging.stage_table(
            importer_class(office=consignment.office), table, file_name=file_name, by=by, limits=limits, reporter=None
        )
        return record_create(ReportUpload(consignment=consignment, batch=batch, uploaded_by=by), by=by)
