"""A voluntary return's travel in the browser: the caseworker books the returnee and his wife on a flight to
Kabul from the AVRR case page; the refusal names the wife and what she lacks; once health staff cleared her the
booking goes through and the case is booked; withdrawing gives both seats back; another office gets 404."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from liman.cases import services as cases
from liman.cases.choices import AssessmentKind
from liman.core.choices import Role
from liman.health import services as health
from liman.health.models import HealthAssessment
from liman.movements import services as movements
from liman.registry import services as registry
from liman.registry.choices import Relationship
from tests.cases.builders import avrr_applied, step
from tests.e2e.conftest import E2E
from tests.factories import staff

pytestmark = E2E


def adult(office, first: str, sex: str, years: int):
    born = timezone.localdate().replace(year=timezone.localdate().year - years) - datetime.timedelta(days=40)
    data = registry.PersonInput(first_name=first, family_name="Rahimi", sex=sex, nationality="AFG", birth_date=born)
    return registry.person_register(office=office, data=data, by=None)


def cleared(person, nurse) -> None:
    assessment = health.health_assessment_request(person=person, by=None)
    health.health_assessment_record(
        assessment=assessment,
        by=nurse,
        changes={
            "assessed_on": timezone.localdate(),
            "examination": "Normal.",
            "chest_xray": "normal",
            "fit_to_travel": True,
        },
    )
    health.health_assessment_clear(
        assessment=assessment, by=nurse, valid_until=timezone.localdate() + datetime.timedelta(days=90)
    )
    health.fit_to_fly_record(person=person, by=nurse, is_fit=True)


def test_a_caseworker_books_a_return_through_movements_and_a_withdrawal_gives_the_seats_back(
    page, url, signed_in, istanbul, izmir, caseworker, browser_problems
):
    # Arrange through the services (each step has its own tests): the return of Javad, approved and fit to travel.
    supervisor = staff(Role.SUPERVISOR, istanbul)
    nurse = staff(Role.HEALTH, istanbul, programme="health", username="nurse.ist")
    javad, maryam = adult(istanbul, "Javad", "M", 38), adult(istanbul, "Maryam", "F", 34)
    household = registry.household_create(office=istanbul, head=javad, by=None)
    registry.household_add_member(household=household, person=maryam, relationship=Relationship.SPOUSE, by=None)
    case = avrr_applied(javad, by=caseworker)
    cases.assessment_record(case=case, kind=AssessmentKind.ELIGIBILITY, by=caseworker)
    step(case, "eligibility_assessed", caseworker)
    step(case, "approved", supervisor)
    cases.case_facts_update(case=case, by=caseworker, changes={"destination_country": "AFG"})
    for state in ("travel_documents", "exit_cleared"):
        step(case, state, caseworker)
    cleared(javad, nurse)
    step(case, "fit_to_travel", caseworker)
    departs = timezone.now() + datetime.timedelta(days=2)
    flight = movements.flight_create(
        office=istanbul,
        destination_country="AFG",
        legs=[
            movements.LegInput(
                "Turkish Airlines", "TK706", "IST", "KBL", departs, departs + datetime.timedelta(hours=5)
            )
        ],
        by=supervisor,
    )

    # The case page offers the flight to Kabul and the household; Maryam has no clearance yet: refused, by name.
    signed_in(caseworker)
    case_url = url(f"/cases/{case.reference}/")
    page.goto(case_url)
    travel, booking = page.locator("#travel"), page.locator("#travel-form")
    expect(travel).to_contain_text("No seat booked yet.")
    expect(travel.locator("select[name=flight]")).to_contain_text(flight.reference)
    booking.get_by_label("Maryam Rahimi", exact=True).check()
    booking.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Maryam Rahimi has no medical clearance valid on")
    expect(page.locator(".messages")).to_contain_text("Maryam Rahimi has no fit-to-fly check in the 72 hours")
    expect(page.locator(".case-head .state")).to_have_text("Fit to travel")

    # The caseworker asks health staff to assess her; they clear her and check her fit to fly.
    page.locator("#travel summary", has_text="Ask health staff").click()
    travel.locator("form[action$='/travel/health/']").get_by_label("Maryam Rahimi").check()
    travel.get_by_role("button", name="Ask", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Health staff are asked to assess Maryam Rahimi.")
    assert HealthAssessment.objects.get(person=maryam).status == "pending"
    cleared(maryam, nurse)

    # Booked: both seats, and the case moves to "booked" with the flight's date.
    page.goto(case_url)
    booking.get_by_label("Maryam Rahimi", exact=True).check()
    booking.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"Booked on {flight.reference}: Javad Rahimi, Maryam Rahimi.")
    expect(page.locator(".case-head .state")).to_have_text("Booked")
    expect(page.locator("#return-bookings tbody tr")).to_have_count(2)
    expect(page.locator("#return-bookings")).to_contain_text("Booked")

    # Withdrawn before departure: both seats go back, with the reason.
    withdraw = page.locator("#steps li").filter(has_text="Withdraw (the person no longer wants to return)")
    withdraw.locator("textarea").fill("Decided to stay with family in Istanbul")
    withdraw.get_by_role("button").click()
    expect(page.locator(".case-head .state")).to_have_text("Withdrawn")
    expect(page.locator("#return-bookings")).to_contain_text(re.compile(r"Cancelled · Withdrawn: Decided to stay"))
    expect(page.locator("#return-bookings")).not_to_contain_text("Booked")
    assert browser_problems == []

    # Another office's caseworker: no such case.
    page.context.clear_cookies()
    signed_in(staff(Role.CASEWORKER, izmir))
    assert page.goto(case_url).status == 404
