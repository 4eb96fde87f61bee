"""Demo resettlement pipeline: cases at every stage for several destination countries in Istanbul and Ankara,
selection missions with interviews, orientation sessions, health assessments (some on medical hold), and
upcoming flights with their manifests.

Every record is written through the services, the way staff would (so each case's history, the audit chain
and the travel rules are real); the people are the registry's demo households of the two offices. Without
them (the registry seeder did not run) nothing is added.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from liman.core.choices import Role, Sensitivity
from liman.core.demo import demo_username
from liman.core.models import Office, User
from liman.health import services as health
from liman.registry.models import Household

from . import services
from .choices import PIPELINE, US, CaseState, HoldReason
from .models import Flight, FlightLeg, OrientationCourse, ProcessingPartner, ResettlementCase, SelectionMission
from .workflows import travellers

OFFICES = ("IST", "ANK")
COUNTRIES = ["CAN", "AUS", "USA", "DEU", "NOR", "GBR"]
#: Where each demo case stops, in order; the first cases of each office go furthest.
TARGETS = [
    CaseState.ARRIVED,
    CaseState.DEPARTED,
    CaseState.FIT_TO_FLY_CHECKED,
    CaseState.BOOKED,
    CaseState.BOOKED,
    CaseState.READY_FOR_DEPARTURE,
    CaseState.EXIT_PERMISSION_GRANTED,
    CaseState.EXIT_PERMISSION_REQUESTED,
    CaseState.VISA_ISSUED,
    CaseState.ORIENTATION_DONE,
    CaseState.MEDICALLY_CLEARED,
    CaseState.MEDICAL_HOLD,
    CaseState.HEALTH_ASSESSMENT,
    CaseState.ACCEPTED,
    CaseState.DEFERRED,
    CaseState.REJECTED,
    CaseState.INTERVIEWED,
    CaseState.INTERVIEW_SCHEDULED,
    CaseState.REFERRED,
    CaseState.REFERRED,
    CaseState.ON_HOLD,
    CaseState.WITHDRAWN,
]
PARTNERS = [
    ("Immigration, Refugees and Citizenship Canada", "IRCC", "CAN", ["interviewed", "visa_issued"]),
    ("Australian Department of Home Affairs", "DHA", "AUS", ["interviewed", "visa_issued"]),
    ("Resettlement Support Center Türkiye and Middle East", "RSC", "USA", ["interview_scheduled", "interviewed"]),
    ("Bundesamt für Migration und Flüchtlinge", "BAMF", "DEU", ["interviewed"]),
    ("Norwegian Directorate of Immigration", "UDI", "NOR", ["interviewed", "visa_issued"]),
    ("UK Home Office", "UKHO", "GBR", ["interviewed", "visa_issued"]),
]
AIRPORTS = {"CAN": "YYZ", "AUS": "MEL", "USA": "JFK", "DEU": "FRA", "NOR": "OSL", "GBR": "LHR"}
HOME_AIRPORT = {"IST": "IST", "ANK": "ESB"}
FINDINGS = [
    "No significant history.",
    "Hypertension, controlled with medication.",
    "Asthma since childhood; inhaler.",
    "Appendectomy in 2015.",
]


def seed_movements(rng: random.Random, seed: int) -> None:
    if ResettlementCase.objects.exists():
        return
    for name, acronym, country, steps in PARTNERS:
        ProcessingPartner.objects.get_or_create(
            name=name, defaults={"acronym": acronym, "country": country, "default_steps": steps}
        )
    for code in OFFICES:
        office = Office.objects.filter(code=code).first()
        staff = _staff(code)
        if office is None or staff is None:
            continue
        _seed_office(rng, office, *staff)


def _staff(code: str) -> tuple[User, User] | None:
    worker = User.objects.filter(username=demo_username(Role.SUPERVISOR, code)).first()
    nurse = User.objects.filter(username=demo_username(Role.HEALTH, code)).first()
    return (worker, nurse) if worker and nurse else None


class _Office:
    """What one office's demo needs once: its missions, sessions and flights per country."""

    def __init__(self, rng: random.Random, office: Office, worker: User, nurse: User):
        self.rng, self.office, self.worker, self.nurse = rng, office, worker, nurse
        self.today = timezone.localdate()
        self.missions: dict[str, SelectionMission] = {}
        self.sessions: dict[str, object] = {}
        self.flights: dict[tuple[str, str], object] = {}
        self.slot_minutes = 0

    def mission(self, country: str) -> SelectionMission:
        if country not in self.missions:
            self.missions[country] = services.selection_mission_create(
                office=self.office,
                country=country,
                starts_on=self.today - datetime.timedelta(days=20),
                ends_on=self.today + datetime.timedelta(days=10),
                place=f"{self.office.province.name}, mission premises",
                interviewers=["Officer A. Martin", "Officer J. Singh"],
                interpreters=["Hasan Aydın (ar)", "Maryam Rahimi (fa)"],
                by=self.worker,
            )
        return self.missions[country]

    def session(self, course: OrientationCourse):
        if course.country not in self.sessions:
            self.sessions[course.country] = services.orientation_session_create(
                office=self.office,
                course=course,
                starts_on=self.today - datetime.timedelta(days=course.days),
                ends_on=self.today - datetime.timedelta(days=1),
                place=f"{self.office.name}, training room",
                facilitator="Cultural orientation team",
                by=self.worker,
            )
        return self.sessions[course.country]

    def session_for(self, course: OrientationCourse, person):
        """The session a traveller attends: the office's last one, or, for a child who reached the course's age
        since it started (too young for it, yet due before the step), one starting today."""
        session = self.session(course)
        age = person.age_on(session.starts_on)
        if age is None or age >= course.min_age:
            return session
        key = f"{course.country}:{course.pk}:today"
        if key not in self.sessions:
            self.sessions[key] = services.orientation_session_create(
                office=self.office,
                course=course,
                starts_on=self.today,
                ends_on=self.today + datetime.timedelta(days=max(course.days - 1, 0)),
                place=f"{self.office.name}, training room",
                facilitator="Cultural orientation team",
                by=self.worker,
            )
        return self.sessions[key]

    def flight(self, country: str, *, leaving_now: bool = False):
        """An upcoming flight (in two days: within 72 hours, so today's fit-to-fly checks count), or one that
        leaves within the hour (its departure is then confirmed, for the departed and arrived cases)."""
        key = (country, "now" if leaving_now else "soon")
        if key not in self.flights:
            departs = timezone.now() + (datetime.timedelta(hours=1) if leaving_now else datetime.timedelta(days=2))
            departs = departs.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)
            origin = HOME_AIRPORT.get(self.office.code, "IST")
            legs = []
            if origin != "IST":
                legs.append(
                    services.LegInput(
                        "Turkish Airlines", "TK2121", origin, "IST", departs, departs + datetime.timedelta(hours=1)
                    )
                )
                departs += datetime.timedelta(hours=3)
            legs.append(
                services.LegInput(
                    "Turkish Airlines",
                    f"TK{self.rng.randint(1, 99)}",
                    "IST",
                    AIRPORTS[country],
                    departs,
                    departs + datetime.timedelta(hours=self.rng.randint(3, 14)),
                )
            )
            self.flights[key] = services.flight_create(
                office=self.office, destination_country=country, legs=legs, by=self.worker
            )
        return self.flights[key]


