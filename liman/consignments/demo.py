"""Demo consignments: a year of cross-border consignments from the Reyhanlı (HTY) and Kilis road (GAZ) hubs to two
partner organisations in Northwest Syria, one in every state, with trucks, crossing checks (one truck held then
cleared, one consignment whose trucks went back), handovers with transit losses, and the partners' distribution
reports by sub-district.

Two partner organisations each get one demo partner user (`partner.shp`, `partner.narc`: the part after the dot is
the organisation's acronym, not an office), with the partner role in both hub offices and the demo password.
Everything goes through the services, as the pages do. Runs once: a database that has consignments is left alone.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from liman.assistance import services as stock
from liman.assistance.demo import HUBS, PROJECT_CODES
from liman.assistance.models import Item, StockBalance, StockLocation
from liman.cases import services as cases
from liman.cases.choices import PartnerKind
from liman.cases.models import PartnerOrganisation
from liman.core.choices import Role
from liman.core.demo import DEMO_PASSWORD, demo_username
from liman.core.models import Office, User
from liman.core.services import role_grant_add, user_create

from . import services
from .choices import BorderCrossing, ConsignmentState, CrossingOutcome
from .models import Consignment
from .rules import SADD_CELLS

#: The demo partners: (name, acronym, user name of its partner user, where it receives the goods).
PARTNERS = [
    ("Sham Humanitarian Partners", "SHP", "partner.shp", "SHP warehouse, Sarmada (Dana sub-district)"),
    ("North Aleppo Relief Coalition", "NARC", "partner.narc", "NARC warehouse, A'zaz"),
]
#: Where each partner distributes: sub-districts of Idleb and northern Aleppo (OCHA COD-AB Syria admin-3 p-codes).
SUBDISTRICTS = {
    "SHP": [("Dana", "SY070301"), ("Salqin", "SY070303"), ("Armanaz", "SY070305"), ("Darkosh", "SY070403"),
            ("Jisr-Ash-Shugur", "SY070400")],
    "NARC": [("A'zaz", "SY020300"), ("Mare'", "SY020302"), ("Afrin", "SY020400"), ("Jandairis", "SY020402"),
             ("Jarablus", "SY020500")],
}  # fmt: skip
#: Each hub's crossings, its partner, and the plate prefix of its hauliers (Hatay 31, Gaziantep 27).
HUB_ROUTES = {
    "HTY": ([BorderCrossing.CILVEGOZU], "SHP", "31"),
    "GAZ": ([BorderCrossing.ONCUPINAR, BorderCrossing.COBANBEY, BorderCrossing.KARKAMIS], "NARC", "27"),
}
#: The consignments of each hub, oldest first: the state each is taken to (every state appears at both hubs), and
#: the day it leaves the hub, counted from today (the last two are still to leave).
S = ConsignmentState
SCHEDULE = [
    (S.REPORTED, -350), (S.REPORTED, -310), (S.RETURNED, -270), (S.REPORTED, -230), (S.CANCELLED, -190),
    (S.REPORTED, -150), (S.REPORTED, -100), (S.REPORTED, -55), (S.HANDED_OVER, -12), (S.CLEARED, -3),
    (S.HELD, -2), (S.DISPATCHED, -1), (S.LOADED, 2), (S.PLANNED, 6),
]  # fmt: skip
#: What one truck carries of an item (a 13.6 m trailer).
TRUCK_LOADS = {"NFI-KIT": 400, "TARP": 800, "TENT": 120, "SHELTER-KIT": 250, "WINTER-KIT": 350}
WINTER_MONTHS = (10, 11, 12, 1, 2, 3)
DRIVERS = ["Mehmet Aydın", "Halil Demir", "Ahmad Al-Ali", "Yusuf Kaya", "Mahmoud Hamdan", "İbrahim Çelik",
           "Khaled Al-Omar", "Hasan Yıldız", "Mustafa Koç", "Omar Haddad"]  # fmt: skip
#: Household size in Northwest Syria's camps and host communities (about five), and who the people reached are.
HOUSEHOLD_SIZE = (4.6, 5.8)
PEOPLE_SHARES = {("f", "0_4"): 8, ("m", "0_4"): 8, ("f", "5_17"): 14, ("m", "5_17"): 15, ("f", "18_59"): 24,
                 ("m", "18_59"): 22, ("f", "60"): 5, ("m", "60"): 4}  # fmt: skip
LOSS_REASONS = [
    ("damaged", "Boxes crushed when the load shifted on the road after the crossing"),
    ("missing", "Short on arrival; the seal was intact, counted short at loading"),
    ("stolen", "Taken at an informal checkpoint on the way to the warehouse"),
    ("spoiled", "Soaked by rain through a torn tarpaulin cover"),
]


def _user(role: str, code: str) -> User:
    return User.objects.get(username=demo_username(role, code))


def partner_logins() -> list[str]:
    """What `liman seed` prints about the cross-border partners' logins."""
    users = [username for _name, _acronym, username, _destination in PARTNERS]
    if not User.objects.filter(username__in=users).exists():
        return []
    return [
        f"  Cross-border partners (see only their organisation's consignments): {', '.join(users)},",
        f"    password {DEMO_PASSWORD}",
    ]


