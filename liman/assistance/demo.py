"""Demo stock: a warehouse in every office, hub warehouses in GAZ and HTY, vans for the EDR and IZM mobile teams;
receipts under project codes, transfers to the vans (one still in transit), a year of field incidents at the Aegean
coast and the Meriç river with items issued from the vans, issues for distributions, a count and losses.

Every movement goes through the services, as the pages make them, so the demo carries the ledger, the balances,
the history and the audit trail. Runs once: a database that has stock locations already is left alone.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

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
#: Where each office's mobile team meets groups (district p-codes, docs/domain.md "Border response in practice"):
#: İzmir's team works the Aegean coast from Ayvalık to Kuşadası with the coast guard, Edirne's the Meriç (Evros)
#: river.
INCIDENT_DISTRICTS = {
    "IZM": [
        "TUR010002",
        "TUR035011",
        "TUR035009",
        "TUR035026",
        "TUR009012",
    ],  # Ayvalık Dikili Çeşme Seferihisar Kuşadası
    "EDR": ["TUR022007", "TUR022002", "TUR022004", "TUR022009"],  # Meriç Enez İpsala Uzunköprü
}
#: Nationalities met, with their weight, by border.
INCIDENT_NATIONALITIES = {
    "IZM": [("AFG", 5), ("SYR", 4), ("PSE", 3), ("SOM", 3), ("ERI", 2), ("COD", 2), ("YEM", 2), ("IRQ", 2)],
    "EDR": [("AFG", 6), ("SYR", 4), ("IRQ", 3), ("PSE", 2), ("SOM", 1), ("YEM", 1), ("ERI", 1), ("COD", 1)],
}
#: Incidents per van per month (Edirne has two vans).
INCIDENTS_PER_MONTH = {"IZM": 3, "EDR": 1}


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
    # Stock arrives a little over a year ago, so a year of incidents at the border is issued from it.
    started = now - datetime.timedelta(days=400)

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

    # The mobile teams' vans, loaded from their office's warehouse, then a year of incidents at the border: each
    # van is topped up by a transfer from the warehouse before it runs short.
    vans: list[tuple[str, StockLocation]] = []
    for code, name, plate in VANS:
        if code not in offices:
            continue
        keeper, crew = _user(Role.WAREHOUSE, code), _user(Role.MOBILE_TEAM, code)
        van = services.location_create(
            office=offices[code], name=name, kind=LocationKind.VEHICLE, vehicle_plate=plate, by=keeper
        )
        vans.append((code, van))
        for number, (item_code, units) in enumerate(VAN_LOAD):
            _load(
                van,
                warehouses[code],
                catalogue[item_code],
                units,
                keeper,
                crew,
                started + datetime.timedelta(days=30 + number),
            )
    _seed_incidents(rng, vans, warehouses, catalogue, now)
    # The last load of each van is still on the road.
    for code, van in vans:
        keeper = _user(Role.WAREHOUSE, code)
        item = catalogue["FIRST-AID"]
        services.transfer_dispatch(
            from_location=warehouses[code], to_location=van, item=item, lot=_first_lot(warehouses[code], item),
            quantity=2, by=keeper, note="Van load", at=now - datetime.timedelta(hours=5),
        )  # fmt: skip

    # Distributions to registered households: IST's winter NFI round, closed (what was not collected came back),
    # and its food round, open today at the site with some households served.
    if "IST" in warehouses:
        _seed_distributions(rng, offices["IST"], warehouses["IST"], catalogue, now)

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


def _load(van, warehouse, item, units, keeper, crew, when) -> None:
    """Top the van up with `units` of `item` from its warehouse (received there the same day); the warehouse is
    restocked by a receipt first when it holds too few."""
    on_hand = sum(take for _lot, take in _fefo(warehouse, item, None))
    # The warehouse keeps a reserve for its own work (distributions, counts) after loading the van.
    if on_hand < units + 50:
        lot_code, expires_on = "", None
        if item.tracks_lots:
            lot_code = f"L-{warehouse.office.code}-{item.code[:3]}-{when:%y%m%d}"
            expires_on = timezone.localdate() + datetime.timedelta(days=400)
        services.stock_receive(
            location=warehouse, item=item, quantity=units * 4, project_code=PROJECT_CODES[0], lot_code=lot_code,
            expires_on=expires_on, supplier="Framework agreement", by=keeper, at=when - datetime.timedelta(days=1),
        )  # fmt: skip
    for lot, quantity in _fefo(warehouse, item, units):
        transfer = services.transfer_dispatch(
            from_location=warehouse, to_location=van, item=item, lot=lot, quantity=quantity, by=keeper,
            note="Van load", at=when,
        )  # fmt: skip
        services.transfer_receive(transfer=transfer, by=crew, at=when + datetime.timedelta(hours=2))


def _split(rng: random.Random, people: int, weights: dict) -> dict:
    """`people` spread over the keys of `weights` at random, in proportion."""
    keys = list(weights)
    counts = dict.fromkeys(keys, 0)
    for key in rng.choices(keys, weights=[weights[k] for k in keys], k=people):
        counts[key] += 1
    return counts


#: Who is in a group met at the border: many children, few elderly.
GROUP_SHARES = {("f", "0_4"): 6, ("m", "0_4"): 6, ("f", "5_17"): 12, ("m", "5_17"): 15, ("f", "18_59"): 20,
                ("m", "18_59"): 38, ("f", "60"): 1, ("m", "60"): 2}  # fmt: skip


def _seed_incidents(rng, vans, warehouses, catalogue, now) -> None:
    from liman.core.models import AdminArea

    districts = {area.pcode: area for area in AdminArea.objects.filter(pcode__in=sum(INCIDENT_DISTRICTS.values(), []))}
    gazetteer = _district_points()
    for code, van in vans:
        keeper, crew = _user(Role.WAREHOUSE, code), _user(Role.MOBILE_TEAM, code)
        whens = sorted(
            now - datetime.timedelta(days=rng.uniform(0.5, 364), hours=rng.randint(0, 23))
            for _n in range(12 * INCIDENTS_PER_MONTH[code])
        )
        for when in whens:
            sea = code == "IZM"
            people = rng.choice([rng.randint(3, 9), rng.randint(10, 40), rng.randint(10, 40), rng.randint(40, 130)])
            nationalities = rng.choices(
                [n for n, _w in INCIDENT_NATIONALITIES[code]], weights=[w for _n, w in INCIDENT_NATIONALITIES[code]],
                k=rng.randint(1, 3),
            )  # fmt: skip
            groups = []
            for nationality, share in _split(rng, people, dict.fromkeys(set(nationalities), 1)).items():
                for (sex, age), count in _split(rng, share, GROUP_SHARES).items():
                    if count:
                        groups.append((sex, age, nationality, count))
            children = sum(c for _s, age, _n, c in groups if age in ("0_4", "5_17"))
            women = sum(c for sex, age, _n, c in groups if sex == "f" and age != "0_4")
            infants = sum(c for _s, age, _n, c in groups if age == "0_4")
            injured = rng.randint(0, max(1, people // 15))
            items = [("WATER-1L5", people), ("FOOD-PACK", people)]
            if sea:
                items += [("BLANKET", min(people, 50)), ("CLOTH-SET", min(people // 2, 30))]
            elif when.month in (11, 12, 1, 2, 3):
                items.append(("BLANKET", min(people, 50)))
            if infants:
                items.append(("BABY-KIT", min(infants, 15)))
            if women:
                items.append(("HYG-KIT", min(women, 30)))
            if injured:
                items.append(("FIRST-AID", 1))
            items = [(catalogue[item_code], quantity) for item_code, quantity in items if quantity]
            for item, quantity in items:
                if sum(take for _lot, take in _fefo(van, item, None)) < quantity:
                    load = max(quantity, 3 * dict(VAN_LOAD)[item.code])
                    _load(van, warehouses[code], item, load, keeper, crew, when - datetime.timedelta(hours=6))
            district = districts[rng.choice(INCIDENT_DISTRICTS[code])]
            lat, lon = gazetteer[district.pcode]
            # At sea the boat is met a few kilometres off the coast, to the west; on land, near the river.
            lon -= rng.uniform(0.05, 0.2) if sea else rng.uniform(-0.05, 0.05)
            lat += rng.uniform(-0.05, 0.05)
            referred_to_health = min(injured, rng.randint(0, 2))
            referred_to_case = rng.randint(0, min(2, children))
            services.incident_record(
                office=van.office,
                vehicle=van,
                occurred_at=when,
                district=district,
                latitude=Decimal(f"{lat:.5f}"),
                longitude=Decimal(f"{lon:.5f}"),
                terrain="sea" if sea else "land",
                authority=(
                    "coast_guard" if sea else rng.choice(["gendarmerie", "gendarmerie", "gendarmerie", "police"])
                ),
                how_met=(
                    rng.choice(["rescue_at_sea", "interception", "interception"])
                    if sea
                    else rng.choice(["apprehension", "apprehension", "interception", "self_presentation"])
                ),
                group_counts=groups,
                items=items,
                services_given={
                    "interpretation": people,
                    "information": people,
                    "first_aid": injured + rng.randint(0, 3),
                    "psychosocial": rng.randint(0, max(1, people // 8)),
                    "referral": referred_to_health + referred_to_case,
                },
                unaccompanied_children=rng.randint(0, min(3, children)) if rng.random() < 0.3 else 0,
                pregnant_women=rng.randint(0, min(2, women)),
                injured=injured,
                with_disability=rng.randint(0, 1),
                referred_to_case=referred_to_case,
                referred_to_health=referred_to_health,
                referred_to_pmm=people,
                referral_note="Group handed over to the PMM removal centre" if not sea else "Handed over to the PMM",
                note="Met with the coast guard after the boat was stopped" if sea else "Met near the Meriç river",
                by=crew,
            )


def _district_points() -> dict[str, tuple[float, float]]:
    """The centre of each district (the COD-AB gazetteer shipped with core)."""
    import csv
    from pathlib import Path

    import liman.core

    path = Path(liman.core.__file__).parent / "data" / "geo" / "tur_adm2_gazetteer.csv"
    with path.open(encoding="utf-8") as rows:
        return {row["adm2_pcode"]: (float(row["lat"]), float(row["lon"])) for row in csv.DictReader(rows)}


def _first_lot(location: StockLocation, item: Item) -> StockLot | None:
    if not item.tracks_lots:
        return None
    plan = _fefo(location, item, None)
    return plan[0][0] if plan else None


def _fefo(location: StockLocation, item: Item, quantity: int | None) -> list[tuple[StockLot | None, int]]:
    from .selectors import fefo_suggestion

    return [(balance.lot, take) for balance, take in fefo_suggestion(location, item, quantity)]


def _seed_distributions(rng: random.Random, office: Office, warehouse: StockLocation, catalogue, now) -> None:
    from django.db.models import Count

    from liman.registry.models import Household

    keeper, clerk = _user(Role.WAREHOUSE, office.code), _user(Role.DISTRIBUTION, office.code)
    site = services.location_create(
        office=office, name="Esenyurt distribution point", kind=LocationKind.SITE, by=keeper
    )
    households = list(
        Household.objects.filter(office=office).annotate(size=Count("members")).filter(size__gt=0).order_by("pk")
    )
    if not households:
        return
    rng.shuffle(households)
    today = timezone.localdate()
    rounds = [
        # (name, first day, bands, households, share collected, closed)
        ("Winter NFI round", today - datetime.timedelta(days=75),
         [("BLANKET", 1, 3, 2), ("BLANKET", 4, None, 4), ("HYG-KIT", 1, None, 1)], households[:120], 0.85, True),
        ("Food parcels, December", today,
         [("FOOD-PARCEL", 1, 4, 1), ("FOOD-PARCEL", 5, None, 2), ("HYG-KIT", 1, None, 1)], households[120:300], 0.4,
         False),
    ]  # fmt: skip
    for name, first_day, bands, entitled, share, closed in rounds:
        if not entitled:
            continue  # a small registry (a test's seed) has no households for the second round
        needed: dict[str, int] = {}
        plan = services.distribution_plan_create(
            office=office, name=name, project_code=PROJECT_CODES[1], warehouse=warehouse, site=site,
            starts_on=first_day, ends_on=first_day + datetime.timedelta(days=2),
            items=[(catalogue[code], low, high, quantity) for code, low, high, quantity in bands], by=clerk,
        )  # fmt: skip
        services.distribution_select(plan=plan, households=entitled, selection="Registered in Esenyurt", by=clerk)
        for code, total in services.distribution_totals(plan).items():
            needed[code] = total
        if not needed:
            continue  # no household of a size the plan serves: it stays planned
        # Top the warehouse up when the round needs more than it holds.
        for item_id, total in needed.items():
            item = next(i for i in catalogue.values() if i.pk == item_id)
            on_hand = sum(take for _lot, take in _fefo(warehouse, item, None))
            if on_hand < total:
                lot_code, expires_on = "", None
                if item.tracks_lots:
                    lot_code = f"L-{office.code}-{item.code[:3]}-D{plan.pk}"
                    expires_on = today + datetime.timedelta(days=500)
                services.stock_receive(
                    location=warehouse, item=item, quantity=total - on_hand + 100, project_code=PROJECT_CODES[1],
                    lot_code=lot_code, expires_on=expires_on, supplier="Framework agreement", by=keeper,
                    at=now - datetime.timedelta(days=90),
                )  # fmt: skip
        start = timezone.make_aware(datetime.datetime.combine(first_day, datetime.time(9, 0)))
        sent = min(start - datetime.timedelta(hours=2), now - datetime.timedelta(hours=3))
        for transfer in services.distribution_open(plan=plan, by=keeper, at=sent):
            services.transfer_receive(transfer=transfer, by=clerk, at=sent + datetime.timedelta(minutes=50))
        served = plan.entitlements.select_related("household__head", "plan").order_by("pk")
        for number, entitlement in enumerate(served):
            if rng.random() > share:
                continue
            when = min(start + datetime.timedelta(minutes=3 * number), now - datetime.timedelta(minutes=5))
            head = entitlement.household.head
            if head is not None and rng.random() < 0.9:
                services.distribution_receive(entitlement=entitlement, received_by_person=head, by=clerk, at=when)
            else:
                services.distribution_receive(
                    entitlement=entitlement, received_by_name=rng.choice(["Neighbour (letter)", "Eldest son"]),
                    by=clerk, at=when,
                )  # fmt: skip
        if closed:
            back = start + datetime.timedelta(days=2, hours=8)
            for transfer in services.distribution_close(plan=plan, by=clerk, at=back):
                services.transfer_receive(transfer=transfer, by=keeper, at=back + datetime.timedelta(hours=1))