def _seed_office(rng: random.Random, office: Office, worker: User, nurse: User) -> None:
    demo = _Office(rng, office, worker, nurse)
    households = list(
        Household.objects.filter(office=office, head__isnull=False, head__sensitivity=Sensitivity.NORMAL)
        .select_related("head")
        .order_by("reference")[:200]
    )
    rng.shuffle(households)
    chosen = [household for household in households if 2 <= household.members.count() <= 6][: len(TARGETS)]
    for index, (household, target) in enumerate(zip(chosen, TARGETS, strict=False)):
        country = COUNTRIES[index % len(COUNTRIES)]
        with transaction.atomic():
            case = services.resettlement_case_open(
                office=office,
                principal=household.head,
                country=country,
                unhcr_reference=f"{office.code}-{seed_number(rng)}C{rng.randint(100, 999)}",
                referred_on=demo.today - datetime.timedelta(days=rng.randint(30, 400)),
                by=worker,
            )
            _advance(demo, case, target, index)


def seed_number(rng: random.Random) -> str:
    return f"{rng.randint(10, 99)}-{rng.randint(100000, 999999)}"


def _reached(target: str, state: str) -> bool:
    """Whether the walk towards `target` passes `state` (rejected and deferred end their own branch)."""
    order = [s for s in PIPELINE if s != CaseState.DEFERRED]
    if target in (CaseState.REJECTED, CaseState.DEFERRED):
        return state in (CaseState.INTERVIEW_SCHEDULED, CaseState.INTERVIEWED)
    if target == CaseState.ON_HOLD:
        target = CaseState.VISA_ISSUED
    if target == CaseState.WITHDRAWN:
        target = CaseState.ACCEPTED
    if target not in order or state not in order:
        return False
    return order.index(state) <= order.index(target)


