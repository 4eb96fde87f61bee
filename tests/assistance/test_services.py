import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from liman.assistance import selectors, services
from liman.assistance.models import LedgerEntry, StockBalance
from liman.core.choices import Role
from liman.core.models import AuditEvent
from liman.core.workflows import TransitionRefused
from tests.factories import OfficeFactory, secret, staff

pytestmark = pytest.mark.django_db

SOON = timezone.localdate() + datetime.timedelta(days=30)
LATER = timezone.localdate() + datetime.timedelta(days=400)


def receive(location, item, quantity, *, lot="", expires_on=None, by=None):
    return services.stock_receive(
        location=location, item=item, quantity=quantity, project_code="TUR-ECHO-2026-011", lot_code=lot,
        expires_on=expires_on, by=by,
    )  # fmt: skip


def balance(location, item, lot=None) -> int:
    row = StockBalance.objects.filter(location=location, item=item, lot=lot).first()
    return row.quantity if row else 0


def test_a_receipt_posts_the_entry_moves_the_balance_and_is_audited(warehouse, kits, keeper):
    entry = receive(warehouse, kits, 40, lot="L-2026-04", expires_on=LATER, by=keeper)

    assert (entry.kind, entry.quantity, entry.reference, entry.lot.code) == (
        "receipt",
        40,
        "TUR-ECHO-2026-011",
        "L-2026-04",
    )
    assert balance(warehouse, kits, entry.lot) == 40
    assert AuditEvent.objects.filter(object_type="assistance.ledgerentry", object_id=str(entry.pk)).exists()


def test_a_receipt_needs_a_project_code(warehouse, blankets):
    with pytest.raises(ValidationError, match="project code"):
        services.stock_receive(location=warehouse, item=blankets, quantity=5, project_code=" ", by=None)


def test_a_lot_tracked_item_needs_its_lot(warehouse, kits):
    with pytest.raises(ValidationError, match="lot"):
        receive(warehouse, kits, 5)


def test_a_lot_keeps_its_expiry(warehouse, kits):
    receive(warehouse, kits, 5, lot="L1", expires_on=SOON)
    with pytest.raises(ValidationError, match="expiring on"):
        receive(warehouse, kits, 5, lot="L1", expires_on=LATER)


def test_an_issue_of_more_than_is_left_is_refused_naming_the_balance(warehouse, kits):
    lot = receive(warehouse, kits, 3, lot="L-2026-04", expires_on=LATER).lot

    with pytest.raises(ValidationError) as refused:
        services.stock_issue(location=warehouse, item=kits, lot=lot, quantity=5, purpose="Incident", by=None)

    assert refused.value.messages == ["Only 3 × Hygiene kit left at Istanbul warehouse (lot L-2026-04); 5 asked for."]
    assert balance(warehouse, kits, lot) == 3


def test_an_issue_says_what_it_is_for(warehouse, blankets):
    receive(warehouse, blankets, 3)
    with pytest.raises(ValidationError, match="what it is for"):
        services.stock_issue(location=warehouse, item=blankets, quantity=1, by=None)


def test_an_issue_points_to_the_record_it_was_issued_for(warehouse, blankets, istanbul):
    receive(warehouse, blankets, 3)
    incident = secret(istanbul, title="Rescue off Dikili")

    entry = services.stock_issue(location=warehouse, item=blankets, quantity=2, issued_for=incident, by=None)

    assert entry.issued_for == incident and entry.purpose == str(incident) and entry.quantity == -2


def test_an_issue_for_another_offices_record_is_refused(warehouse, blankets):
    receive(warehouse, blankets, 3)
    elsewhere = secret(OfficeFactory(code="EDR"), title="Interception")
    with pytest.raises(ValidationError, match="its own office"):
        services.stock_issue(location=warehouse, item=blankets, quantity=1, issued_for=elsewhere, by=None)


def test_an_expired_lot_is_not_issued(warehouse, kits):
    lot = receive(warehouse, kits, 3, lot="OLD", expires_on=timezone.localdate() - datetime.timedelta(days=1)).lot
    with pytest.raises(ValidationError, match="expired"):
        services.stock_issue(location=warehouse, item=kits, lot=lot, quantity=1, purpose="x", by=None)


def test_first_expiry_first_out_suggests_the_earliest_lot_and_skips_expired(warehouse, kits):
    receive(warehouse, kits, 10, lot="LATE", expires_on=LATER)
    receive(warehouse, kits, 4, lot="EARLY", expires_on=SOON)
    receive(warehouse, kits, 9, lot="GONE", expires_on=timezone.localdate() - datetime.timedelta(days=3))

    plan = selectors.fefo_suggestion(warehouse, kits, 6)

    assert [(line.lot.code, take) for line, take in plan] == [("EARLY", 4), ("LATE", 2)]


def test_an_issue_by_first_expiry_takes_across_lots_all_or_nothing(warehouse, kits):
    receive(warehouse, kits, 10, lot="LATE", expires_on=LATER)
    early = receive(warehouse, kits, 4, lot="EARLY", expires_on=SOON).lot

    entries = services.stock_issue_fefo(location=warehouse, item=kits, quantity=6, purpose="Distribution", by=None)

    assert [(e.lot.code, e.quantity) for e in entries] == [("EARLY", -4), ("LATE", -2)]
    with pytest.raises(ValidationError, match="Only 8"):
        services.stock_issue_fefo(location=warehouse, item=kits, quantity=9, purpose="Distribution", by=None)
    assert balance(warehouse, kits, early) == 0


