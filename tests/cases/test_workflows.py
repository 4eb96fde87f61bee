"""Every workflow rule: refused with the caseworker's words, accepted once satisfied."""

import datetime

import pytest

from liman.cases import services
from liman.cases.choices import AssessmentKind, NoteKind
from liman.cases.models import Case, Referral
from liman.core.workflows import TransitionRefused
from tests.cases.builders import (
    approved_plan,
    avrr_applied,
    avrr_booked,
    consent,
    days_ago,
    open_case,
    register,
    step,
    trafficking_identified,
)

pytestmark = pytest.mark.django_db


def refused(case, to_state, by, **kwargs) -> list[str]:
    with pytest.raises(TransitionRefused) as raised:
        services.case_transition(case=case, to_state=to_state, by=by, **kwargs)
    case.refresh_from_db()
    return raised.value.messages


# --- protection -----------------------------------------------------------------------------------------------


def test_assessing_needs_an_owner(person, caseworker, supervisor):
    case = open_case(person, "protection", None)
    services.assessment_record(case=case, kind=AssessmentKind.INITIAL, by=supervisor)
    assert "Assign the case to a caseworker first." in refused(case, "assessed", supervisor)
    services.case_assign(case=case, owner=caseworker, by=supervisor)
    assert step(case, "assessed", caseworker).state == "assessed"


def test_assessing_needs_an_assessment(person, caseworker):
    case = open_case(person, "protection", caseworker)
    assert refused(case, "assessed", caseworker) == ["Record the initial assessment first."]
    services.assessment_record(case=case, kind=AssessmentKind.INITIAL, by=caseworker)
    assert step(case, "assessed", caseworker).state == "assessed"


def test_plan_approved_needs_a_plan_with_services_approved_by_a_supervisor(person, caseworker, supervisor):
    case = open_case(person, "protection", caseworker)
    services.assessment_record(case=case, kind=AssessmentKind.INITIAL, by=caseworker)
    step(case, "assessed", caseworker)
    assert refused(case, "plan_approved", caseworker) == ["Write the service plan and add at least one service to it."]
    services.planned_service_add(case=case, service_type="legal", by=caseworker)
    assert refused(case, "plan_approved", caseworker) == ["A supervisor must approve the service plan."]
    services.service_plan_approve(case=case, by=supervisor)
    assert step(case, "plan_approved", caseworker).state == "plan_approved"


def test_a_caseworker_cannot_approve_a_plan(person, caseworker):
    from django.core.exceptions import PermissionDenied

    case = open_case(person, "protection", caseworker)
    services.planned_service_add(case=case, service_type="legal", by=caseworker)
    with pytest.raises(PermissionDenied, match="Only a supervisor"):
        services.service_plan_approve(case=case, by=caseworker)


def test_a_plan_changed_after_approval_needs_approval_again(person, caseworker, supervisor):
    case = open_case(person, "protection", caseworker)
    approved_plan(case, by=caseworker, supervisor=supervisor)
    services.planned_service_add(case=case, service_type="shelter", by=caseworker)
    assert not case.plan.is_approved


def test_follow_up_stage_needs_a_service_delivered(person, caseworker, supervisor):
    case = open_case(person, "protection", caseworker)
    services.assessment_record(case=case, kind=AssessmentKind.INITIAL, by=caseworker)
    step(case, "assessed", caseworker)
    approved_plan(case, by=caseworker, supervisor=supervisor)
    step(case, "plan_approved", caseworker)
    step(case, "services", caseworker)
    assert refused(case, "follow_up", caseworker) == ["Record at least one service the person received."]
    services.service_deliver(case=case, service_type="legal", by=caseworker)
    assert step(case, "follow_up", caseworker).state == "follow_up"


def test_closing_needs_a_reason(person, caseworker):
    case = open_case(person, "protection", caseworker)
    assert refused(case, "closed", caseworker) == ["Choose why the case is closed."]


def test_closing_waits_for_follow_ups_still_due(person, caseworker):
    case = open_case(person, "protection", caseworker)
    follow_up = services.follow_up_schedule(case=case, due_on=days_ago(2), purpose="Call", by=caseworker)
    messages = refused(case, "closed", caseworker, closure_reason="lost_contact")
    assert messages == ["1 follow-up is still due: mark it done or cancel it first."]
    services.follow_up_complete(follow_up=follow_up, by=caseworker, outcome="No answer")
    step(case, "closed", caseworker, closure_reason="lost_contact", reason="Phone switched off for weeks")
    assert (case.state, case.closure_reason, case.closed_on) == ("closed", "lost_contact", datetime.date.today())
    assert case.workflow is not None and case.is_closed