def _step(demo: _Office, case, state: str, **kwargs) -> ResettlementCase:
    return services.case_transition(case=case, to_state=state, by=demo.worker, **kwargs)


def _advance(demo: _Office, case: ResettlementCase, target: str, index: int) -> None:
    rng, worker, nurse, today = demo.rng, demo.worker, demo.nurse, demo.today
    if target == CaseState.REFERRED:
        return
    mission = demo.mission(case.country)
    demo.slot_minutes += 45
    slot = services.interview_schedule(
        mission=mission,
        case=case,
        # Interviews held two weeks ago; the ones still to come in two days.
        starts_at=timezone.now().replace(minute=0, second=0, microsecond=0)
        + datetime.timedelta(days=2 if target == CaseState.INTERVIEW_SCHEDULED else -15, minutes=demo.slot_minutes),
        room=str(1 + index % 3),
        interviewer=mission.interviewers[index % 2],
        interpreter=mission.interpreters[index % 2],
        by=worker,
    )
    if target == CaseState.INTERVIEW_SCHEDULED:
        return
    services.interview_record_outcome(slot=slot, outcome="attended", by=worker)
    if target == CaseState.INTERVIEWED:
        return
    decision = target if target in (CaseState.REJECTED, CaseState.DEFERRED) else CaseState.ACCEPTED
    case = services.case_decide(case=case, decision=decision, decided_on=today, by=worker)
    if target in (CaseState.ACCEPTED, CaseState.REJECTED, CaseState.DEFERRED):
        return
    if target == CaseState.WITHDRAWN:
        _step(demo, case, CaseState.WITHDRAWN, reason="The family decided to stay in Türkiye.")
        return
    case = _step(demo, case, CaseState.HEALTH_ASSESSMENT)
    if target == CaseState.HEALTH_ASSESSMENT:
        return
    people = travellers(case)
    held = people[-1] if target == CaseState.MEDICAL_HOLD else None
    for number, person in enumerate(people):
        _assess(demo, person, hold=person == held, wheelchair=number == 0 and index % 4 == 0)
    if held is not None:
        _step(demo, case, CaseState.MEDICAL_HOLD)
        return
    case = _step(demo, case, CaseState.MEDICALLY_CLEARED)
    if target == CaseState.MEDICALLY_CLEARED:
        return
    for course in OrientationCourse.objects.filter(country=case.country):
        for person in people:
            # The step's rule counts ages today (`orientation_completed`); the session's, on its first day.
            age = person.age_on(today)
            if age is None or age >= course.min_age:
                services.orientation_attendance_record(
                    session=demo.session_for(course, person), person=person, hours_attended=course.hours, case=case,
                    by=worker,
                )  # fmt: skip
    case = _step(demo, case, CaseState.ORIENTATION_DONE)
    if target == CaseState.ORIENTATION_DONE:
        return
    for person in people:
        services.visa_record(
            case=case,
            person=person,
            issued_on=today,
            valid_until=today + datetime.timedelta(days=rng.choice([90, 120, 180])),
            number=f"V{rng.randint(1000000, 9999999)}",
            by=worker,
        )
    case = _step(demo, case, CaseState.VISA_ISSUED)
    if target == CaseState.ON_HOLD:
        _step(demo, case, CaseState.ON_HOLD, reason="Security check pending.", hold_reason=HoldReason.SECURITY)
        return
    if target == CaseState.VISA_ISSUED:
        return
    permissions = [
        services.exit_permission_request(
            case=case,
            person=person,
            requested_on=today,
            authority_reference=f"PMM-{rng.randint(10000, 99999)}",
            by=worker,
        )
        for person in people
    ]
    case = _step(demo, case, CaseState.EXIT_PERMISSION_REQUESTED)
    if target == CaseState.EXIT_PERMISSION_REQUESTED:
        return
    for permission in permissions:
        services.exit_permission_grant(
            permission=permission, granted_on=today, valid_until=today + datetime.timedelta(days=60), by=worker
        )
    case = _step(demo, case, CaseState.EXIT_PERMISSION_GRANTED)
    if target == CaseState.EXIT_PERMISSION_GRANTED:
        return
    if case.country == US:
        for person in people:
            if (person.age_on(today) or 0) >= 18:
                services.promissory_note_record(case=case, person=person, signed_on=today, amount=1850, by=worker)
        services.sponsorship_assurance_record(
            case=case, agency="International Rescue Committee", received_on=today, by=worker
        )
    case = _step(demo, case, CaseState.READY_FOR_DEPARTURE)
    if target == CaseState.READY_FOR_DEPARTURE:
        return
    for person in people:
        health.fit_to_fly_record(person=person, by=nurse, is_fit=True)
    leaving = target in (CaseState.DEPARTED, CaseState.ARRIVED)
    flight = demo.flight(case.country, leaving_now=leaving)
    services.case_book(
        case=case, flight=flight, travellers=[services.TravellerBooking(person=person) for person in people], by=worker
    )
    if target == CaseState.BOOKED:
        return
    case = _step(demo, ResettlementCase.objects.get(pk=case.pk), CaseState.FIT_TO_FLY_CHECKED)
    if target == CaseState.FIT_TO_FLY_CHECKED:
        return
    if flight.status == "planned":
        took_off_an_hour_ago(flight)
        services.flight_confirm_departure(flight=flight, by=worker)
        flight.refresh_from_db()
    if target == CaseState.ARRIVED:
        services.flight_confirm_arrival(flight=flight, by=worker)


