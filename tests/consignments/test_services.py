import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from liman.assistance import services as stock
from liman.assistance.models import LedgerEntry, StockBalance
from liman.consignments import services
from liman.consignments.choices import ConsignmentState, CrossingOutcome, TruckStatus
from liman.consignments.models import Consignment, DistributionReport, TransitLoss, TruckLine
from liman.core.choices import AuditAction
from liman.core.models import AuditEvent, StateChange
from liman.core.workflows import TransitionRefused
from tests.consignments.conftest import report_line

pytestmark = pytest.mark.django_db


def _on_hand(hub, item) -> int:
    return sum(StockBalance.objects.filter(location=hub, item=item).values_list("quantity", flat=True))


# --- planning and loading -----------------------------------------------------------------------------------


def test_a_planned_consignment_is_referenced_by_hub_office_and_year(plan):
    consignment = plan(planned_on=datetime.date(2026, 5, 4))

    assert consignment.reference.startswith("CSG-GAZ-2026-") and consignment.project_code == "TUR-ECHO-2026-011"
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="consignments.consignment").exists()


def test_only_warehouse_staff_of_the_hubs_office_plan(plan, monitor):
    with pytest.raises(PermissionDenied):
        plan(by=monitor)


def test_loading_is_done_only_when_every_truck_carries_something_and_is_sealed(plan, keeper):
    consignment = plan()

    with pytest.raises(TransitionRefused, match="Add the trucks"):
        services.consignment_loaded(consignment=consignment, by=keeper)


def test_a_truck_without_seals_is_refused(plan, truck, tents):
    with pytest.raises(ValidationError, match="seals"):
        truck(plan(), "27 AB 101", (tents, 10), seals=" , ")


def test_a_lot_tracked_item_is_loaded_first_expiry_first_out(plan, truck, hub, kits, keeper):
    today = timezone.localdate()
    for code, days, quantity in (("L-LATE", 300, 50), ("L-SOON", 40, 30)):
        stock.stock_receive(
            location=hub, item=kits, quantity=quantity, project_code="TUR-1", lot_code=code,
            expires_on=today + datetime.timedelta(days=days), by=keeper,
        )  # fmt: skip

    loaded = truck(plan(), "27 AB 101", (kits, 45))

    assert sorted((line.lot.code, line.quantity) for line in loaded.lines.all()) == [("L-LATE", 15), ("L-SOON", 30)]


# --- dispatch -----------------------------------------------------------------------------------------------


def test_dispatch_issues_every_trucks_load_from_the_hub_for_the_consignment(dispatched, hub, tents, tarps):
    issues = LedgerEntry.objects.filter(location=hub, kind="issue")

    assert dispatched.state == ConsignmentState.DISPATCHED and dispatched.dispatched_at is not None
    assert _on_hand(hub, tents) == 180 and _on_hand(hub, tarps) == 800
    assert sorted(entry.quantity for entry in issues) == [-200, -100, -20]
    assert {entry.issued_for for entry in issues} == {dispatched}
    assert all(entry.purpose.startswith(dispatched.reference) for entry in issues)


def test_dispatch_is_all_or_nothing_and_names_the_hubs_balance(plan, truck, keeper, hub, tents, tarps):
    consignment = plan()
    truck(consignment, "27 AB 101", (tarps, 500), (tents, 200))
    truck(consignment, "27 AB 102", (tents, 150))  # 350 tents in all; the hub holds 300
    services.consignment_loaded(consignment=consignment, by=keeper)

    with pytest.raises(stock.StockShort) as refused:
        services.consignment_dispatch(consignment=consignment, by=keeper)

    assert "Only 300 × Family tent left at Kilis road cross-border hub; 350 asked for." in refused.value.messages
    consignment.refresh_from_db()
    assert consignment.state == ConsignmentState.LOADED and consignment.dispatched_at is None
    assert _on_hand(hub, tents) == 300 and _on_hand(hub, tarps) == 1000  # the tarps did not leave either
    assert not LedgerEntry.objects.filter(kind="issue").exists()