def _partners(offices: dict[str, Office], rng: random.Random) -> dict[str, PartnerOrganisation]:
    found = {}
    for name, acronym, username, _destination in PARTNERS:
        organisation = PartnerOrganisation.objects.filter(name=name).first() or cases.partner_organisation_create(
            name=name, acronym=acronym, kind=PartnerKind.NGO, by=None
        )
        user = User.objects.filter(username=username).first() or user_create(
            username=username,
            password=DEMO_PASSWORD,
            first_name=rng.choice(["Rania", "Omar", "Nour", "Yusuf"]),
            last_name=rng.choice(["Al-Hassan", "Haddad", "Al-Khatib", "Darwish"]),
            email=f"{username}@partner.example",
            by=None,
        )
        # The partner works with both hubs: its user holds the partner role in each hub's office.
        for office in offices.values():
            role_grant_add(user=user, role=Role.PARTNER, office=office, by=None)
        if not organisation.members.filter(pk=user.pk).exists():
            cases.partner_member_add(organisation=organisation, user=user, by=None)
        found[acronym] = organisation
    return found


def seed_consignments(rng: random.Random, seed: int) -> None:
    if Consignment.objects.exists():
        return
    offices = {office.code: office for office in Office.objects.filter(code__in=HUB_ROUTES)}
    hubs = {
        hub.office.code: hub
        for hub in StockLocation.objects.filter(name__in=HUBS.values(), office__in=offices.values()).select_related(
            "office"
        )
    }
    if not hubs:
        return
    partners = _partners(offices, rng)
    catalogue = {item.code: item for item in Item.objects.filter(code__in=TRUCK_LOADS)}
    today = timezone.localdate()
    for code, hub in sorted(hubs.items()):
        crossings, usual_partner, plate_prefix = HUB_ROUTES[code]
        _Hub(rng, hub, partners, usual_partner, crossings, plate_prefix, catalogue, today).seed()


