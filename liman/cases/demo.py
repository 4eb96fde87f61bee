"""Demo cases: every state of every case type, with notes, plans, services, referrals and overdue follow-ups.

Runs after the registry seeder and uses its people; with nobody registered yet it does nothing. Every record
goes through the services, so the demo also carries a full history and audit trail.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from liman.core.choices import Role
from liman.core.demo import demo_username
from liman.core.models import Office, Programme, User
from liman.health import selectors as health_selectors
from liman.health import services as health
from liman.movements import services as movements
from liman.movements.demo import took_off_an_hour_ago
from liman.registry.choices import ConsentPurpose, LegalBasis
from liman.registry.models import Person
from liman.registry.services import consent_record

from . import services
from .choices import (
    AssessmentKind,
    CaseType,
    ClosureReason,
    ExploitationType,
    MeansOfControl,
    NoteKind,
    PartnerKind,
    ProtectionState,
    RecruiterRelation,
    ReferralKind,
    ReturnState,
    ServiceType,
    SharedField,
    TraffickingState,
)
from .models import Case, PartnerOrganisation
from .workflows import ONE_OPEN_CASE_PER_PERSON, current_consent

#: Offices that get demo cases: the first one with people gets a case in every state of every type, the others a
#: few (the seed stays fast).
DEMO_OFFICES = ("IST", "IZM", "GAZ")
#: Extra identified victims of trafficking, so the CTDC export has groups of k = 11 to publish.
EXTRA_VICTIMS = 12

PARTNERS = [
    ("Harbour Legal Aid Association", "HLAA", PartnerKind.BAR_ASSOCIATION, "IST"),
    ("Anatolian Women's Solidarity Network", "AWSN", PartnerKind.NGO, "IZM"),
    ("Gaziantep Metropolitan Social Services", "GMSS", PartnerKind.MUNICIPALITY, "GAZ"),
]

PROTECTION_PATH = [
    ProtectionState.OPEN,
    ProtectionState.ASSESSED,
    ProtectionState.PLAN_APPROVED,
    ProtectionState.SERVICES,
    ProtectionState.FOLLOW_UP,
    ProtectionState.CLOSED,
]
TRAFFICKING_PATH = [
    TraffickingState.REPORTED,
    TraffickingState.SCREENED,
    TraffickingState.REFERRED_TO_AUTHORITY,
    TraffickingState.IDENTIFIED,
    TraffickingState.REFLECTION_PERIOD,
    TraffickingState.SUPPORT_PROGRAMME,
]
RETURN_PATH = [
    ReturnState.INQUIRY,
    ReturnState.COUNSELLED,
    ReturnState.APPLIED,
    ReturnState.ELIGIBILITY_ASSESSED,
    ReturnState.APPROVED,
    ReturnState.TRAVEL_DOCUMENTS,
    ReturnState.EXIT_CLEARED,
    ReturnState.FIT_TO_TRAVEL,
    ReturnState.BOOKED,
    ReturnState.DEPARTED,
    ReturnState.RECEIVED,
    ReturnState.REINTEGRATION_PLANNED,
    ReturnState.ASSISTANCE,
    ReturnState.MONITORED,
    ReturnState.CLOSED,
]

#: Airports for the demo's return flights: the office's own, and the country of return's (else via Dubai).
OFFICE_AIRPORTS = {"IST": "IST", "IZM": "ADB", "GAZ": "GZT"}
RETURN_AIRPORTS = {"AFG": "KBL", "IRQ": "BGW", "IRN": "IKA", "PAK": "ISB", "SYR": "DAM", "SOM": "MGQ", "UZB": "TAS"}

NOTES = [
    "Met at the office with an interpreter; the person was calm and answered every question.",
    "Phone call: the person confirmed the next appointment and asked about shelter options.",
    "Home visit: the family shares one room; the children are not in school yet.",
    "The person is worried about their residence permit and asked for legal advice.",
]


class _Seeder:
    def __init__(self, rng: random.Random, office: Office, people: list[Person], partners: list[PartnerOrganisation]):
        self.rng = rng
        self.office = office
        self.people = people
        self.partners = partners
        self.today = timezone.localdate()
        self.caseworker = User.objects.get(username=demo_username(Role.CASEWORKER, office.code))
        self.supervisor = User.objects.get(username=demo_username(Role.SUPERVISOR, office.code))

    def person(self, type: str = "") -> Person:
        return self.rng.choice(self.free_people(type))

    def free_people(self, type: str) -> list[Person]:
        """The office's people, without those holding an open case of `type` when it allows one per person."""
        if type not in ONE_OPEN_CASE_PER_PERSON:
            return self.people
        taken = set(Case.objects.filter(type=type).open().values_list("person_id", flat=True))
        return [person for person in self.people if person.pk not in taken]

    def days_ago(self, low: int, high: int) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rng.randint(low, high))

    def consent(self, person: Person, purpose: str) -> None:
        if current_consent(person.pk, purpose) is None:
            consent_record(
                person=person, purpose=purpose, legal_basis=LegalBasis.CONSENT, by=self.caseworker,
                given_on=self.days_ago(30, 60),
            )  # fmt: skip

    def open(self, type: str, *, opened_on: datetime.date | None = None, person: Person | None = None) -> Case:
        case = services.case_open(
            person=person or self.person(type),
            type=type,
            by=self.caseworker,
            opened_on=opened_on or self.days_ago(90, 400),
            reason="Demo case",
        )
        services.case_note_add(
            case=case, kind=NoteKind.NOTE, text=self.rng.choice(NOTES), by=self.caseworker,
            occurred_on=case.opened_on,
        )  # fmt: skip
        return case

    def step(self, case: Case, to_state: str, reason: str = "", closure: str = "") -> None:
        services.case_transition(
            case=case, to_state=to_state, by=self.caseworker, reason=reason, closure_reason=closure
        )

    def plan(self, case: Case, service: str) -> None:
        goals = "Safety first; then documents and a stable income."
        services.service_plan_write(case=case, goals=goals, by=self.caseworker)
        services.planned_service_add(
            case=case, service_type=service, by=self.caseworker, provider="Liman", target_on=self.today
        )
        services.service_plan_approve(case=case, by=self.supervisor)

    def deliver(self, case: Case, service: str) -> None:
        services.service_deliver(
            case=case, service_type=service, by=self.caseworker, delivered_on=self.days_ago(1, 20), provider="Liman"
        )

    # --- one case in each state ---------------------------------------------------------------------------

    def protection(self, target: str) -> Case:
        case = self.open(CaseType.PROTECTION)
        for state in PROTECTION_PATH[1 : PROTECTION_PATH.index(target) + 1]:
            if state == ProtectionState.ASSESSED:
                services.assessment_record(
                    case=case, kind=AssessmentKind.INITIAL, by=self.caseworker, risk_level="medium",
                    findings="Survivor of violence; needs psychosocial support and legal counselling.",
                )  # fmt: skip
            elif state == ProtectionState.PLAN_APPROVED:
                self.plan(case, ServiceType.PSYCHOSOCIAL)
            elif state == ProtectionState.FOLLOW_UP:
                self.deliver(case, ServiceType.PSYCHOSOCIAL)
            if state == ProtectionState.CLOSED:
                self.step(case, state, closure=ClosureReason.GOALS_MET)
            else:
                self.step(case, state)
        return case

    def trafficking(self, target: str, *, identified_days_ago: int = 45, person: Person | None = None) -> Case | None:
        if person is None and not self.free_people(CaseType.COUNTER_TRAFFICKING):
            return None  # a small demo office: everyone already has their one open case
        opened = self.days_ago(identified_days_ago + 20, identified_days_ago + 300)
        case = self.open(CaseType.COUNTER_TRAFFICKING, opened_on=opened, person=person)
        branches = {
            TraffickingState.NOT_IDENTIFIED: TraffickingState.REFERRED_TO_AUTHORITY,
            TraffickingState.VOLUNTARY_RETURN: TraffickingState.SUPPORT_PROGRAMME,
            TraffickingState.LOCAL_INTEGRATION: TraffickingState.SUPPORT_PROGRAMME,
            TraffickingState.THIRD_COUNTRY: TraffickingState.SUPPORT_PROGRAMME,
            TraffickingState.CLOSED: TraffickingState.SUPPORT_PROGRAMME,
        }
        path_end = branches.get(target, target)
        for state in TRAFFICKING_PATH[1 : TRAFFICKING_PATH.index(path_end) + 1]:
            if state == TraffickingState.SCREENED:
                services.assessment_record(
                    case=case, kind=AssessmentKind.SCREENING, by=self.caseworker, risk_level="high",
                    findings="Indicators of forced labour: documents withheld, wages never paid.",
                )  # fmt: skip
            elif state == TraffickingState.REFERRED_TO_AUTHORITY:
                self.consent(case.person, ConsentPurpose.REFERRAL)
            elif state == TraffickingState.IDENTIFIED:
                self.trafficking_facts(case, identified_on=self.today - datetime.timedelta(days=identified_days_ago))
            elif state == TraffickingState.SUPPORT_PROGRAMME:
                self.plan(case, ServiceType.SHELTER)
            self.step(case, state)
        if target == TraffickingState.NOT_IDENTIFIED:
            self.step(case, target, reason="The authority found no indicators of trafficking.")
        elif target == TraffickingState.CLOSED:
            self.step(case, TraffickingState.LOCAL_INTEGRATION)
            self.step(case, target, closure=ClosureReason.GOALS_MET)
        elif target != path_end:
            self.step(case, target)
        return case

    def trafficking_facts(self, case: Case, *, identified_on: datetime.date) -> None:
        rng = self.rng
        types = [ExploitationType.FORCED_LABOUR] if rng.random() < 0.6 else [ExploitationType.SEXUAL]
        services.case_facts_update(
            case=case,
            by=self.caseworker,
            changes={
                "identified_on": identified_on,
                "exploitation_types": types,
                "means_of_control": rng.sample(
                    [MeansOfControl.WITHHOLDS_DOCUMENTS, MeansOfControl.TAKES_EARNINGS, MeansOfControl.THREATS], 2
                ),
                "recruiter_relation": rng.choice([RecruiterRelation.FRIEND, RecruiterRelation.OTHER]),
                "country_of_exploitation": "TUR",
                "trafficking_details": "Recruited with a job offer; worked without pay for months.",
            },
        )

    def avrr(self, target: str) -> Case:
        case = self.open(CaseType.AVRR, opened_on=self.days_ago(120, 300))
        branches = {ReturnState.WITHDRAWN: ReturnState.COUNSELLED, ReturnState.STOPPED: ReturnState.APPLIED}
        path_end = branches.get(target, target)
        departs_later = RETURN_PATH.index(path_end) < RETURN_PATH.index(ReturnState.DEPARTED)
        for state in RETURN_PATH[1 : RETURN_PATH.index(path_end) + 1]:
            if state == ReturnState.COUNSELLED:
                services.case_note_add(
                    case=case, kind=NoteKind.COUNSELLING, by=self.caseworker, occurred_on=case.opened_on,
                    text="Explained the return process, reintegration support and the right to withdraw.",
                )  # fmt: skip
            elif state == ReturnState.APPLIED:
                signed = case.opened_on + datetime.timedelta(days=7)
                services.case_facts_update(case=case, by=self.caseworker, changes={"declaration_signed_on": signed})
            elif state == ReturnState.ELIGIBILITY_ASSESSED:
                services.assessment_record(case=case, kind=AssessmentKind.ELIGIBILITY, by=self.caseworker)
            elif state == ReturnState.TRAVEL_DOCUMENTS:
                country = case.person.nationality if case.person.nationality != "TUR" else "AFG"
                services.case_facts_update(case=case, by=self.caseworker, changes={"destination_country": country})
            elif state == ReturnState.FIT_TO_TRAVEL:
                self.clear_for_travel(case)
            elif state == ReturnState.BOOKED:
                # Booking moves the case to "booked" by itself.
                self.book_return(case, leaving_now=not departs_later)
                continue
            elif state == ReturnState.REINTEGRATION_PLANNED:
                services.planned_service_add(
                    case=case, service_type=ServiceType.REINTEGRATION_GRANT, by=self.caseworker, provider="Liman"
                )
            elif state == ReturnState.ASSISTANCE:
                services.service_plan_approve(case=case, by=self.supervisor)
            elif state == ReturnState.MONITORED:
                self.deliver(case, ServiceType.REINTEGRATION_GRANT)
            if state == ReturnState.APPROVED:
                services.case_transition(case=case, to_state=state, by=self.supervisor)
            elif state == ReturnState.CLOSED:
                self.step(case, state, closure=ClosureReason.RETURNED)
            else:
                self.step(case, state)
        if target == ReturnState.WITHDRAWN:
            self.step(case, target, reason="The person decided to stay with family in Türkiye.")
        elif target == ReturnState.STOPPED:
            self.step(case, target, reason="The person said they would be harmed if they went back.")
        return case

    def clear_for_travel(self, case: Case) -> None:
        """Health staff assess the returnee (asked for at the travel documents step) and clear them."""
        nurse = User.objects.get(username=demo_username(Role.HEALTH, self.office.code))
        clearance = health_selectors.clearances_of([case.person_id]).get(case.person_id)
        if clearance is not None and clearance.is_valid_on(self.today + datetime.timedelta(days=30)):
            return
        assessment = health.health_assessment_request(person=case.person, by=self.caseworker, office=case.office)
        health.health_assessment_record(
            assessment=assessment,
            by=nurse,
            changes={
                "assessed_on": self.today,
                "examination": "Vital signs normal; no acute findings.",
                "chest_xray": "normal",
                "fit_to_travel": True,
            },
        )
        health.health_assessment_clear(
            assessment=assessment, by=nurse, valid_until=self.today + datetime.timedelta(days=90)
        )

    def book_return(self, case: Case, *, leaving_now: bool) -> None:
        """A flight of its own to the country of return (two days out, or leaving now for the cases that have
        departed: then it took off an hour ago and its departure is confirmed), the fit-to-fly check, the booking."""
        nurse = User.objects.get(username=demo_username(Role.HEALTH, self.office.code))
        health.fit_to_fly_record(person=case.person, by=nurse, is_fit=True)
        now = timezone.now()
        departs = now + datetime.timedelta(minutes=10) if leaving_now else now + datetime.timedelta(days=2)
        country = case.destination_country
        flight = movements.flight_create(
            office=self.office,
            destination_country=country,
            legs=[
                movements.LegInput(
                    "Turkish Airlines",
                    f"TK{self.rng.randint(700, 999)}",
                    OFFICE_AIRPORTS.get(self.office.code, "IST"),
                    RETURN_AIRPORTS.get(country, "DXB"),
                    departs,
                    departs + datetime.timedelta(hours=self.rng.randint(3, 6)),
                )
            ],
            by=self.supervisor,
        )
        age = case.person.age_on(flight.departs_on)
        escort = "Mission operations escort" if age is not None and age < 18 else ""
        traveller = movements.TravellerBooking(person=case.person, escort_name=escort)
        services.return_travel_book(case=case, flight=flight, travellers=[traveller], by=self.caseworker)
        if leaving_now:
            took_off_an_hour_ago(flight)
            movements.flight_confirm_departure(flight=flight, by=self.supervisor)

    # --- what hangs off the cases -------------------------------------------------------------------------

    def follow_ups(self, case: Case) -> None:
        overdue = self.rng.random() < 0.5
        due = self.days_ago(1, 15) if overdue else self.today + datetime.timedelta(days=self.rng.randint(1, 20))
        if due < case.opened_on:
            due = case.opened_on
        purpose = "Check on safety and the next appointment"
        services.follow_up_schedule(case=case, due_on=due, purpose=purpose, by=self.caseworker)

    def referrals(self, cases: list[Case], other_office: Office | None) -> None:
        partner = self.rng.choice(self.partners)
        for index, case in enumerate(cases):
            self.consent(case.person, ConsentPurpose.SHARING_PARTNER)
            referral = services.referral_send(
                case=case,
                by=self.caseworker,
                to_partner=partner,
                service_type=ServiceType.LEGAL,
                summary="Needs legal counselling on residence and a lawyer for the hearing.",
                shared_fields=[SharedField.FULL_NAME, SharedField.SEX, SharedField.AGE, SharedField.LANGUAGES],
            )
            members = list(partner.members.all())
            if members and index % 3 == 1:
                services.referral_accept(referral=referral, by=members[0], note="We will call within two days.")
            elif members and index % 3 == 2:
                services.referral_decline(
                    referral=referral, by=members[0], reason="Our lawyers are fully booked this month."
                )
        if other_office is not None and cases:
            self.consent(cases[0].person, ConsentPurpose.REFERRAL)
            services.referral_send(
                case=cases[0],
                by=self.caseworker,
                kind=ReferralKind.TRANSFER,
                to_office=other_office,
                summary="The family moved; please continue the case.",
            )