def test_trucks_are_added_only_while_the_consignment_is_planned(dispatched, truck, tents):
    with pytest.raises(ValidationError, match="planned"):
        truck(dispatched, "27 AB 909", (tents, 1))


# --- at the crossing ----------------------------------------------------------------------------------------


def test_a_held_truck_holds_the_consignment_until_it_is_cleared(dispatched, monitor):
    first, second = dispatched.trucks.order_by("number")
    services.crossing_check(
        truck=first, seals_intact=False, seals_found="TR-GAZ-100001", outcome=CrossingOutcome.HELD,
        reason="A seal is missing on the rear doors", by=monitor,
    )  # fmt: skip
    services.crossing_check(truck=second, seals_intact=True, outcome=CrossingOutcome.CLEARED, by=monitor)
    dispatched.refresh_from_db()
    assert dispatched.state == ConsignmentState.HELD and first.status() == TruckStatus.HELD

    services.crossing_check(
        truck=first, seals_intact=True, outcome=CrossingOutcome.CLEARED, reason="Inspected and resealed", by=monitor
    )

    dispatched.refresh_from_db()
    assert dispatched.state == ConsignmentState.CLEARED
    assert list(StateChange.objects.filter(workflow="consignment", object_id=str(dispatched.pk)).values_list(
        "to_state", flat=True
    ).order_by("id")) == ["loaded", "dispatched", "held", "cleared"]  # fmt: skip


def test_a_truck_is_held_only_with_a_reason(dispatched, monitor):
    with pytest.raises(ValidationError, match="why the truck is held"):
        services.crossing_check(
            truck=dispatched.trucks.first(), seals_intact=True, outcome=CrossingOutcome.HELD, by=monitor
        )


def test_a_warehouse_user_does_not_check_trucks_at_the_crossing(dispatched, keeper):
    with pytest.raises(PermissionDenied):
        services.crossing_check(
            truck=dispatched.trucks.first(), seals_intact=True, outcome=CrossingOutcome.CLEARED, by=keeper
        )


def test_returned_trucks_bring_their_load_back_into_the_hub(dispatched, monitor, keeper, hub, tents, tarps):
    for each in dispatched.trucks.all():
        services.crossing_check(
            truck=each, seals_intact=True, outcome=CrossingOutcome.HELD, reason="Crossing closed", by=monitor
        )
    first, second = dispatched.trucks.order_by("number")

    services.truck_return(truck=first, reason="The crossing stays closed", by=keeper)
    dispatched.refresh_from_db()
    assert dispatched.state == ConsignmentState.HELD and _on_hand(hub, tents) == 280

    services.truck_return(truck=second, reason="The crossing stays closed", by=keeper)
    dispatched.refresh_from_db()
    assert dispatched.state == ConsignmentState.RETURNED
    assert _on_hand(hub, tents) == 300 and _on_hand(hub, tarps) == 1000
    # A return, naming the consignment it came back from, not a new receipt.
    returned = LedgerEntry.objects.filter(kind="return", reason__contains=dispatched.reference).first()
    assert returned.issued_for == dispatched
    assert not LedgerEntry.objects.filter(kind="receipt", reason__contains=dispatched.reference).exists()


def test_only_a_held_truck_goes_back(dispatched, keeper):
    with pytest.raises(ValidationError, match="held"):
        services.truck_return(truck=dispatched.trucks.first(), reason="Changed our mind", by=keeper)


# --- handover -----------------------------------------------------------------------------------------------


def test_a_shortfall_at_the_handover_is_a_transit_loss_with_its_reason(handed_over, hub, tents):
    loss = TransitLoss.objects.get()

    assert handed_over.state == ConsignmentState.HANDED_OVER
    assert (loss.quantity, loss.reason_kind, loss.line.truck_line.item) == (5, "damaged", tents)
    # The goods left the ledger at dispatch: the loss is not posted to it again.
    assert _on_hand(hub, tents) == 180 and not LedgerEntry.objects.filter(kind="loss").exists()
    assert services.received_by_item(handed_over) == {"TENT": 115, "TARP": 200}


