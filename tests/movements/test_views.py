"""Resettlement pages and API: the pipeline board, lists with constant query counts, the calendar, manifests."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from liman.core.choices import Role
from liman.movements import services
from liman.movements.choices import CaseState
from liman.movements.models import ResettlementCase
from tests.factories import staff
from tests.movements.conftest import everyone, leg, register
from tests.movements.pdf import pdf_text

pytestmark = pytest.mark.django_db


def cases(office, worker, count: int, country: str = "CAN", state: str = CaseState.REFERRED) -> list:
    made = []
    for n in range(count):
        principal = register(office, f"Applicant{n}", f"Family{country}{n}", "F", datetime.date(1985, 3, 1))
        case = services.resettlement_case_open(office=office, principal=principal, country=country, by=worker)
        made.append(case)
    ResettlementCase.objects.filter(pk__in=[case.pk for case in made]).update(state=state)
    return made


def test_the_board_counts_cases_by_state_and_country(client, istanbul, worker):
    cases(istanbul, worker, 3, "CAN")
    cases(istanbul, worker, 2, "AUS", CaseState.VISA_ISSUED)
    client.force_login(worker)
    board = client.get(reverse("movements:resettlement-board")).context["board"]
    assert [code for code, _name in board.countries] == ["CAN", "AUS"]
    rows = {row["state"]: row["counts"] for row in board.rows}
    assert rows[CaseState.REFERRED] == [3, 0] and rows[CaseState.VISA_ISSUED] == [0, 2]
    assert board.total == 5


def test_the_board_filters_by_country_and_office(client, istanbul, izmir, worker):
    cases(istanbul, worker, 2, "CAN")
    cases(istanbul, worker, 1, "NOR")
    user = staff(Role.SUPERVISOR, izmir, username="both")
    from tests.factories import grant

    grant(user, Role.SUPERVISOR, istanbul)
    cases(izmir, user, 4, "CAN")
    client.force_login(user)
    assert client.get(reverse("movements:resettlement-board"), {"country": "NOR"}).context["board"].total == 1
    assert client.get(reverse("movements:resettlement-board"), {"office": "IZM"}).context["board"].total == 4
    assert client.get(reverse("movements:resettlement-board")).context["board"].total == 7


def test_the_board_shows_only_the_users_offices(client, istanbul, izmir, worker):
    cases(istanbul, worker, 2)
    client.force_login(staff(Role.SUPERVISOR, izmir, username="izmir.sup"))
    assert client.get(reverse("movements:resettlement-board")).context["board"].total == 0


def test_the_board_costs_the_same_queries_for_3_or_30_cases(client, istanbul, worker, django_assert_max_num_queries):
    cases(istanbul, worker, 3)
    client.force_login(worker)
    client.get(reverse("movements:resettlement-board"))
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("movements:resettlement-board"))
    cases(istanbul, worker, 27, "AUS")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("movements:resettlement-board")).context["board"].total == 30


def test_the_case_list_query_count_does_not_grow(client, istanbul, worker, django_assert_max_num_queries):
    cases(istanbul, worker, 3)
    client.force_login(worker)
    client.get(reverse("movements:resettlement-case-list"))
    with django_assert_max_num_queries(9) as few:
        client.get(reverse("movements:resettlement-case-list"))
    cases(istanbul, worker, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("movements:resettlement-case-list"), {"state": "referred"}).content.decode()
    assert page.count("Applicant") == 23


def test_the_case_api_query_count_does_not_grow(client, istanbul, worker, django_assert_max_num_queries):
    cases(istanbul, worker, 3)
    client.force_login(worker)
    with django_assert_max_num_queries(10) as few:
        client.get("/api/resettlement-cases/")
    cases(istanbul, worker, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/resettlement-cases/?limit=100").json()["count"] == 23


def test_the_board_api_gives_the_same_counts(client, istanbul, worker):
    cases(istanbul, worker, 2, "GBR", CaseState.BOOKED)
    client.force_login(worker)
    body = client.get("/api/resettlement-cases/board/").json()
    booked = next(row for row in body["rows"] if row["state"] == "booked")
    assert body["countries"] == ["GBR"] and booked["counts"] == [2] and body["total"] == 2


def test_resettlement_pages_are_for_resettlement_staff(client, istanbul):
    client.force_login(staff(Role.DTM_OFFICER, istanbul, programme="dtm"))
    assert client.get(reverse("movements:resettlement-board")).status_code == 404
    client.force_login(staff(Role.CASEWORKER, istanbul, programme="protection", username="protection.ist"))
    assert client.get(reverse("movements:resettlement-board")).status_code == 404


def test_the_navigation_shows_resettlement_to_its_staff(client, worker, nurse):
    client.force_login(worker)
    nav = client.get(reverse("core:home")).content.decode()
    assert 'data-nav="resettlement"' in nav and 'data-nav="health"' not in nav
    client.force_login(nurse)
    assert 'data-nav="health"' in client.get(reverse("core:home")).content.decode()


def test_the_calendar_shows_the_months_departures_with_their_travellers(client, ready_case, family, flight, worker):
    services.case_book(case=ready_case, flight=flight, travellers=everyone(family), by=worker)
    client.force_login(worker)
    departs = flight.departs_on
    page = client.get(
        reverse("movements:movements-calendar"), {"year": departs.year, "month": departs.month}
    ).content.decode()
    assert flight.reference in page and "5 travellers" in page


def test_the_manifests_count_the_people_booked(client, ready_case, family, flight, worker):
    services.family_split_approve(case=ready_case, flight=flight, by=worker, reason="Baby travels later.")
    services.case_book(case=ready_case, flight=flight, travellers=everyone(family)[:4], by=worker)
    client.force_login(worker)
    text = pdf_text(client.get(reverse("movements:movements-manifest-pdf", args=[flight.reference])).content)
    assert "Travellers booked: 4" in text
    assert [name in text for name in ("Ahmad", "Rania", "Leyla", "Omar", "Nour")] == [True] * 4 + [False]
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("movements:movements-manifest-xlsx", args=[flight.reference])).content)
    )
    rows = list(book.active.iter_rows(values_only=True))
    header = rows.index(next(row for row in rows if row[0] == "No."))
    people = [row for row in rows[header + 1 :] if isinstance(row[0], int)]
    assert len(people) == 4 and rows[-1] == ("Travellers booked", 4) + (None,) * (len(rows[-1]) - 2)


def test_the_xlsx_manifest_neutralises_formula_like_names(client, istanbul, worker, nurse):
    from tests.movements.conftest import document, ready

    person = register(istanbul, "=HYPERLINK(1)", "+Evil", "M", datetime.date(1980, 1, 1))
    case = services.resettlement_case_open(office=istanbul, principal=person, country="CAN", by=worker)
    document(case, person, worker, nurse)
    flight = services.flight_create(
        office=istanbul, destination_country="CAN", legs=[leg(timezone.now() + datetime.timedelta(days=1))], by=worker
    )
    services.case_book(case=ready(case), flight=flight, travellers=[services.TravellerBooking(person)], by=worker)
    client.force_login(worker)
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("movements:movements-manifest-xlsx", args=[flight.reference])).content)
    ).active
    cells = [cell for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)]
    assert "'+Evil" in cells and "'=HYPERLINK(1)" in cells


def test_a_pdf_manifest_prints_turkish_names_with_a_unicode_font(client, ready_case, family, flight, worker, settings):
    from pathlib import Path

    font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian's fonts-dejavu-core
    if not Path(font).is_file():
        pytest.skip(f"{font} is not installed")
    settings.LIMAN_PDF_FONT = font
    services.case_book(case=ready_case, flight=flight, travellers=everyone(family), by=worker)
    client.force_login(worker)
    content = client.get(reverse("movements:movements-manifest-pdf", args=[flight.reference])).content
    assert content.startswith(b"%PDF-") and b"/FontFile2" in content


def test_the_flight_page_lists_the_airport_checklist(client, ready_case, family, flight, worker, nurse):
    from tests.movements.conftest import clear

    clear(family.father, nurse, needs=["wheelchair"])
    services.case_book(case=ready_case, flight=flight, travellers=everyone(family), by=worker)
    client.force_login(worker)
    url = reverse("movements:movements-flight-detail", args=[flight.reference])
    checklist = client.get(url).context["checklist"]
    key = f"wheelchair:{family.father.reference}"
    assert key in {item.key for item in checklist}
    client.post(url, {"kind": "checklist", "key": key, "done": "1"})
    assert next(item for item in client.get(url).context["checklist"] if item.key == key).done


def test_a_booking_refused_on_the_page_says_who_misses_what(client, open_case, family, flight, worker):
    from tests.movements.conftest import ready

    ready(open_case)
    client.force_login(worker)
    response = client.post(
        reverse("movements:resettlement-case-book", args=[open_case.reference]),
        {"flight": flight.reference, "travellers": [family.father.pk]},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Ahmad Haddad has no medical clearance valid on" in page
    assert "Ahmad Haddad has no visa valid on" in page


def test_the_person_page_shows_the_resettlement_case(client, open_case, family, worker):
    client.force_login(worker)
    page = client.get(reverse("registry:person-detail", args=[family.son.reference])).content.decode()
    assert open_case.reference in page


def test_a_traveller_put_on_medical_hold_flags_the_case_where_it_stands_on_the_board(client, istanbul, worker):
    """A case ready for departure whose traveller is then put on medical hold is not left looking ready: the board
    flags it in its cell, and the flag lists exactly the held cases."""
    from liman.health import services as health

    held, clear = cases(istanbul, worker, 2, "CAN", CaseState.READY_FOR_DEPARTURE)
    cases(istanbul, worker, 1, "CAN", CaseState.MEDICAL_HOLD)
    nurse = staff(Role.HEALTH, istanbul, username="nurse.ist")
    assessment = health.health_assessment_request(person=held.principal, by=worker)
    health.health_assessment_record(
        assessment=assessment, by=nurse, changes={"assessed_on": timezone.localdate(), "fit_to_travel": False}
    )
    health.health_assessment_hold(assessment=assessment, by=nurse, reason="Suspected active TB.")

    client.force_login(worker)
    response = client.get(reverse("movements:resettlement-board"))
    rows = {row["state"]: row for row in response.context["board"].rows}
    assert rows[CaseState.READY_FOR_DEPARTURE]["counts"] == [2]
    assert rows[CaseState.READY_FOR_DEPARTURE]["flagged"] == 1
    assert rows[CaseState.MEDICAL_HOLD]["flagged"] == 0, "a case already in medical hold is not flagged again"
    page = response.content.decode()
    assert "1 case with a traveller on medical hold" in page

    listed = client.get(
        reverse("movements:resettlement-case-list"),
        {"state": CaseState.READY_FOR_DEPARTURE, "country": "CAN", "medical_hold": "1"},
    ).content.decode()
    assert held.reference in listed and clear.reference not in listed
