"""Demo stock: a warehouse in every office, hub warehouses in GAZ and HTY, vans for the EDR and IZM mobile teams;
receipts under project codes, transfers to the vans (one still in transit), issues, a count and losses.

Every movement goes through the services, as the pages make them, so the demo carries the ledger, the balances,
the history and the audit trail. Runs once: a database that has stock locations already is left alone.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from liman.core.choices import Role
from liman.core.demo import demo_username
from liman.core.models import Office, User

from . import services
from .choices import LocationKind, LossReason
from .models import Item, StockLocation, StockLot

WAREHOUSE_NAMES = {
    "ANK": "Ankara central warehouse",
    "IST": "İstanbul warehouse (Esenyurt)",
    "IZM": "İzmir warehouse (Çiğli)",
    "EDR": "Edirne warehouse",
    "GAZ": "Gaziantep warehouse",
    "HTY": "Hatay warehouse (Antakya)",
    "SUR": "Şanlıurfa warehouse",
    "VAN": "Van warehouse",
}
HUBS = {"GAZ": "Kilis road cross-border hub", "HTY": "Reyhanlı cross-border hub"}
#: The mobile teams' vans: (office, name, plate).
VANS = [("EDR", "Edirne van 1", "22 LM 101"), ("EDR", "Edirne van 2", "22 LM 102"), ("IZM", "İzmir van 1", "35 LM 201")]
PROJECT_CODES = ["TUR-ECHO-2026-011", "TUR-BPRM-2025-047", "TUR-GFFO-2026-003", "TUR-FCDO-2025-019"]
#: What each kind of location is stocked with: (item code, units per receipt).
WAREHOUSE_STOCK = [
    ("FOOD-PARCEL", 400), ("HYG-KIT", 600), ("DIG-KIT", 300), ("BABY-KIT", 200), ("BLANKET", 800),
    ("CLOTH-SET", 300), ("WATER-1L5", 2400), ("FOOD-PACK", 1200), ("FIRST-AID", 60),
]  # fmt: skip
HUB_STOCK = [("SHELTER-KIT", 1500), ("TARP", 4000), ("TENT", 600), ("NFI-KIT", 2000), ("WINTER-KIT", 1800)]
VAN_LOAD = [("WATER-1L5", 240), ("FOOD-PACK", 120), ("HYG-KIT", 40), ("BABY-KIT", 20), ("BLANKET", 60),
            ("CLOTH-SET", 40), ("FIRST-AID", 6)]  # fmt: skip
INCIDENT_PURPOSES = [
    "Interception near the Meriç river, {n} people met with the gendarmerie",
    "Rescue at sea off Dikili, {n} people met with the coast guard",
    "Apprehension at Ayvalık, {n} people met with the police",
]


def _user(role: str, code: str) -> User:
    return User.objects.get(username=demo_username(role, code))


def seed_assistance(rng: random.Random, seed: int) -> None:
    if StockLocation.objects.exists():
        return
    offices = {office.code: office for office in Office.objects.filter(code__in=WAREHOUSE_NAMES)}
    if not offices:
        return
    catalogue = {item.code: item for item in Item.objects.all()}
    now = timezone.now()
    today = timezone.localdate()
    started = now - datetime.timedelta(days=120)

    def lot_for(item: Item, code: str) -> tuple[str, datetime.date | None]:
        if not item.tracks_lots:
            return "", None
        # Most lots keep a year or more; one in five expires within the next two months (flagged on the page).
        days = rng.choice([30, 45]) if rng.random() < 0.2 else rng.randint(240, 720)
        return f"L-{code}-{item.code[:3]}-{rng.randint(100, 999)}", today + datetime.timedelta(days=days)

    warehouses: dict[str, StockLocation] = {}
    for code, office in sorted(offices.items()):
        keeper = _user(Role.WAREHOUSE, code)
        warehouse = services.location_create(office=office, name=WAREHOUSE_NAMES[code], by=keeper)
        warehouses[code] = warehouse
        stock = list(WAREHOUSE_STOCK)
        if code in HUBS:
            hub = services.location_create(office=office, name=HUBS[code], by=keeper)
            for item_code, units in HUB_STOCK:
                services.stock_receive(
                    location=hub, item=catalogue[item_code], quantity=units, project_code=rng.choice(PROJECT_CODES),
                    supplier="UNHRD Dubai", by=keeper, at=started + datetime.timedelta(days=rng.randint(0, 20)),
                )  # fmt: skip
        for item_code, units in stock:
            item = catalogue[item_code]
            lot_code, expires_on = lot_for(item, code)
            services.stock_receive(
                location=warehouse, item=item, quantity=units + rng.randint(0, 10) * 10,
                project_code=rng.choice(PROJECT_CODES), lot_code=lot_code, expires_on=expires_on,
                supplier=rng.choice(["Local supplier (tender 2026/04)", "In-kind donation", "Framework agreement"]),
                by=keeper, at=started + datetime.timedelta(days=rng.randint(0, 25)),
            )  # fmt: skip

    # The mobile teams' vans, loaded from their office's warehouse; the last load of each van is still on the road.
    for code, name, plate in VANS:
        if code not in offices:
            continue
        keeper, crew = _user(Role.WAREHOUSE, code), _user(Role.MOBILE_TEAM, code)
        van = services.location_create(
            office=offices[code], name=name, kind=LocationKind.VEHICLE, vehicle_plate=plate, by=keeper
        )
        for number, (item_code, units) in enumerate(VAN_LOAD):
            item = catalogue[item_code]
            lot = _first_lot(warehouses[code], item)
            dispatched = started + datetime.timedelta(days=30 + number)
            transfer = services.transfer_dispatch(
                from_location=warehouses[code], to_location=van, item=item, lot=lot, quantity=units, by=keeper,
                note="Van load", at=dispatched,
            )  # fmt: skip
            if number < len(VAN_LOAD) - 1:
                services.transfer_receive(transfer=transfer, by=crew, at=dispatched + datetime.timedelta(hours=3))
        # Issues from the van at incidents (the incident records come with the field-incident module).
        for day in range(8):
            people = rng.randint(4, 60)
            purpose = rng.choice(INCIDENT_PURPOSES).format(n=people)
            when = started + datetime.timedelta(days=45 + day * 9, hours=rng.randint(0, 20))
            for item_code in rng.sample(["WATER-1L5", "FOOD-PACK", "BLANKET", "HYG-KIT"], 2):
                item = catalogue[item_code]
                plan = _fefo(van, item, min(people, 20))
                for lot, quantity in plan:
                    services.stock_issue(
                        location=van, item=item, lot=lot, quantity=quantity, purpose=purpose, by=crew, at=when
                    )

    # Office distributions from the warehouses (distribution records come with the distribution module).
    for code in ("IST", "GAZ", "HTY"):
        if code not in warehouses:
            continue
        clerk = _user(Role.DISTRIBUTION, code)
        for round_number in range(3):
            when = started + datetime.timedelta(days=60 + round_number * 14)
            for item_code in ("FOOD-PARCEL", "HYG-KIT"):
                item = catalogue[item_code]
                for lot, quantity in _fefo(warehouses[code], item, rng.randint(40, 90)):
                    services.stock_issue(
                        location=warehouses[code], item=item, lot=lot, quantity=quantity, by=clerk, at=when,
                        purpose=f"{code} food and hygiene distribution, round {round_number + 1}",
                    )  # fmt: skip

    # A count with a variance, a loss written off by a second person, and one waiting for approval.
    if "IST" in warehouses:
        item = catalogue["BLANKET"]
        balance = warehouses["IST"].balances.get(item=item)
        services.stock_count(
            location=warehouses["IST"], item=item, counted_quantity=balance.quantity - 12,
            note="Quarterly count: 12 blankets short", by=_user(Role.WAREHOUSE, "IST"),
        )  # fmt: skip
        loss = services.loss_report(
            location=warehouses["IST"], item=catalogue["DIG-KIT"], quantity=15, reason_kind=LossReason.SPOILED,
            reason="Roof leak in bay 3 soaked one pallet", by=_user(Role.WAREHOUSE, "IST"),
        )  # fmt: skip
        services.loss_approve(loss=loss, by=_user(Role.SUPERVISOR, "IST"), note="Photos on file")
    if "IZM" in warehouses:
        services.loss_report(
            location=warehouses["IZM"], item=catalogue["CLOTH-SET"], quantity=8, reason_kind=LossReason.DAMAGED,
            reason="Torn packaging after unloading", by=_user(Role.WAREHOUSE, "IZM"),
        )  # fmt: skip


def _first_lot(location: StockLocation, item: Item) -> StockLot | None:
    if not item.tracks_lots:
        return None
    plan = _fefo(location, item, None)
    return plan[0][0] if plan else None


def _fefo(location: StockLocation, item: Item, quantity: int | None) -> list[tuple[StockLot | None, int]]:
    from .selectors import fefo_suggestion

    return [(balance.lot, take) for balance, take in fefo_suggestion(location, item, quantity)]
