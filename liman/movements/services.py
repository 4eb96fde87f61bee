"""Every write of resettlement and movements, in a transaction, validated and audited.

The booking service is the one door onto a flight: `bookings_create` books any list of travellers (a
resettlement family through `case_book`, an AVRR returnee through the case engine) and refuses, naming the
traveller and what is missing, unless the travel rules of docs/domain.md hold on the departure date.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from liman.core.access import has_role
from liman.core.choices import Role, Sensitivity
from liman.core.models import Office, Programme, User
from liman.core.services import new_reference, record_create, record_update
from liman.core.workflows import TransitionRefused, state_set, transition
from liman.health import selectors as health
from liman.health.choices import TravelNeed
from liman.health.models import fit_to_fly_hours
from liman.health.services import health_assessment_request
from liman.registry.choices import Relationship, VulnerabilityType
from liman.registry.models import HouseholdMember, Person

from .choices import (
    ADULT_AGE,
    US,
    BookingStatus,
    CaseState,
    Decision,
    FlightStatus,
    InterviewOutcome,
    MemberRelationship,
    ReunificationState,
)
from .models import (
    Booking,
    CaseMember,
    CaseStepPartner,
    ExitPermission,
    FamilySplitApproval,
    Flight,
    FlightLeg,
    InterviewSlot,
    OrientationAttendance,
    OrientationCourse,
    OrientationSession,
    ProcessingPartner,
    PromissoryNote,
    ResettlementCase,
    ReunificationCase,
    SelectionMission,
    SponsorshipAssurance,
    Visa,
)
from .workflows import INTERRUPTED, REUNIFICATION, resume_state_after, travellers

RESETTLEMENT_PROGRAMME = "resettlement"
#: Registry relationships to the head, as relationships to the principal applicant (who is usually the head).
FROM_HOUSEHOLD = {
    Relationship.SPOUSE: MemberRelationship.SPOUSE,
    Relationship.CHILD: MemberRelationship.CHILD,
    Relationship.PARENT: MemberRelationship.PARENT,
    Relationship.SIBLING: MemberRelationship.SIBLING,
}

#: The states in which a case's travellers may be booked on a flight (the case page offers the form only then).
BOOKABLE_STATES = (CaseState.READY_FOR_DEPARTURE, CaseState.BOOKED, CaseState.FIT_TO_FLY_CHECKED)


def _day(value: datetime.date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _when(value: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _require(user: User | None, roles, office, message: str) -> None:
    if user is None or not has_role(user, roles, office=office):
        raise PermissionDenied(message)


def _programme(code: str = RESETTLEMENT_PROGRAMME) -> Programme:
    return Programme.objects.get(code=code)


# --- resettlement cases ----------------------------------------------------------------------------------------


def resettlement_case_open(
    *,
    office: Office,
    principal: Person,
    country: str,
    by: User | None,
    members: Iterable[tuple[Person, str]] | None = None,
    unhcr_reference: str = "",
    country_case_id: str = "",
    referred_on: datetime.date | None = None,
    owner: User | None = None,
) -> ResettlementCase:
    """Open a case on UNHCR's referral. Without `members`, the principal's household comes along."""
    with transaction.atomic():
        case = record_create(
            ResettlementCase(
                reference=new_reference(f"{office.code}-RS", ResettlementCase),
                office=office,
                programme=_programme(),
                principal=principal,
                country=country.upper(),
                unhcr_reference=unhcr_reference.strip(),
                country_case_id=country_case_id.strip(),
                referred_on=referred_on or timezone.localdate(),
                owner=owner or by,
            ),
            by=by,
        )
        case_member_add(case=case, person=principal, relationship=MemberRelationship.PRINCIPAL, by=by)
        if members is None:
            members = _household_of(principal)
        for person, relationship in members:
            if person.pk != principal.pk:
                case_member_add(case=case, person=person, relationship=relationship, by=by)
        for partner in ProcessingPartner.objects.filter(country=case.country):
            for step in partner.default_steps:
                if step in CaseState.values and not case.step_partners.filter(step=step).exists():
                    record_create(CaseStepPartner(case=case, step=step, partner=partner), by=by)
    return case


def _household_of(principal: Person) -> list[tuple[Person, str]]:
    membership = HouseholdMember.objects.filter(person=principal).select_related("household").first()
    if membership is None:
        return []
    # A merged record (an alias) may keep its place in the household: it is not a traveller of its own.
    others = HouseholdMember.objects.filter(household=membership.household, person__merged_into__isnull=True).exclude(
        person=principal
    )
    return [
        (member.person, FROM_HOUSEHOLD.get(member.relationship, MemberRelationship.OTHER))
        for member in others.select_related("person")
    ]


def case_member_add(*, case: ResettlementCase, person: Person, relationship: str, by: User | None) -> CaseMember:
    if person.office_id != case.office_id:
        raise ValidationError({"person": _("%(name)s is registered in another office.") % {"name": person.full_name}})
    if CaseMember.objects.filter(case=case, person=person).exists():
        raise ValidationError({"person": _("%(name)s is already on the case.") % {"name": person.full_name}})
    return record_create(CaseMember(case=case, person=person, relationship=relationship), by=by)


def case_member_set_travelling(*, member: CaseMember, is_travelling: bool, by: User, reason: str = "") -> CaseMember:
    """A member who stays behind (or joins again); splitting a family at booking still needs approval."""
    return record_update(member, by=by, changes={"is_travelling": is_travelling}, reason=reason)


def case_step_partner_set(
    *, case: ResettlementCase, step: str, partner: ProcessingPartner, by: User, note: str = ""
) -> CaseStepPartner:
    existing = CaseStepPartner.objects.filter(case=case, step=step).first()
    if existing is None:
        return record_create(CaseStepPartner(case=case, step=step, partner=partner, note=note), by=by)
    return record_update(existing, by=by, changes={"partner": partner, "note": note})


def case_transition(
    *, case: ResettlementCase, to_state: str, by: User | None, reason: str = "", hold_reason: str = ""
) -> ResettlementCase:
    """Move a case through its workflow, with what each step sets off (health requests, dates, resume point)."""
    with transaction.atomic():
        case = ResettlementCase.objects.select_for_update().get(pk=case.pk)
        resume = resume_state_after(case, to_state) if to_state in INTERRUPTED else ""
        transition(case, to_state, by=by, reason=reason, hold_reason=hold_reason)
        changes: dict = {}
        if to_state in INTERRUPTED:
            changes["resume_state"] = resume
            changes["hold_reason"] = hold_reason if to_state == CaseState.ON_HOLD else ""
        elif case.resume_state:
            changes.update(resume_state="", hold_reason="")
        today = timezone.localdate()
        if to_state == CaseState.DEPARTED:
            changes["departed_on"] = today
        elif to_state == CaseState.ARRIVED:
            changes["arrived_on"] = today
        elif to_state in (CaseState.CLOSED, CaseState.CANCELLED):
            changes["closed_on"] = today
        if changes:
            record_update(case, by=by, changes=changes, reason=reason)
        if to_state == CaseState.HEALTH_ASSESSMENT:
            _request_health_assessments(case, by=by)
    return case


def _request_health_assessments(case: ResettlementCase, *, by: User | None) -> None:
    """Each traveller without a clearance valid today gets an assessment in the health staff's queue."""
    today = timezone.localdate()
    people = travellers(case)
    clearances = health.clearances_of(person.pk for person in people)
    for person in people:
        clearance = clearances.get(person.pk)
        if clearance is None or not (clearance.is_valid_on(today) or clearance.is_on_hold):
            health_assessment_request(person=person, by=by, office=case.office)