def _partners(offices: dict[str, Office]) -> list[PartnerOrganisation]:
    found = []
    for name, acronym, kind, office_code in PARTNERS:
        organisation = PartnerOrganisation.objects.filter(name=name).first()
        if organisation is None:
            organisation = services.partner_organisation_create(name=name, acronym=acronym, kind=kind, by=None)
        if office_code in offices:
            user = User.objects.filter(username=demo_username(Role.PARTNER, office_code)).first()
            if user is not None and not organisation.members.filter(pk=user.pk).exists():
                services.partner_member_add(organisation=organisation, user=user, by=None)
        found.append(organisation)
    return found


def seed_cases(rng: random.Random, seed: int) -> None:
    if Case.objects.exists() or not Programme.objects.filter(code=CaseType.AVRR).exists():
        return
    offices = {office.code: office for office in Office.objects.filter(code__in=DEMO_OFFICES)}
    people_by_office: dict[str, list[Person]] = {}
    for person in Person.objects.active().filter(office__in=offices.values()).select_related("office").order_by("pk"):
        people_by_office.setdefault(person.office.code, []).append(person)
    if not people_by_office:
        return
    partners = _partners(offices)
    codes = [code for code in DEMO_OFFICES if code in people_by_office]
    for position, code in enumerate(codes):
        seeder = _Seeder(rng, offices[code], people_by_office[code], partners)
        if position == 0:
            for state in PROTECTION_PATH:
                seeder.protection(state)
            for state in TraffickingState.values:
                running = state == TraffickingState.REFLECTION_PERIOD
                seeder.trafficking(state, identified_days_ago=10 if running else 45)
            for state in ReturnState.values:
                seeder.avrr(state)
            free = seeder.free_people(CaseType.COUNTER_TRAFFICKING)
            for victim in rng.sample(free, min(EXTRA_VICTIMS, len(free))):
                days = rng.randint(5, 200)
                seeder.trafficking(TraffickingState.IDENTIFIED, identified_days_ago=days, person=victim)
        else:
            seeder.protection(ProtectionState.OPEN)
            seeder.protection(ProtectionState.SERVICES)
            seeder.trafficking(TraffickingState.REFLECTION_PERIOD, identified_days_ago=10)
            seeder.avrr(ReturnState.BOOKED)
        in_office = Case.objects.filter(office=offices[code]).select_related("person")
        open_cases = [case for case in in_office if not case.is_closed]
        for case in open_cases:
            seeder.follow_ups(case)
        protection_open = [case for case in open_cases if case.type == CaseType.PROTECTION][:4]
        other = offices.get(codes[(position + 1) % len(codes)]) if len(codes) > 1 else None
        seeder.referrals(protection_open, other)
