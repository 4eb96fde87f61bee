"""A payment cycle end to end in the services: targeting, enrolment, a draft list, duplicate checks (this list,
other lists, a partner's file), four eyes, the frozen list and its hash, the signed provider file, reconciliation
of a provider report row by row."""

from __future__ import annotations

import datetime
import decimal
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from liman.cash import services
from liman.cash.choices import CycleState, PaymentStatus
from liman.cash.models import Enrolment, Payment, TargetingResult
from liman.core.models import AuditEvent
from liman.core.workflows import TransitionRefused
from tests.cash.conftest import family


@pytest.fixture
def households(istanbul):
    return {
        "big": family(istanbul, "Amira", "Haddad", 5, foreigner_id="99123456780", phone="+905321110001"),
        "small": family(istanbul, "Layla", "Nouri", 2, nationality="AFG", phone="+905321110002"),
        "single": family(istanbul, "Omar", "Saleh", 1),
        "iraqi": family(istanbul, "Zainab", "Kareem", 4, nationality="IRQ"),
        # The same woman registered a second time under a slightly different spelling, with her own household.
        "again": family(istanbul, "Amira", "Hadad", 3, foreigner_id="99123456780", phone="+905321110001"),
    }


@pytest.fixture
def enrolled(programme, istanbul, officer, households):
    run = services.targeting_run(programme=programme, office=istanbul, by=officer)
    services.enrol(run=run, by=officer)
    return run


def test_targeting_gives_each_household_its_outcome_and_reasons(enrolled, households):
    assert enrolled.households == 5 and enrolled.eligible == 3
    results = {r.household_id: r for r in TargetingResult.objects.filter(run=enrolled)}
    big = results[households["big"].pk]
    assert big.eligible and big.amount == decimal.Decimal(13000 + 2000 * 3)
    iraqi = results[households["iraqi"].pk]
    assert not iraqi.eligible and [met for _t, met in iraqi.reasons] == [True, False, True, True, True]
    assert iraqi.reasons[1][0].startswith("nationality of the head")
    assert not results[households["single"].pk].eligible
    assert Enrolment.objects.count() == 3