def _assess(demo: _Office, person, *, hold: bool, wheelchair: bool) -> None:
    rng, nurse = demo.rng, demo.nurse
    assessment = health.health_assessment_request(person=person, by=demo.worker)
    health.health_assessment_record(
        assessment=assessment,
        by=nurse,
        changes={
            "assessed_on": demo.today,
            "medical_history": rng.choice(FINDINGS),
            "examination": "Vital signs normal; no acute findings.",
            "vaccinations": "MMR and DTP given; polio (OPV) given.",
            "chest_xray": "normal",
            "fit_to_travel": not hold,
            "travel_needs": ["wheelchair"] if wheelchair else [],
        },
    )
    if hold:
        health.health_assessment_hold(
            assessment=assessment, by=nurse, reason="Suspected active TB: sputum smear and culture ordered."
        )
    else:
        health.health_assessment_clear(
            assessment=assessment, by=nurse, valid_until=demo.today + datetime.timedelta(days=rng.choice([120, 180]))
        )


def took_off_an_hour_ago(flight) -> None:
    """Time passes in the demo: a flight booked while it was ahead (as bookings must be) is moved back, all its
    legs by the same span, so that it took off an hour ago. Its day is then today, or yesterday just after
    midnight, never tomorrow: the departure can be confirmed and its travellers marked departed whatever the hour
    the demo is seeded at (a flight "in ten minutes" seeded at 23:55 would leave tomorrow)."""
    shift = flight.departs_at - (timezone.now() - datetime.timedelta(hours=1))
    if shift <= datetime.timedelta(0):
        return
    moved = {"departs_at": F("departs_at") - shift, "arrives_at": F("arrives_at") - shift}
    FlightLeg.objects.filter(flight=flight).update(**moved)
    Flight.objects.filter(pk=flight.pk).update(**moved)
    flight.refresh_from_db()
