"""Every read of resettlement and movements that a page or the API shows, scoped to the user first.

Health is read through `liman.health.selectors`: the clearance (`clearances_for`: status and expiry, in the
user's scope) and, for every traveller reached through a booking or a case the user sees, the needs during travel
(`travel_needs_of`: wheelchair, oxygen, stretcher, escort), which movement staff need to book seats and meet the
travellers, whichever office registered them. Never a finding.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import get_visible_or_404, has_role
from liman.health import selectors as health
from liman.registry.models import Person

from .choices import ACTIVE_BOOKINGS, ENDED, INTERRUPTIONS, PIPELINE, RESETTLEMENT_COUNTRIES, CaseState
from .models import (
    CASE_ROLES,
    Booking,
    CaseMember,
    Flight,
    FlightLeg,
    InterviewSlot,
    OrientationAttendance,
    OrientationSession,
    ResettlementCase,
    ReunificationCase,
    SelectionMission,
    country_label,
)
from .workflows import INTERRUPTED


def works_on_resettlement(user) -> bool:
    """Resettlement staff: caseworkers, supervisors and programme officers in the resettlement programme
    (or in every programme of their office)."""
    if getattr(user, "is_superuser", False):
        return True
    return any(
        grant.role in CASE_ROLES and (grant.programme_id is None or grant.programme.code == "resettlement")
        for grant in user.grants
    )


def can_change_case(user, case: ResettlementCase) -> bool:
    return has_role(user, CASE_ROLES, office=case.office_id)


# --- the pipeline board ------------------------------------------------------------------------------------------


@dataclass
class BoardFilters:
    office: str = ""
    country: str = ""
    hold_reason: str = ""
    referred_from: datetime.date | None = None
    referred_until: datetime.date | None = None
    include_ended: bool = False
    #: Only the cases with a traveller on medical hold (the board's flags link to them).
    medical_hold: bool = False


@dataclass
class Board:
    """Cases by state (rows) × destination country (columns), with the totals."""

    countries: list[tuple[str, str]]
    rows: list[dict]
    column_totals: list[int]
    total: int
    offices: list = field(default_factory=list)


def cases_for(user, filters: BoardFilters | None = None) -> QuerySet[ResettlementCase]:
    filters = filters or BoardFilters()
    cases = ResettlementCase.objects.visible_to(user)
    if filters.office:
        cases = cases.filter(office__code=filters.office.upper())
    if filters.country:
        cases = cases.filter(country=filters.country.upper())
    if filters.hold_reason:
        cases = cases.filter(hold_reason=filters.hold_reason)
    if filters.referred_from:
        cases = cases.filter(referred_on__gte=filters.referred_from)
    if filters.referred_until:
        cases = cases.filter(referred_on__lte=filters.referred_until)
    if filters.medical_hold:
        cases = cases.filter(pk__in=_with_a_traveller_on_medical_hold())
    return cases


def _with_a_traveller_on_medical_hold() -> QuerySet:
    return CaseMember.objects.filter(is_travelling=True, person_id__in=health.people_on_medical_hold()).values(
        "case_id"
    )


def pipeline_board(user, filters: BoardFilters | None = None) -> Board:
    """One GROUP BY over the visible cases, however many there are."""
    filters = filters or BoardFilters()
    counts = cases_for(user, filters).order_by().values_list("state", "country").annotate(n=Count("id"))
    cell: dict[tuple[str, str], int] = {}
    present: set[str] = set()
    for state, country, n in counts:
        cell[(state, country)] = n
        present.add(country)
    # A traveller put on medical hold after the case moved on (ready for departure, booked…) flags the case where
    # it stands, until a caseworker moves it to "Medical hold" or the hold is lifted: a second GROUP BY.
    held = (
        cases_for(user, filters)
        .filter(pk__in=_with_a_traveller_on_medical_hold())
        .exclude(state=CaseState.MEDICAL_HOLD)
        .order_by()
        .values_list("state", "country")
        .annotate(n=Count("id"))
    )
    flagged = {(state, country): n for state, country, n in held}
    ordered = [code for code in RESETTLEMENT_COUNTRIES if code in present]
    ordered += sorted(present - set(RESETTLEMENT_COUNTRIES))
    countries = [(code, country_label(code)) for code in ordered]
    states = [*PIPELINE, *INTERRUPTIONS, *(ENDED if filters.include_ended else [])]
    rows = []
    for state in states:
        values = [cell.get((state, code), 0) for code in ordered]
        flags = [flagged.get((state, code), 0) for code in ordered]
        rows.append(
            {
                "state": state,
                "label": CaseState(state).label,
                "counts": values,
                "cells": list(zip(ordered, values, flags, strict=True)),
                "total": sum(values),
                "flagged": sum(flags),
            }
        )
    column_totals = [sum(row["counts"][i] for row in rows) for i in range(len(ordered))]
    return Board(countries=countries, rows=rows, column_totals=column_totals, total=sum(column_totals))


def case_list(user, *, filters: BoardFilters | None = None, state: str = "", query: str = "") -> QuerySet:
    cases = cases_for(user, filters).select_related("principal", "office", "owner")
    if state:
        cases = cases.filter(state=state)
    if query:
        cases = cases.filter(
            Q(reference__iexact=query)
            | Q(unhcr_reference__iexact=query)
            | Q(principal__family_name__icontains=query)
            | Q(principal__reference__iexact=query)
        )
    return cases.annotate(member_count=Count("members")).order_by("-referred_on", "-id")


# --- one case ----------------------------------------------------------------------------------------------------


def case_get(user, *, reference: str) -> ResettlementCase:
    queryset = ResettlementCase.objects.select_related("principal", "office", "owner", "programme")
    return get_visible_or_404(queryset, user, reference=reference.strip().upper())


@dataclass
class Traveller:
    member: CaseMember
    clearance: health.Clearance
    travel_needs: health.TravelNeeds = health.NO_TRAVEL_NEEDS
    visa: object = None
    exit_permission: object = None
    promissory_note: object = None
    orientation: object = None
    booking: object = None

    @property
    def person(self) -> Person:
        return self.member.person


@dataclass
class CaseRecord:
    """Everything the case page shows to one user; medical facts are the clearance status only."""

    case: ResettlementCase
    travellers: list[Traveller]
    interviews: list
    step_partners: list
    assurances: list
    split_approvals: list
    history: list
    next_steps: list
    interruptions: list


def case_record(user, case: ResettlementCase) -> CaseRecord:
    from liman.core.workflows import history

    members = list(CaseMember.objects.visible_to(user).filter(case=case).select_related("person"))
    people = [member.person for member in members]
    clearances = health.clearances_for(user, people)
    needs = health.travel_needs_of(person.pk for person in people)
    latest = _latest_by_person
    visas = latest(case.visas.all(), "valid_until")
    exits = latest(case.exit_permissions.all(), "requested_on")
    notes = latest(case.promissory_notes.all(), "signed_on")
    attendance = latest(
        OrientationAttendance.objects.visible_to(user)
        .filter(person__in=people, session__course__country=case.country)
        .select_related("session__course"),
        "hours_attended",
    )
    bookings = latest(
        Booking.objects.visible_to(user).filter(case=case, status__in=ACTIVE_BOOKINGS).select_related("flight"),
        "booked_at",
    )
    rows = [
        Traveller(
            member=member,
            clearance=clearances.get(member.person_id, health.NO_CLEARANCE),
            travel_needs=needs.get(member.person_id, health.NO_TRAVEL_NEEDS),
            visa=visas.get(member.person_id),
            exit_permission=exits.get(member.person_id),
            promissory_note=notes.get(member.person_id),
            orientation=attendance.get(member.person_id),
            booking=bookings.get(member.person_id),
        )
        for member in members
    ]
    steps = case.workflow.next_steps(case, user=user)
    forward, interruptions = [], []
    for target, label, blockers in steps:
        if case.state in INTERRUPTED and target not in (CaseState.WITHDRAWN, CaseState.CANCELLED):
            if target != case.resume_state:
                continue
        entry = {"state": target, "label": label, "blockers": blockers}
        if target in (CaseState.ON_HOLD, CaseState.WITHDRAWN, CaseState.NO_SHOW, CaseState.CANCELLED):
            interruptions.append(entry)
        else:
            forward.append(entry)
    return CaseRecord(
        case=case,
        travellers=rows,
        interviews=list(InterviewSlot.objects.visible_to(user).filter(case=case).select_related("mission")),
        step_partners=list(case.step_partners.select_related("partner")),
        assurances=list(case.assurances.all()),
        split_approvals=list(case.split_approvals.select_related("flight", "approved_by")),
        history=_labelled(history(case), CaseState),
        next_steps=forward,
        interruptions=interruptions,
    )


def _labelled(changes, states) -> list:
    """State changes with the label of the state each one reached, in the reader's language."""
    labelled = []
    for change in changes:
        change.to_label = states(change.to_state).label if change.to_state in states.values else change.to_state
        labelled.append(change)
    return labelled


