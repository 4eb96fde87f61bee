"""Resettlement in the browser: the Istanbul office moves a father and his son from UNHCR's referral to a seat on
a flight to Canada (the health staff assess, clear and check them fit to fly), a booking refusal names the
traveller and what is missing, the manifests download, and another office's caseworker gets 404 on the case."""

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


def father_and_son(office):
    """Arrange: the registry's part (it has browser tests of its own): a father of 41 and his son of 12."""

    def person(first: str, born: datetime.date):
        data = registry.PersonInput(first_name=first, family_name="Haddad", sex="M", nationality="SYR", birth_date=born)
        return registry.person_register(office=office, data=data, by=None)

    father, son = person("Ahmad", years_ago(41)), person("Omar", years_ago(12))
    household = registry.household_create(office=office, head=father, by=None)
    registry.household_add_member(household=household, person=son, relationship=Relationship.CHILD, by=None)
    return father, son


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


def test_resettlement_staff_move_a_family_from_referral_to_a_booked_flight(
    page, url, signed_in, istanbul, izmir, settings, browser_problems
):
    settings.LIMAN_PDF_FONT = ""  # the built-in font, so the test can read the PDF's text back
    supervisor = staff(Role.SUPERVISOR, istanbul, username="resettlement.ist")
    nurse = staff(Role.HEALTH, istanbul, programme="health", username="nurse.ist")
    father, son = father_and_son(istanbul)

    # Referral: the case is opened from the principal applicant's page; the household comes along.
    signed_in(supervisor)
    page.goto(url(f"/people/{father.reference}/"))
    page.get_by_role("link", name="Open a resettlement case").click()
    page.select_option("#id_country", "CAN")
    page.get_by_role("button", name="Open the case").click()
    expect(page).to_have_url(re.compile(r"/resettlement/cases/IST-RS-[A-Z0-9]+/$"))
    case_url = page.url
    expect(page.locator("#travellers")).to_contain_text("Omar Haddad")

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

    # Health staff assess and clear both travellers; the case checklist then lets the case move on.
    switch_to(page, signed_in, nurse)
    health_assessments_cleared(page, url, [father, son])
    switch_to(page, signed_in, supervisor)
    page.goto(case_url)
    move_to(page, "Medically cleared")

    # Cultural orientation: Canada's course is for ages 13 and over, so the father attends, the son does not.
    page.goto(url("/resettlement/orientation/"))
    page.select_option("#id_course", label="Canada Orientation Abroad (COA) (CAN)")
    page.fill("#id_starts_on", day())
    page.fill("#id_ends_on", day(2))
    page.fill("#id_place", "Mission office, Istanbul")
    page.get_by_role("button", name="Save").click()
    page.fill("#id_person", father.reference)
    page.fill("#id_hours_attended", "15")
    page.get_by_role("button", name="Record attendance").click()
    expect(page.locator(".messages")).to_contain_text("Attendance recorded for Ahmad Haddad.")
    page.goto(case_url)
    move_to(page, "Cultural orientation done")

    # Visas, exit permission requested and granted, ready for departure.
    for person in (father, son):
        form = case_form(page, "visa")
        form.locator("select[name=person]").select_option(label=person.full_name)
        form.locator("input[name=issued_on]").fill(day())
        form.locator("input[name=valid_until]").fill(day(120))
        form.get_by_role("button", name="Save").click()
        expect(page.locator(".messages")).to_contain_text("Saved.")
    move_to(page, "Visa issued")
    for person in (father, son):
        form = case_form(page, "exit_request")
        form.locator("select[name=person]").select_option(label=person.full_name)
        form.locator("input[name=requested_on]").fill(day())
        form.get_by_role("button", name="Save").click()
        expect(page.locator(".messages")).to_contain_text("Saved.")
    move_to(page, "Exit permission requested")
    for person in (father, son):
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

    # Booking: refused, naming each traveller and what is missing (no fit-to-fly check yet) …
    page.goto(case_url)
    page.locator("#booking-form").get_by_role("button", name="Book").click()
    refusal = page.locator("#booking-form [role=alert]")
    expect(refusal).to_contain_text("Ahmad Haddad has no fit-to-fly check in the 72 hours before departure")
    expect(refusal).to_contain_text("Omar Haddad has no fit-to-fly check in the 72 hours before departure")
    expect(page.locator("#case-state")).to_have_text("Ready for departure")

    # … the health staff check both fit to fly on the person pages, and the booking goes through.
    switch_to(page, signed_in, nurse)
    for person in (father, son):
        page.goto(url(f"/people/{person.reference}/"))
        page.get_by_label("Fit to fly", exact=True).check()
        page.get_by_role("button", name="Record the fit-to-fly check").click()
        expect(page.locator(".messages")).to_contain_text("The fit-to-fly check is recorded.")
    switch_to(page, signed_in, supervisor)
    page.goto(case_url)
    page.locator("#booking-form").get_by_role("button", name="Book").click()
    expect(page.locator(".messages")).to_contain_text("Booked on IST-FL-")
    expect(page.locator("#case-state")).to_have_text("Booked")

    # The manifests list the two booked.
    page.goto(flight_url)
    expect(page.locator("#traveller-count")).to_have_text("2")
    with page.expect_download() as pdf:
        page.get_by_role("link", name="Manifest (PDF)").click()
    text = pdf_text(open(pdf.value.path(), "rb").read())
    assert "Travellers booked: 2" in text and "Haddad" in text
    with page.expect_download() as xlsx:
        page.get_by_role("link", name="Manifest (XLSX)").click()
    assert pdf.value.suggested_filename.endswith(".pdf") and xlsx.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(open(xlsx.value.path(), "rb").read())).active
    assert [row[1] for row in sheet.iter_rows(values_only=True) if row[0] == "Travellers booked"] == [2]
    # The refused booking answers 400 on purpose (the form comes back with its errors); nothing else went wrong.
    assert [problem for problem in browser_problems if "status of 400" not in problem] == []

    # Another office's caseworker: the case, and its flight, do not exist for them.
    switch_to(page, signed_in, staff(Role.CASEWORKER, izmir))
    assert page.goto(case_url).status == 404
    assert page.goto(flight_url).status == 404