class _Hub:
    """A year of one hub's consignments, each taken to its state in `SCHEDULE` through the services."""

    def __init__(self, rng, hub, partners, usual_partner, crossings, plate_prefix, catalogue, today):
        self.rng, self.hub, self.partners, self.catalogue = rng, hub, partners, catalogue
        self.usual_partner, self.crossings, self.plate_prefix, self.today = (
            usual_partner,
            crossings,
            plate_prefix,
            today,
        )
        code = hub.office.code
        self.keeper = _user(Role.WAREHOUSE, code)
        self.monitor = _user(Role.PROGRAMME_OFFICER, code)
        self.supervisor = _user(Role.SUPERVISOR, code)
        self.reporters = {
            acronym: User.objects.get(username=username) for _name, acronym, username, _destination in PARTNERS
        }
        self.destinations = {acronym: destination for _name, acronym, _username, destination in PARTNERS}

    def seed(self) -> None:
        for index, (target, days) in enumerate(SCHEDULE):
            # One consignment of each hub goes to the other partner (a partner receives from both hubs).
            acronym = self.usual_partner if index != 3 else next(a for a in self.partners if a != self.usual_partner)
            planned_on = self.today + datetime.timedelta(days=days + self.rng.randint(-3, 3) * (days < -20))
            self.consignment(target, planned_on, acronym, held_then_cleared=index == 1)

    def consignment(self, target: str, planned_on: datetime.date, acronym: str, *, held_then_cleared: bool) -> None:
        rng = self.rng
        consignment = services.consignment_plan(
            hub=self.hub, partner=self.partners[acronym], crossing=rng.choice(self.crossings),
            destination=self.destinations[acronym], planned_on=planned_on, project_code=rng.choice(PROJECT_CODES),
            note="Shelter and NFI response, Northwest Syria" if planned_on.month not in WINTER_MONTHS
            else "Winterisation response, Northwest Syria", by=self.keeper,
        )  # fmt: skip
        trucks = []
        for number in range(rng.randint(2, 4)):
            trucks.append(self.truck(consignment, number, planned_on))
        if target == S.PLANNED:
            return
        if target == S.CANCELLED:
            services.consignment_cancel(
                consignment=consignment, by=self.keeper, reason="The partner's warehouse was damaged; re-planned."
            )
            return
        services.consignment_loaded(consignment=consignment, by=self.keeper)
        if target == S.LOADED:
            return
        leaves = timezone.make_aware(datetime.datetime.combine(planned_on, datetime.time(6, 30)))
        self.restock(consignment, leaves)
        services.consignment_dispatch(consignment=consignment, by=self.keeper, at=leaves)
        if target == S.DISPATCHED:
            return
        at_crossing = leaves + datetime.timedelta(hours=3)
        if target == S.RETURNED:
            for truck in trucks:
                services.crossing_check(
                    truck=truck, seals_intact=True, outcome=CrossingOutcome.HELD, by=self.monitor, at=at_crossing,
                    reason="Crossing closed for the day after shelling near the border gate",
                )  # fmt: skip
            for truck in trucks:
                services.truck_return(
                    truck=truck, reason="The crossing stayed closed; load taken back to the hub", by=self.keeper,
                    at=at_crossing + datetime.timedelta(hours=20),
                )  # fmt: skip
            return
        for position, truck in enumerate(trucks):
            held = (target == S.HELD and position == 0) or (held_then_cleared and position == len(trucks) - 1)
            if held:
                services.crossing_check(
                    truck=truck, seals_intact=False, seals_found=truck.seals[0], outcome=CrossingOutcome.HELD,
                    reason="One seal missing on the rear doors; the truck waits for a customs inspection",
                    by=self.monitor, at=at_crossing,
                )  # fmt: skip
                if target == S.HELD:
                    continue
                services.crossing_check(
                    truck=truck, seals_intact=True, outcome=CrossingOutcome.CLEARED, by=self.supervisor,
                    reason="Inspected by customs with the monitor present; resealed", seals_found=truck.seal_numbers,
                    at=at_crossing + datetime.timedelta(hours=26),
                )  # fmt: skip
            else:
                services.crossing_check(
                    truck=truck, seals_intact=True, outcome=CrossingOutcome.CLEARED, by=self.monitor, at=at_crossing
                )
        if target in (S.HELD, S.CLEARED):
            return
        received = []
        for truck in trucks:
            for line in truck.lines.select_related("item"):
                if rng.random() < 0.2:
                    kind, reason = rng.choice(LOSS_REASONS)
                    received.append(
                        services.Received(line, line.quantity - rng.randint(2, 12), loss_reason_kind=kind,
                                          loss_reason=reason)
                    )  # fmt: skip
                else:
                    received.append(services.Received(line, line.quantity))
        services.handover_record(
            consignment=consignment, received=received, received_by_name=rng.choice(
                ["Abdulkarim Al-Saleh", "Hiba Qassem", "Mohammad Al-Hamoud", "Samer Jabr"]
            ), place=consignment.destination, handed_over_at=leaves + datetime.timedelta(days=2, hours=2),
            by=self.monitor,
        )  # fmt: skip
        if target == S.HANDED_OVER:
            return
        services.report_submit(
            consignment=consignment, lines=self.report_lines(consignment, acronym), by=self.reporters[acronym],
            note="Distributed with the local councils' lists; PDM planned next month",
        )  # fmt: skip

    def truck(self, consignment, number: int, planned_on: datetime.date):
        rng = self.rng
        winter = planned_on.month in WINTER_MONTHS
        codes = ["WINTER-KIT", "NFI-KIT", "TARP"] if winter else ["NFI-KIT", "TARP", "TENT", "SHELTER-KIT"]
        first = rng.choice(codes)
        lines = [services.LoadLine(self.catalogue[first], TRUCK_LOADS[first])]
        if rng.random() < 0.4:  # a mixed load: half of each
            second = rng.choice([code for code in codes if code != first])
            lines = [
                services.LoadLine(self.catalogue[first], TRUCK_LOADS[first] // 2),
                services.LoadLine(self.catalogue[second], TRUCK_LOADS[second] // 2),
            ]
        letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVYZ") for _n in range(rng.choice([2, 3])))
        plate = f"{self.plate_prefix} {letters} {rng.randint(100, 999)}"
        seal = rng.randint(100000, 899999)
        prefix = f"TR-{self.hub.office.code}"
        return services.truck_add(
            consignment=consignment, plate=plate, driver_name=rng.choice(DRIVERS),
            seal_numbers=[f"{prefix}-{seal}", f"{prefix}-{seal + 1}"], lines=lines, by=self.keeper,
        )  # fmt: skip

    def restock(self, consignment: Consignment, when: datetime.datetime) -> None:
        """The hub is replenished (UNHRD Dubai) ahead of a dispatch it could not cover."""
        from django.db.models import Sum

        from .models import TruckLine

        needed = (
            TruckLine.objects.filter(truck__consignment=consignment).values("item_id").annotate(units=Sum("quantity"))
        )
        for row in needed:
            item = Item.objects.get(pk=row["item_id"])
            held = StockBalance.objects.filter(location=self.hub, item=item).aggregate(n=Sum("quantity"))["n"] or 0
            if held < row["units"]:
                stock.stock_receive(
                    location=self.hub, item=item, quantity=max(row["units"] * 3, 1000), supplier="UNHRD Dubai",
                    project_code=consignment.project_code, by=self.keeper, at=when - datetime.timedelta(days=9),
                )  # fmt: skip

    def report_lines(self, consignment, acronym: str) -> list[services.ReportLineInput]:
        """The received goods spread over a few of the partner's sub-districts, one item per household."""
        rng = self.rng
        received = services.received_by_item(consignment)
        places = rng.sample(SUBDISTRICTS[acronym], rng.randint(2, 4))
        shares = [rng.uniform(0.6, 1.4) for _place in places]
        lines = []
        for (name, pcode), share in zip(places, shares, strict=True):
            items = {}
            for code, units in received.items():
                # Most of what arrived is given out; the rest waits in the partner's warehouse for the next round.
                items[code] = int(units * 0.95 * share / sum(shares))
            households = max(1, max(items.values()))
            people = int(households * rng.uniform(*HOUSEHOLD_SIZE))
            sadd = dict.fromkeys(SADD_CELLS, 0)
            for cell in rng.choices(list(PEOPLE_SHARES), weights=list(PEOPLE_SHARES.values()), k=people):
                sadd[cell] += 1
            lines.append(
                services.ReportLineInput(
                    subdistrict_name=name,
                    subdistrict_pcode=pcode,
                    households=households,
                    people=people,
                    sadd=sadd,
                    items=items,
                )  # fmt: skip
            )
        return lines
