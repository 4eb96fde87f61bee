"""Small-business grants: tax numbers checked (VKN checksum, the identity number of a sole proprietor), a panel
scoring separately with weights, a declared conflict that keeps a member from scoring, the committee's four eyes,
agreements with tranches paid in order against milestones, each status change with its history."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from liman.core.choices import Role
from liman.core.models import StateChange
from liman.core.workflows import TransitionRefused
from liman.livelihoods import services
from liman.livelihoods.rules import tax_number_problem, vkn_checksum_ok, vkn_with_checksum
from liman.registry.identifiers import ykn_with_checksum
from tests.factories import staff

pytestmark = pytest.mark.django_db


def test_the_vkn_check_digit():
    assert vkn_checksum_ok("1234567890")  # the example the tax administration's algorithm is usually shown with
    assert not vkn_checksum_ok("1234567891")
    assert not vkn_checksum_ok("123456789") and not vkn_checksum_ok("12345678901") and not vkn_checksum_ok("12345x7890")
    for nine in ("000000000", "987654321", "555000111", "100000000"):
        valid = vkn_with_checksum(nine)
        assert vkn_checksum_ok(valid)
        assert sum(vkn_checksum_ok(f"{nine}{d}") for d in range(10)) == 1
    assert tax_number_problem("1234567890", "vkn") == ""
    assert "check digit" in tax_number_problem("1234567899", "vkn")
    assert tax_number_problem(ykn_with_checksum("123456789"), "tckn") == ""
    assert "11 digits" in tax_number_problem("1234567890", "tckn")


@pytest.fixture
def world(istanbul):
    officer = staff(Role.PROGRAMME_OFFICER, istanbul, username="po.ist")
    panel = [staff(Role.SUPERVISOR, istanbul, username="sup.ist"), staff(Role.CASEWORKER, istanbul, username="cw.ist")]
    approver = staff(Role.CASH_APPROVER, istanbul, username="ca.ist")
    today = datetime.date.today()
    call = services.call_open(office=istanbul, title="Recovery grants", opens_on=today, closes_on=today,
                              max_amount=Decimal(100000), by=officer)  # fmt: skip
    criteria = [services.criterion_add(call=call, name="Plan", weight=60, by=officer),
                services.criterion_add(call=call, name="Jobs", weight=40, max_score=5, by=officer)]  # fmt: skip
    for member in panel:
        services.panel_add(call=call, member=member, by=officer)
    return {"officer": officer, "panel": panel, "approver": approver, "call": call, "criteria": criteria,
            "today": today}  # fmt: skip


def apply(world, **overrides):
    data = {"business_name": "Halep Sweets", "sector": "food_service", "registration": "formal",
            "requested_amount": Decimal(60000), "owner_name": "Omar Haddad", "owner_sex": "M",
            "owner_nationality": "syr", "tax_kind": "vkn", "tax_number": "1234567890",
            "employees": {"syrian_m": 2, "turkish_f": 1}, **overrides}  # fmt: skip
    return services.application_submit(call=world["call"], data=services.ApplicationInput(**data),
                                       by=world["officer"])  # fmt: skip


def test_an_application_is_checked_field_by_field(world):
    application = apply(world)
    assert application.employees == 3 and application.owner_nationality == "SYR"
    with pytest.raises(ValidationError) as refused:
        apply(world, tax_number="1234567891")
    assert "check digit" in str(refused.value.message_dict["tax_number"])
    with pytest.raises(ValidationError) as refused:
        apply(world, tax_number="", tax_kind="")
    assert "tax_number" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        apply(world, requested_amount=Decimal(200000))
    assert "at most" in str(refused.value.message_dict["requested_amount"])
    assert apply(world, registration="informal", tax_number="", tax_kind="").tax_number == ""


def test_criteria_weights_stop_at_100_and_the_panel_holds_office_roles(world, izmir):
    with pytest.raises(ValidationError, match="110"):
        services.criterion_add(call=world["call"], name="Extra", weight=10, by=world["officer"])
    with pytest.raises(ValidationError, match="no role of the office"):
        services.panel_add(call=world["call"], member=staff(Role.SUPERVISOR, izmir, username="sup.izm"),
                           by=world["officer"])  # fmt: skip


def test_scoring_conflict_four_eyes_tranches_and_history(world):
    officer, (sup, cw), approver = world["officer"], world["panel"], world["approver"]
    plan, jobs = world["criteria"]
    application = apply(world)
    with pytest.raises(ValidationError, match="not with the panel"):
        services.scores_record(application=application, member=sup, values={plan.pk: 5, jobs.pk: 5})
    services.application_to_panel(application=application, by=officer)
    with pytest.raises(PermissionDenied, match="panel"):
        services.scores_record(application=application, member=officer, values={plan.pk: 5, jobs.pk: 5})
    with pytest.raises(ValidationError, match="every criterion"):
        services.scores_record(application=application, member=sup, values={plan.pk: 5})
    with pytest.raises(ValidationError, match="from 0 to 5"):
        services.scores_record(application=application, member=sup, values={plan.pk: 5, jobs.pk: 9})
    services.scores_record(application=application, member=sup, values={plan.pk: 8, jobs.pk: 4})
    services.scores_record(application=application, member=cw, values={plan.pk: 2, jobs.pk: 1})
    with pytest.raises(TransitionRefused):
        services.application_approve(application=application, by=approver)
    # The caseworker declares a conflict: their scores are withdrawn, they cannot score again.
    services.conflict_declare(application=application, member=cw, note="The owner is my neighbour's son")
    assert not application.scores.filter(member=cw).exists()
    with pytest.raises(PermissionDenied, match="conflict of interest"):
        services.scores_record(application=application, member=cw, values={plan.pk: 9, jobs.pk: 5})
    application = services.scoring_close(application=application, by=officer)
    # Only the supervisor's scores: 60 × 8/10 + 40 × 4/5.
    assert application.score == Decimal("80.00")
    # Four eyes: the preparer does not decide (even holding a committee role), nor does a conflicted member.
    from tests.factories import grant

    grant(officer, Role.SUPERVISOR, application.office)
    with pytest.raises(PermissionDenied, match="You prepared"):
        services.application_approve(application=application, by=officer)
    grant(cw, Role.SUPERVISOR, application.office)
    with pytest.raises(PermissionDenied, match="conflict"):
        services.application_approve(application=application, by=cw)
    with pytest.raises(PermissionDenied, match="committee"):
        services.application_approve(application=application, by=staff(Role.VIEWER, application.office,
                                                                         username="v.ist"))  # fmt: skip
    application = services.application_approve(application=application, by=approver)
    assert application.decided_by == approver and application.state == "approved"
    with pytest.raises(ValidationError, match="add up to 50000"):
        services.agreement_sign(application=application, amount=Decimal(60000), signed_on=world["today"],
                                tranches=[(Decimal(30000), "a"), (Decimal(20000), "b")], by=officer)  # fmt: skip
    agreement = services.agreement_sign(application=application, amount=Decimal(60000), signed_on=world["today"],
                                        tranches=[(Decimal(40000), "Oven bought"), (Decimal(20000), "Two hired")],
                                        by=officer)  # fmt: skip
    application.refresh_from_db()
    assert application.state == "contracted"
    first, second = agreement.tranches.order_by("number")
    with pytest.raises(ValidationError, match="milestone is met"):
        services.tranche_pay(tranche=first, paid_on=world["today"], payment_reference="EFT-1", by=approver)
    services.tranche_milestone_met(tranche=second, evidence="SGK records", met_on=world["today"], by=officer)
    second.refresh_from_db()
    with pytest.raises(ValidationError, match="earlier tranches"):
        services.tranche_pay(tranche=second, paid_on=world["today"], payment_reference="EFT-2", by=approver)
    services.tranche_milestone_met(tranche=first, evidence="Invoice", met_on=world["today"], by=officer)
    first.refresh_from_db()
    services.tranche_pay(tranche=first, paid_on=world["today"], payment_reference="EFT-1", by=approver)
    with pytest.raises(TransitionRefused, match="Every tranche"):
        services.application_complete(application=application, by=officer)
    services.tranche_pay(tranche=second, paid_on=world["today"], payment_reference="EFT-2", by=approver)
    visit = services.visit_record(agreement=agreement, visited_on=world["today"], jobs_created=2, jobs_retained=3,
                                  by=officer)  # fmt: skip
    assert visit.jobs_created == 2 and agreement.paid == Decimal(60000)
    services.application_complete(application=application, by=officer)
    assert list(StateChange.objects.filter(workflow="grant_application").values_list("to_state", flat=True)) == [
        "scoring", "scored", "approved", "contracted", "completed"]  # fmt: skip
    tranche_history = StateChange.objects.filter(workflow="livelihoods.tranche.status")
    assert sorted(tranche_history.values_list("to_state", flat=True)) == ["due", "due", "paid", "paid"]
    assert set(tranche_history.values_list("office_id", flat=True)) == {application.office_id}


def test_a_rejection_needs_a_reason_and_a_second_person(world):
    application = apply(world)
    services.application_to_panel(application=application, by=world["officer"])
    for member in world["panel"]:
        services.scores_record(application=application, member=member,
                               values={c.pk: 1 for c in world["criteria"]})  # fmt: skip
    services.scoring_close(application=application, by=world["officer"])
    with pytest.raises(TransitionRefused, match="reason"):
        services.application_reject(application=application, by=world["approver"], reason="")
    services.application_reject(application=application, by=world["approver"], reason="Not viable")
    application.refresh_from_db()
    assert application.state == "rejected" and application.decided_by == world["approver"]
