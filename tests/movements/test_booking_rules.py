"""The travel rules of docs/domain.md: each refuses a booking with a message naming the traveller and what is
missing, and lets it through once the missing item is provided."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from liman.health import services as health
from liman.health.models import FitToFlyCheck, MedicalClearance
from liman.movements import services as movements
from liman.movements.choices import BookingStatus, CaseState
from liman.movements.models import Booking, ExitPermission, ResettlementCase, Visa
from liman.registry import services as registry
from tests.movements.conftest import clear, document, everyone, leg, ready

pytestmark = pytest.mark.django_db


def book(case, flight, travellers, by):
    return movements.case_book(case=case, flight=flight, travellers=travellers, by=by)


def refusal(case, flight, travellers, by) -> str:
    before = Booking.objects.count()
    with pytest.raises(movements.BookingRefused) as refused:
        book(case, flight, travellers, by)
    assert Booking.objects.count() == before, "nothing is half-written"
    return " ".join(refused.value.messages)


def test_a_documented_family_is_booked_and_the_case_moves_to_booked(ready_case, family, flight, worker):
    bookings = book(ready_case, flight, everyone(family), worker)
    assert len(bookings) == 5
    ready_case.refresh_from_db()
    assert ready_case.state == CaseState.BOOKED


def test_booking_refused_without_medical_clearance(ready_case, family, flight, worker, nurse):
    MedicalClearance.objects.filter(person=family.son).delete()
    message = refusal(ready_case, flight, everyone(family), worker)
    assert "Omar Haddad has no medical clearance valid on" in message
    clear(family.son, nurse)
    assert len(book(ready_case, flight, everyone(family), worker)) == 5


def test_booking_refused_while_a_traveller_is_on_medical_hold(ready_case, family, flight, worker, nurse):
    assessment = health.health_assessment_request(person=family.mother, by=None)
    health.health_assessment_hold(assessment=assessment, by=nurse, reason="Awaiting sputum culture.")
    message = refusal(ready_case, flight, everyone(family), worker)
    assert "Rania Haddad is on medical hold." in message
    assert "sputum" not in message
    health.health_assessment_record(
        assessment=assessment,
        by=nurse,
        changes={"assessed_on": timezone.localdate(), "examination": "Treated.", "chest_xray": "normal",
                 "fit_to_travel": True},
    )  # fmt: skip
    health.health_assessment_clear(
        assessment=assessment, by=nurse, valid_until=timezone.localdate() + datetime.timedelta(days=90)
    )
    assert len(book(ready_case, flight, everyone(family), worker)) == 5


def test_booking_refused_when_the_clearance_expires_before_departure(ready_case, family, flight, worker, nurse):
    MedicalClearance.objects.filter(person=family.baby).update(valid_until=timezone.localdate())
    assert "Nour Haddad has no medical clearance valid on" in refusal(ready_case, flight, everyone(family), worker)
    clear(family.baby, nurse)
    assert len(book(ready_case, flight, everyone(family), worker)) == 5


def test_booking_refused_without_exit_permit(ready_case, family, flight, worker):
    ExitPermission.objects.filter(person=family.daughter).update(granted_on=None, valid_until=None)
    message = refusal(ready_case, flight, everyone(family), worker)
    assert "Leyla Haddad has no exit permission valid on" in message
    permission = ExitPermission.objects.get(person=family.daughter)
    movements.exit_permission_grant(
        permission=permission,
        granted_on=timezone.localdate(),
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
        by=worker,
    )
    assert len(book(ready_case, flight, everyone(family), worker)) == 5


def test_booking_refused_without_a_visa_valid_on_the_departure_date(ready_case, family, flight, worker):
    Visa.objects.filter(person=family.father).update(valid_until=timezone.localdate())
    departure_day = flight.departs_on.strftime("%Y")
    message = refusal(ready_case, flight, everyone(family), worker)
    assert "Ahmad Haddad has no visa valid on" in message and departure_day in message
    movements.visa_record(
        case=ready_case,
        person=family.father,
        issued_on=timezone.localdate(),
        valid_until=timezone.localdate() + datetime.timedelta(days=60),
        by=worker,
    )
    assert len(book(ready_case, flight, everyone(family), worker)) == 5


def test_booking_refused_without_a_fit_to_fly_check_within_72_hours(ready_case, family, flight, worker, nurse):
    old = flight.departs_at - datetime.timedelta(hours=73)
    FitToFlyCheck.objects.filter(person=family.mother).update(checked_at=old)
    message = refusal(ready_case, flight, everyone(family), worker)
    assert "Rania Haddad has no fit-to-fly check in the 72 hours before departure" in message
    health.fit_to_fly_record(person=family.mother, by=nurse, is_fit=True)
    assert len(book(ready_case, flight, everyone(family), worker)) == 5


def test_the_fit_to_fly_window_is_a_setting(ready_case, family, flight, worker, settings):
    settings.LIMAN_FIT_TO_FLY_HOURS = 24
    message = refusal(ready_case, flight, everyone(family), worker)
    assert "no fit-to-fly check in the 24 hours before departure" in message


def test_booking_refused_when_the_last_check_found_the_traveller_not_fit(ready_case, family, flight, worker, nurse):
    health.fit_to_fly_record(person=family.son, by=nurse, is_fit=False)
    assert "Omar Haddad was found not fit to fly" in refusal(ready_case, flight, everyone(family), worker)
    health.fit_to_fly_record(person=family.son, by=nurse, is_fit=True)
    assert len(book(ready_case, flight, everyone(family), worker)) == 5


def test_a_minor_travelling_without_an_adult_needs_an_escort(ready_case, family, flight, worker, istanbul):
    supervisor = worker
    movements.family_split_approve(case=ready_case, flight=flight, by=supervisor, reason="Son joins his uncle first.")
    alone = [movements.TravellerBooking(person=family.son)]
    message = refusal(ready_case, flight, alone, worker)
    assert "Omar Haddad is a minor travelling without an adult of the family: give an escort." in message
    booked = book(
        ready_case, flight, [movements.TravellerBooking(person=family.son, escort_name="Ayşe Yılmaz")], worker
    )
    assert booked[0].escort_name == "Ayşe Yılmaz"


def test_an_unaccompanied_child_needs_an_escort_even_with_adults_on_board(ready_case, family, flight, worker):
    registry.vulnerability_add(person=family.daughter, type="unaccompanied_child", by=None)
    message = refusal(ready_case, flight, everyone(family), worker)
    assert "Leyla Haddad is a minor travelling without an adult of the family" in message
    travellers = everyone(family)
    travellers[2].escort_name = "Mission escort"
    assert len(book(ready_case, flight, travellers, worker)) == 5


def test_a_traveller_needing_oxygen_needs_an_escort_and_the_airline_medical_form(
    ready_case, family, flight, worker, nurse
):
    clear(family.father, nurse, needs=["oxygen", "wheelchair"])
    message = refusal(ready_case, flight, everyone(family), worker)
    assert "Ahmad Haddad needs oxygen during travel: give an escort." in message
    assert "Ahmad Haddad needs the airline medical form (MEDIF)" in message
    travellers = everyone(family)
    travellers[0].escort_name = "Dr. Deniz Kaya"
    assert "Ahmad Haddad needs the airline medical form (MEDIF)" in refusal(ready_case, flight, travellers, worker)
    travellers[0].medif_received_on = timezone.localdate()
    assert len(book(ready_case, flight, travellers, worker)) == 5


def test_a_stretcher_case_needs_an_escort(ready_case, family, flight, worker, nurse):
    clear(family.mother, nurse, needs=["stretcher"])
    travellers = everyone(family)
    travellers[1].medif_received_on = timezone.localdate()
    assert "Rania Haddad needs stretcher during travel: give an escort." in refusal(
        ready_case, flight, travellers, worker
    )
    travellers[1].escort_name = "Paramedic on board"
    assert len(book(ready_case, flight, travellers, worker)) == 5


def test_a_wheelchair_alone_needs_no_escort(ready_case, family, flight, worker, nurse):
    clear(family.father, nurse, needs=["wheelchair"])
    assert len(book(ready_case, flight, everyone(family), worker)) == 5


def test_booking_refused_when_it_splits_the_family_without_approval(ready_case, family, flight, worker):
    without_baby = everyone(family)[:4]
    message = refusal(ready_case, flight, without_baby, worker)
    assert f"This booking leaves Nour Haddad of case {ready_case.reference} behind" in message
    assert "a supervisor must approve splitting the family" in message
    movements.family_split_approve(case=ready_case, flight=flight, by=worker, reason="Baby travels with grandmother.")
    assert len(book(ready_case, flight, without_baby, worker)) == 4


def test_only_a_supervisor_approves_splitting_a_family(ready_case, flight, caseworker):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="Only a supervisor"):
        movements.family_split_approve(case=ready_case, flight=flight, by=caseworker, reason="Split.")


def test_the_rest_of_a_family_booked_later_needs_no_second_approval(ready_case, family, flight, worker, istanbul):
    movements.family_split_approve(case=ready_case, flight=flight, by=worker, reason="Baby follows.")
    book(ready_case, flight, everyone(family)[:4], worker)
    later = movements.flight_create(
        office=istanbul,
        destination_country="CAN",
        legs=[leg(timezone.now() + datetime.timedelta(days=2, hours=6), number="TK19")],
        by=worker,
    )
    baby = movements.TravellerBooking(person=family.baby, escort_name="Grandmother, on the same flight")
    assert len(book(ready_case, later, [baby], worker)) == 1


def _us_case(istanbul, family, worker, nurse):
    case = movements.resettlement_case_open(office=istanbul, principal=family.father, country="USA", by=worker)
    for person in family.people:
        document(case, person, worker, nurse)
    return ready(case)


@pytest.fixture
def us_flight(istanbul, worker):
    departs = timezone.now() + datetime.timedelta(days=2)
    return movements.flight_create(
        office=istanbul, destination_country="USA", legs=[leg(departs, "TK1", "IST", "JFK")], by=worker
    )


def test_a_us_case_needs_a_signed_promissory_note_for_each_adult(istanbul, family, worker, nurse, us_flight):
    case = _us_case(istanbul, family, worker, nurse)
    movements.sponsorship_assurance_record(
        case=case, agency="IRC New York", received_on=timezone.localdate(), by=worker
    )
    movements.promissory_note_record(case=case, person=family.father, signed_on=timezone.localdate(), by=worker)
    message = refusal(case, us_flight, everyone(family), worker)
    assert "Rania Haddad is an adult on a US case and has no signed travel-loan promissory note." in message
    assert "Leyla Haddad" not in message, "a 16-year-old signs no note"
    movements.promissory_note_record(case=case, person=family.mother, signed_on=timezone.localdate(), by=worker)
    assert len(book(case, us_flight, everyone(family), worker)) == 5


def test_a_us_case_needs_a_sponsorship_assurance(istanbul, family, worker, nurse, us_flight):
    case = _us_case(istanbul, family, worker, nurse)
    for adult in (family.father, family.mother):
        movements.promissory_note_record(case=case, person=adult, signed_on=timezone.localdate(), by=worker)
    assert f"Case {case.reference} has no sponsorship assurance." in refusal(case, us_flight, everyone(family), worker)
    movements.sponsorship_assurance_record(
        case=case, agency="IRC New York", received_on=timezone.localdate(), by=worker
    )
    assert len(book(case, us_flight, everyone(family), worker)) == 5


def test_a_case_not_ready_for_departure_is_not_booked(open_case, family, flight, worker):
    message = refusal(open_case, flight, everyone(family), worker)
    assert f"Case {open_case.reference} is “Referred”: book it once it is ready for departure." in message


def test_a_flight_to_another_country_is_refused(ready_case, family, worker, istanbul):
    other = movements.flight_create(
        office=istanbul,
        destination_country="AUS",
        legs=[leg(timezone.now() + datetime.timedelta(days=2), "QR240", "IST", "DOH")],
        by=worker,
    )
    assert "This flight goes to Australia" in refusal(ready_case, other, everyone(family), worker)


def test_nobody_is_booked_twice_on_one_flight(ready_case, family, flight, worker):
    book(ready_case, flight, everyone(family), worker)
    assert "Ahmad Haddad is already booked on this flight." in refusal(ready_case, flight, everyone(family)[:1], worker)


def test_another_programme_books_through_the_same_door(istanbul, family, flight, worker, nurse):
    """AVRR books its returnees through `bookings_create`, with the rules its own workflow does not check."""
    health.fit_to_fly_record(person=family.father, by=nurse, is_fit=True)
    rules = movements.TravelRules(medical_clearance=False)
    booked = movements.bookings_create(
        flight=flight,
        travellers=[movements.TravellerBooking(person=family.father)],
        by=worker,
        office=istanbul,
        programme="avrr",
        rules=rules,
        source_reference="IST-AV-TEST",
    )
    assert booked[0].programme.code == "avrr" and booked[0].source_reference == "IST-AV-TEST"
    with pytest.raises(movements.BookingRefused, match="Rania Haddad has no fit-to-fly check"):
        movements.bookings_create(
            flight=flight,
            travellers=[movements.TravellerBooking(person=family.mother)],
            by=worker,
            office=istanbul,
            programme="avrr",
            rules=rules,
        )


def test_a_cancelled_booking_frees_the_seat(ready_case, family, flight, worker):
    bookings = book(ready_case, flight, everyone(family), worker)
    movements.booking_cancel(booking=bookings[0], by=worker, reason="Changed flight.")
    assert bookings[0].status == BookingStatus.CANCELLED
    assert len(book(ready_case, flight, everyone(family)[:1], worker)) == 1


def test_departure_and_arrival_move_the_case(ready_case, family, flight, worker):
    book(ready_case, flight, everyone(family), worker)
    movements.flight_confirm_departure(flight=flight, by=worker)
    assert ResettlementCase.objects.get(pk=ready_case.pk).state == CaseState.DEPARTED
    movements.flight_confirm_arrival(flight=flight, by=worker)
    case = ResettlementCase.objects.get(pk=ready_case.pk)
    assert case.state == CaseState.ARRIVED and case.arrived_on == timezone.localdate()
