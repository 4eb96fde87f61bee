"""Every read the stock pages, the API and the report show, scoped to the user first."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.utils import timezone

from liman.core.access import active_grants, get_visible_or_404
from liman.core.models import User

from .choices import EntitlementState, LossStatus, TransferState
from .models import (
    DistributionPlan,
    Entitlement,
    EntitlementLine,
    FieldIncident,
    IncidentGroupCount,
    Item,
    LedgerEntry,
    Loss,
    StockBalance,
    StockCount,
    StockLocation,
    Transfer,
)

#: A lot that expires within this many days is flagged on the stock pages.
EXPIRING_SOON_DAYS = 90


def items() -> QuerySet[Item]:
    """The catalogue (shared by every office)."""
    return Item.objects.filter(is_active=True).order_by("name")


def locations_for(user: User, *, office: str = "") -> QuerySet[StockLocation]:
    locations = StockLocation.objects.visible_to(user).select_related("office")
    if office:
        locations = locations.filter(office__code=office.upper())
    return locations.order_by("office__code", "kind", "name")


def location_for(user: User, pk: int) -> StockLocation:
    return get_visible_or_404(StockLocation.objects.select_related("office"), user, pk=pk)


def balances_for(user: User, *, location: StockLocation | None = None, nonzero: bool = False) -> QuerySet:
    # A balance's office is its location's (StockLine.clean_line): joined once; the joined rows' created_at are never
    # shown and cost more to load than the rest of the row.
    balances = (
        StockBalance.objects.visible_to(user)
        .select_related("office", "location", "item", "lot")
        .defer("office__created_at", "location__created_at", "lot__created_at")
    )
    if location is not None:
        balances = balances.filter(location=location)
    if nonzero:
        balances = balances.exclude(quantity=0)
    return balances.order_by("office__code", "location__name", "item__name", "lot__expires_on", "lot__code")


def fefo_order(balances: Iterable[StockBalance]) -> list[StockBalance]:
    """First expiry first out: lots by expiry (lots without a date last), then by code."""
    far = datetime.date.max
    return sorted(
        balances,
        key=lambda b: ((b.lot.expires_on or far) if b.lot_id else far, b.lot.code if b.lot_id else "", b.pk),
    )


def fefo_suggestion(location: StockLocation, item: Item, quantity: int | None = None) -> list[tuple[StockBalance, int]]:
    """Which lots to issue `quantity` (all that is usable when None) from, first expiry first out; expired lots are
    never suggested."""
    today = timezone.localdate()
    lines = StockBalance.objects.filter(location=location, item=item, quantity__gt=0).select_related("lot", "item")
    usable = [b for b in fefo_order(lines) if not b.lot_id or b.lot.expires_on is None or b.lot.expires_on >= today]
    plan, left = [], quantity
    for balance in usable:
        take = balance.quantity if left is None else min(left, balance.quantity)
        if take:
            plan.append((balance, take))
        if left is not None:
            left -= take
            if not left:
                break
    return plan


@dataclass
class StockLineView:
    balance: StockBalance
    expiry: str  # "", "soon", "expired"
    next_out: bool


def stock_overview(user: User, location: StockLocation) -> list[StockLineView]:
    """The location's balances by item and lot, expiring lots flagged, the lot to issue next marked."""
    today = timezone.localdate()
    soon = today + datetime.timedelta(days=EXPIRING_SOON_DAYS)
    balances = list(balances_for(user, location=location, nonzero=True))
    next_out: dict[int, int] = {}
    for balance in fefo_order(balances):
        if balance.lot_id and (balance.lot.expires_on is None or balance.lot.expires_on >= today):
            next_out.setdefault(balance.item_id, balance.pk)
    lines = []
    for balance in balances:
        expiry = ""
        if balance.lot_id and balance.lot.expires_on:
            expiry = "expired" if balance.lot.expires_on < today else "soon" if balance.lot.expires_on <= soon else ""
        lines.append(StockLineView(balance, expiry, next_out.get(balance.item_id) == balance.pk))
    return lines


def location_totals(user: User, locations: Iterable[StockLocation]) -> dict[int, dict]:
    """Per location: units on hand, lines, and lines expiring soon (one query)."""
    soon = timezone.localdate() + datetime.timedelta(days=EXPIRING_SOON_DAYS)
    totals: dict[int, dict] = {loc.pk: {"units": 0, "lines": 0, "expiring": 0} for loc in locations}
    rows = (
        StockBalance.objects.visible_to(user)
        .filter(location__in=list(totals), quantity__gt=0)
        .values_list("location_id", "quantity", "lot__expires_on")
    )
    for location_id, quantity, expires_on in rows:
        entry = totals[location_id]
        entry["units"] += quantity
        entry["lines"] += 1
        entry["expiring"] += int(expires_on is not None and expires_on <= soon)
    return totals


