import datetime

import pytest
from django.utils import timezone

from liman.assistance import services as stock
from liman.assistance.models import Item
from liman.cases import services as cases
from liman.consignments import services
from liman.consignments.choices import BorderCrossing, ConsignmentState, CrossingOutcome
from liman.consignments.models import TruckLine
from liman.core.choices import Role
from liman.core.models import AdminArea
from tests.factories import OfficeFactory, staff


@pytest.fixture
def gaziantep(db):
    return OfficeFactory(code="GAZ", name="Gaziantep Sub-Office", province=AdminArea.objects.get(pcode="TUR027"))


@pytest.fixture
def tents(db) -> Item:
    return Item.objects.get(code="TENT")  # not tracked by lot


@pytest.fixture
def tarps(db) -> Item:
    return Item.objects.get(code="TARP")


@pytest.fixture
def kits(db) -> Item:
    return Item.objects.get(code="HYG-KIT")  # tracked by lot and expiry


@pytest.fixture
def keeper(gaziantep):
    return staff(Role.WAREHOUSE, gaziantep, username="warehouse.gaz")


@pytest.fixture
def monitor(gaziantep):
    return staff(Role.PROGRAMME_OFFICER, gaziantep, username="programme-officer.gaz")


@pytest.fixture
def hub(gaziantep, keeper, tents, tarps):
    hub = stock.location_create(office=gaziantep, name="Kilis road cross-border hub", by=keeper)
    stock.stock_receive(location=hub, item=tents, quantity=300, project_code="TUR-ECHO-2026-011", by=keeper)
    stock.stock_receive(location=hub, item=tarps, quantity=1000, project_code="TUR-ECHO-2026-011", by=keeper)
    return hub


def _partner(name: str, acronym: str, username: str, office):
    organisation = cases.partner_organisation_create(name=name, acronym=acronym, kind="ngo", by=None)
    user = staff(Role.PARTNER, office, username=username)
    cases.partner_member_add(organisation=organisation, user=user, by=None)
    return organisation, user


@pytest.fixture
def partner_a(gaziantep):
    """(organisation, its partner user)."""
    return _partner("Sham Humanitarian Partners", "SHP", "partner.shp", gaziantep)


@pytest.fixture
def partner_b(gaziantep):
    return _partner("North Aleppo Relief Coalition", "NARC", "partner.narc", gaziantep)


@pytest.fixture
def plan(hub, keeper, partner_a):
    """`plan(partner=…)`: a planned consignment from the hub."""

    def make(partner=None, **changes):
        values = {
            "hub": hub,
            "partner": partner or partner_a[0],
            "crossing": BorderCrossing.ONCUPINAR,
            "destination": "SHP warehouse, A'zaz",
            "planned_on": timezone.localdate(),
            "project_code": "tur-echo-2026-011",
            "by": keeper,
            **changes,
        }
        return services.consignment_plan(**values)

    return make


@pytest.fixture
def truck(keeper):
    """`truck(consignment, plate, (item, quantity), …)`: a loaded and sealed truck."""

    def add(consignment, plate, *loads, seals="TR-GAZ-100001, TR-GAZ-100002"):
        return services.truck_add(
            consignment=consignment,
            plate=plate,
            driver_name="Mehmet Aydın",
            seal_numbers=seals,
            lines=[services.LoadLine(item, quantity) for item, quantity in loads],
            by=keeper,
        )

    return add


@pytest.fixture
def dispatched(plan, truck, keeper, tents, tarps):
    """A consignment of two trucks (100 tents; 200 tarps and 20 tents), dispatched."""
    consignment = plan()
    truck(consignment, "27 ab 101", (tents, 100))
    truck(consignment, "27 AC 202", (tarps, 200), (tents, 20))
    services.consignment_loaded(consignment=consignment, by=keeper)
    return services.consignment_dispatch(consignment=consignment, by=keeper)


@pytest.fixture
def cleared(dispatched, monitor):
    for each in dispatched.trucks.all():
        services.crossing_check(truck=each, seals_intact=True, outcome=CrossingOutcome.CLEARED, by=monitor)
    dispatched.refresh_from_db()
    assert dispatched.state == ConsignmentState.CLEARED
    return dispatched


@pytest.fixture
def handed_over(cleared, monitor):
    """Everything received but 5 tents of the first truck (damaged)."""
    received = []
    for line in TruckLine.objects.filter(truck__consignment=cleared).select_related("truck", "item"):
        if line.truck.number == 1:
            received.append(services.Received(line, line.quantity - 5, "damaged", "Crushed when the load shifted"))
        else:
            received.append(services.Received(line, line.quantity))
    services.handover_record(
        consignment=cleared,
        received=received,
        received_by_name="Hiba Qassem",
        place="SHP warehouse, A'zaz",
        handed_over_at=timezone.now() - datetime.timedelta(hours=2),
        by=monitor,
    )
    cleared.refresh_from_db()
    return cleared


def report_line(name="Dana", pcode="SY070301", households=20, people=None, sadd=None, items=None):
    sadd = sadd if sadd is not None else {("f", "18_59"): 40, ("m", "18_59"): 35, ("f", "5_17"): 25}
    return services.ReportLineInput(
        subdistrict_name=name,
        subdistrict_pcode=pcode,
        households=households,
        people=sum(sadd.values()) if people is None else people,
        sadd=sadd,
        items=items if items is not None else {"TENT": 50},
    )