def test_a_shortfall_without_a_reason_is_refused(cleared, monitor):
    lines = TruckLine.objects.filter(truck__consignment=cleared)
    received = [services.Received(line, line.quantity - 1) for line in lines]

    with pytest.raises(ValidationError) as refused:
        services.handover_record(
            consignment=cleared, received=received, received_by_name="Hiba", place="A'zaz", by=monitor
        )

    assert any("did not arrive; say what happened" in message for message in refused.value.messages)
    cleared.refresh_from_db()
    assert cleared.state == ConsignmentState.CLEARED and not TransitLoss.objects.exists()


def test_more_received_than_loaded_is_refused(cleared, monitor):
    lines = TruckLine.objects.filter(truck__consignment=cleared)
    received = [services.Received(line, line.quantity + 1) for line in lines]

    with pytest.raises(ValidationError, match="more than the"):
        services.handover_record(
            consignment=cleared, received=received, received_by_name="Hiba", place="A'zaz", by=monitor
        )


# --- the partner's distribution report ----------------------------------------------------------------------


def test_the_partners_report_closes_the_consignment(handed_over, partner_a):
    lines = [report_line(), report_line("Salqin", "SY070303", households=10, sadd={("m", "0_4"): 12, ("f", "60"): 8},
                                        items={"TENT": 40, "TARP": 150})]  # fmt: skip

    report = services.report_submit(consignment=handed_over, lines=lines, by=partner_a[1])

    handed_over.refresh_from_db()
    assert handed_over.state == ConsignmentState.REPORTED
    assert (report.households, report.people) == (30, 120)
    salqin = report.lines.get(subdistrict_pcode="SY070303")
    assert {(row.sex, row.age_group): row.count for row in salqin.people_counts.all()} == {
        ("m", "0_4"): 12,
        ("f", "60"): 8,
    }
    assert {row.item.code: row.quantity for row in salqin.items.select_related("item")} == {"TENT": 40, "TARP": 150}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (report_line(people=99), "99 people reached, but the counts by sex and age add up to 100"),
        (report_line(households=101), "More households (101) than people (100) reached."),
        (report_line(pcode="SY990301"), "SY990301 is not a Syrian sub-district p-code"),
        (report_line(pcode="TUR027001"), "is not a Syrian sub-district p-code"),
        (report_line(items={"TENT": 116}), "116 × Family tent reported distributed, but 115 were received"),
        (report_line(items={"BLANKET": 3}), "Blanket was not in this consignment."),
    ],
)
def test_a_report_that_breaks_a_rule_is_refused_naming_the_line(handed_over, partner_a, line, message):
    with pytest.raises(ValidationError) as refused:
        services.report_submit(consignment=handed_over, lines=[line], by=partner_a[1])

    assert any(message in text for text in refused.value.messages), refused.value.messages
    assert not DistributionReport.objects.exists()


def test_one_line_per_subdistrict(handed_over, partner_a):
    with pytest.raises(ValidationError, match="SY070301 is already on line 1"):
        services.report_submit(
            consignment=handed_over, lines=[report_line(), report_line(name="Dana again")], by=partner_a[1]
        )


def test_another_partner_does_not_report_on_the_consignment(handed_over, partner_b):
    with pytest.raises(PermissionDenied):
        services.report_submit(consignment=handed_over, lines=[report_line()], by=partner_b[1])


def test_a_report_comes_only_after_the_handover(cleared, partner_a):
    with pytest.raises(ValidationError, match="after the handover"):
        services.report_submit(consignment=cleared, lines=[report_line()], by=partner_a[1])


def test_a_cancelled_consignment_needs_a_reason_and_moves_no_stock(plan, truck, keeper, tents, hub):
    consignment = plan()
    truck(consignment, "27 AB 101", (tents, 10))
    with pytest.raises(TransitionRefused, match="reason"):
        services.consignment_cancel(consignment=consignment, by=keeper, reason=" ")

    services.consignment_cancel(consignment=consignment, by=keeper, reason="The partner's warehouse was damaged")

    assert Consignment.objects.get().state == ConsignmentState.CANCELLED and _on_hand(hub, tents) == 300
