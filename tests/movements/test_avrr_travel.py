"""AVRR travel through movements: the case engine books a returnee (and the household going back with them) on a
flight through `bookings_create`, with every travel rule it checks; the case's steps wait for the seat, and a
withdrawal gives the seats back. Refusals name the traveller and what is missing, on the case page too."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from liman.cases import services as cases
from liman.cases.choices import AssessmentKind
from liman.cases.models import Case
from liman.core.choices import Role
from liman.core.workflows import TransitionRefused
from liman.health import services as health
from liman.health.models import HealthAssessment
from liman.movements import services as movements
from liman.movements.choices import BookingStatus
from liman.movements.models import Booking, Flight
from liman.movements.selectors import manifest_rows
from tests.cases.builders import avrr_applied, step
from tests.factories import staff
from tests.movements.conftest import clear, leg, register, years_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


@pytest.fixture
def kabul(istanbul, worker):
    """A flight to Afghanistan two days out: a fit-to-fly check done today falls within 72 hours of it."""
    departs = timezone.now() + datetime.timedelta(days=2)
    return movements.flight_create(
        office=istanbul, destination_country="AFG", legs=[leg(departs, "TK706", "IST", "KBL")], by=worker
    )


@pytest.fixture
def returning(family, caseworker, worker, nurse):
    """The father's return to Afghanistan, walked to "fit to travel": counselled, applied, eligible, approved,
    documents and exit cleared, medically cleared (no fit-to-fly check yet: each test adds what it needs)."""
    case = avrr_applied(family.father, by=caseworker)
    cases.assessment_record(case=case, kind=AssessmentKind.ELIGIBILITY, by=caseworker)
    step(case, "eligibility_assessed", caseworker)
    step(case, "approved", worker)
    cases.case_facts_update(case=case, by=caseworker, changes={"destination_country": "AFG"})
    step(case, "travel_documents", caseworker)
    step(case, "exit_cleared", caseworker)
    clear(family.father, nurse)
    return step(case, "fit_to_travel", caseworker)


def book(case, flight, people, by, **extra) -> list[Booking]:
    travellers = [movements.TravellerBooking(person=person, **extra) for person in people]
    return cases.return_travel_book(case=case, flight=flight, travellers=travellers, by=by)


def refusal(case, flight, people, by, **extra) -> list[str]:
    with pytest.raises(movements.BookingRefused) as refused:
        book(case, flight, people, by, **extra)
    return refused.value.messages


def fit(nurse, *people):
    for person in people:
        health.fit_to_fly_record(person=person, by=nurse, is_fit=True)


def state_of(case) -> str:
    return Case.objects.get(pk=case.pk).state


# --- the rules, through the services ---------------------------------------------------------------------------


def test_travel_documents_ask_health_staff_to_assess_the_returnee(family, caseworker, worker):
    case = avrr_applied(family.father, by=caseworker)
    cases.assessment_record(case=case, kind=AssessmentKind.ELIGIBILITY, by=caseworker)
    step(case, "eligibility_assessed", caseworker)
    step(case, "approved", worker)
    cases.case_facts_update(case=case, by=caseworker, changes={"destination_country": "AFG"})
    step(case, "travel_documents", caseworker)
    assert HealthAssessment.objects.get(person=family.father).status == "pending"
    step(case, "exit_cleared", caseworker)
    with pytest.raises(TransitionRefused, match="The person has no valid medical clearance"):
        cases.case_transition(case=case, to_state="fit_to_travel", by=caseworker)


def test_booked_waits_for_a_seat_on_a_flight(returning, caseworker):
    with pytest.raises(TransitionRefused) as refused:
        cases.case_transition(case=returning, to_state="booked", by=caseworker)
    assert refused.value.messages == [
        "Book the person on a flight to the country of return (“Book travel” on this page)."
    ]


def test_a_returnee_without_a_fit_to_fly_check_is_refused_by_name_then_booked(
    returning, family, kabul, caseworker, nurse
):
    [message] = refusal(returning, kabul, [family.father], caseworker)
    assert message.startswith("Ahmad Haddad has no fit-to-fly check in the 72 hours before departure")
    assert state_of(returning) == "fit_to_travel" and not Booking.objects.exists()

    fit(nurse, family.father)
    [seat] = book(returning, kabul, [family.father], caseworker)
    case = Case.objects.get(pk=returning.pk)
    assert (case.state, case.departure_on) == ("booked", kabul.departs_on)
    assert (seat.programme.code, seat.source_reference, seat.case, seat.office) == (
        "avrr",
        returning.reference,
        None,
        returning.office,
    )


def test_a_family_member_without_medical_clearance_is_refused_by_name(returning, family, kabul, caseworker, nurse):
    fit(nurse, family.father, family.mother)
    [message] = refusal(returning, kabul, [family.father, family.mother], caseworker)
    assert message.startswith("Rania Haddad has no medical clearance valid on")
    assert not Booking.objects.exists()
    clear(family.mother, nurse)
    assert len(book(returning, kabul, [family.father, family.mother], caseworker)) == 2


def test_a_returnee_needing_oxygen_travels_with_an_escort_and_the_airline_form(
    returning, family, kabul, caseworker, nurse
):
    clear(family.father, nurse, needs=["oxygen"])
    fit(nurse, family.father)
    assert refusal(returning, kabul, [family.father], caseworker) == [
        "Ahmad Haddad needs oxygen during travel: give an escort.",
        "Ahmad Haddad needs the airline medical form (MEDIF): record the day the airline approved it.",
    ]
    [seat] = book(
        returning, kabul, [family.father], caseworker, escort_name="Dr Aydın", medif_received_on=timezone.localdate()
    )
    assert seat.escort_name == "Dr Aydın"


def test_a_child_joining_the_returnee_on_the_flight_needs_no_other_escort(returning, family, kabul, caseworker, nurse):
    clear(family.son, nurse)
    fit(nurse, family.father, family.son)
    book(returning, kabul, [family.father], caseworker)
    [seat] = book(returning, kabul, [family.son], caseworker)
    assert (seat.person, seat.escort_name, seat.status) == (family.son, "", BookingStatus.BOOKED)


def test_a_flight_to_another_country_is_refused(returning, family, istanbul, caseworker, worker, nurse):
    fit(nurse, family.father)
    toronto = movements.flight_create(
        office=istanbul, destination_country="CAN", legs=[leg(timezone.now() + datetime.timedelta(days=2))], by=worker
    )
    assert refusal(returning, toronto, [family.father], caseworker) == [
        "This flight goes to Canada; the person returns to Afghanistan."
    ]


def test_only_the_returnee_and_their_household_travel_on_the_return(
    returning, family, istanbul, kabul, caseworker, nurse
):
    neighbour = register(istanbul, "Karim", "Nazari", "M", years_ago(30))
    clear(neighbour, nurse)
    fit(nurse, family.father, neighbour)
    assert refusal(returning, kabul, [family.father, neighbour], caseworker) == [
        "Not in the household of the person returning: Karim Nazari."
    ]


def test_the_family_goes_with_the_returnee_not_before_them(returning, family, kabul, caseworker, nurse):
    clear(family.mother, nurse)
    fit(nurse, family.mother)
    assert refusal(returning, kabul, [family.mother], caseworker) == [
        "Book Ahmad Haddad, the person returning, with the family members who go back with them."
    ]


def test_a_traveller_holds_one_seat_per_return(returning, family, kabul, caseworker, nurse):
    fit(nurse, family.father)
    book(returning, kabul, [family.father], caseworker)
    assert refusal(returning, kabul, [family.father], caseworker) == [
        f"Ahmad Haddad already holds a seat on {kabul.reference} for this return."
    ]


def test_a_caseworker_of_another_office_cannot_book_the_return(returning, family, kabul, izmir, nurse):
    fit(nurse, family.father)
    with pytest.raises(PermissionDenied):
        book(returning, kabul, [family.father], staff(Role.CASEWORKER, izmir))


# --- the steps after booking -------------------------------------------------------------------------------------


def test_departed_needs_the_seat_still_held(returning, family, kabul, caseworker, nurse):
    fit(nurse, family.father)
    [seat] = book(returning, kabul, [family.father], caseworker)
    Flight.objects.filter(pk=kabul.pk).update(departs_at=timezone.now() - datetime.timedelta(hours=2))
    movements.booking_cancel(booking=seat, by=caseworker, reason="The airline cancelled the flight.")
    with pytest.raises(TransitionRefused) as refused:
        cases.case_transition(case=returning, to_state="departed", by=caseworker)
    assert refused.value.messages == [
        "The person holds no seat on a flight: the booking was cancelled or marked a no-show. Book travel again."
    ]


def test_departed_waits_for_the_day_of_the_booked_flight(returning, family, kabul, caseworker, nurse):
    fit(nurse, family.father)
    book(returning, kabul, [family.father], caseworker)
    with pytest.raises(TransitionRefused, match="mark the person departed on or after that day"):
        cases.case_transition(case=returning, to_state="departed", by=caseworker)
    Flight.objects.filter(pk=kabul.pk).update(departs_at=timezone.now() - datetime.timedelta(hours=2))
    assert step(returning, "departed", caseworker).state == "departed"


def test_withdrawing_before_departure_gives_the_seats_back(returning, family, kabul, caseworker, nurse, worker):
    clear(family.mother, nurse)
    fit(nurse, family.father, family.mother)
    book(returning, kabul, [family.father, family.mother], caseworker)
    step(returning, "withdrawn", caseworker, reason="Decided to stay with family")
    seats = Booking.objects.filter(source_reference=returning.reference)
    assert {seat.status for seat in seats} == {BookingStatus.CANCELLED}
    assert {seat.cancel_reason for seat in seats} == {"Withdrawn: Decided to stay with family"}
    assert manifest_rows(worker, kabul) == []


def test_a_fear_of_return_gives_the_seats_back(returning, family, kabul, caseworker, nurse):
    fit(nurse, family.father)
    book(returning, kabul, [family.father], caseworker)
    step(returning, "stopped", caseworker, reason="Fears persecution if returned")
    assert Booking.objects.get(source_reference=returning.reference).status == BookingStatus.CANCELLED


def test_seats_already_flown_stay_when_the_case_closes(returning, family, kabul, caseworker, nurse, worker):
    fit(nurse, family.father)
    book(returning, kabul, [family.father], caseworker)
    movements.flight_confirm_departure(flight=kabul, by=worker)
    cases.case_transition(case=returning, to_state="closed", by=caseworker, closure_reason="other")
    assert Booking.objects.get(source_reference=returning.reference).status == BookingStatus.DEPARTED


# --- the case page -----------------------------------------------------------------------------------------------


def page_of(client, case) -> str:
    response = client.get(reverse("cases:case-detail", args=[case.reference]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_case_page_offers_open_flights_to_the_country_of_return(
    client, returning, family, istanbul, kabul, caseworker, worker
):
    toronto = movements.flight_create(
        office=istanbul, destination_country="CAN", legs=[leg(timezone.now() + datetime.timedelta(days=3))], by=worker
    )
    client.force_login(caseworker)
    body = page_of(client, returning)
    assert "Book travel" in body and kabul.reference in body and toronto.reference not in body
    for person in family.people:
        assert person.full_name in body  # the household, offered to go back with the returnee


def test_a_refused_booking_explains_itself_on_the_case_page(client, returning, family, kabul, caseworker):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:case-travel-book", args=[returning.reference]),
        {"flight": kabul.reference, "travellers": [family.father.pk]},
        follow=True,
    )
    body = response.content.decode()
    assert "Ahmad Haddad has no fit-to-fly check in the 72 hours before departure" in body
    assert "No seat booked yet." in body and state_of(returning) == "fit_to_travel"


def test_booking_on_the_case_page_moves_the_case_to_booked(client, returning, family, kabul, caseworker, nurse):
    fit(nurse, family.father)
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:case-travel-book", args=[returning.reference]),
        {"flight": kabul.reference, "travellers": [family.father.pk]},
        follow=True,
    )
    body = response.content.decode()
    assert f"Booked on {kabul.reference}: Ahmad Haddad." in body and state_of(returning) == "booked"
    assert 'id="return-bookings"' in body and "Booked" in body


def test_the_page_asks_health_staff_to_assess_the_family_going_back(client, returning, family, caseworker):
    client.force_login(caseworker)
    assert "Ask health staff to assess family members going back" in page_of(client, returning)
    client.post(reverse("cases:case-travel-health", args=[returning.reference]), {"people": [family.mother.pk]})
    assert HealthAssessment.objects.get(person=family.mother).status == "pending"


def test_another_offices_caseworker_gets_404_on_the_case_and_its_travel(client, returning, family, kabul, izmir):
    client.force_login(staff(Role.CASEWORKER, izmir))
    assert client.get(reverse("cases:case-detail", args=[returning.reference])).status_code == 404
    booking = {"flight": kabul.reference, "travellers": [family.father.pk]}
    assert client.post(reverse("cases:case-travel-book", args=[returning.reference]), booking).status_code == 404
    assert client.post(reverse("cases:case-travel-health", args=[returning.reference]), {}).status_code == 404
    assert not Booking.objects.exists()


def test_the_travel_section_costs_the_same_queries_for_one_seat_or_five(
    client, returning, family, kabul, caseworker, nurse
):
    for person in family.people[1:]:
        clear(person, nurse)
    fit(nurse, *family.people)
    client.force_login(caseworker)
    book(returning, kabul, [family.father], caseworker)
    with CaptureQueriesContext(connection) as one:
        page_of(client, returning)
    book(returning, kabul, family.people[1:], caseworker, escort_name="")
    with CaptureQueriesContext(connection) as five:
        body = page_of(client, returning)
    assert body.count(kabul.reference) >= 5
    assert len(five) == len(one)