def _advance_if_ready(case: ResettlementCase, to_state: str, *, by: User | None) -> bool:
    """Take the next step by itself when nothing blocks it (scheduling an interview schedules the case)."""
    case.refresh_from_db()
    if case.workflow.find(case, to_state) is None or case.workflow.blockers(case, to_state, user=by):
        return False
    try:
        case_transition(case=case, to_state=to_state, by=by)
    except TransitionRefused:
        return False
    case.refresh_from_db()
    return True


def case_decide(
    *, case: ResettlementCase, decision: str, decided_on: datetime.date, by: User, reason: str = ""
) -> ResettlementCase:
    """Record the resettlement country's decision and move the case to it."""
    if decision not in Decision.values:
        raise ValidationError({"decision": _("Choose accepted, rejected or deferred.")})
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": _("A decision cannot be dated in the future.")})
    with transaction.atomic():
        case = ResettlementCase.objects.select_for_update().get(pk=case.pk)
        record_update(case, by=by, changes={"decision": decision, "decided_on": decided_on}, reason=reason)
        return case_transition(case=case, to_state=decision, by=by, reason=reason)


# --- selection missions and interviews ---------------------------------------------------------------------------


def selection_mission_create(
    *,
    office: Office,
    country: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    place: str,
    by: User | None,
    interviewers: list[str] | None = None,
    interpreters: list[str] | None = None,
    note: str = "",
) -> SelectionMission:
    return record_create(
        SelectionMission(
            reference=new_reference(f"{office.code}-SM", SelectionMission),
            office=office,
            country=country.upper(),
            starts_on=starts_on,
            ends_on=ends_on,
            place=place.strip(),
            interviewers=[name.strip() for name in interviewers or [] if name.strip()],
            interpreters=[name.strip() for name in interpreters or [] if name.strip()],
            note=note,
        ),
        by=by,
    )