def stock_card(user: User, location: StockLocation, item: Item) -> QuerySet[LedgerEntry]:
    """The ledger lines of one location × item in time order, each with the running balance after it."""
    return (
        LedgerEntry.objects.visible_to(user)
        .filter(location=location, item=item)
        .select_related("lot", "by", "transfer")
        .annotate(running=Window(Sum("quantity"), order_by=[F("at").asc(), F("id").asc()]))
        .order_by("at", "id")
    )


def transfers_for(
    user: User, *, in_transit: bool = False, location: StockLocation | None = None, state: str = "", office: str = ""
) -> QuerySet:
    transfers = Transfer.objects.visible_to(user).select_related(
        "office", "location", "to_location", "item", "lot", "dispatched_by", "received_by"
    )
    if in_transit:
        transfers = transfers.filter(state=TransferState.DISPATCHED)
    if state:
        transfers = transfers.filter(state=state)
    if office:
        transfers = transfers.filter(office__code=office.upper())
    if location is not None:
        transfers = transfers.filter(Q(location=location) | Q(to_location=location))
    return transfers.order_by("-dispatched_at", "-id")


def losses_for(user: User, *, pending: bool = False, location: StockLocation | None = None) -> QuerySet[Loss]:
    losses = Loss.objects.visible_to(user).select_related("location", "item", "lot", "reported_by", "decided_by")
    if pending:
        losses = losses.filter(status=LossStatus.PENDING)
    if location is not None:
        losses = losses.filter(location=location)
    return losses


def counts_for(user: User, *, location: StockLocation | None = None) -> QuerySet[StockCount]:
    counts = StockCount.objects.visible_to(user).select_related("location", "item", "lot", "counted_by")
    return counts.filter(location=location) if location is not None else counts


def entries_for(user: User) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.visible_to(user).select_related("office", "location", "item", "lot", "by")


def stock_report_rows(user: User, *, office: str = "") -> list[list]:
    """The stock report: one row per location × item × lot the user sees, with what is in transit to it."""
    header = ["office", "location", "kind", "vehicle_plate", "item_code", "item", "unit", "lot", "expires_on",
              "quantity", "in_transit_to_here"]  # fmt: skip
    balances = balances_for(user, nonzero=True)
    transit = transfers_for(user, in_transit=True)
    if office:
        balances = balances.filter(office__code=office.upper())
        transit = transit.filter(office__code=office.upper())
    incoming: dict[tuple, int] = {}
    for transfer in transit:
        key = (transfer.to_location_id, transfer.item_id, transfer.lot_id)
        incoming[key] = incoming.get(key, 0) + transfer.quantity
    rows = [header]
    for b in balances:
        rows.append(
            [
                b.office.code,
                b.location.name,
                b.location.get_kind_display(),
                b.location.vehicle_plate,
                b.item.code,
                b.item.name,
                b.item.get_unit_display(),
                b.lot.code if b.lot_id else "",
                b.lot.expires_on if b.lot_id else None,
                b.quantity,
                incoming.get((b.location_id, b.item_id, b.lot_id), 0),
            ]
        )
    return rows


# --- integrity ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    office: str
    location: str
    item: str
    lot: str
    ledger: int
    balance: int

    def __str__(self) -> str:
        lot = f" (lot {self.lot})" if self.lot else ""
        return (
            f"{self.office} · {self.location} · {self.item}{lot}: ledger sums to {self.ledger}, "
            f"balance says {self.balance}"
        )


def ledger_sums() -> dict[tuple[int, int, int | None], int]:
    """Σ quantity of the ledger per location × item × lot (every office: a system check, not a page)."""
    rows = LedgerEntry.objects.order_by().values_list("location_id", "item_id", "lot_id").annotate(Sum("quantity"))
    return {(location, item, lot): total for location, item, lot, total in rows}


