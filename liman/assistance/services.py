"""Every write of the catalogue and the stock ledger, in a transaction, audited.

Each movement locks its balance row first (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite the transaction itself
takes the write lock at BEGIN, settings' `transaction_mode = IMMEDIATE`), checks it, appends the ledger entry and
moves the balance in the same transaction. Locking the balance before anything else (the audit chain, the
transfer or loss row) keeps one lock order everywhere, so concurrent movements queue and never deadlock.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core import audit
from liman.core.choices import AuditAction
from liman.core.models import AdminArea, Office, User
from liman.core.services import new_reference, record_create, record_create_many, record_update
from liman.core.workflows import record_state_changes, state_set, transition

from . import permissions
from .choices import (
    AgeGroup,
    DistributionState,
    EntitlementState,
    EntryKind,
    LocationKind,
    LossStatus,
    Sex,
    TransferState,
)
from .models import (
    DistributionPlan,
    Entitlement,
    EntitlementLine,
    FieldIncident,
    IncidentGroupCount,
    IncidentServiceGiven,
    Item,
    LedgerEntry,
    Loss,
    PlanItem,
    StockBalance,
    StockCount,
    StockLocation,
    StockLot,
    Transfer,
)


class StockShort(ValidationError):
    """Refused: the balance holds less than asked for (the message names the balance)."""


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# --- catalogue and locations --------------------------------------------------------------------------------


def item_create(*, code: str, name: str, unit: str, category: str, tracks_lots: bool = False, by: User | None) -> Item:
    """A new item in the catalogue shared by every office."""
    if by is not None:
        _require(
            permissions.has_role(by, permissions.CATALOGUE_ROLES),
            _("Warehouse staff or an administrator add items to the catalogue."),
        )
    if Item.objects.filter(code=code.strip().upper()).exists():
        raise ValidationError({"code": _("The catalogue has an item %(code)s already.") % {"code": code.upper()}})
    return record_create(
        Item(code=code.strip().upper(), name=name.strip(), unit=unit, category=category, tracks_lots=tracks_lots),
        by=by,
    )


def location_create(
    *, office: Office, name: str, kind: str = LocationKind.WAREHOUSE, vehicle_plate: str = "", by: User | None
) -> StockLocation:
    if by is not None:
        _require(
            permissions.may_keep_stock(by, office) or permissions.has_role(by, "administrator", office=office),
            _("Only warehouse staff or an administrator of the office add a stock location."),
        )
    plate = vehicle_plate.strip().upper()
    return record_create(StockLocation(office=office, name=name.strip(), kind=kind, vehicle_plate=plate), by=by)


def lot_ensure(*, item: Item, code: str, expires_on: datetime.date | None, by: User | None) -> StockLot:
    """The lot `code` of `item`, recorded on first receipt; a later receipt must agree on its expiry."""
    code = code.strip().upper()
    if not code:
        raise ValidationError({"lot": _("%(item)s is tracked by lot: give the lot code.") % {"item": item}})
    lot = StockLot.objects.filter(item=item, code=code).first()
    if lot is None:
        return record_create(StockLot(item=item, code=code, expires_on=expires_on), by=by)
    if expires_on is not None and lot.expires_on not in (None, expires_on):
        raise ValidationError(
            {
                "expires_on": _("Lot %(lot)s of %(item)s is recorded as expiring on %(date)s.")
                % {"lot": lot.code, "item": item, "date": lot.expires_on.isoformat()}
            }
        )
    return lot


# --- the ledger ---------------------------------------------------------------------------------------------


def _lock_balance(location: StockLocation, item: Item, lot: StockLot | None, *, create: bool) -> StockBalance | None:
    """The balance row of one line, locked until the transaction ends (created at 0 when `create`)."""
    rows = StockBalance.objects.select_for_update(of=("self",)).select_related("location", "item", "lot")
    if create:
        # A concurrent first receipt of the same line makes get_or_create fall back to a (locking) get.
        balance, _created = rows.get_or_create(
            location=location, item=item, lot=lot, defaults={"office_id": location.office_id}
        )
        return balance
    return rows.filter(location=location, item=item, lot=lot).first()


def shortage_message(*, location, item, lot, available: int, requested: int) -> str:
    values = {"available": available, "item": item, "location": location, "requested": requested}
    if lot is not None:
        return _("Only %(available)d × %(item)s left at %(location)s (lot %(lot)s); %(requested)d asked for.") % {
            **values,
            "lot": lot.code,
        }
    return _("Only %(available)d × %(item)s left at %(location)s; %(requested)d asked for.") % values


def _post(
    balance: StockBalance,
    *,
    kind: str,
    quantity: int,
    by: User | None,
    at: datetime.datetime | None = None,
    **fields,
) -> LedgerEntry:
    """Append one entry to the ledger and move its (locked) balance; refuse what would go below zero."""
    if balance.quantity + quantity < 0:
        raise StockShort(
            shortage_message(
                location=balance.location,
                item=balance.item,
                lot=balance.lot,
                available=balance.quantity,
                requested=-quantity,
            )
        )
    entry = _entry(balance, kind=kind, quantity=quantity, by=by, at=at, **fields)
    entry.save()
    _move(balance, quantity)
    audit.record(AuditAction.CREATE, actor=by, obj=entry, changes=audit.diff({}, audit.snapshot(entry)))
    return entry


def _entry(balance: StockBalance, *, kind: str, quantity: int, by, at, **fields) -> LedgerEntry:
    """One ledger entry of a (locked) balance line, validated, not yet saved."""
    entry = LedgerEntry(
        office_id=balance.office_id,
        location=balance.location,
        item=balance.item,
        lot=balance.lot,
        kind=kind,
        quantity=quantity,
        by=by,
        at=at or timezone.now(),
        **fields,
    )
    # The relations come as loaded rows (the balance was locked with its location, item and lot): checking that each
    # exists again would cost a query apiece on every entry of a distribution day. The database holds the foreign
    # keys and the constraints; what is left to check here is the entry's own values.
    entry.full_clean(exclude=_LEDGER_RELATIONS, validate_constraints=False)
    return entry


_LEDGER_RELATIONS = [f.name for f in LedgerEntry._meta.concrete_fields if f.is_relation]


def _move(balance: StockBalance, quantity: int) -> None:
    StockBalance.objects.filter(pk=balance.pk).update(quantity=F("quantity") + quantity, updated_at=timezone.now())
    balance.quantity += quantity


def _issue_many(
    location: StockLocation, locked: list[StockBalance], wanted: list[tuple[Item, int]], *, by, issued_for, at
) -> list[LedgerEntry]:
    """The bulk form of `stock_issue` / `stock_issue_fefo` for one location, inside the caller's transaction, from
    balance lines the caller has locked (every line of these items, by id): each item taken from its lines — lots
    first expiry first out, expired lots skipped — the entries inserted together and audited as one batch (one
    chain-head update instead of one per entry). All or nothing: a short item refuses the whole, naming it."""
    from .selectors import fefo_order

    fields = _purpose_fields(location, issued_for, "")
    today = timezone.localdate()
    entries: list[LedgerEntry] = []
    moves: list[tuple[StockBalance, int]] = []
    for item, quantity in wanted:
        _check_quantity(quantity)
        lines = [b for b in locked if b.item_id == item.pk and b.quantity > 0]
        if item.tracks_lots:
            usable = [
                b for b in fefo_order(lines) if b.lot is None or b.lot.expires_on is None or b.lot.expires_on >= today
            ]
        else:
            usable = [b for b in lines if b.lot_id is None]
        available = sum(b.quantity for b in usable)
        if available < quantity:
            raise StockShort(
                shortage_message(location=location, item=item, lot=None, available=available, requested=quantity)
            )
        left = quantity
        for balance in usable:
            take = min(left, balance.quantity)
            entries.append(_entry(balance, kind=EntryKind.ISSUE, quantity=-take, by=by, at=at, **fields))
            moves.append((balance, -take))
            left -= take
            if not left:
                break
    LedgerEntry.objects.bulk_create(entries)
    for balance, quantity in moves:
        _move(balance, quantity)
    audit.record_many(AuditAction.CREATE, entries, actor=by)
    return entries


def _check_location(location: StockLocation) -> None:
    if not location.is_active:
        raise ValidationError(_("%(location)s is closed: it holds no stock.") % {"location": location})


def _check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or quantity <= 0:
        raise ValidationError({"quantity": _("Give a quantity of at least one.")})


def stock_receive(
    *,
    location: StockLocation,
    item: Item,
    quantity: int,
    project_code: str,
    by: User | None,
    lot_code: str = "",
    expires_on: datetime.date | None = None,
    supplier: str = "",
    at: datetime.datetime | None = None,
) -> LedgerEntry:
    """Goods received from a supplier or a donor-funded purchase, under the project code that paid for them."""
    if by is not None:
        _require(permissions.may_keep_stock(by, location.office_id), _("Only warehouse staff receive stock."))
    _check_location(location)
    _check_quantity(quantity)
    if location.kind == LocationKind.VEHICLE:
        raise ValidationError(_("A vehicle is stocked by a transfer from a warehouse, not by a receipt."))
    if not project_code.strip():
        raise ValidationError({"project_code": _("A receipt names the project code it was bought under.")})
    with transaction.atomic():
        if item.tracks_lots:
            lot = lot_ensure(item=item, code=lot_code, expires_on=expires_on, by=by)
        elif lot_code.strip():
            raise ValidationError({"lot": _("%(item)s is not tracked by lot.") % {"item": item}})
        else:
            lot = None
        balance = _lock_balance(location, item, lot, create=True)
        return _post(
            balance,
            kind=EntryKind.RECEIPT,
            quantity=quantity,
            by=by,
            at=at,
            reference=project_code.strip().upper(),
            reason=supplier.strip(),
        )


def _purpose_fields(location: StockLocation, issued_for: models.Model | None, purpose: str) -> dict:
    from django.contrib.contenttypes.models import ContentType

    fields = {"purpose": purpose.strip()[:200]}
    if issued_for is not None:
        if getattr(issued_for, "office_id", None) != location.office_id:
            raise ValidationError(_("Stock is issued only for a distribution or an incident of its own office."))
        fields["issued_for_type"] = ContentType.objects.get_for_model(issued_for)
        fields["issued_for_id"] = str(issued_for.pk)
        fields["purpose"] = fields["purpose"] or str(issued_for)[:200]
    if not fields["purpose"]:
        raise ValidationError({"purpose": _("Every issue says what it is for: a distribution or an incident.")})
    return fields


def stock_return(
    *,
    location: StockLocation,
    item: Item,
    quantity: int,
    returned_from: models.Model,
    reason: str,
    by: User | None,
    lot: StockLot | None = None,
    at: datetime.datetime | None = None,
) -> LedgerEntry:
    """Goods that left for something (a consignment's truck turned back at the crossing) come back into stock: a
    return, naming what they came back from, never a new receipt."""
    if by is not None:
        _require(permissions.may_keep_stock(by, location.office_id), _("Only warehouse staff take returns in."))
    _check_location(location)
    _check_quantity(quantity)
    if item.tracks_lots and lot is None:
        raise ValidationError({"lot": _("%(item)s is tracked by lot: say which lot.") % {"item": item}})
    fields = _purpose_fields(location, returned_from, "")
    with transaction.atomic():
        balance = _lock_balance(location, item, lot, create=True)
        return _post(
            balance, kind=EntryKind.RETURN, quantity=quantity, by=by, at=at, reason=reason.strip()[:300], **fields
        )


def _check_not_expired(lot: StockLot | None, on: datetime.date) -> None:
    if lot is not None and lot.expires_on is not None and lot.expires_on < on:
        raise ValidationError(
            _("Lot %(lot)s expired on %(date)s: report it as a loss, do not give it out.")
            % {"lot": lot.code, "date": lot.expires_on.isoformat()}
        )


def stock_issue(
    *,
    location: StockLocation,
    item: Item,
    quantity: int,
    by: User | None,
    lot: StockLot | None = None,
    issued_for: models.Model | None = None,
    purpose: str = "",
    at: datetime.datetime | None = None,
) -> LedgerEntry:
    """Stock given out from one line, for a distribution or an incident (`issued_for`, or `purpose` naming it).

    Refused, naming the balance, when fewer are left: two people issuing the last units at once both wait on the
    balance row, and the second finds it empty."""
    if by is not None:
        _require(permissions.may_issue(by, location.office_id), _("Your role does not issue stock."))
    _check_quantity(quantity)
    fields = _purpose_fields(location, issued_for, purpose)
    if item.tracks_lots and lot is None:
        raise ValidationError({"lot": _("%(item)s is tracked by lot: say which lot.") % {"item": item}})
    _check_not_expired(lot, timezone.localdate())
    with transaction.atomic():
        balance = _lock_balance(location, item, lot, create=False)
        if balance is None:
            raise StockShort(shortage_message(location=location, item=item, lot=lot, available=0, requested=quantity))
        return _post(balance, kind=EntryKind.ISSUE, quantity=-quantity, by=by, at=at, **fields)


def stock_issue_fefo(
    *,
    location: StockLocation,
    item: Item,
    quantity: int,
    by: User | None,
    issued_for: models.Model | None = None,
    purpose: str = "",
    at: datetime.datetime | None = None,
) -> list[LedgerEntry]:
    """Issue `quantity` of a lot-tracked item across its lots, first expiry first out (expired lots skipped);
    all or nothing."""
    from .selectors import fefo_order

    if by is not None:
        _require(permissions.may_issue(by, location.office_id), _("Your role does not issue stock."))
    _check_quantity(quantity)
    fields = _purpose_fields(location, issued_for, purpose)
    today = timezone.localdate()
    with transaction.atomic():
        # Lock every line of the item in one order (by id), then take from them in expiry order. Only the balance
        # rows are locked (`of`): PostgreSQL locks no nullable side of an outer join (the lot).
        locked = list(
            StockBalance.objects.select_for_update(of=("self",))
            .select_related("location", "item", "lot")
            .filter(location=location, item=item, quantity__gt=0)
            .order_by("pk")
        )
        usable = [
            b for b in fefo_order(locked) if b.lot is None or b.lot.expires_on is None or b.lot.expires_on >= today
        ]
        available = sum(balance.quantity for balance in usable)
        if available < quantity:
            raise StockShort(
                shortage_message(location=location, item=item, lot=None, available=available, requested=quantity)
            )
        entries, left = [], quantity
        for balance in usable:
            take = min(left, balance.quantity)
            entries.append(_post(balance, kind=EntryKind.ISSUE, quantity=-take, by=by, at=at, **fields))
            left -= take
            if not left:
                break
        return entries


# --- transfers ----------------------------------------------------------------------------------------------


def transfer_dispatch(
    *,
    from_location: StockLocation,
    to_location: StockLocation,
    item: Item,
    quantity: int,
    by: User | None,
    lot: StockLot | None = None,
    note: str = "",
    at: datetime.datetime | None = None,
) -> Transfer:
    """Send stock to another location of the office: it leaves now and is in transit until received."""
    if by is not None:
        _require(permissions.may_keep_stock(by, from_location.office_id), _("Only warehouse staff dispatch stock."))
    return _dispatch(
        from_location=from_location,
        to_location=to_location,
        item=item,
        quantity=quantity,
        by=by,
        lot=lot,
        note=note,
        at=at,
    )


def _dispatch(
    *,
    from_location: StockLocation,
    to_location: StockLocation,
    item: Item,
    quantity: int,
    by: User | None,
    lot: StockLot | None = None,
    note: str = "",
    at: datetime.datetime | None = None,
) -> Transfer:
    _check_location(from_location)
    _check_quantity(quantity)
    _check_not_expired(lot, timezone.localdate())
    when = at or timezone.now()
    with transaction.atomic():
        balance = _lock_balance(from_location, item, lot, create=False)
        available = balance.quantity if balance is not None else 0
        if available < quantity:
            raise StockShort(
                shortage_message(location=from_location, item=item, lot=lot, available=available, requested=quantity)
            )
        transfer = record_create(
            Transfer(
                office_id=from_location.office_id,
                location=from_location,
                to_location=to_location,
                item=item,
                lot=lot,
                quantity=quantity,
                reference=new_reference(f"WB-{from_location.office.code}", Transfer),
                note=note.strip(),
                dispatched_at=when,
                dispatched_by=by,
            ),
            by=by,
        )
        _post(balance, kind=EntryKind.TRANSFER_OUT, quantity=-quantity, by=by, at=when, transfer=transfer)
    return transfer


def transfer_receive(*, transfer: Transfer, by: User | None, at: datetime.datetime | None = None) -> Transfer:
    """The receiving location takes the goods in: the transfer is received and its stock counted there."""
    when = at or timezone.now()
    with transaction.atomic():
        balance = _lock_balance(transfer.to_location, transfer.item, transfer.lot, create=True)
        transition(transfer, TransferState.RECEIVED, by=by)
        record_update(transfer, by=by, changes={"received_at": when, "received_by": by})
        _post(balance, kind=EntryKind.TRANSFER_IN, quantity=transfer.quantity, by=by, at=when, transfer=transfer)
    return transfer


# --- losses and counts --------------------------------------------------------------------------------------


def loss_report(
    *,
    location: StockLocation,
    item: Item,
    quantity: int,
    reason_kind: str,
    reason: str,
    by: User | None,
    lot: StockLot | None = None,
) -> Loss:
    """Stock lost or damaged, reported with what happened; written off when a second person approves."""
    if by is not None:
        _require(permissions.may_report_loss(by, location.office_id), _("Your role does not report losses."))
    _check_quantity(quantity)
    balance = StockBalance.objects.filter(location=location, item=item, lot=lot).first()
    available = balance.quantity if balance is not None else 0
    if available < quantity:
        raise StockShort(
            shortage_message(location=location, item=item, lot=lot, available=available, requested=quantity)
        )
    return record_create(
        Loss(
            office_id=location.office_id,
            location=location,
            item=item,
            lot=lot,
            quantity=quantity,
            reason_kind=reason_kind,
            reason=reason.strip(),
            reported_by=by,
        ),
        by=by,
    )


def loss_approve(*, loss: Loss, by: User, note: str = "") -> Loss:
    """A second person (warehouse manager: another warehouse user, a supervisor or an administrator of the office)
    approves the loss: the quantity is written off the ledger."""
    if by.pk == loss.reported_by_id:
        raise PermissionDenied(_("You reported this loss: a second person approves it."))
    _require(
        permissions.may_approve_loss(by, loss),
        _("A warehouse manager approves losses: warehouse staff, a supervisor or an administrator of the office."),
    )
    with transaction.atomic():
        balance = _lock_balance(loss.location, loss.item, loss.lot, create=True)
        loss = Loss.objects.select_for_update().get(pk=loss.pk)
        if loss.status != LossStatus.PENDING:
            raise ValidationError(_("This loss was already decided."))
        _post(
            balance,
            kind=EntryKind.LOSS,
            quantity=-loss.quantity,
            by=by,
            loss=loss,
            reason=f"{loss.get_reason_kind_display()}: {loss.reason}"[:300],
        )
        return state_set(
            loss,
            field="status",
            new=LossStatus.APPROVED,
            by=by,
            reason=note.strip(),
            changes={"decided_at": timezone.now(), "decided_by": by, "decision_note": note.strip()[:300]},
        )


def loss_reject(*, loss: Loss, by: User, note: str) -> Loss:
    """The loss is not written off (the goods were found, the count was wrong); the reason is kept."""
    if by.pk == loss.reported_by_id:
        raise PermissionDenied(_("You reported this loss: a second person decides on it."))
    _require(permissions.may_approve_loss(by, loss), _("A warehouse manager decides on losses."))
    if not note.strip():
        raise ValidationError({"note": _("Say why the loss is rejected.")})
    with transaction.atomic():
        loss = Loss.objects.select_for_update().get(pk=loss.pk)
        if loss.status != LossStatus.PENDING:
            raise ValidationError(_("This loss was already decided."))
        return state_set(
            loss,
            field="status",
            new=LossStatus.REJECTED,
            by=by,
            reason=note.strip(),
            changes={"decided_at": timezone.now(), "decided_by": by, "decision_note": note.strip()[:300]},
        )


def stock_count(
    *,
    location: StockLocation,
    item: Item,
    counted_quantity: int,
    by: User | None,
    lot: StockLot | None = None,
    note: str = "",
    at: datetime.datetime | None = None,
) -> StockCount:
    """A physical count of one line; the difference to the ledger is posted as a count adjustment."""
    if by is not None:
        _require(permissions.may_keep_stock(by, location.office_id), _("Only warehouse staff count stock."))
    if not isinstance(counted_quantity, int) or counted_quantity < 0:
        raise ValidationError({"counted_quantity": _("A count is zero or more.")})
    when = at or timezone.now()
    with transaction.atomic():
        balance = _lock_balance(location, item, lot, create=True)
        expected = balance.quantity
        count = record_create(
            StockCount(
                office_id=location.office_id,
                location=location,
                item=item,
                lot=lot,
                counted_quantity=counted_quantity,
                expected_quantity=expected,
                variance=counted_quantity - expected,
                counted_at=when,
                counted_by=by,
                note=note.strip()[:300],
            ),
            by=by,
        )
        if count.variance:
            _post(
                balance,
                kind=EntryKind.COUNT_ADJUSTMENT,
                quantity=count.variance,
                by=by,
                at=when,
                count=count,
                reason=note.strip()[:300] or _("Physical count"),
            )
    return count


# --- mobile-team field incidents ----------------------------------------------------------------------------

#: The vulnerable cases and referrals an incident counts; none can exceed the people met.
INCIDENT_COUNTS = (
    "unaccompanied_children",
    "pregnant_women",
    "injured",
    "with_disability",
    "referred_to_case",
    "referred_to_health",
    "referred_to_pmm",
)


def _group_rows(group_counts: Iterable[tuple[str, str, str, int]]) -> dict[tuple[str, str, str], int]:
    """(sex, age group, nationality) -> people, with repeated cells added up and empty ones dropped."""
    rows: dict[tuple[str, str, str], int] = {}
    for sex, age_group, nationality, count in group_counts:
        if not isinstance(count, int) or count < 0:
            raise ValidationError({"group_counts": _("A count of people is zero or more.")})
        if count:
            key = (sex, age_group, (nationality or "").strip().upper())
            rows[key] = rows.get(key, 0) + count
    return rows


def incident_record(
    *,
    office: Office,
    occurred_at: datetime.datetime,
    district: AdminArea,
    terrain: str,
    authority: str,
    how_met: str,
    group_counts: Iterable[tuple[str, str, str, int]],
    by: User | None,
    vehicle: StockLocation | None = None,
    items: Iterable[tuple[Item, int]] = (),
    services_given: dict[str, int] | None = None,
    latitude: decimal.Decimal | None = None,
    longitude: decimal.Decimal | None = None,
    referral_note: str = "",
    note: str = "",
    **counts: int,
) -> FieldIncident:
    """A mobile team's incident: the group met (counted by sex × age group × nationality), the services given, the
    vulnerable cases seen and the referrals made, and the items given from the team's vehicle, issued from its
    stock in the same transaction: when the van holds too few of anything, nothing is saved."""
    if by is not None:
        _require(permissions.may_record_incident(by, office.pk), _("Only the office's mobile team records incidents."))
    unknown = set(counts) - set(INCIDENT_COUNTS)
    if unknown:
        raise TypeError(f"incident_record() got unexpected arguments: {sorted(unknown)}")
    rows = _group_rows(group_counts)
    people = sum(rows.values())
    if not people:
        raise ValidationError({"group_counts": _("Count the people met: at least one.")})
    errors = {}
    for name in INCIDENT_COUNTS:
        value = counts.get(name, 0)
        if not isinstance(value, int) or value < 0:
            errors[name] = _("A count is zero or more.")
        elif value > people:
            errors[name] = _("More than the %(people)d people met.") % {"people": people}
    children = sum(n for (_sex, age, _nat), n in rows.items() if age in (AgeGroup.INFANTS, AgeGroup.CHILDREN))
    if counts.get("unaccompanied_children", 0) > children:
        errors["unaccompanied_children"] = _("More than the %(children)d children met.") % {"children": children}
    women = sum(n for (sex, age, _nat), n in rows.items() if sex == Sex.FEMALE and age != AgeGroup.INFANTS)
    if counts.get("pregnant_women", 0) > women:
        errors["pregnant_women"] = _("More than the %(women)d women and girls met.") % {"women": women}
    if errors:
        raise ValidationError(errors)
    given = {service: quantity for service, quantity in (services_given or {}).items() if quantity}
    if any(not isinstance(quantity, int) or quantity < 0 for quantity in given.values()):
        raise ValidationError({"services_given": _("A quantity is zero or more.")})
    items = [(item, quantity) for item, quantity in items if quantity]
    if items and vehicle is None:
        raise ValidationError({"vehicle": _("Items are given from the team's vehicle: choose it.")})
    with transaction.atomic():
        if items:
            # Lock the van's lines first, as every stock movement does (one lock order: no deadlock).
            list(
                StockBalance.objects.select_for_update(of=("self",))
                .filter(location=vehicle, item__in=[item for item, _quantity in items])
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        incident = record_create(
            FieldIncident(
                office=office,
                reference=new_reference(f"INC-{office.code}", FieldIncident),
                occurred_at=occurred_at,
                district=district,
                latitude=latitude,
                longitude=longitude,
                terrain=terrain,
                authority=authority,
                how_met=how_met,
                vehicle=vehicle,
                people_met=people,
                referral_note=referral_note.strip()[:500],
                note=note.strip(),
                recorded_by=by,
                **{name: counts.get(name, 0) for name in INCIDENT_COUNTS},
            ),
            by=by,
        )
        record_create_many(
            IncidentGroupCount,
            [
                IncidentGroupCount(incident=incident, sex=sex, age_group=age, nationality=nationality, count=count)
                for (sex, age, nationality), count in sorted(rows.items())
            ],
            by=by,
        )
        record_create_many(
            IncidentServiceGiven,
            [IncidentServiceGiven(incident=incident, service=s, quantity=q) for s, q in sorted(given.items())],
            by=by,
        )
        if items:
            incident_issue_items(incident=incident, items=items, by=by)
    return incident


def incident_issue_items(
    *, incident: FieldIncident, items: Iterable[tuple[Item, int]], by: User | None
) -> list[LedgerEntry]:
    """Items given to the group from the team's vehicle: issued from its stock for the incident (lot-tracked items
    first expiry first out), all or nothing."""
    vehicle = incident.vehicle
    if vehicle is None:
        raise ValidationError({"vehicle": _("Items are given from the team's vehicle: the incident names none.")})
    _check_location(vehicle)
    entries: list[LedgerEntry] = []
    with transaction.atomic():
        for item, quantity in items:
            if item.tracks_lots:
                entries += stock_issue_fefo(
                    location=vehicle, item=item, quantity=quantity, issued_for=incident, by=by, at=incident.occurred_at
                )
            else:
                entries.append(
                    stock_issue(
                        location=vehicle,
                        item=item,
                        quantity=quantity,
                        issued_for=incident,
                        by=by,
                        at=incident.occurred_at,
                    )
                )
    return entries


# --- in-kind distributions ----------------------------------------------------------------------------------


class AlreadyReceived(ValidationError):
    """Refused: the household already received under this plan (the message says when and by whom)."""

    def __init__(self, entitlement: Entitlement):
        self.entitlement = entitlement
        super().__init__(received_message(entitlement))


def received_message(entitlement: Entitlement) -> str:
    who = entitlement.received_by_name or (
        entitlement.received_by_person.full_name if entitlement.received_by_person_id else ""
    )
    values = {
        "household": entitlement.household.reference,
        "when": timezone.localtime(entitlement.received_at).strftime("%Y-%m-%d %H:%M"),
        "who": who or "?",
        "staff": entitlement.recorded_by.get_username() if entitlement.recorded_by_id else "?",
    }
    return _("%(household)s already received on %(when)s: collected by %(who)s, recorded by %(staff)s.") % values


def distribution_plan_create(
    *,
    office: Office,
    name: str,
    project_code: str,
    warehouse: StockLocation,
    site: StockLocation,
    starts_on: datetime.date,
    ends_on: datetime.date,
    items: Iterable[tuple[Item, int, int | None, int]],
    by: User | None,
) -> DistributionPlan:
    """A planned distribution; `items` are (item, from size, to size or None, quantity per household) bands."""
    if by is not None:
        _require(permissions.may_plan_distribution(by, office), _("Your role does not plan distributions."))
    bands = [PlanItem(item=item, min_size=low, max_size=high, quantity=quantity) for item, low, high, quantity in items]
    if not bands:
        raise ValidationError({"items": _("Say what each household receives: at least one item.")})
    by_item: dict[int, list[PlanItem]] = {}
    for band in bands:
        for other in by_item.get(band.item_id, []):
            high = band.max_size if band.max_size is not None else 10**6
            other_high = other.max_size if other.max_size is not None else 10**6
            if band.min_size <= other_high and other.min_size <= high:
                raise ValidationError(
                    {"items": _("Two lines of %(item)s cover the same household sizes.") % {"item": band.item}}
                )
        by_item.setdefault(band.item_id, []).append(band)
    with transaction.atomic():
        plan = record_create(
            DistributionPlan(
                office=office,
                reference=new_reference(f"DIST-{office.code}", DistributionPlan),
                name=name.strip(),
                project_code=project_code.strip().upper(),
                warehouse=warehouse,
                site=site,
                starts_on=starts_on,
                ends_on=ends_on,
                created_by=by,
            ),
            by=by,
        )
        for band in bands:
            band.plan = plan
        record_create_many(PlanItem, bands, by=by)
    return plan


def _household_sizes(households) -> dict[int, int]:
    from django.db.models import Count

    from liman.registry.models import Household

    return dict(
        Household.objects.filter(pk__in=[h.pk for h in households])
        .annotate(size=Count("members"))
        .values_list("pk", "size")
    )


def distribution_select(
    *, plan: DistributionPlan, households: Iterable, selection: str, by: User | None
) -> dict[str, list]:
    """Entitle `households` (of the plan's office) to the plan, each with the items of its size's bands.

    Returns what happened to each: added, already entitled, or left out because no band covers its size (an empty
    household, or a size the plan does not serve)."""
    if by is not None:
        _require(permissions.may_plan_distribution(by, plan.office_id), _("Your role does not plan distributions."))
    if plan.state != DistributionState.PLANNED:
        raise ValidationError(_("Households are selected while the distribution is planned, not once it opened."))
    households = list(households)
    other_office = [h.reference for h in households if h.office_id != plan.office_id]
    if other_office:
        raise ValidationError(
            _("These households are registered by another office: %(refs)s.") % {"refs": ", ".join(other_office[:10])}
        )
    bands = list(plan.plan_items.select_related("item"))
    sizes = _household_sizes(households)
    already = set(plan.entitlements.filter(household__in=households).values_list("household_id", flat=True))
    outcome: dict[str, list] = {"added": [], "already": [], "no_band": []}
    entitlements, lines = [], []
    for household in households:
        if household.pk in already:
            outcome["already"].append(household)
            continue
        size = sizes.get(household.pk, 0)
        matching = [band for band in bands if band.applies_to(size)]
        if not matching:
            outcome["no_band"].append(household)
            continue
        already.add(household.pk)
        entitlement = Entitlement(plan=plan, household=household, household_size=size)
        entitlements.append(entitlement)
        lines += [EntitlementLine(entitlement=entitlement, item=band.item, quantity=band.quantity) for band in matching]
        outcome["added"].append(household)
    with transaction.atomic():
        record_create_many(Entitlement, entitlements, by=by)
        record_create_many(EntitlementLine, lines, by=by)
        if selection.strip() and entitlements:
            text = "; ".join(part for part in (plan.selection, selection.strip()) if part)[:300]
            record_update(plan, by=by, changes={"selection": text})
    return outcome


def distribution_totals(plan: DistributionPlan, *, state: str | None = None) -> dict[int, int]:
    """item id -> quantity over the plan's entitlements (of one state, when given)."""
    from django.db.models import Sum

    lines = EntitlementLine.objects.filter(entitlement__plan=plan)
    if state is not None:
        lines = lines.filter(entitlement__state=state)
    return dict(lines.values("item").annotate(total=Sum("quantity")).values_list("item", "total"))


def _send_by_lots(
    *,
    from_location: StockLocation,
    to_location: StockLocation,
    item: Item,
    quantity: int,
    by,
    note: str,
    at: datetime.datetime | None = None,
) -> list[Transfer]:
    """Transfers of `quantity` of `item`, lots first expiry first out (expired lots never sent); all or nothing."""
    from .selectors import fefo_suggestion

    plan = fefo_suggestion(from_location, item, quantity)
    available = sum(take for _balance, take in plan)
    if available < quantity:
        raise StockShort(
            shortage_message(location=from_location, item=item, lot=None, available=available, requested=quantity)
        )
    return [
        _dispatch(
            from_location=from_location,
            to_location=to_location,
            item=item,
            quantity=take,
            lot=balance.lot,
            by=by,
            note=note,
            at=at,
        )
        for balance, take in plan
    ]


def distribution_open(
    *, plan: DistributionPlan, by: User | None, at: datetime.datetime | None = None
) -> list[Transfer]:
    """The warehouse sends the plan's total to the site (one transfer per item and lot), all or nothing; the site
    team receives them there before the first household is served."""
    totals = distribution_totals(plan)
    if not totals:
        raise ValidationError(_("No household is entitled yet: select the households first."))
    items = Item.objects.in_bulk(totals)
    transfers: list[Transfer] = []
    with transaction.atomic():
        # Lock the warehouse's lines of every item first (one lock order with every other movement).
        list(
            StockBalance.objects.select_for_update(of=("self",))
            .filter(location=plan.warehouse, item__in=totals)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        transition(plan, DistributionState.OPEN, by=by)
        for item_id, quantity in sorted(totals.items()):
            transfers += _send_by_lots(
                from_location=plan.warehouse,
                to_location=plan.site,
                item=items[item_id],
                quantity=quantity,
                by=by,
                note=_("For distribution %(plan)s") % {"plan": plan.reference},
                at=at,
            )
    return transfers


def distribution_receive(
    *,
    entitlement: Entitlement,
    by: User | None,
    received_by_person=None,
    received_by_name: str = "",
    at: datetime.datetime | None = None,
) -> Entitlement:
    """The household collects its entitlement: who received it is recorded and its items are issued from the
    site's stock, in one transaction. A second receipt for the same household and plan is refused (`AlreadyReceived`,
    showing the first)."""
    plan = entitlement.plan
    if by is not None:
        _require(permissions.may_record_receipt(by, plan.office_id), _("Only distribution staff record receipts."))
    if plan.state != DistributionState.OPEN:
        raise ValidationError(_("This distribution is not open."))
    name = received_by_name.strip()
    if received_by_person is None and not name:
        raise ValidationError({"received_by": _("Say who received for the household: a member or another person.")})
    if received_by_person is not None:
        member = getattr(received_by_person, "membership", None)
        if member is None or member.household_id != entitlement.household_id:
            raise ValidationError({"received_by": _("This person is not a member of the household.")})
        name = ""
    lines = list(entitlement.lines.select_related("item"))
    when = at or timezone.now()
    if by is not None:
        _require(permissions.may_issue(by, plan.office_id), _("Your role does not issue stock."))
    with transaction.atomic():
        # The site's lines of these items first (the lock order of every stock movement), then the entitlement.
        site_lines = list(
            StockBalance.objects.select_for_update(of=("self",))
            .select_related("location", "item", "lot")
            .filter(location=plan.site, item__in=[line.item_id for line in lines])
            .order_by("pk")
        )
        locked = (
            Entitlement.objects.select_for_update(of=("self",))
            .select_related("plan", "household", "received_by_person", "recorded_by")
            .get(pk=entitlement.pk)
        )
        if locked.state == EntitlementState.RECEIVED:
            raise AlreadyReceived(locked)
        if locked.state != EntitlementState.PENDING:
            raise ValidationError(_("This entitlement is closed as unclaimed."))
        wanted = [(line.item, line.quantity) for line in lines]
        _issue_many(plan.site, site_lines, wanted, by=by, issued_for=locked, at=when)
        state_set(
            locked,
            field="state",
            new=EntitlementState.RECEIVED,
            by=by,
            changes={
                "received_at": when,
                "received_by_person": received_by_person,
                "received_by_name": name[:160],
                "recorded_by": by,
            },
            office_id=plan.office_id,
        )
    return locked


def distribution_close(
    *, plan: DistributionPlan, by: User | None, at: datetime.datetime | None = None
) -> list[Transfer]:
    """Close the distribution: entitlements not collected become unclaimed, and their items go back from the site
    to the warehouse (transfers the warehouse receives)."""
    with transaction.atomic():
        site_lines = list(
            StockBalance.objects.select_for_update(of=("self",))
            .filter(location=plan.site, item__in=plan.plan_items.values("item"))
            .order_by("pk")
            .values_list("item_id", "quantity")
        )
        transition(plan, DistributionState.CLOSED, by=by)
        unclaimed = list(plan.entitlements.filter(state=EntitlementState.PENDING))
        totals = distribution_totals(plan, state=EntitlementState.PENDING)
        Entitlement.objects.filter(pk__in=[e.pk for e in unclaimed]).update(state=EntitlementState.UNCLAIMED)
        audit.record_many(
            AuditAction.UPDATE,
            unclaimed,
            actor=by,
            reason=_("Distribution closed"),
            changes=lambda e: {"state": [EntitlementState.PENDING, EntitlementState.UNCLAIMED]},
        )
        record_state_changes(
            Entitlement,
            [(e.pk, EntitlementState.PENDING, EntitlementState.UNCLAIMED, plan.office_id, "") for e in unclaimed],
            field="state",
            by=by,
            reason=_("Distribution closed"),
        )
        at_site: dict[int, int] = {}
        for item_id, quantity in site_lines:
            at_site[item_id] = at_site.get(item_id, 0) + quantity
        items = Item.objects.in_bulk(totals)
        transfers: list[Transfer] = []
        for item_id, quantity in sorted(totals.items()):
            back = min(quantity, at_site.get(item_id, 0))
            if back:
                transfers += _send_by_lots(
                    from_location=plan.site,
                    to_location=plan.warehouse,
                    item=items[item_id],
                    quantity=back,
                    by=by,
                    note=_("Unclaimed at distribution %(plan)s") % {"plan": plan.reference},
                    at=at,
                )
    return transfers
