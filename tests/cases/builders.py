"""Small builders for case tests: people, consents, cases walked to a state through the services."""

from __future__ import annotations

import datetime

from django.utils import timezone

from liman.cases import services
from liman.cases.choices import AssessmentKind, NoteKind
from liman.registry import services as registry

TODAY = timezone.localdate


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def register(office, *, first_name="Amina", family_name="Haddad", sex="F", nationality="SYR", birth_date=None, **more):
    return registry.person_register(
        office=office,
        data=registry.PersonInput(
            first_name=first_name,
            family_name=family_name,
            sex=sex,
            nationality=nationality,
            birth_date=birth_date,
            **more,
        ),
        by=None,
    )


def consent(person, purpose: str):
    return registry.consent_record(person=person, purpose=purpose, legal_basis="consent", by=None)


def open_case(person, type: str, by, *, opened_on=None):
    return services.case_open(person=person, type=type, by=by, opened_on=opened_on or days_ago(100))


def approved_plan(case, *, by, supervisor, service="legal"):
    services.planned_service_add(case=case, service_type=service, by=by)
    services.service_plan_approve(case=case, by=supervisor)


def step(case, to_state, by, **kwargs):
    services.case_transition(case=case, to_state=to_state, by=by, **kwargs)
    case.refresh_from_db()
    return case


def trafficking_identified(person, *, by, identified_on):
    """A counter-trafficking case walked to "identified"."""
    case = open_case(person, "counter_trafficking", by, opened_on=identified_on - datetime.timedelta(days=20))
    services.assessment_record(case=case, kind=AssessmentKind.SCREENING, by=by)
    step(case, "screened", by)
    consent(person, "referral")
    step(case, "referred_to_authority", by)
    services.case_facts_update(case=case, by=by, changes={"identified_on": identified_on})
    return step(case, "identified", by)


def avrr_applied(person, *, by):
    """An AVRR case walked to "applied"."""
    case = open_case(person, "avrr", by)
    services.case_note_add(case=case, kind=NoteKind.COUNSELLING, text="Counselled", by=by, occurred_on=days_ago(90))
    step(case, "counselled", by)
    services.case_facts_update(case=case, by=by, changes={"declaration_signed_on": days_ago(85)})
    return step(case, "applied", by)


def avrr_booked(person, *, by, supervisor, departure_on):
    """An AVRR case walked to "booked" through movements: cleared by health staff, fit to fly, booked on a flight
    to Afghanistan leaving on `departure_on` (a flight of a past day is moved there after booking, as if the
    days had passed: a flight that has left takes no booking)."""
    from liman.core.choices import Role
    from liman.health import services as health
    from liman.health.models import HealthAssessment
    from liman.movements import services as movements
    from liman.movements.models import Flight
    from tests.factories import staff

    case = avrr_applied(person, by=by)
    services.assessment_record(case=case, kind=AssessmentKind.ELIGIBILITY, by=by)
    step(case, "eligibility_assessed", by)
    step(case, "approved", supervisor)
    services.case_facts_update(case=case, by=by, changes={"destination_country": "AFG"})
    step(case, "travel_documents", by)
    step(case, "exit_cleared", by)
    nurse = staff(Role.HEALTH, case.office, programme="health", username=f"nurse.{case.reference.lower()}")
    assessment = HealthAssessment.objects.get(person=person, status="pending")
    health.health_assessment_record(
        assessment=assessment,
        by=nurse,
        changes={"assessed_on": TODAY(), "examination": "Normal.", "chest_xray": "normal", "fit_to_travel": True},
    )
    health.health_assessment_clear(assessment=assessment, by=nurse, valid_until=TODAY() + datetime.timedelta(days=90))
    step(case, "fit_to_travel", by)
    health.fit_to_fly_record(person=person, by=nurse, is_fit=True)
    departs = timezone.now() + datetime.timedelta(days=1)
    leg = movements.LegInput("Turkish Airlines", "TK706", "IST", "KBL", departs, departs + datetime.timedelta(hours=5))
    flight = movements.flight_create(office=case.office, destination_country="AFG", legs=[leg], by=supervisor)
    services.return_travel_book(case=case, flight=flight, travellers=[movements.TravellerBooking(person)], by=by)
    moved = datetime.datetime.combine(departure_on, datetime.time(10), tzinfo=timezone.get_current_timezone())
    Flight.objects.filter(pk=flight.pk).update(departs_at=moved, arrives_at=moved + datetime.timedelta(hours=5))
    case.refresh_from_db()
    return case