def interview_schedule(
    *,
    mission: SelectionMission,
    case: ResettlementCase,
    starts_at: datetime.datetime,
    by: User | None,
    room: str = "",
    interviewer: str = "",
    interpreter: str = "",
    language: str = "",
) -> InterviewSlot:
    """Book an interview slot; a referred (or deferred) case moves to "selection interview scheduled"."""
    if mission.country != case.country:
        raise ValidationError(
            {
                "mission": _("This mission is %(mission)s's; the case goes to %(case)s.")
                % {"mission": mission.country_name, "case": case.country_name}
            }
        )
    with transaction.atomic():
        clash = InterviewSlot.objects.filter(
            mission=mission, starts_at=starts_at, room=room, outcome=InterviewOutcome.SCHEDULED
        )
        if room and clash.exists():
            raise ValidationError({"starts_at": _("Room %(room)s is already booked at that time.") % {"room": room}})
        slot = record_create(
            InterviewSlot(
                mission=mission,
                case=case,
                starts_at=starts_at,
                room=room,
                interviewer=interviewer,
                interpreter=interpreter,
                language=language,
            ),
            by=by,
        )
        _advance_if_ready(case, CaseState.INTERVIEW_SCHEDULED, by=by)
    return slot


def interview_record_outcome(*, slot: InterviewSlot, outcome: str, by: User) -> InterviewSlot:
    """Attended moves the case to "interviewed"; a no-show is recorded on the slot (book another one)."""
    if outcome not in InterviewOutcome.values or outcome == InterviewOutcome.SCHEDULED:
        raise ValidationError({"outcome": _("Choose attended, no-show or cancelled.")})
    with transaction.atomic():
        slot = record_update(slot, by=by, changes={"outcome": outcome})
        if outcome == InterviewOutcome.ATTENDED:
            _advance_if_ready(slot.case, CaseState.INTERVIEWED, by=by)
    return slot


# --- cultural orientation ----------------------------------------------------------------------------------------


def orientation_session_create(
    *,
    office: Office,
    course: OrientationCourse,
    starts_on: datetime.date,
    ends_on: datetime.date,
    place: str,
    by: User | None,
    facilitator: str = "",
) -> OrientationSession:
    return record_create(
        OrientationSession(
            reference=new_reference(f"{office.code}-CO", OrientationSession),
            office=office,
            course=course,
            starts_on=starts_on,
            ends_on=ends_on,
            place=place,
            facilitator=facilitator,
        ),
        by=by,
    )