def _latest_by_person(queryset, order: str) -> dict:
    found: dict = {}
    for row in queryset.order_by("person_id", f"-{order}", "-id"):
        found.setdefault(row.person_id, row)
    return found


def offices_for_work(user) -> list:
    """Offices where the user may open and move resettlement records."""
    from liman.core.models import Office

    if getattr(user, "is_superuser", False):
        return list(Office.objects.filter(is_active=True).order_by("code"))
    grants = [grant for grant in user.grants if grant.role in CASE_ROLES]
    if any(grant.office_id is None for grant in grants):
        return list(Office.objects.filter(is_active=True).order_by("code"))
    offices = {grant.office_id: grant.office for grant in grants}
    return sorted((office for office in offices.values() if office.is_active), key=lambda office: office.code)


# --- missions and orientation --------------------------------------------------------------------------------------


def missions_for(user) -> QuerySet[SelectionMission]:
    missions = SelectionMission.objects.visible_to(user).annotate(slot_count=Count("slots"))
    return missions.order_by("-starts_on", "-id")


def mission_get(user, *, reference: str) -> SelectionMission:
    return get_visible_or_404(SelectionMission, user, reference=reference.strip().upper())


def mission_slots(user, mission: SelectionMission) -> QuerySet[InterviewSlot]:
    return InterviewSlot.objects.visible_to(user).filter(mission=mission).select_related("case__principal")