def ledger_differences() -> list[Difference]:
    """Every balance that is not the sum of its ledger entries (and every ledger line without a balance)."""
    ledger = ledger_sums()
    balances = {
        (location, item, lot): quantity
        for location, item, lot, quantity in StockBalance.objects.values_list(
            "location_id", "item_id", "lot_id", "quantity"
        )
    }
    wrong = [key for key in ledger.keys() | balances.keys() if ledger.get(key, 0) != balances.get(key, 0)]
    if not wrong:
        return []
    from .models import StockLot

    locations = StockLocation.objects.select_related("office").in_bulk({key[0] for key in wrong})
    item_names = Item.objects.in_bulk({key[1] for key in wrong})
    lots = StockLot.objects.in_bulk({key[2] for key in wrong if key[2]})
    found = []
    for location_id, item_id, lot_id in sorted(wrong, key=lambda key: (key[0], key[1], key[2] or 0)):
        location = locations[location_id]
        found.append(
            Difference(
                office=location.office.code,
                location=location.name,
                item=item_names[item_id].name,
                lot=lots[lot_id].code if lot_id else "",
                ledger=ledger.get((location_id, item_id, lot_id), 0),
                balance=balances.get((location_id, item_id, lot_id), 0),
            )
        )
    return found


def transfer_problems() -> list[str]:
    """Transfers whose ledger entries do not match their state (in transit: out only; received: out and in)."""
    problems = []
    kinds: dict[int, list[str]] = {}
    for transfer_id, kind in LedgerEntry.objects.filter(transfer__isnull=False).values_list("transfer_id", "kind"):
        kinds.setdefault(transfer_id, []).append(kind)
    for transfer in Transfer.objects.only("pk", "reference", "state"):
        expected = ["transfer_out"] if transfer.state == TransferState.DISPATCHED else ["transfer_in", "transfer_out"]
        if sorted(kinds.get(transfer.pk, [])) != expected:
            problems.append(f"{transfer.reference} ({transfer.state}): entries {sorted(kinds.get(transfer.pk, []))}")
    return problems


# --- mobile-team field incidents ----------------------------------------------------------------------------

#: How the incident list may be sorted: the query value -> the ordering.
INCIDENT_SORTS = {
    "-occurred_at": ("-occurred_at", "-id"),
    "occurred_at": ("occurred_at", "id"),
    "-people_met": ("-people_met", "-occurred_at"),
    "people_met": ("people_met", "-occurred_at"),
}
PROVINCE = "district__parent__pcode"
#: The map measure of people met at the border (registered in apps.py; the figures page links to the map by it).
MAP_METRIC = "border_people_met"


def _month_bounds(month: str) -> tuple[datetime.datetime, datetime.datetime] | None:
    """`2026-05` -> the first instants of May and of June (local time); None when it is not a month."""
    try:
        start = datetime.datetime.strptime(month, "%Y-%m")
    except ValueError:
        return None
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return timezone.make_aware(start), timezone.make_aware(end)


def incidents_for(
    user: User, *, month: str = "", province: str = "", how_met: str = "", sort: str = ""
) -> QuerySet[FieldIncident]:
    incidents = FieldIncident.objects.visible_to(user).select_related("office", "district__parent", "vehicle")
    bounds = _month_bounds(month) if month else None
    if bounds:
        incidents = incidents.filter(occurred_at__gte=bounds[0], occurred_at__lt=bounds[1])
    if province:
        incidents = incidents.filter(**{PROVINCE: province.upper()})
    if how_met:
        incidents = incidents.filter(how_met=how_met)
    return incidents.order_by(*INCIDENT_SORTS.get(sort, INCIDENT_SORTS["-occurred_at"]))


def incident_for(user: User, pk: int) -> FieldIncident:
    return get_visible_or_404(
        FieldIncident.objects.select_related("office", "district__parent", "vehicle", "recorded_by"), user, pk=pk
    )


def incident_items(incident: FieldIncident) -> QuerySet[LedgerEntry]:
    """The ledger's issues for the incident (the items the team gave from its vehicle)."""
    from django.contrib.contenttypes.models import ContentType

    return (
        LedgerEntry.objects.filter(
            issued_for_type=ContentType.objects.get_for_model(FieldIncident), issued_for_id=str(incident.pk)
        )
        .select_related("item", "lot", "location")
        .order_by("item__name", "lot__code")
    )


def incident_vehicles(user: User) -> QuerySet[StockLocation]:
    """The vehicles the user's team may give items from: active vans of the offices where the user records."""
    from .permissions import may_record_incident

    vans = locations_for(user).filter(kind="vehicle", is_active=True)
    offices = {van.office_id for van in vans if may_record_incident(user, van.office_id)}
    return vans.filter(office__in=offices)