def test_a_cycle_from_draft_to_reconciled(programme, istanbul, officer, approver, enrolled, households, tmp_path):
    cycle = services.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=officer)
    assert cycle.state == CycleState.DRAFT and cycle.payments.count() == 3
    outcome = services.cycle_verify(cycle=cycle, by=officer)
    cycle.refresh_from_db()
    # Amira registered twice: the second household is held, named with the first.
    assert outcome == {"checked": 3, "held": 1, "no_consent": 0}
    held = cycle.payments.get(status=PaymentStatus.HELD)
    assert held.household == households["again"] and "Same head as household" in held.hold_reason
    assert cycle.state == CycleState.VERIFIED and cycle.households == 2
    assert cycle.total == decimal.Decimal(19000 + 13000)

    # Four eyes: the preparer cannot approve; the approver can.
    with pytest.raises(PermissionDenied):
        services.cycle_approve(cycle=cycle, by=officer)
    services.cycle_approve(cycle=cycle, by=approver)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.APPROVED and len(cycle.list_hash) == 64
    with pytest.raises(ValidationError, match="cannot change"):
        services.payment_release(payment=held, by=officer, reason="checked")

    # The signed provider file.
    output = tmp_path / "mpc.csv"
    call_command("cash", "export", cycle.reference, "--output", str(output), "--user", "po.ist")
    text = output.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "reference,name,foreigner_id,phone,amount,currency"
    assert households["big"].reference in text and "99123456780" in text and households["again"].reference not in text
    call_command("cash", "verify-file", str(output))
    output.write_text(text.replace("19000.00", "91000.00"), encoding="utf-8")
    with pytest.raises(CommandError, match="NOT as Liman signed it"):
        call_command("cash", "verify-file", str(output))
    cycle.refresh_from_db()
    assert cycle.state == CycleState.SENT

    # A provider report with problems is refused row by row, and nothing is marked.
    big, small = households["big"].reference, households["small"].reference
    bad = tmp_path / "report-bad.csv"
    bad.write_text(
        "reference,amount,status,date,transaction_id\n"
        f"{big},19500.00,paid,2026-12-01,T1\n"
        f"{small},13000.00,paid,2026-12-01,T2\n"
        f"{small},13000.00,paid,2026-12-02,T3\n"
        "IST-H-NOBODY,100.00,paid,2026-12-01,T4\n"
        "TOTAL,99.00,,,\n",
        encoding="utf-8",
    )
    errors = io.StringIO()
    with pytest.raises(CommandError, match="refused"):
        call_command("cash", "reconcile", cycle.reference, str(bad), "--user", "po.ist", stderr=errors)
    report = errors.getvalue()
    assert "19500.00 reported, 19000.00 on the approved list" in report
    assert "reported twice" in report and "IST-H-NOBODY is not on the list" in report
    assert "The total row says 99.00" in report
    assert not Payment.objects.filter(status=PaymentStatus.PAID).exists()

    good = tmp_path / "report.csv"
    good.write_text(
        "reference,amount,status,date,transaction_id\n"
        f"{big},19000.00,paid,2026-12-01,T1\n"
        f"{small},13000.00,uncollected,,\n"
        "TOTAL,32000.00,,,\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("cash", "reconcile", cycle.reference, str(good), "--user", "po.ist", stdout=out)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.RECONCILED
    paid = cycle.payments.get(household=households["big"])
    assert paid.status == PaymentStatus.PAID and paid.transaction_id == "T1"
    assert paid.paid_on == datetime.date(2026, 12, 1)
    listed = sum(p.amount for p in cycle.payments.exclude(status=PaymentStatus.HELD))
    outcomes = sum(p.amount for p in cycle.payments.filter(status__in=["paid", "failed", "uncollected"]))
    assert listed == outcomes == cycle.total

    cycles = io.StringIO()
    call_command("cash", "cycles", stdout=cycles)
    assert cycles.getvalue().splitlines() == [
        "reference,programme,state,households,total",
        f"{cycle.reference},MPC,reconciled,2,32000.00",
    ]
    assert AuditEvent.objects.filter(object_type="cash.paymentcycle", action="export").exists()


def test_a_list_changed_in_the_database_after_approval_is_caught(programme, istanbul, officer, approver, enrolled):
    cycle = services.cycle_create(programme=programme, office=istanbul, provider="ptt_csv", by=officer)
    services.cycle_verify(cycle=cycle, by=officer)
    services.cycle_approve(cycle=cycle, by=approver)
    payment = cycle.payments.exclude(status=PaymentStatus.HELD).first()
    line = json.loads(payment.snapshot)
    line["amount"] = "99999.00"
    Payment.objects.filter(pk=payment.pk).update(snapshot=json.dumps(line))  # behind the services' back
    with pytest.raises(services.ListChanged):
        services.cycle_export(cycle=cycle, by=officer)


def test_the_approval_step_cannot_skip_the_four_eyes_rule(programme, istanbul, officer, approver, enrolled):
    from liman.core.workflows import transition

    cycle = services.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=officer)
    with pytest.raises(TransitionRefused):
        transition(cycle, CycleState.APPROVED, by=approver, approver=approver)  # not verified yet
    services.cycle_verify(cycle=cycle, by=officer)
    with pytest.raises(TransitionRefused, match="An approval names who approves"):
        transition(cycle, CycleState.APPROVED, by=approver)


def test_a_partners_beneficiary_list_holds_the_households_on_it(programme, istanbul, officer, enrolled, households):
    cycle = services.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=officer)
    partner = [
        {"record_id": "P-17", "first_name": "Layla", "father_name": "Ahmad", "family_name": "Nuri", "sex": "F",
         "birth_date": "1985-03-14", "nationality": "AFG", "phone": "+905321110002", "foreigner_id": "",
         "household_id": "PH-9"},
    ]  # fmt: skip
    services.cycle_verify(cycle=cycle, by=officer, partner_records=partner, partner_name="Partner NGO")
    held = cycle.payments.filter(status=PaymentStatus.HELD)
    reasons = {p.household_id: p.hold_reason for p in held}
    assert "Partner NGO's beneficiary list as record P-17" in reasons[households["small"].pk]


def test_the_next_cycle_leaves_out_households_that_left(programme, istanbul, officer, enrolled, households):
    from liman.registry.models import LegalStatus

    LegalStatus.objects.filter(person=households["small"].head).update(ended_on=datetime.date(2026, 1, 1))
    cycle = services.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=officer)
    assert households["small"].pk not in set(cycle.payments.values_list("household_id", flat=True))
    ended = Enrolment.objects.get(household=households["small"])
    assert ended.end_reason == "status_ended" and ended.ended_on is not None