def orientation_attendance_record(
    *,
    session: OrientationSession,
    person: Person,
    hours_attended,
    by: User | None,
    case: ResettlementCase | None = None,
) -> OrientationAttendance:
    """Record (or correct) the hours a traveller attended; the course's age rule says who must attend."""
    age = person.age_on(session.starts_on)
    if age is not None and age < session.course.min_age:
        raise ValidationError(
            {
                "person": _("%(name)s is %(age)d; the course is for ages %(min)d and over.")
                % {"name": person.full_name, "age": age, "min": session.course.min_age}
            }
        )
    existing = OrientationAttendance.objects.filter(session=session, person=person).first()
    if existing is not None:
        return record_update(existing, by=by, changes={"hours_attended": hours_attended})
    return record_create(
        OrientationAttendance(session=session, person=person, case=case, hours_attended=hours_attended), by=by
    )


# --- documents and permissions -------------------------------------------------------------------------------------


def _on_case(case: ResettlementCase, person: Person) -> None:
    if not CaseMember.objects.filter(case=case, person=person).exists():
        raise ValidationError({"person": _("%(name)s is not on this case.") % {"name": person.full_name}})


def visa_record(
    *,
    case: ResettlementCase,
    person: Person,
    issued_on: datetime.date,
    valid_until: datetime.date,
    by: User | None,
    number: str = "",
) -> Visa:
    _on_case(case, person)
    return record_create(
        Visa(case=case, person=person, issued_on=issued_on, valid_until=valid_until, number=number.strip()), by=by
    )


def exit_permission_request(
    *,
    case: ResettlementCase,
    person: Person,
    requested_on: datetime.date,
    by: User | None,
    authority_reference: str = "",
) -> ExitPermission:
    _on_case(case, person)
    return record_create(
        ExitPermission(case=case, person=person, requested_on=requested_on, authority_reference=authority_reference),
        by=by,
    )


def exit_permission_grant(
    *, permission: ExitPermission, granted_on: datetime.date, valid_until: datetime.date, by: User | None
) -> ExitPermission:
    return record_update(permission, by=by, changes={"granted_on": granted_on, "valid_until": valid_until})


def promissory_note_record(
    *, case: ResettlementCase, person: Person, signed_on: datetime.date, by: User | None, amount=None
) -> PromissoryNote:
    _on_case(case, person)
    if case.country != US:
        raise ValidationError({"case": _("Travel-loan promissory notes are for US cases.")})
    return record_create(PromissoryNote(case=case, person=person, signed_on=signed_on, amount=amount), by=by)


def sponsorship_assurance_record(
    *, case: ResettlementCase, agency: str, received_on: datetime.date, by: User | None
) -> SponsorshipAssurance:
    return record_create(SponsorshipAssurance(case=case, agency=agency.strip(), received_on=received_on), by=by)


# --- flights -----------------------------------------------------------------------------------------------------


@dataclass
class LegInput:
    carrier: str
    flight_number: str
    origin: str
    destination: str
    departs_at: datetime.datetime
    arrives_at: datetime.datetime


def flight_create(
    *, office: Office, destination_country: str, legs: list[LegInput], by: User | None, note: str = ""
) -> Flight:
    """A movement with its legs, in order; the legs must connect (each leaves from where the last one landed)."""
    if not legs:
        raise ValidationError({"legs": _("A flight has at least one leg.")})
    with transaction.atomic():
        flight = record_create(
            Flight(
                reference=new_reference(f"{office.code}-FL", Flight),
                office=office,
                destination_country=destination_country.upper(),
                note=note,
            ),
            by=by,
        )
        for leg in legs:
            flight_leg_add(flight=flight, leg=leg, by=by)
    return flight


def flight_leg_add(*, flight: Flight, leg: LegInput, by: User | None) -> FlightLeg:
    with transaction.atomic():
        previous = flight.legs.order_by("-sequence").first()
        if previous is not None:
            if leg.origin.upper() != previous.destination:
                raise ValidationError(
                    {
                        "origin": _("Leg %(n)d must leave from %(airport)s, where the leg before it lands.")
                        % {"n": previous.sequence + 1, "airport": previous.destination}
                    }
                )
            if leg.departs_at <= previous.arrives_at:
                raise ValidationError(
                    {
                        "departs_at": _("Leg %(n)d must leave after the leg before it lands.")
                        % {"n": previous.sequence + 1}
                    }
                )
        made = record_create(
            FlightLeg(
                flight=flight,
                sequence=(previous.sequence + 1) if previous else 1,
                carrier=leg.carrier.strip(),
                flight_number=leg.flight_number.replace(" ", "").upper(),
                origin=leg.origin.upper(),
                destination=leg.destination.upper(),
                departs_at=leg.departs_at,
                arrives_at=leg.arrives_at,
            ),
            by=by,
        )
        span = flight.legs.aggregate(first=Min("departs_at"), last=Max("arrives_at"))
        record_update(flight, by=by, changes={"departs_at": span["first"], "arrives_at": span["last"]})
    return made