def test_goods_in_transit_are_at_neither_location_until_received(warehouse, van, blankets, keeper, istanbul):
    receive(warehouse, blankets, 20)
    transfer = services.transfer_dispatch(
        from_location=warehouse, to_location=van, item=blankets, quantity=8, by=keeper
    )
    assert (balance(warehouse, blankets), balance(van, blankets), transfer.state) == (12, 0, "dispatched")
    assert list(selectors.transfers_for(keeper, in_transit=True)) == [transfer]

    crew = staff(Role.MOBILE_TEAM, istanbul, username="mobile-team.ist")
    services.transfer_receive(transfer=transfer, by=crew)

    transfer.refresh_from_db()
    assert (balance(warehouse, blankets), balance(van, blankets), transfer.state) == (12, 8, "received")
    assert transfer.received_by == crew
    assert sorted(transfer.entries.values_list("kind", "quantity")) == [("transfer_in", 8), ("transfer_out", -8)]
    with pytest.raises(TransitionRefused):
        services.transfer_receive(transfer=transfer, by=crew)


def test_a_transfer_stays_within_its_office(warehouse, blankets, keeper):
    other = services.location_create(office=OfficeFactory(code="EDR"), name="Edirne warehouse", by=None)
    receive(warehouse, blankets, 5)
    with pytest.raises(ValidationError, match="one office"):
        services.transfer_dispatch(from_location=warehouse, to_location=other, item=blankets, quantity=1, by=keeper)
    assert balance(warehouse, blankets) == 5


def test_a_loss_is_written_off_only_when_a_second_person_approves(warehouse, blankets, keeper, istanbul):
    receive(warehouse, blankets, 10)
    loss = services.loss_report(
        location=warehouse, item=blankets, quantity=4, reason_kind="damaged", reason="Wet pallet", by=keeper
    )
    assert balance(warehouse, blankets) == 10

    with pytest.raises(PermissionDenied, match="second person"):
        services.loss_approve(loss=loss, by=keeper)
    with pytest.raises(PermissionDenied):
        services.loss_approve(loss=loss, by=staff(Role.PROGRAMME_OFFICER, istanbul))

    loss = services.loss_approve(loss=loss, by=staff(Role.WAREHOUSE, istanbul, username="manager.ist"))

    assert loss.status == "approved" and balance(warehouse, blankets) == 6
    assert loss.entries.get().quantity == -4


def test_a_loss_needs_a_reason(warehouse, blankets, keeper):
    receive(warehouse, blankets, 10)
    with pytest.raises(ValidationError, match="what happened"):
        services.loss_report(
            location=warehouse, item=blankets, quantity=1, reason_kind="missing", reason="  ", by=keeper
        )


def test_a_rejected_loss_writes_nothing_off(warehouse, blankets, keeper, istanbul):
    receive(warehouse, blankets, 10)
    loss = services.loss_report(
        location=warehouse, item=blankets, quantity=4, reason_kind="missing", reason="Not found", by=keeper
    )
    loss = services.loss_reject(loss=loss, by=staff(Role.SUPERVISOR, istanbul), note="Found in bay 2")
    assert loss.status == "rejected" and balance(warehouse, blankets) == 10


def test_a_count_posts_the_variance(warehouse, blankets, keeper):
    receive(warehouse, blankets, 30)

    count = services.stock_count(location=warehouse, item=blankets, counted_quantity=26, by=keeper)

    assert (count.expected_quantity, count.variance) == (30, -4)
    assert balance(warehouse, blankets) == 26
    assert count.entries.get().kind == "count_adjustment"


def test_a_matching_count_posts_nothing(warehouse, blankets, keeper):
    receive(warehouse, blankets, 30)
    count = services.stock_count(location=warehouse, item=blankets, counted_quantity=30, by=keeper)
    assert count.variance == 0 and not count.entries.exists()


def test_the_ledger_is_append_only(warehouse, blankets):
    entry = receive(warehouse, blankets, 3)
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).update(quantity=300)


def test_a_viewer_moves_no_stock(warehouse, blankets, istanbul):
    viewer = staff(Role.VIEWER, istanbul)
    with pytest.raises(PermissionDenied):
        receive(warehouse, blankets, 3, by=viewer)


def test_a_vehicle_is_stocked_by_transfer_not_by_receipt(van, blankets):
    with pytest.raises(ValidationError, match="transfer"):
        receive(van, blankets, 3)


def test_stock_check_passes_on_a_consistent_ledger(warehouse, van, blankets, keeper, capsys):
    receive(warehouse, blankets, 30)
    services.transfer_dispatch(from_location=warehouse, to_location=van, item=blankets, quantity=8, by=keeper)

    call_command("stock", "check")

    assert "Every balance equals the sum of its ledger" in capsys.readouterr().out


def test_stock_check_names_a_balance_that_differs_from_its_ledger(warehouse, kits, capsys):
    lot = receive(warehouse, kits, 30, lot="L-9", expires_on=LATER).lot
    StockBalance.objects.filter(location=warehouse, item=kits).update(quantity=29)  # typed, not posted

    with pytest.raises(CommandError, match="1 balance"):
        call_command("stock", "check")

    err = capsys.readouterr().err
    assert f"IST · Istanbul warehouse · Hygiene kit (lot {lot.code}): ledger sums to 30, balance says 29" in err