def sessions_for(user) -> QuerySet[OrientationSession]:
    return (
        OrientationSession.objects.visible_to(user)
        .select_related("course")
        .annotate(attendee_count=Count("attendance"))
        .order_by("-starts_on", "-id")
    )


def session_get(user, *, reference: str) -> OrientationSession:
    return get_visible_or_404(OrientationSession.objects.select_related("course"), user, reference=reference.upper())


def session_attendance(user, session: OrientationSession) -> QuerySet[OrientationAttendance]:
    return OrientationAttendance.objects.visible_to(user).filter(session=session).select_related("person", "case")


# --- flights, the calendar, the manifest ---------------------------------------------------------------------------


def flights_for(user, *, upcoming: bool = False, status: str = "", destination: str = "") -> QuerySet[Flight]:
    flights = Flight.objects.visible_to(user).annotate(
        traveller_count=Count("bookings", filter=Q(bookings__status__in=ACTIVE_BOOKINGS))
    )
    if status:
        flights = flights.filter(status=status)
    if destination:
        flights = flights.filter(destination_country=destination)
    if upcoming:
        flights = flights.filter(departs_at__gte=timezone.now() - datetime.timedelta(days=1))
    return flights.order_by("departs_at", "id")


def open_flights_to(user, country: str) -> list[Flight]:
    """Planned flights to `country` that have not left yet: the ones travellers can be booked on."""
    from .choices import FlightStatus

    flights = Flight.objects.visible_to(user).filter(
        destination_country=country, status=FlightStatus.PLANNED, departs_at__gt=timezone.now()
    )
    return list(flights.order_by("departs_at", "id")[:50])


def flights_for_case(user, case: ResettlementCase) -> list[Flight]:
    """Open flights to the case's country: the ones its travellers can be booked on."""
    return open_flights_to(user, case.country)


def flight_get(user, *, reference: str) -> Flight:
    return get_visible_or_404(Flight, user, reference=reference.strip().upper())


def flight_legs(user, flight: Flight) -> QuerySet[FlightLeg]:
    return FlightLeg.objects.visible_to(user).filter(flight=flight)