# --- bookings: the travel rules ------------------------------------------------------------------------------------


@dataclass
class TravellerBooking:
    """One traveller to book, with the escort and the airline's medical form (MEDIF) where they are needed."""

    person: Person
    escort_name: str = ""
    medif_received_on: datetime.date | None = None


@dataclass(frozen=True)
class TravelRules:
    """Which rules a booking checks. Resettlement checks them all (see `case_book`); another programme (AVRR)
    turns off what its own workflow checks instead. Visa, exit permission, family unity and the US rules read
    the resettlement case and apply only to bookings of one."""

    medical_clearance: bool = True
    visa: bool = True
    exit_permission: bool = True
    fit_to_fly: bool = True
    escort: bool = True
    family_unity: bool = True
    us_travel_loan: bool = True


class BookingRefused(Exception):
    """The travellers were not booked; `messages` name each traveller and what is missing."""

    def __init__(self, messages: Iterable[str]):
        self.messages = [str(message) for message in messages]
        super().__init__(" ".join(self.messages))


@dataclass
class _Check:
    flight: Flight
    wanted: list[TravellerBooking]
    rules: TravelRules
    case: ResettlementCase | None
    #: Another programme's case (an AVRR return) the travellers are booked for, when not a resettlement case.
    source_reference: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def day(self) -> datetime.date:
        return self.flight.departs_on

    @property
    def people(self) -> list[Person]:
        return [item.person for item in self.wanted]


def booking_problems(
    *,
    flight: Flight,
    travellers: list[TravellerBooking],
    rules: TravelRules = TravelRules(),  # noqa: B008  (frozen: one shared default is safe)
    case: ResettlementCase | None = None,
    source_reference: str = "",
) -> list[str]:
    """Everything that stops these travellers from being booked on this flight, each naming the traveller."""
    check = _Check(flight=flight, wanted=travellers, rules=rules, case=case, source_reference=source_reference)
    if flight.status != FlightStatus.PLANNED:
        return [
            _("Flight %(flight)s is %(status)s: it takes no more bookings.")
            % {"flight": flight.reference, "status": flight.get_status_display().lower()}
        ]
    if flight.departs_at is None:
        return [_("Add the flight's legs and times before booking.")]
    if flight.departs_at <= timezone.now():
        return [_("Flight %(flight)s has already left.") % {"flight": flight.reference}]
    if not travellers:
        return [_("Choose at least one traveller.")]
    already = set(flight.bookings.active().filter(person__in=check.people).values_list("person_id", flat=True))
    for person in check.people:
        if person.pk in already:
            check.problems.append(_("%(name)s is already booked on this flight.") % {"name": person.full_name})
    if case is not None and case.country != flight.destination_country:
        check.problems.append(
            _("This flight goes to %(flight)s; case %(case)s is for %(country)s.")
            % {"flight": flight.country_name, "case": case.reference, "country": case.country_name}
        )
    if rules.medical_clearance:
        _check_clearance(check)
    if case is not None and rules.visa:
        _check_documents(check, _valid_on(Visa, case, check.day), _("%(name)s has no visa valid on %(day)s."))
    if case is not None and rules.exit_permission:
        valid = _valid_on(ExitPermission, case, check.day, granted_on__isnull=False)
        _check_documents(check, valid, _("%(name)s has no exit permission valid on %(day)s."))
    if rules.fit_to_fly:
        _check_fit_to_fly(check)
    if rules.escort:
        _check_escorts(check)
    if case is not None and rules.family_unity:
        _check_family_unity(check)
    if case is not None and rules.us_travel_loan and case.country == US:
        _check_us_case(check)
    return check.problems


