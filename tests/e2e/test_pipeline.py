"""Resettlement in the browser: the Istanbul office moves a family of five (father, mother and three children of
16, 11 and 4) from UNHCR's referral to departure for Canada. The health staff assess and clear them, then put the
11-year-old on medical hold; the booking is refused naming him (and each traveller without a fit-to-fly check) until
the hold is cleared and the checks recorded. The manifests download with the five, the flight's departure and
arrival move the case to "Departed" then "Arrived", and another office's caseworker gets 404 on the case."""

from __future__ import annotations

import datetime
import io
import re

import openpyxl
from django.utils import timezone
from playwright.sync_api import expect

from liman.core.choices import Role
from liman.registry import services as registry
from liman.registry.choices import Relationship
from tests.e2e.conftest import E2E
from tests.factories import staff
from tests.movements.pdf import pdf_text

pytestmark = E2E


def day(offset: int = 0) -> str:
    return (timezone.localdate() + datetime.timedelta(days=offset)).isoformat()


def moment(delta: datetime.timedelta) -> str:
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%dT%H:%M")


def years_ago(years: int) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=40)


def family_of_five(office):
    """Arrange: the registry's part (it has browser tests of its own): a father of 41, his wife of 38 and their
    children of 16, 11 and 4. The children travel with both parents, so no booking needs an escort for them."""

    def person(first: str, sex: str, born: datetime.date):
        data = registry.PersonInput(first_name=first, family_name="Haddad", sex=sex, nationality="SYR", birth_date=born)
        return registry.person_register(office=office, data=data, by=None)

    father = person("Ahmad", "M", years_ago(41))
    mother = person("Leila", "F", years_ago(38))
    yusuf, omar = person("Yusuf", "M", years_ago(16)), person("Omar", "M", years_ago(11))
    mariam = person("Mariam", "F", years_ago(4))
    household = registry.household_create(office=office, head=father, by=None)
    registry.household_add_member(household=household, person=mother, relationship=Relationship.SPOUSE, by=None)
    for child in (yusuf, omar, mariam):
        registry.household_add_member(household=household, person=child, relationship=Relationship.CHILD, by=None)
    return [father, mother, yusuf, omar, mariam]


def switch_to(page, signed_in, user) -> None:
    page.context.clear_cookies()
    signed_in(user)


def move_to(page, label: str) -> None:
    """Take the case's next step from its checklist and see the case in that state."""
    page.get_by_role("button", name=f"Move to “{label}”").click()
    expect(page.locator("#case-state")).to_have_text(label)


def case_form(page, kind: str):
    """The case page's document form of one kind (visa, exit request, exit grant …), opened."""
    form = page.locator(f"form:has(input[name=kind][value={kind}])")
    form.locator("xpath=ancestor::details").locator("summary").click()
    return form


def health_assessments_cleared(page, url, people) -> None:
    """As health staff: findings for each traveller, then the clearance, from the health queue."""
    for person in people:
        page.goto(url("/health/?status=pending"))
        page.get_by_role("row").filter(has_text=person.full_name).get_by_role("link").click()
        page.fill("#id_assessed_on", day())
        page.fill("#id_examination", "Normal examination; vital signs normal.")
        page.select_option("#id_chest_xray", "normal")
        page.select_option("#id_fit_to_travel", "true")
        page.get_by_role("button", name="Save the findings").click()
        expect(page.locator(".messages")).to_contain_text("The findings are saved.")
        page.fill("#id_valid_until", day(180))
        page.get_by_role("button", name="Clear", exact=True).click()
        expect(page.locator(".messages")).to_contain_text("The traveller is medically cleared.")


def health_assessment_of(page, url, person, status: str) -> None:
    """As health staff: open the person's assessment from the health queue filtered by its status."""
    page.goto(url(f"/health/?status={status}"))
    page.get_by_role("row").filter(has_text=person.full_name).get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("Health assessment")


def fit_to_fly_recorded(page, url, people) -> None:
    """As health staff: the pre-departure check of each traveller, on their person pages."""
    for person in people:
        page.goto(url(f"/people/{person.reference}/"))
        page.get_by_label("Fit to fly", exact=True).check()
        page.get_by_role("button", name="Record the fit-to-fly check").click()
        expect(page.locator(".messages")).to_contain_text("The fit-to-fly check is recorded.")


def book_the_family(page, case_url):
    """As resettlement staff: the booking form on the case page, every traveller ticked (its default)."""
    page.goto(case_url)
    page.locator("#booking-form").get_by_role("button", name="Book").click()


