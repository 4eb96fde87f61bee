"""In-kind distributions: plans, entitlements by household size, the goods sent to the site and back, receipts
recorded once per household, the second attempt refused with the first shown."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from liman.assistance import selectors, services
from liman.assistance.choices import DistributionState, EntitlementState, EntryKind
from liman.assistance.models import Entitlement, LedgerEntry, StockBalance, Transfer
from liman.core.choices import Role
from liman.registry import services as registry
from liman.registry.choices import Relationship
from tests.factories import staff


def household(office, name: str, size: int, phone: str = ""):
    head = registry.person_register(
        office=office,
        data=registry.PersonInput(first_name=name, family_name="Hane", sex="F", nationality="SYR", phone=phone),
        by=None,
    )
    found = registry.household_create(office=office, head=head, by=None)
    for n in range(size - 1):
        member = registry.person_register(
            office=office,
            data=registry.PersonInput(first_name=f"{name}{n}", family_name="Hane", sex="M", nationality="SYR"),
            by=None,
        )
        registry.household_add_member(household=found, person=member, relationship=Relationship.CHILD, by=None)
    return found


@pytest.fixture
def site(istanbul, keeper):
    return services.location_create(office=istanbul, name="Esenyurt distribution point", kind="site", by=keeper)


@pytest.fixture
def officer(istanbul):
    return staff(Role.PROGRAMME_OFFICER, istanbul, username="po.ist")


@pytest.fixture
def distributor(istanbul):
    return staff(Role.DISTRIBUTION, istanbul, username="dist.ist")


@pytest.fixture
def stocked(warehouse, keeper, kits, blankets):
    soon, later = (
        timezone.localdate() + datetime.timedelta(days=60),
        timezone.localdate() + datetime.timedelta(days=400),
    )
    services.stock_receive(
        location=warehouse, item=kits, quantity=5, project_code="P1", lot_code="A", expires_on=later, by=keeper
    )
    services.stock_receive(
        location=warehouse, item=kits, quantity=5, project_code="P1", lot_code="B", expires_on=soon, by=keeper
    )
    services.stock_receive(location=warehouse, item=blankets, quantity=40, project_code="P1", by=keeper)
    return warehouse


@pytest.fixture
def plan(istanbul, officer, stocked, site, kits, blankets):
    today = timezone.localdate()
    return services.distribution_plan_create(
        office=istanbul, name="Winter NFI", project_code="p1", warehouse=stocked, site=site,
        starts_on=today, ends_on=today + datetime.timedelta(days=2),
        items=[(kits, 1, None, 1), (blankets, 1, 3, 2), (blankets, 4, None, 4)], by=officer,
    )  # fmt: skip


def test_households_are_entitled_by_the_band_of_their_size(istanbul, plan, officer, kits, blankets):
    small, large = household(istanbul, "Ayse", 2), household(istanbul, "Fatma", 5)
    outcome = services.distribution_select(plan=plan, households=[small, large], selection="test list", by=officer)
    assert outcome["added"] == [small, large]
    lines = {(e.household_id, line.item_id): line.quantity for e in plan.entitlements.all() for line in e.lines.all()}
    assert lines == {
        (small.pk, kits.pk): 1,
        (small.pk, blankets.pk): 2,
        (large.pk, kits.pk): 1,
        (large.pk, blankets.pk): 4,
    }
    # Selecting them again adds nothing.
    again = services.distribution_select(plan=plan, households=[small, large], selection="again", by=officer)
    assert again["added"] == [] and len(again["already"]) == 2
    assert plan.entitlements.count() == 2


def test_overlapping_bands_are_refused(istanbul, officer, stocked, site, blankets):
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="same household sizes"):
        services.distribution_plan_create(
            office=istanbul, name="x", project_code="P", warehouse=stocked, site=site, starts_on=today, ends_on=today,
            items=[(blankets, 1, 4, 2), (blankets, 3, None, 4)], by=officer,
        )  # fmt: skip


def test_households_of_another_office_cannot_be_entitled(izmir, plan, officer):
    with pytest.raises(ValidationError, match="another office"):
        services.distribution_select(plan=plan, households=[household(izmir, "Zeynep", 1)], selection="", by=officer)


def _open(plan, keeper, distributor):
    transfers = services.distribution_open(plan=plan, by=keeper)
    for transfer in transfers:
        services.transfer_receive(transfer=transfer, by=distributor)
    return transfers


def test_opening_sends_the_total_to_the_site_first_expiry_first(
    istanbul, plan, officer, keeper, distributor, site, kits, blankets
):
    services.distribution_select(
        plan=plan, households=[household(istanbul, f"H{n}", size) for n, size in enumerate([1, 2, 5, 6, 3, 1, 1])],
        selection="", by=officer,
    )  # fmt: skip
    transfers = _open(plan, keeper, distributor)
    plan.refresh_from_db()
    assert plan.state == DistributionState.OPEN
    # 7 kits: the 5 of lot B (expires first), then 2 of lot A; blankets 2+2+4+4+2+2+2 = 18.
    sent = sorted((t.item.code, t.lot.code if t.lot else "", t.quantity) for t in transfers)
    assert sent == [("BLANKET", "", 18), ("HYG-KIT", "A", 2), ("HYG-KIT", "B", 5)]
    at_site = {(b.item_id, b.lot_id): b.quantity for b in StockBalance.objects.filter(location=site)}
    assert sum(q for (item, _lot), q in at_site.items() if item == kits.pk) == 7
    assert at_site[(blankets.pk, None)] == 18


def test_opening_with_too_little_stock_moves_nothing(istanbul, plan, officer, keeper, stocked):
    services.distribution_select(
        plan=plan, households=[household(istanbul, f"H{n}", 1) for n in range(11)], selection="", by=officer
    )
    before = LedgerEntry.objects.count()
    with pytest.raises(ValidationError, match="Only 10"):
        services.distribution_open(plan=plan, by=keeper)
    plan.refresh_from_db()
    assert plan.state == DistributionState.PLANNED
    assert LedgerEntry.objects.count() == before and not Transfer.objects.exists()


def test_only_the_warehouse_opens_and_only_distribution_staff_record(istanbul, plan, officer, keeper, distributor):
    services.distribution_select(plan=plan, households=[household(istanbul, "Ayse", 1)], selection="", by=officer)
    with pytest.raises(Exception, match="role"):
        services.distribution_open(plan=plan, by=officer)
    _open(plan, keeper, distributor)
    entitlement = plan.entitlements.get()
    with pytest.raises(PermissionDenied):
        services.distribution_receive(entitlement=entitlement, received_by_name="x", by=keeper)


def test_a_household_receives_once_and_the_second_attempt_shows_the_first(
    istanbul, plan, officer, keeper, distributor, site, blankets
):
    home = household(istanbul, "Ayse", 2)
    services.distribution_select(plan=plan, households=[home], selection="", by=officer)
    _open(plan, keeper, distributor)
    entitlement = plan.entitlements.get()
    head = home.head
    services.distribution_receive(entitlement=entitlement, received_by_person=head, by=distributor)
    entitlement.refresh_from_db()
    assert entitlement.state == EntitlementState.RECEIVED and entitlement.received_by_person == head
    issued = LedgerEntry.objects.filter(kind=EntryKind.ISSUE, location=site)
    assert sorted((e.item.code, e.quantity) for e in issued) == [("BLANKET", -2), ("HYG-KIT", -1)]
    assert {e.issued_for for e in issued} == {entitlement}
    with pytest.raises(services.AlreadyReceived) as refused:
        services.distribution_receive(entitlement=entitlement, received_by_name="Someone", by=distributor)
    assert home.reference in str(refused.value) and "dist.ist" in str(refused.value) and "Ayse" in str(refused.value)
    assert LedgerEntry.objects.filter(kind=EntryKind.ISSUE, location=site).count() == 2


def test_a_receipt_names_a_member_or_someone_sent(istanbul, plan, officer, keeper, distributor):
    home, other = household(istanbul, "Ayse", 1), household(istanbul, "Fatma", 1)
    services.distribution_select(plan=plan, households=[home], selection="", by=officer)
    _open(plan, keeper, distributor)
    entitlement = plan.entitlements.get()
    with pytest.raises(ValidationError, match="Say who received"):
        services.distribution_receive(entitlement=entitlement, by=distributor)
    with pytest.raises(ValidationError, match="not a member"):
        services.distribution_receive(entitlement=entitlement, received_by_person=other.head, by=distributor)
    services.distribution_receive(entitlement=entitlement, received_by_name="Neighbour Mehmet", by=distributor)
    assert Entitlement.objects.get().received_by_name == "Neighbour Mehmet"


def test_closing_marks_the_unclaimed_and_returns_their_goods(
    istanbul, plan, officer, keeper, distributor, site, stocked, blankets
):
    homes = [household(istanbul, f"H{n}", 2) for n in range(3)]
    services.distribution_select(plan=plan, households=homes, selection="", by=officer)
    _open(plan, keeper, distributor)
    first = plan.entitlements.get(household=homes[0])
    services.distribution_receive(entitlement=first, received_by_person=homes[0].head, by=distributor)
    back = services.distribution_close(plan=plan, by=distributor)
    assert sorted((t.item.code, t.quantity) for t in back) == [("BLANKET", 4), ("HYG-KIT", 2)]
    assert plan.entitlements.filter(state=EntitlementState.UNCLAIMED).count() == 2
    for transfer in back:
        services.transfer_receive(transfer=transfer, by=keeper)
    assert StockBalance.objects.get(location=site, item=blankets).quantity == 0
    assert StockBalance.objects.get(location=stocked, item=blankets).quantity == 40 - 2
    with pytest.raises(ValidationError, match="not open"):
        services.distribution_receive(
            entitlement=plan.entitlements.get(household=homes[1]), received_by_name="late", by=distributor
        )
    assert selectors.ledger_differences() == []


def test_verification_finds_a_household_by_reference_name_or_phone(istanbul, plan, officer, distributor):
    home = household(istanbul, "Rukiye", 3, phone="+905321234567")
    household(istanbul, "Other", 1)
    services.distribution_select(plan=plan, households=[home], selection="", by=officer)
    by_reference = selectors.verify_lookup(distributor, plan, home.reference.lower())
    by_name = selectors.verify_lookup(distributor, plan, "Rukiye Hane")
    by_phone = selectors.verify_lookup(distributor, plan, "0532 123 45 67")
    assert (
        [e.household for e in by_reference]
        == [e.household for e in by_name]
        == [e.household for e in by_phone]
        == [home]
    )
    assert selectors.verify_lookup(distributor, plan, "Nobody Atall") == []