def _valid_on(model, case: ResettlementCase, day: datetime.date, **extra) -> set[int]:
    return set(model.objects.filter(case=case, valid_until__gte=day, **extra).values_list("person_id", flat=True))


def _check_documents(check: _Check, valid: set[int], message: str) -> None:
    for person in check.people:
        if person.pk not in valid:
            check.problems.append(message % {"name": person.full_name, "day": _day(check.day)})


def _check_clearance(check: _Check) -> None:
    clearances = health.clearances_of(person.pk for person in check.people)
    for person in check.people:
        clearance = clearances.get(person.pk)
        if clearance is not None and clearance.is_on_hold:
            check.problems.append(_("%(name)s is on medical hold.") % {"name": person.full_name})
        elif clearance is None or not clearance.is_valid_on(check.day):
            check.problems.append(
                _("%(name)s has no medical clearance valid on %(day)s.")
                % {"name": person.full_name, "day": _day(check.day)}
            )


def _check_fit_to_fly(check: _Check) -> None:
    checks = health.fit_to_fly_checks_of((person.pk for person in check.people), check.flight.departs_at)
    for person in check.people:
        found = checks.get(person.pk)
        if found is None:
            check.problems.append(
                _("%(name)s has no fit-to-fly check in the %(hours)d hours before departure (%(when)s).")
                % {"name": person.full_name, "hours": fit_to_fly_hours(), "when": _when(check.flight.departs_at)}
            )
        elif not found.is_fit:
            check.problems.append(
                _("%(name)s was found not fit to fly at the last check.") % {"name": person.full_name}
            )


def _age_on(person: Person, day: datetime.date) -> int | None:
    return person.age_on(day)


def _check_escorts(check: _Check) -> None:
    """An unaccompanied minor, or a traveller needing oxygen, a stretcher or an escort, travels with an escort;
    the medical needs also need the airline's medical form (MEDIF)."""
    clearances = health.clearances_of(person.pk for person in check.people)
    adults_on_board = {item.person.pk for item in check.wanted if (_age_on(item.person, check.day) or 0) >= ADULT_AGE}
    # Family already booked on this flight for the same case (resettlement, or an AVRR return) are on board too.
    same_case = {"case": check.case} if check.case is not None else {"source_reference": check.source_reference}
    if check.case is not None or check.source_reference:
        booked = check.flight.bookings.active().filter(**same_case).select_related("person")
        adults_on_board |= {b.person_id for b in booked if (_age_on(b.person, check.day) or 0) >= ADULT_AGE}
    unaccompanied_flags = set(
        Person.objects.filter(
            pk__in=[person.pk for person in check.people],
            vulnerabilities__type=VulnerabilityType.UNACCOMPANIED_CHILD,
            vulnerabilities__ended_on__isnull=True,
        ).values_list("pk", flat=True)
    )
    for item in check.wanted:
        person, name = item.person, item.person.full_name
        age = _age_on(person, check.day)
        is_minor = age is not None and age < ADULT_AGE
        if is_minor and (person.pk in unaccompanied_flags or not adults_on_board) and not item.escort_name.strip():
            check.problems.append(
                _("%(name)s is a minor travelling without an adult of the family: give an escort.") % {"name": name}
            )
        clearance = clearances.get(person.pk)
        if clearance is None or not clearance.needs_medif:
            continue
        needs = ", ".join(
            str(TravelNeed(need).label).lower() for need in clearance.travel_needs if need != TravelNeed.WHEELCHAIR
        )
        if not item.escort_name.strip():
            check.problems.append(
                _("%(name)s needs %(needs)s during travel: give an escort.") % {"name": name, "needs": needs}
            )
        if item.medif_received_on is None:
            check.problems.append(
                _("%(name)s needs the airline medical form (MEDIF): record the day the airline approved it.")
                % {"name": name}
            )