def test_resettlement_staff_move_a_family_of_five_from_referral_to_departure_through_a_medical_hold(
    page, url, signed_in, istanbul, izmir, settings, browser_problems
):
    settings.LIMAN_PDF_FONT = ""  # the built-in font, so the test can read the PDF's text back
    supervisor = staff(Role.SUPERVISOR, istanbul, username="resettlement.ist")
    nurse = staff(Role.HEALTH, istanbul, programme="health", username="nurse.ist")
    family = family_of_five(istanbul)
    father, mother, yusuf, omar, mariam = family

    # Referral: the case is opened from the principal applicant's page; the household of five comes along.
    signed_in(supervisor)
    page.goto(url(f"/people/{father.reference}/"))
    page.get_by_role("link", name="Open a resettlement case").click()
    page.select_option("#id_country", "CAN")
    page.get_by_role("button", name="Open the case").click()
    expect(page).to_have_url(re.compile(r"/resettlement/cases/IST-RS-[A-Z0-9]+/$"))
    case_url = page.url
    for person in family:
        expect(page.locator("#travellers")).to_contain_text(person.full_name)
    expect(page.locator("#travellers tbody tr")).to_have_count(5)

    # Selection interview during a mission, then Canada's decision.
    reference = case_url.rstrip("/").rsplit("/", 1)[-1]
    page.goto(url("/resettlement/missions/"))
    page.select_option("#id_country", "CAN")
    page.fill("#id_starts_on", day())
    page.fill("#id_ends_on", day(3))
    page.fill("#id_place", "Hotel conference room, Şişli")
    page.get_by_role("button", name="Save").click()
    page.fill("#id_case", reference)
    page.fill("#id_starts_at", moment(datetime.timedelta(hours=1)))
    page.fill("#id_room", "2")
    page.get_by_role("button", name="Book the interview").click()
    expect(page.locator(".messages")).to_contain_text(f"Interview booked for {reference}.")
    page.locator("select[name=outcome]").select_option("attended")
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("The outcome is recorded.")
    page.goto(case_url)
    expect(page.locator("#case-state")).to_have_text("Interviewed")
    page.select_option("#id_decision", "accepted")
    page.fill("#id_decided_on", day())
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#case-state")).to_have_text("Accepted")
    move_to(page, "Health assessment")

    # Health staff assess and clear the five (the 16-year-old's TB screening includes his chest x-ray).
    switch_to(page, signed_in, nurse)
    health_assessments_cleared(page, url, family)
    switch_to(page, signed_in, supervisor)
    page.goto(case_url)
    move_to(page, "Medically cleared")

    # Cultural orientation: Canada's course is for ages 13 and over, so the parents and the 16-year-old attend.
    page.goto(url("/resettlement/orientation/"))
    page.select_option("#id_course", label="Canada Orientation Abroad (COA) (CAN)")
    page.fill("#id_starts_on", day())
    page.fill("#id_ends_on", day(2))
    page.fill("#id_place", "Mission office, Istanbul")
    page.get_by_role("button", name="Save").click()
    for person in (father, mother, yusuf):
        page.fill("#id_person", person.reference)
        page.fill("#id_hours_attended", "15")
        page.get_by_role("button", name="Record attendance").click()
        expect(page.locator(".messages")).to_contain_text(f"Attendance recorded for {person.full_name}.")
    page.goto(case_url)
    move_to(page, "Cultural orientation done")

    # Visas, exit permission requested and granted, ready for departure.
    for person in family:
        form = case_form(page, "visa")
        form.locator("select[name=person]").select_option(label=person.full_name)
        form.locator("input[name=issued_on]").fill(day())
        form.locator("input[name=valid_until]").fill(day(120))
        form.get_by_role("button", name="Save").click()
        expect(page.locator(".messages")).to_contain_text("Saved.")
    move_to(page, "Visa issued")
    for person in family:
        form = case_form(page, "exit_request")
        form.locator("select[name=person]").select_option(label=person.full_name)
        form.locator("input[name=requested_on]").fill(day())
        form.get_by_role("button", name="Save").click()
        expect(page.locator(".messages")).to_contain_text("Saved.")
    move_to(page, "Exit permission requested")
    for person in family:
        form = case_form(page, "exit_grant")
        form.locator("select[name=permission]").select_option(label=person.full_name)
        form.locator("input[name=granted_on]").fill(day())
        form.locator("input[name=valid_until]").fill(day(60))
        form.get_by_role("button", name="Save").click()
        expect(page.locator(".messages")).to_contain_text("Saved.")
    move_to(page, "Exit permission granted")
    move_to(page, "Ready for departure")

    # A flight to Toronto two days out.
    page.goto(url("/movements/flights/"))
    page.locator("#id_destination_country").select_option("CAN")
    page.fill("#id_carrier", "Turkish Airlines")
    page.fill("#id_flight_number", "TK 17")
    page.fill("#id_origin", "IST")
    page.fill("#id_destination", "YYZ")
    page.fill("#id_departs_at", moment(datetime.timedelta(days=2)))
    page.fill("#id_arrives_at", moment(datetime.timedelta(days=2, hours=11)))
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/movements/flights/IST-FL-[A-Z0-9]+/$"))
    flight_url = page.url

    # Before the flight, health staff put Omar (11) on medical hold from his assessment page.
    hold_reason = "Chickenpox: no travel until every lesion has crusted over."
    switch_to(page, signed_in, nurse)
    health_assessment_of(page, url, omar, "cleared")
    page.fill("#id_reason", hold_reason)
    page.get_by_role("button", name="Put on medical hold").click()
    expect(page.locator(".messages")).to_contain_text("The traveller is on medical hold.")
    expect(page.locator(".person-meta .status")).to_have_text("On medical hold")

    # Booking: refused, naming Omar's hold and each traveller without a fit-to-fly check; the children travel
    # with both parents, so no escort is asked for; the case page shows the hold's status, never its reason.
    switch_to(page, signed_in, supervisor)
    book_the_family(page, case_url)
    refusal = page.locator("#booking-form [role=alert]")
    expect(refusal).to_contain_text("Omar Haddad is on medical hold.")
    for person in family:
        expect(refusal).to_contain_text(f"{person.full_name} has no fit-to-fly check in the 72 hours before departure")
    expect(refusal).not_to_contain_text("escort")
    expect(page.locator("#travellers tr").filter(has_text="Omar Haddad")).to_contain_text("On medical hold")
    expect(page.locator("body")).not_to_contain_text("Chickenpox")
    expect(page.locator("#case-state")).to_have_text("Ready for departure")

    # … the health staff record the fit-to-fly checks, but the hold still stands: refused again, for Omar alone.
    switch_to(page, signed_in, nurse)
    fit_to_fly_recorded(page, url, family)
    switch_to(page, signed_in, supervisor)
    book_the_family(page, case_url)
    expect(refusal).to_have_text(re.compile(r"^\s*Omar Haddad is on medical hold\.\s*$"))
    expect(page.locator("#case-state")).to_have_text("Ready for departure")

    # … Omar is re-examined and the hold cleared on the same assessment, and the booking goes through.
    switch_to(page, signed_in, nurse)
    health_assessment_of(page, url, omar, "medical_hold")
    expect(page.locator(".findings")).to_have_text(hold_reason)
    page.fill("#id_examination", "Lesions crusted over; no longer infectious. Normal examination.")
    # The form shows what is stored: saving the findings again keeps "fit to travel".
    expect(page.locator("#id_fit_to_travel")).to_have_value("true")
    page.get_by_role("button", name="Save the findings").click()
    expect(page.locator(".messages")).to_contain_text("The findings are saved.")
    page.fill("#id_valid_until", day(180))
    page.get_by_role("button", name="Clear", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("The traveller is medically cleared.")
    expect(page.locator(".person-meta .status")).to_have_text("Cleared")
    switch_to(page, signed_in, supervisor)
    book_the_family(page, case_url)
    expect(page.locator(".messages")).to_contain_text("Booked on IST-FL-")
    expect(page.locator("#case-state")).to_have_text("Booked")

    # The manifests list the five booked.
    page.goto(flight_url)
    expect(page.locator("#traveller-count")).to_have_text("5")
    with page.expect_download() as pdf:
        page.get_by_role("link", name="Manifest (PDF)").click()
    text = pdf_text(open(pdf.value.path(), "rb").read())
    assert "Travellers booked: 5" in text and "Haddad" in text
    with page.expect_download() as xlsx:
        page.get_by_role("link", name="Manifest (XLSX)").click()
    assert pdf.value.suggested_filename.endswith(".pdf") and xlsx.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(open(xlsx.value.path(), "rb").read())).active
    assert [row[1] for row in sheet.iter_rows(values_only=True) if row[0] == "Travellers booked"] == [5]

    # At the airport: the flight has left with all five (no no-shows ticked), and the case is "Departed";
    # the arrival confirmed in Toronto, "Arrived". (Confirming the departure checks no date, so the flight
    # stays two days out: nothing here needs its departs_at moved into the past.)
    page.get_by_role("button", name="The flight has left").click()
    expect(page.locator(".messages")).to_contain_text("The departure is confirmed.")
    page.goto(case_url)
    expect(page.locator("#case-state")).to_have_text("Departed")
    for person in family:
        expect(page.locator("#travellers tr").filter(has_text=person.full_name)).to_contain_text("Departed")
    page.goto(flight_url)
    page.get_by_role("button", name="The travellers have arrived").click()
    expect(page.locator(".messages")).to_contain_text("The arrival is confirmed.")
    page.goto(case_url)
    expect(page.locator("#case-state")).to_have_text("Arrived")
    # The refused bookings answer 400 on purpose (the form comes back with its errors); nothing else went wrong.
    assert [problem for problem in browser_problems if "status of 400" not in problem] == []

    # Another office's caseworker: the case, and its flight, do not exist for them.
    switch_to(page, signed_in, staff(Role.CASEWORKER, izmir))
    assert page.goto(case_url).status == 404
    assert page.goto(flight_url).status == 404