def manifest(user, flight: Flight) -> list[Booking]:
    """The people booked on the flight (its manifest): the count is the number of seats held."""
    return list(
        Booking.objects.visible_to(user)
        .filter(flight=flight, status__in=ACTIVE_BOOKINGS)
        .select_related("person", "case", "programme")
        .order_by("person__family_name", "person__first_name", "id")
    )


def bookings_for(
    user, *, status: str = "", destination: str = "", upcoming: bool = False, query: str = ""
) -> QuerySet[Booking]:
    """Every booking the user sees (their office's travellers, and every seat on a flight their office runs)."""
    bookings = Booking.objects.visible_to(user).select_related("person", "flight", "case", "office")
    if status:
        bookings = bookings.filter(status=status)
    if destination:
        bookings = bookings.filter(flight__destination_country=destination)
    if upcoming:
        bookings = bookings.filter(flight__departs_at__gte=timezone.now() - datetime.timedelta(days=1))
    if query:
        bookings = bookings.filter(
            Q(person__reference__iexact=query)
            | Q(person__family_name__icontains=query)
            | Q(person__first_name__icontains=query)
            | Q(flight__reference__iexact=query)
            | Q(case__reference__iexact=query)
            | Q(source_reference__iexact=query)
        )
    return bookings.order_by("flight__departs_at", "person__family_name", "id")


def booking_destinations(user) -> list[str]:
    """The countries of the flights the user's bookings are on (the bookings list's filter)."""
    return sorted(
        Booking.objects.visible_to(user).order_by().values_list("flight__destination_country", flat=True).distinct()
    )


@dataclass
class ManifestRow:
    booking: Booking
    age: int | None
    #: None when the traveller is outside the reader's scope (another office's traveller on their flight).
    clearance: health.Clearance | None
    assistance: list[str]
    travel_needs: health.TravelNeeds = health.NO_TRAVEL_NEEDS