def _check_family_unity(check: _Check) -> None:
    case = check.case
    wanted = {person.pk for person in check.people}
    elsewhere = set(case.bookings.active().values_list("person_id", flat=True))
    left_behind = [person for person in travellers(case) if person.pk not in wanted and person.pk not in elsewhere]
    if left_behind and not FamilySplitApproval.objects.filter(case=case, flight=check.flight).exists():
        check.problems.append(
            _("This booking leaves %(names)s of case %(case)s behind: a supervisor must approve splitting the family.")
            % {"names": ", ".join(person.full_name for person in left_behind), "case": case.reference}
        )


def _check_us_case(check: _Check) -> None:
    case = check.case
    signed = set(case.promissory_notes.values_list("person_id", flat=True))
    for person in check.people:
        if (_age_on(person, check.day) or 0) >= ADULT_AGE and person.pk not in signed:
            check.problems.append(
                _("%(name)s is an adult on a US case and has no signed travel-loan promissory note.")
                % {"name": person.full_name}
            )
    if not case.assurances.exists():
        check.problems.append(_("Case %(case)s has no sponsorship assurance.") % {"case": case.reference})


def bookings_create(
    *,
    flight: Flight,
    travellers: list[TravellerBooking],
    by: User | None,
    office: Office,
    programme: str = RESETTLEMENT_PROGRAMME,
    rules: TravelRules = TravelRules(),  # noqa: B008
    case: ResettlementCase | None = None,
    source_reference: str = "",
    sensitivity: str = "",
) -> list[Booking]:
    """Book travellers on a flight, all or none; refused with `BookingRefused` naming each traveller and what
    is missing. AVRR books its returnees here with `programme="avrr"`, its case reference and its sensitivity
    (a returnee who was a victim of trafficking stays protection-sensitive on the booking too)."""
    with transaction.atomic():
        flight = Flight.objects.select_for_update().get(pk=flight.pk)
        problems = booking_problems(
            flight=flight, travellers=travellers, rules=rules, case=case, source_reference=source_reference
        )
        if problems:
            raise BookingRefused(problems)
        programme_obj = _programme(programme)
        made = [
            record_create(
                Booking(
                    flight=flight,
                    person=item.person,
                    office=office,
                    programme=programme_obj,
                    sensitivity=sensitivity or (case.sensitivity if case else Sensitivity.NORMAL),
                    case=case,
                    source_reference=source_reference or (case.reference if case else ""),
                    escort_name=item.escort_name.strip(),
                    medif_received_on=item.medif_received_on,
                    booked_by=by,
                ),
                by=by,
            )
            for item in travellers
        ]
    return made


def case_book(*, case: ResettlementCase, flight: Flight, travellers: list[TravellerBooking], by: User) -> list[Booking]:
    """Book members of a resettlement case; once every traveller holds a seat the case is "booked"."""
    _require(
        by,
        {Role.CASEWORKER, Role.SUPERVISOR, Role.PROGRAMME_OFFICER},
        case.office_id,
        _("Only resettlement staff of the case's office book its travellers."),
    )
    if case.state not in BOOKABLE_STATES:
        raise BookingRefused(
            [
                _("Case %(case)s is “%(state)s”: book it once it is ready for departure.")
                % {"case": case.reference, "state": case.get_state_display()}
            ]
        )
    on_case = set(CaseMember.objects.filter(case=case).values_list("person_id", flat=True))
    strangers = [item.person.full_name for item in travellers if item.person.pk not in on_case]
    if strangers:
        raise BookingRefused(
            [_("Not on case %(case)s: %(names)s.") % {"case": case.reference, "names": ", ".join(strangers)}]
        )
    with transaction.atomic():
        made = bookings_create(flight=flight, travellers=travellers, by=by, office=case.office, case=case)
        _advance_if_ready(case, CaseState.BOOKED, by=by)
    return made


def booking_cancel(*, booking: Booking, by: User, reason: str) -> Booking:
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the booking is cancelled.")})
    if booking.status != BookingStatus.BOOKED:
        raise ValidationError(_("Only a booking not yet flown can be cancelled."))
    return state_set(
        booking,
        field="status",
        new=BookingStatus.CANCELLED,
        by=by,
        changes={"cancel_reason": reason.strip()},
        reason=reason,
    )


