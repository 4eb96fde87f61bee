import datetime

import pytest
from django.utils import timezone

from liman.assistance import services as stock
from liman.assistance.models import Entitlement, Item
from liman.core.choices import Role
from liman.core.models import AdminArea
from liman.registry import services as registry
from liman.registry.choices import LegalStatusType, Relationship
from liman.reporting import fourw
from liman.reporting.demo import MAPPING
from liman.reporting.models import ThreeRPMapping
from tests.factories import staff


@pytest.fixture
def months():
    """(locked, last): the month before the last complete month, and the last complete month."""
    last = fourw.previous_month(timezone.localdate().replace(day=1))
    return fourw.previous_month(last), last


@pytest.fixture
def mappings(db):
    for key, (sector, code, indicator, activity) in MAPPING.items():
        ThreeRPMapping.objects.create(
            measure_key=key, sector=sector, indicator_code=code, indicator=indicator, activity=activity
        )


def noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@pytest.fixture
def served(istanbul):
    """A function: a household (adult Syrian woman under TP heading it, a boy of 10) in Kadıköy receives a
    distribution of `office` on `day`; returns (household, entitlement)."""
    keeper = staff(Role.WAREHOUSE, istanbul, username="rep-keeper")
    distributor = staff(Role.DISTRIBUTION, istanbul, username="rep-distribution")
    blankets = Item.objects.get(code="BLANKET")
    warehouse = stock.location_create(office=istanbul, name="Reporting warehouse", by=keeper)
    site = stock.location_create(office=istanbul, name="Reporting site", kind="site", by=keeper)
    stock.stock_receive(location=warehouse, item=blankets, quantity=200, project_code="PRJ", by=keeper)
    district = AdminArea.objects.filter(level=2, parent__pcode="TUR034").order_by("pcode").first()
    counter = {"n": 0}

    def serve(day: datetime.date, household=None):
        counter["n"] += 1
        n = counter["n"]
        if household is None:
            today = timezone.localdate()
            head = registry.person_register(
                office=istanbul,
                data=registry.PersonInput(
                    first_name=f"Amira{n}", family_name="Hane", sex="F", nationality="SYR",
                    birth_date=datetime.date(today.year - 35, 1, 1),
                    legal_status=LegalStatusType.TEMPORARY_PROTECTION,
                ),
                by=None,
            )  # fmt: skip
            child = registry.person_register(
                office=istanbul,
                data=registry.PersonInput(first_name=f"Omar{n}", family_name="Hane", sex="M", nationality="SYR",
                                          birth_date=datetime.date(today.year - 10, 6, 1)),
                by=None,
            )  # fmt: skip
            household = registry.household_create(office=istanbul, head=head, district=district, by=None)
            registry.household_add_member(household=household, person=child, relationship=Relationship.CHILD, by=None)
        today = timezone.localdate()
        plan = stock.distribution_plan_create(
            office=istanbul, name=f"Distribution {n}", project_code="PRJ", warehouse=warehouse, site=site,
            starts_on=today, ends_on=today, items=[(blankets, 1, None, 4)], by=distributor,
        )  # fmt: skip
        stock.distribution_select(plan=plan, households=[household], selection="test", by=distributor)
        for transfer in stock.distribution_open(plan=plan, by=keeper):
            stock.transfer_receive(transfer=transfer, by=distributor)
        entitlement = plan.entitlements.get()
        stock.distribution_receive(entitlement=entitlement, received_by_name="collector", by=distributor)
        # The receipt happened on `day` (arranged: the service records the moment it is called).
        Entitlement.objects.filter(pk=entitlement.pk).update(received_at=noon(day))
        return household, entitlement

    serve.district = district
    return serve


@pytest.fixture
def make_project(mappings):
    """A function: a project of `offices` for the whole of last year and this one, with one indicator computed from
    `measure` (target 10) and, with `default_for`, the project as `default_for`'s default for in-kind assistance."""
    from liman.core.models import Programme
    from liman.reporting import services
    from liman.reporting.models import Donor

    def make(code, offices, *, measure="assistance.people_in_kind", default_for=None, by=None):
        year = timezone.localdate().year
        donor, _created = Donor.objects.get_or_create(code="EU", defaults={"name": "European Union"})
        project = services.project_create(
            by=by, offices=offices, grant_code=code, title=f"Project {code}", donor=donor,
            starts_on=datetime.date(year - 1, 1, 1), ends_on=datetime.date(year, 12, 31), budget=1000, currency="EUR",
            sectors=["Basic Needs"],
        )  # fmt: skip
        outcome = services.outcome_add(project=project, code="OC1", title="Needs met", by=by)
        output = services.output_add(outcome=outcome, code="OP1", title="Items given", by=by)
        services.indicator_add(
            output=output, code="IND1", title="People who received items", by=by, measure_key=measure,
            targets=[(project.starts_on, project.ends_on, 10)], disaggregations=["sex_age", "population_group"],
        )  # fmt: skip
        if default_for is not None:
            services.project_default_set(office=default_for, programme=Programme.objects.get(code="assistance"),
                                         project=project, by=by)  # fmt: skip
        return project

    return make


def achieved(project, **period) -> int:
    from liman.reporting import selectors

    return next(row.achieved for _o, _p, row in selectors.indicator_table(project, **period) if row.indicator.code
                == "IND1")  # fmt: skip