def manifest_rows(user, flight: Flight) -> list[ManifestRow]:
    """One row per person booked, with the help each needs on the way: read for every booking the user sees,
    also a traveller of another office on a flight the user's office runs (the airport team prepares the
    wheelchair or the oxygen all the same). The clearance status stays in the user's scope."""
    bookings = manifest(user, flight)
    ids = [booking.person_id for booking in bookings]
    in_scope = set(Person.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    clearances = health.clearances_for(user, ids)
    needs = health.travel_needs_of(ids)
    day = flight.departs_on or timezone.localdate()
    rows = []
    for booking in bookings:
        clearance = clearances.get(booking.person_id, health.NO_CLEARANCE) if booking.person_id in in_scope else None
        travel_needs = needs.get(booking.person_id, health.NO_TRAVEL_NEEDS)
        assistance = list(travel_needs.labels)
        if booking.escort_name:
            assistance.append(str(_("Escort: %(name)s")) % {"name": booking.escort_name})
        if booking.medif_received_on:
            assistance.append(str(_("MEDIF approved")))
        rows.append(ManifestRow(booking, booking.person.age_on(day), clearance, assistance, travel_needs))
    return rows


# --- a return booked by the case engine (AVRR) ----------------------------------------------------------------------


def return_bookings_of(reference: str) -> QuerySet[Booking]:
    """Seats held for the AVRR case `reference` (booked, departed or arrived): the facts its workflow checks,
    whoever asks (a rule must not pass because the asker cannot see the flight's office)."""
    return Booking.objects.filter(source_reference=reference, case__isnull=True, status__in=ACTIVE_BOOKINGS)


@dataclass
class ReturnTravel:
    """The travel of one AVRR case as its page shows it: every seat booked for it (cancelled ones too), the
    open flights to the country of return, and who may travel (the returnee, then their household)."""

    bookings: list[Booking]
    flights: list[Flight]
    travellers: list[Person]
    clearances: dict[int, health.Clearance]
    travel_needs: dict[int, health.TravelNeeds]

    @property
    def rows(self) -> list[dict]:
        return [
            {
                "person": person,
                "clearance": self.clearances.get(person.pk, health.NO_CLEARANCE),
                "travel_needs": self.travel_needs.get(person.pk, health.NO_TRAVEL_NEEDS),
            }
            for person in self.travellers
        ]


def return_travel(user, *, reference: str, returnee: Person, country: str) -> ReturnTravel:
    """What the AVRR case `reference` shows of its travel to `user`: a handful of queries, however many seats."""
    from liman.registry.models import HouseholdMember

    bookings = list(
        Booking.objects.visible_to(user)
        .filter(source_reference=reference, case__isnull=True)
        .select_related("flight", "person")
        .order_by("-booked_at", "-id")
    )
    household = (
        HouseholdMember.objects.visible_to(user)
        .filter(household__members__person=returnee)
        .exclude(person=returnee)
        .select_related("person")
        .order_by("joined_on", "id")
    )
    travellers = [returnee, *(member.person for member in household)]
    return ReturnTravel(
        bookings=bookings,
        flights=open_flights_to(user, country) if country else [],
        travellers=travellers,
        clearances=health.clearances_for(user, travellers),
        travel_needs=health.travel_needs_of(person.pk for person in travellers),
    )


@dataclass
class ChecklistItem:
    key: str
    label: str
    done: bool


def airport_checklist(user, flight: Flight, rows: list[ManifestRow] | None = None) -> list[ChecklistItem]:
    """What the airport team must see to, from the manifest: the same for every flight, plus each traveller's
    needs (wheelchair, oxygen, stretcher, escort, a minor's handover)."""
    rows = manifest_rows(user, flight) if rows is None else rows
    done = set(flight.checklist_done)
    items = [
        ("manifest", _("Manifest sent to the airline and the receiving country")),
        ("exit-control", _("Exit control with the authority at the airport")),
        ("documents", _("Travel documents and bags handed to the travellers")),
        ("check-in", _("Meet and assist at check-in")),
    ]
    if flight.legs.count() > 1:
        items.append(("transit", _("Transit assistance arranged")))
    for row in rows:
        person = row.booking.person
        for need, label in zip(row.travel_needs.needs, row.travel_needs.labels, strict=False):
            items.append((f"{need}:{person.reference}", f"{label}: {person.full_name}"))
        if row.age is not None and row.age < 18 and row.booking.escort_name:
            items.append(
                (f"minor:{person.reference}", _("Handover of %(name)s to the escort") % {"name": person.full_name})
            )
    return [ChecklistItem(key, str(label), key in done) for key, label in items]


@dataclass
class CalendarDay:
    day: datetime.date
    in_month: bool
    flights: list = field(default_factory=list)


def departures_calendar(user, *, year: int, month: int) -> list[list[CalendarDay]]:
    """The month's weeks (Monday first) with each day's departures and the travellers booked on them."""
    first = datetime.date(year, month, 1)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    start, end = weeks[0][0], weeks[-1][-1]
    tz = timezone.get_current_timezone()
    window = (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(end, datetime.time.max, tzinfo=tz),
    )
    by_day = defaultdict(list)
    for flight in flights_for(user).filter(departs_at__range=window):
        by_day[flight.departs_on].append(flight)
    return [[CalendarDay(day, day.month == first.month, by_day.get(day, [])) for day in week] for week in weeks]


# --- family reunification ------------------------------------------------------------------------------------------


def reunification_cases_for(user, *, state: str = "") -> QuerySet[ReunificationCase]:
    cases = ReunificationCase.objects.visible_to(user).select_related("person", "office")
    if state:
        cases = cases.filter(state=state)
    return cases


def reunification_case_get(user, *, reference: str) -> ReunificationCase:
    return get_visible_or_404(
        ReunificationCase.objects.select_related("person", "office"), user, reference=reference.strip().upper()
    )


# --- the person page ---------------------------------------------------------------------------------------------


def person_movements(user, person: Person) -> dict | None:
    cases = list(
        ResettlementCase.objects.visible_to(user).filter(members__person=person).select_related("office").distinct()
    )
    bookings = list(
        Booking.objects.visible_to(user).filter(person=person).select_related("flight").order_by("-booked_at")[:5]
    )
    reunification = list(ReunificationCase.objects.visible_to(user).filter(person=person))
    if not (cases or bookings or reunification) and not works_on_resettlement(user):
        return None
    return {
        "person": person,
        "cases": cases,
        "bookings": bookings,
        "reunification": reunification,
        "can_open": works_on_resettlement(user) and has_role(user, CASE_ROLES, office=person.office_id),
    }