def family_split_approve(*, case: ResettlementCase, flight: Flight, by: User, reason: str) -> FamilySplitApproval:
    """A supervisor approves, with a reason, that the family does not all travel on this flight."""
    _require(
        by, {Role.SUPERVISOR}, case.office_id, _("Only a supervisor of the case's office approves splitting a family.")
    )
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the family travels apart.")})
    return record_create(FamilySplitApproval(case=case, flight=flight, approved_by=by, reason=reason.strip()), by=by)


# --- at the airport -------------------------------------------------------------------------------------------------


def flight_checklist_mark(*, flight: Flight, key: str, done: bool, by: User) -> Flight:
    keys = [item for item in flight.checklist_done if item != key] + ([key] if done else [])
    return record_update(flight, by=by, changes={"checklist_done": keys})


def flight_confirm_departure(*, flight: Flight, by: User, no_shows: Iterable[int] = ()) -> Flight:
    """The flight left: its travellers departed, except the no-shows; their cases move on when all have gone."""
    no_shows = set(no_shows)
    with transaction.atomic():
        flight = Flight.objects.select_for_update().get(pk=flight.pk)
        if flight.status != FlightStatus.PLANNED:
            raise ValidationError(_("The departure of this flight is already confirmed."))
        bookings = list(flight.bookings.filter(status=BookingStatus.BOOKED).select_related("case"))
        for booking in bookings:
            status = BookingStatus.NO_SHOW if booking.person_id in no_shows else BookingStatus.DEPARTED
            state_set(booking, field="status", new=status, by=by)
        state_set(
            flight, field="status", new=FlightStatus.DEPARTED, by=by, changes={"departure_confirmed_at": timezone.now()}
        )
        for case in {booking.case for booking in bookings if booking.case is not None}:
            _advance_if_ready(case, CaseState.DEPARTED, by=by)
    return flight


def flight_confirm_arrival(*, flight: Flight, by: User) -> Flight:
    with transaction.atomic():
        flight = Flight.objects.select_for_update().get(pk=flight.pk)
        if flight.status != FlightStatus.DEPARTED:
            raise ValidationError(_("Confirm the departure first."))
        bookings = list(flight.bookings.filter(status=BookingStatus.DEPARTED).select_related("case"))
        for booking in bookings:
            state_set(booking, field="status", new=BookingStatus.ARRIVED, by=by)
        state_set(
            flight, field="status", new=FlightStatus.ARRIVED, by=by, changes={"arrival_confirmed_at": timezone.now()}
        )
        for case in {booking.case for booking in bookings if booking.case is not None}:
            _advance_if_ready(case, CaseState.ARRIVED, by=by)
    return flight


# --- family reunification ----------------------------------------------------------------------------------------


def reunification_case_open(
    *,
    office: Office,
    person: Person,
    country: str,
    by: User | None,
    is_fap: bool = False,
    sponsor_name: str = "",
    appointment_on: datetime.date | None = None,
) -> ReunificationCase:
    return record_create(
        ReunificationCase(
            reference=new_reference(f"{office.code}-FR", ReunificationCase),
            office=office,
            programme=_programme(),
            person=person,
            country=country.upper(),
            is_fap=is_fap,
            sponsor_name=sponsor_name,
            appointment_on=appointment_on or timezone.localdate(),
        ),
        by=by,
    )


REUNIFICATION_FIELDS = ("documents_ready_on", "consulate_appointment_on", "submitted_on", "decision", "decided_on")


def reunification_case_update(*, case: ReunificationCase, changes: dict, by: User) -> ReunificationCase:
    unknown = set(changes) - set(REUNIFICATION_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(unknown)})
    with transaction.atomic():
        # A fresh row: saving a stale copy would put back the state it had when it was read.
        case = ReunificationCase.objects.select_for_update().get(pk=case.pk)
        return record_update(case, by=by, changes=changes)


def reunification_transition(
    *, case: ReunificationCase, to_state: str, by: User, reason: str = ""
) -> ReunificationCase:
    if to_state not in ReunificationState.values:
        raise ValidationError({"state": _("Unknown step.")})
    transition(case, to_state, by=by, reason=reason, workflow=REUNIFICATION)
    return case