def test_reopening_needs_a_reason_and_clears_the_closure(person, caseworker):
    case = open_case(person, "protection", caseworker)
    step(case, "closed", caseworker, closure_reason="left_area")
    assert refused(case, "open", caseworker) == ["Give a reason for this step."]
    step(case, "open", caseworker, reason="Came back to Istanbul")
    assert (case.state, case.closed_on, case.closure_reason) == ("open", None, "")


def test_a_step_the_workflow_does_not_have_says_so(person, caseworker):
    case = open_case(person, "protection", caseworker)
    assert refused(case, "follow_up", caseworker) == ["A record that is “Open” cannot move to “Follow-up”."]


def test_history_records_each_step_with_who_and_why(person, caseworker):
    from liman.core.workflows import history

    case = open_case(person, "protection", caseworker)
    step(case, "closed", caseworker, closure_reason="deceased", reason="Informed by the family")
    rows = [(change.from_state, change.to_state, change.by, change.reason) for change in history(case)]
    assert rows[-1] == ("open", "closed", caseworker, "Deceased: Informed by the family")
    assert rows[0][:2] == ("", "open")


# --- counter-trafficking ----------------------------------------------------------------------------------------


def test_a_trafficking_case_is_always_protection_sensitive(person, caseworker):
    case = services.case_open(person=person, type="counter_trafficking", sensitivity="normal", by=caseworker)
    assert case.sensitivity == "protection"


def test_screening_needs_the_screening_assessment(person, caseworker):
    case = open_case(person, "counter_trafficking", caseworker)
    services.assessment_record(case=case, kind=AssessmentKind.INITIAL, by=caseworker)
    assert refused(case, "screened", caseworker) == ["Record the trafficking screening first."]
    services.assessment_record(case=case, kind=AssessmentKind.SCREENING, by=caseworker)
    assert step(case, "screened", caseworker).state == "screened"


def test_no_referral_to_the_authority_without_consent(person, caseworker):
    case = open_case(person, "counter_trafficking", caseworker)
    services.assessment_record(case=case, kind=AssessmentKind.SCREENING, by=caseworker)
    step(case, "screened", caseworker)
    [message] = refused(case, "referred_to_authority", caseworker)
    assert message.startswith("The person has not consented to be referred")
    consent(person, "referral")
    assert step(case, "referred_to_authority", caseworker).state == "referred_to_authority"


def test_a_withdrawn_consent_does_not_count(person, caseworker):
    from liman.registry.services import consent_withdraw

    case = open_case(person, "counter_trafficking", caseworker)
    services.assessment_record(case=case, kind=AssessmentKind.SCREENING, by=caseworker)
    step(case, "screened", caseworker)
    consent_withdraw(consent=consent(person, "referral"), by=caseworker)
    assert "consented" in refused(case, "referred_to_authority", caseworker)[0]


def test_identification_needs_its_date_and_marks_the_victim_identified(person, caseworker):
    case = trafficking_identified(person, by=caseworker, identified_on=days_ago(3))
    assert case.victim_status == "identified"
    other = open_case(register(person.office, first_name="Layla"), "counter_trafficking", caseworker)
    consent(other.person, "referral")
    services.assessment_record(case=other, kind=AssessmentKind.SCREENING, by=caseworker)
    step(other, "screened", caseworker)
    step(other, "referred_to_authority", caseworker)
    assert refused(other, "identified", caseworker) == [
        "Record the date the authority (PMM) identified the person as a victim."
    ]


def test_the_reflection_period_is_thirty_days_from_identification(person, caseworker):
    case = trafficking_identified(person, by=caseworker, identified_on=days_ago(10))
    assert case.reflection_period_ends_on == days_ago(10) + datetime.timedelta(days=30)
    assert case.reflection_days_left == 20


def test_the_reflection_period_length_is_a_setting(person, caseworker, settings):
    settings.LIMAN_CT_REFLECTION_DAYS = 90
    case = trafficking_identified(person, by=caseworker, identified_on=days_ago(10))
    assert case.reflection_period_ends_on == days_ago(10) + datetime.timedelta(days=90)