def people_met_by_province(user: User) -> dict[str, int]:
    """People the user's offices' mobile teams met, by province of the incident (the map's measure)."""
    rows = (
        FieldIncident.objects.visible_to(user)
        .order_by()
        .values(PROVINCE)
        .annotate(n=Sum("people_met"))
        .values_list(PROVINCE, "n")
    )
    return {pcode: n for pcode, n in rows if pcode and n}


def monthly_figures(user: User, *, months: int = 12) -> dict:
    """Incidents and people met by province by month, over the last `months` months (the figures page)."""
    from django.db.models.functions import TruncMonth

    first = timezone.localdate().replace(day=1)
    for _step in range(months - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    since = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    rows = (
        FieldIncident.objects.visible_to(user)
        .filter(occurred_at__gte=since)
        .annotate(month=TruncMonth("occurred_at"))
        .order_by()
        .values("month", PROVINCE, "district__parent__name_tr")
        .annotate(incidents=Count("id"), people=Sum("people_met"))
    )
    month_keys = []
    day = first
    for _step in range(months):
        month_keys.append(day.strftime("%Y-%m"))
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    provinces: dict[str, dict] = {}
    for row in rows:
        key = row["month"].strftime("%Y-%m")
        entry = provinces.setdefault(
            row[PROVINCE], {"pcode": row[PROVINCE], "name": row["district__parent__name_tr"], "months": {}}
        )
        cell = entry["months"].setdefault(key, {"incidents": 0, "people": 0})
        cell["incidents"] += row["incidents"]
        cell["people"] += row["people"] or 0
    table = []
    for entry in sorted(provinces.values(), key=lambda e: e["name"]):
        cells = [entry["months"].get(key, {"incidents": 0, "people": 0}) for key in month_keys]
        total = {"incidents": sum(c["incidents"] for c in cells), "people": sum(c["people"] for c in cells)}
        table.append({"pcode": entry["pcode"], "name": entry["name"], "cells": cells, "total": total})
    return {"months": month_keys, "provinces": table}


def people_met_by_sex_age(user: User) -> list[dict]:
    """People met by province × month × sex × age group (all time, the user's offices): the HXL export's rows,
    before the minimum cell rule."""
    from django.db.models.functions import TruncMonth

    rows = (
        IncidentGroupCount.objects.visible_to(user)
        .annotate(month=TruncMonth("incident__occurred_at"))
        .order_by()
        .values("month", "incident__district__parent__pcode", "incident__district__parent__name_tr", "sex", "age_group")
        .annotate(n=Sum("count"))
    )
    incidents = (
        FieldIncident.objects.visible_to(user)
        .annotate(month=TruncMonth("occurred_at"))
        .order_by()
        .values("month", PROVINCE)
        .annotate(n=Count("id"))
    )
    table: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = (row["month"].strftime("%Y-%m"), row["incident__district__parent__pcode"])
        entry = table.setdefault(
            key,
            {"month": key[0], "province_pcode": key[1], "province": row["incident__district__parent__name_tr"],
             "incidents": 0, "individuals": 0},
        )  # fmt: skip
        entry[f"{row['sex']}_{row['age_group']}"] = entry.get(f"{row['sex']}_{row['age_group']}", 0) + row["n"]
        entry["individuals"] += row["n"]
    for row in incidents:
        key = (row["month"].strftime("%Y-%m"), row[PROVINCE])
        if key in table:
            table[key]["incidents"] = row["n"]
    return [table[key] for key in sorted(table)]


# --- in-kind distributions ----------------------------------------------------------------------------------


def plans_for(user: User, *, state: str = "", office: str = "") -> QuerySet[DistributionPlan]:
    plans = DistributionPlan.objects.visible_to(user).select_related("office", "warehouse", "site")
    if state:
        plans = plans.filter(state=state)
    if office:
        plans = plans.filter(office__code=office.upper())
    counts = {
        f"n_{state}": Count("entitlements", filter=Q(entitlements__state=state)) for state in EntitlementState.values
    }
    return plans.annotate(n_entitled=Count("entitlements"), **counts).order_by("-starts_on", "-id")


def plan_for(user: User, pk: int) -> DistributionPlan:
    return get_visible_or_404(DistributionPlan.objects.select_related("office", "warehouse", "site"), user, pk=pk)


def plan_progress(plan: DistributionPlan) -> dict:
    """Households by state, and per item what was entitled, received and is still to come."""
    by_state = dict(plan.entitlements.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    lines = (
        EntitlementLine.objects.filter(entitlement__plan=plan)
        .values("item__name")
        .annotate(
            entitled=Sum("quantity"),
            received=Sum("quantity", filter=Q(entitlement__state=EntitlementState.RECEIVED)),
            unclaimed=Sum("quantity", filter=Q(entitlement__state=EntitlementState.UNCLAIMED)),
        )
        .order_by("item__name")
    )
    return {
        "households": {state: by_state.get(state, 0) for state in EntitlementState.values},
        "total": sum(by_state.values()),
        "items": list(lines),
    }


def entitlements_for(user: User, plan: DistributionPlan, *, state: str = "", q: str = "") -> QuerySet[Entitlement]:
    rows = (
        Entitlement.objects.visible_to(user)
        .filter(plan=plan)
        .select_related("household", "household__head", "received_by_person", "recorded_by")
        .prefetch_related("lines__item")
    )
    if state:
        rows = rows.filter(state=state)
    if q:
        rows = rows.filter(household__reference__icontains=q.strip())
    return rows.order_by("household__reference")


def entitlement_for(user: User, plan: DistributionPlan, pk: int) -> Entitlement:
    rows = Entitlement.objects.select_related("plan", "household", "received_by_person", "recorded_by")
    return get_visible_or_404(rows.filter(plan=plan), user, pk=pk)


def _looks_like_phone(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 7 and all(ch.isdigit() or ch in "+ ()-" for ch in text)


def verify_lookup(user: User, plan: DistributionPlan, query: str) -> list[Entitlement]:
    """The plan's entitlements for what was typed or scanned at the site: a household reference (a card's QR
    holds it), else a person's name or phone, matched through the registry's search (what the user may see)."""
    from liman.registry import selectors as registry

    query = query.strip()
    if not query:
        return []
    rows = entitlements_for(user, plan)
    exact = list(rows.filter(household__reference__iexact=query))
    if exact:
        return exact
    terms = registry.SearchTerms(phone=query) if _looks_like_phone(query) else registry.SearchTerms(name=query[:120])
    matches = registry.people_matching(user, terms, limit=20)
    households = [m.person.membership.household_id for m in matches if getattr(m.person, "membership", None)]
    if not households:
        return []
    found = {row.household_id: row for row in rows.filter(household__in=households)}
    return [found[pk] for pk in dict.fromkeys(households) if pk in found]


def plan_sites(user: User, kind: str) -> QuerySet[StockLocation]:
    """Active locations of `kind` in the offices where the user plans distributions."""
    from .permissions import DISTRIBUTION_PLAN_ROLES

    offices = {grant.office_id for grant in active_grants(user) if grant.role in DISTRIBUTION_PLAN_ROLES}
    locations = StockLocation.objects.visible_to(user).filter(kind=kind, is_active=True).select_related("office")
    if not user.is_superuser and None not in offices:
        locations = locations.filter(office__in=offices)
    return locations.order_by("office__code", "name")


def households_for_selection(
    user: User,
    plan: DistributionPlan,
    *,
    district=None,
    min_size: int | None = None,
    max_size: int | None = None,
    references: Iterable[str] = (),
) -> tuple[list, list[str]]:
    """Households of the plan's office the user sees: by the list of references (and the ones not found), or by
    district and size."""
    from liman.registry.models import Household

    households = Household.objects.visible_to(user).filter(office=plan.office_id)
    references = [ref.upper() for ref in references]
    if references:
        found = list(households.filter(reference__in=references))
        known = {h.reference for h in found}
        return found, [ref for ref in references if ref not in known]
    households = households.annotate(size=Count("members"))
    if district is not None:
        households = households.filter(district=district)
    if min_size:
        households = households.filter(size__gte=min_size)
    if max_size:
        households = households.filter(size__lte=max_size)
    return list(households.order_by("reference")), []


def household_receipts(user: User, household_ids: Iterable[int]) -> QuerySet[Entitlement]:
    """What households received (or are entitled to) under distribution plans, for the person page."""
    return (
        Entitlement.objects.visible_to(user)
        .filter(household__in=list(household_ids))
        .select_related("plan", "plan__site", "received_by_person", "recorded_by")
        .prefetch_related("lines__item")
        .order_by("-plan__starts_on")
    )


def visible_heads(user: User, households) -> dict[int, str]:
    """household id -> its head's name, for the heads `user` may see (a protection-tier head stays unnamed)."""
    from liman.registry.models import Person

    heads = {h.head_id: h.pk for h in households if h.head_id}
    people = Person.objects.visible_to(user).filter(pk__in=list(heads)).only("first_name", "father_name", "family_name")
    return {heads[person.pk]: person.full_name for person in people}
