"""The resettlement workflow: what blocks each step (naming the travellers), and on hold / withdrawn / no-show /
cancelled from any state before departure, undone where the domain allows."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from liman.core.workflows import TransitionRefused
from liman.health.models import HealthAssessment
from liman.movements import selectors, services
from liman.movements.choices import CaseState, HoldReason
from liman.movements.models import ResettlementCase
from tests.movements.conftest import clear

pytestmark = pytest.mark.django_db


def at(case, state: str) -> ResettlementCase:
    """The case moved to `state` as if it had taken the steps there (with its history row: resuming checks it)."""
    from liman.core.workflows import record_state_change

    previous = case.state
    ResettlementCase.objects.filter(pk=case.pk).update(state=state)
    case.refresh_from_db()
    record_state_change(case, field="state", old=previous, new=state, by=None, workflow=case.workflow.name)
    return case


def blockers(case, target: str, user) -> list[str]:
    return case.workflow.blockers(case, target, user=user)


def test_the_checklist_names_the_travellers_without_a_visa(open_case, family, worker):
    case = at(open_case, CaseState.ORIENTATION_DONE)
    services.visa_record(
        case=case,
        person=family.father,
        issued_on=timezone.localdate(),
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
        by=worker,
    )
    record = selectors.case_record(worker, case)
    visa_step = next(step for step in record.next_steps if step["state"] == CaseState.VISA_ISSUED)
    assert visa_step["blockers"] == ["No valid visa recorded: Rania Haddad, Leyla Haddad, Omar Haddad, Nour Haddad."]


def test_moving_to_the_health_step_asks_health_staff_to_assess_every_traveller(open_case, family, worker):
    case = at(open_case, CaseState.ACCEPTED)
    services.case_transition(case=case, to_state=CaseState.HEALTH_ASSESSMENT, by=worker)
    assert HealthAssessment.objects.filter(person__in=family.people, status="pending").count() == 5


def test_medically_cleared_waits_for_every_traveller(open_case, family, worker, nurse):
    case = at(open_case, CaseState.HEALTH_ASSESSMENT)
    for person in family.people[:4]:
        clear(person, nurse)
    assert blockers(case, CaseState.MEDICALLY_CLEARED, worker) == [
        "Not medically cleared (or the clearance has expired): Nour Haddad."
    ]
    clear(family.baby, nurse)
    services.case_transition(case=case, to_state=CaseState.MEDICALLY_CLEARED, by=nurse)
    assert ResettlementCase.objects.get(pk=case.pk).state == CaseState.MEDICALLY_CLEARED


def test_orientation_is_required_only_from_the_courses_age(open_case, family, worker, istanbul):
    from liman.movements.models import OrientationCourse

    case = at(open_case, CaseState.MEDICALLY_CLEARED)
    course = OrientationCourse.objects.get(country="CAN")
    session = services.orientation_session_create(
        office=istanbul,
        course=course,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        place="Office",
        by=worker,
    )
    services.orientation_attendance_record(session=session, person=family.father, hours_attended=15, by=worker)
    services.orientation_attendance_record(session=session, person=family.mother, hours_attended=10, by=worker)
    message = blockers(case, CaseState.ORIENTATION_DONE, worker)
    assert any("Cultural orientation not completed: Rania Haddad, Leyla Haddad (from age 13)." in m for m in message)


def test_a_child_below_the_course_age_is_not_enrolled(open_case, family, worker, istanbul):
    from django.core.exceptions import ValidationError

    from liman.movements.models import OrientationCourse

    session = services.orientation_session_create(
        office=istanbul,
        course=OrientationCourse.objects.get(country="CAN"),
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        place="Office",
        by=worker,
    )
    with pytest.raises(ValidationError, match="Omar Haddad is 12; the course is for ages 13 and over."):
        services.orientation_attendance_record(session=session, person=family.son, hours_attended=15, by=worker)


def test_on_hold_needs_a_reason_and_resumes_where_it_was(open_case, worker):
    case = at(open_case, CaseState.VISA_ISSUED)
    with pytest.raises(TransitionRefused, match="security, medical or programme suspension"):
        services.case_transition(case=case, to_state=CaseState.ON_HOLD, by=worker, reason="Check pending.")
    services.case_transition(
        case=case, to_state=CaseState.ON_HOLD, by=worker, reason="Check pending.", hold_reason=HoldReason.SECURITY
    )
    case.refresh_from_db()
    assert (case.state, case.hold_reason, case.resume_state) == ("on_hold", "security", "visa_issued")
    with pytest.raises(TransitionRefused, match="resumes where it was stopped"):
        services.case_transition(case=case, to_state=CaseState.BOOKED, by=worker)
    services.case_transition(case=case, to_state=CaseState.VISA_ISSUED, by=worker)
    case.refresh_from_db()
    assert (case.state, case.hold_reason, case.resume_state) == ("visa_issued", "", "")


def test_the_case_page_offers_only_the_resume_step_of_a_case_on_hold(open_case, worker):
    case = at(open_case, CaseState.ACCEPTED)
    services.case_transition(
        case=case, to_state=CaseState.ON_HOLD, by=worker, reason="Suspended.", hold_reason="programme_suspension"
    )
    record = selectors.case_record(worker, ResettlementCase.objects.get(pk=case.pk))
    assert [step["state"] for step in record.next_steps] == [CaseState.ACCEPTED]
    assert {step["state"] for step in record.interruptions} == {CaseState.WITHDRAWN, CaseState.CANCELLED}


def test_a_no_show_at_the_airport_resumes_at_ready_for_departure(open_case, worker):
    case = at(at(open_case, CaseState.READY_FOR_DEPARTURE), CaseState.BOOKED)
    services.case_transition(case=case, to_state=CaseState.NO_SHOW, by=worker, reason="Did not come to the airport.")
    assert ResettlementCase.objects.get(pk=case.pk).resume_state == CaseState.READY_FOR_DEPARTURE
    services.case_transition(case=case, to_state=CaseState.READY_FOR_DEPARTURE, by=worker)


def test_only_a_supervisor_takes_back_a_withdrawal(open_case, caseworker, worker):
    case = at(open_case, CaseState.INTERVIEWED)
    services.case_transition(case=case, to_state=CaseState.WITHDRAWN, by=caseworker, reason="Family changed mind.")
    with pytest.raises(TransitionRefused, match="Your role cannot"):
        services.case_transition(case=case, to_state=CaseState.INTERVIEWED, by=caseworker, reason="Back.")
    services.case_transition(case=case, to_state=CaseState.INTERVIEWED, by=worker, reason="They asked to continue.")
    assert ResettlementCase.objects.get(pk=case.pk).state == CaseState.INTERVIEWED


def test_cancelled_is_final(open_case, worker):
    case = at(open_case, CaseState.REFERRED)
    services.case_transition(case=case, to_state=CaseState.CANCELLED, by=worker, reason="Country withdrew quota.")
    case.refresh_from_db()
    assert case.closed_on == timezone.localdate()
    assert case.workflow.next_steps(case, user=worker) == []


def test_nothing_interrupts_a_case_that_has_departed(open_case, worker):
    case = at(open_case, CaseState.DEPARTED)
    with pytest.raises(TransitionRefused, match="cannot move"):
        services.case_transition(case=case, to_state=CaseState.ON_HOLD, by=worker, reason="x", hold_reason="security")


def test_a_decision_dated_in_the_future_is_refused(open_case, worker):
    from django.core.exceptions import ValidationError

    case = at(open_case, CaseState.INTERVIEWED)
    with pytest.raises(ValidationError, match="future"):
        services.case_decide(
            case=case, decision="accepted", decided_on=timezone.localdate() + datetime.timedelta(days=1), by=worker
        )


def test_a_rejected_case_can_only_be_closed(open_case, worker):
    case = at(open_case, CaseState.INTERVIEWED)
    services.case_decide(case=case, decision="rejected", decided_on=timezone.localdate(), by=worker)
    case.refresh_from_db()
    assert [step for step, _label, _blockers in case.workflow.next_steps(case, user=worker)] == [CaseState.CLOSED]


def test_a_case_takes_people_of_its_own_office_only(open_case, izmir, worker):
    from django.core.exceptions import ValidationError

    from tests.movements.conftest import register

    stranger = register(izmir, "Yusuf", "Karimi", "M", timezone.localdate().replace(year=1990))
    with pytest.raises(ValidationError, match="registered in another office"):
        services.case_member_add(case=open_case, person=stranger, relationship="other", by=worker)