def _in_support_programme(person, caseworker, supervisor, identified_days_ago):
    case = trafficking_identified(person, by=caseworker, identified_on=days_ago(identified_days_ago))
    step(case, "reflection_period", caseworker)
    approved_plan(case, by=caseworker, supervisor=supervisor, service="shelter")
    return step(case, "support_programme", caseworker)


def test_no_decision_on_return_during_the_reflection_period(person, caseworker, supervisor):
    case = _in_support_programme(person, caseworker, supervisor, identified_days_ago=10)
    ends = case.reflection_period_ends_on
    [message] = refused(case, "voluntary_return", caseworker)
    assert message.startswith("The reflection period runs until") and str(ends.year) in message


def test_voluntary_return_opens_an_avrr_case_with_its_referral(person, caseworker, supervisor):
    case = _in_support_programme(person, caseworker, supervisor, identified_days_ago=40)
    step(case, "voluntary_return", caseworker)
    avrr = Case.objects.get(parent=case)
    assert (avrr.type, avrr.state, avrr.person, avrr.sensitivity) == ("avrr", "inquiry", person, "protection")
    referral = Referral.objects.get(case=case)
    assert (referral.status, referral.resulting_case, referral.to_programme.code) == ("accepted", avrr, "avrr")


def test_a_case_closed_right_after_the_report_reopens_at_the_report(person, caseworker):
    case = open_case(person, "counter_trafficking", caseworker)
    step(case, "closed", caseworker, closure_reason="lost_contact")
    assert "The case re-opens where it was closed: “Reported (potential victim)”." in refused(
        case, "support_programme", caseworker, reason="Back"
    )
    assert [target for target, *_ in case.workflow.next_steps(case, user=caseworker)] == ["reported"]
    step(case, "reported", caseworker, reason="Came back to the shelter")
    assert (case.state, case.closed_on) == ("reported", None)
    assert refused(case, "screened", caseworker) == ["Record the trafficking screening first."]


def test_a_case_reopens_where_it_was_closed(person, caseworker, supervisor):
    case = _in_support_programme(person, caseworker, supervisor, identified_days_ago=10)
    step(case, "closed", caseworker, closure_reason="lost_contact")
    assert step(case, "support_programme", caseworker, reason="Found again").state == "support_programme"


def test_reopening_cannot_go_to_a_step_the_case_never_took(person, caseworker):
    from liman.cases.workflows import TRAFFICKING

    case = open_case(person, "counter_trafficking", caseworker)
    step(case, "closed", caseworker, closure_reason="lost_contact")
    assert "it can only go back to a step it already took" in " ".join(
        TRAFFICKING.blockers(case, "support_programme", user=caseworker)
    )


def test_a_second_open_trafficking_case_for_the_same_person_is_refused(person, caseworker):
    from django.core.exceptions import ValidationError

    first = open_case(person, "counter_trafficking", caseworker)
    with pytest.raises(ValidationError) as raised:
        open_case(person, "counter_trafficking", caseworker)
    [message] = raised.value.message_dict["type"]
    assert first.reference in message and "already has an open counter-trafficking case" in message
    assert Case.objects.filter(person=person, type="counter_trafficking").count() == 1
    step(first, "closed", caseworker, closure_reason="lost_contact")
    second = open_case(person, "counter_trafficking", caseworker)
    assert refused(first, "reported", caseworker, reason="Back")[0].startswith(
        f"This person already has an open counter-trafficking case, {second.reference}"
    )


def test_other_case_types_may_hold_several_open_cases(person, caseworker):
    open_case(person, "protection", caseworker)
    open_case(person, "protection", caseworker)
    assert Case.objects.filter(person=person, type="protection").open().count() == 2


# --- assisted voluntary return ----------------------------------------------------------------------------------


def test_counselled_needs_a_counselling_session(person, caseworker):
    case = open_case(person, "avrr", caseworker)
    services.case_note_add(case=case, kind=NoteKind.NOTE, text="First call", by=caseworker)
    assert refused(case, "counselled", caseworker) == [
        "Record the counselling session (a note of the kind “Counselling session”) first."
    ]


def test_the_application_needs_the_signed_declaration(person, caseworker):
    case = open_case(person, "avrr", caseworker)
    services.case_note_add(case=case, kind=NoteKind.COUNSELLING, text="Counselled", by=caseworker)
    step(case, "counselled", caseworker)
    assert refused(case, "applied", caseworker) == [
        "Record the date the person signed the voluntary return declaration."
    ]


def test_counselling_must_come_before_the_application(person, caseworker):
    case = open_case(person, "avrr", caseworker)
    counselling = {"kind": NoteKind.COUNSELLING, "by": caseworker}
    services.case_note_add(case=case, text="Counselled", occurred_on=days_ago(5), **counselling)
    step(case, "counselled", caseworker)
    services.case_facts_update(case=case, by=caseworker, changes={"declaration_signed_on": days_ago(9)})
    [message] = refused(case, "applied", caseworker)
    assert message.startswith("Counselling must come before the application: the first counselling session")
    services.case_note_add(case=case, text="Earlier", occurred_on=days_ago(12), **counselling)
    assert step(case, "applied", caseworker).state == "applied"


def test_only_a_supervisor_approves_a_return(person, caseworker, supervisor):
    case = avrr_applied(person, by=caseworker)
    services.assessment_record(case=case, kind=AssessmentKind.ELIGIBILITY, by=caseworker)
    step(case, "eligibility_assessed", caseworker)
    assert refused(case, "approved", caseworker) == ["Your role cannot move a record to “Approved”."]
    assert step(case, "approved", supervisor).state == "approved"


def test_departed_waits_for_the_flight_day(person, caseworker, supervisor):
    flight = datetime.date.today() + datetime.timedelta(days=4)
    case = avrr_booked(person, by=caseworker, supervisor=supervisor, departure_on=flight)
    [message] = refused(case, "departed", caseworker)
    assert message.startswith("The flight is on") and "mark the person departed on or after that day" in message


def test_withdrawal_is_allowed_before_departure(person, caseworker, supervisor):
    case = avrr_booked(person, by=caseworker, supervisor=supervisor, departure_on=days_ago(1))
    step(case, "withdrawn", caseworker, reason="Decided to stay with family")
    assert (case.state, case.closed_on) == ("withdrawn", datetime.date.today())


def test_withdrawal_is_refused_after_departure(person, caseworker, supervisor):
    case = avrr_booked(person, by=caseworker, supervisor=supervisor, departure_on=days_ago(1))
    step(case, "departed", caseworker)
    assert refused(case, "withdrawn", caseworker, reason="Changed mind") == [
        "The person has already departed: a return can be withdrawn only before departure."
    ]


def test_a_fear_of_return_stops_the_case_and_opens_a_protection_case(person, caseworker):
    case = avrr_applied(person, by=caseworker)
    step(case, "stopped", caseworker, reason="Fears persecution if returned")
    protection = Case.objects.get(parent=case)
    assert (case.state, case.fear_of_return_stated_on) == ("stopped", datetime.date.today())
    assert (protection.type, protection.state, protection.person, protection.owner) == (
        "protection",
        "open",
        person,
        caseworker,
    )
    referral = Referral.objects.get(case=case)
    assert (referral.to_programme.code, referral.status) == ("protection", "accepted")
    assert referral.resulting_case == protection


def test_a_stopped_case_goes_nowhere(person, caseworker):
    case = avrr_applied(person, by=caseworker)
    step(case, "stopped", caseworker, reason="Fear of return")
    assert case.workflow.next_steps(case, user=caseworker) == []


def test_reintegration_assistance_needs_an_approved_plan(person, caseworker, supervisor):
    case = avrr_booked(person, by=caseworker, supervisor=supervisor, departure_on=days_ago(1))
    step(case, "departed", caseworker)
    step(case, "received", caseworker)
    assert refused(case, "reintegration_planned", caseworker) == [
        "Write the service plan and add at least one service to it."
    ]
    services.planned_service_add(case=case, service_type="reintegration_grant", by=caseworker)
    step(case, "reintegration_planned", caseworker)
    assert refused(case, "assistance", caseworker) == ["A supervisor must approve the service plan."]
    services.service_plan_approve(case=case, by=supervisor)
    assert step(case, "assistance", caseworker).state == "assistance"


def test_next_steps_list_what_blocks_each_step(person, caseworker):
    from liman.cases.selectors import next_steps

    case = open_case(person, "avrr", caseworker)
    steps = {item.target: item for item in next_steps(caseworker, case)}
    assert set(steps) == {"counselled", "closed", "withdrawn", "stopped"}
    assert steps["counselled"].blockers and not steps["withdrawn"].blockers
    assert steps["withdrawn"].needs_reason and steps["closed"].is_closure
