"""The bookings list: every seat the user sees, sorted and filtered in the URL, exported as CSV and XLSX."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from liman.core.choices import AuditAction, Role
from liman.core.models import AuditEvent
from liman.movements import services
from tests.factories import staff
from tests.movements.conftest import everyone

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(ready_case, flight, family, worker):
    services.case_book(case=ready_case, flight=flight, travellers=everyone(family), by=worker)
    return family


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_bookings_list_sorts_by_traveller_and_filters_by_status(client, booked, worker, flight):
    client.force_login(worker)
    response = client.get(reverse("movements:movements-booking-list"), {"sort": "-traveller", "status": "booked"})
    assert response.status_code == 200
    names = [booking.person.full_name for booking in response.context["page"]]
    expected = sorted((person for person in booked.people), key=lambda p: (p.family_name, p.first_name), reverse=True)
    assert names == [person.full_name for person in expected]
    assert 'aria-sort="descending"' in response.content.decode()
    assert list(client.get(reverse("movements:movements-booking-list"), {"status": "cancelled"}).context["page"]) == []


def test_the_bookings_export_is_the_page_as_a_file_and_is_audited(client, booked, worker, flight):
    client.force_login(worker)
    response = client.get(
        reverse("movements:movements-booking-export-csv"), {"sort": "traveller", "q": flight.reference}
    )
    rows = _rows(response)
    assert rows[0] == ["Traveller", "Person reference", "Flight", "Departs", "Destination", "Case", "Status", "Office"]
    assert len(rows) == 1 + len(booked.people)
    assert {row[1] for row in rows[1:]} == {person.reference for person in booked.people}
    assert {row[2] for row in rows[1:]} == {flight.reference}
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.object_type == "movements.booking" and event.changes["filters"] == {"q": flight.reference}
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("movements:movements-booking-export-xlsx")).content)
    ).active
    assert sheet.max_row == 1 + len(booked.people)


def test_another_office_exports_none_of_the_bookings_and_others_are_refused(client, booked, izmir, istanbul):
    client.force_login(staff(Role.SUPERVISOR, izmir, username="sup.izm"))
    assert _rows(client.get(reverse("movements:movements-booking-export-csv")))[1:] == []
    client.force_login(staff(Role.DISTRIBUTION, istanbul, username="dist.ist"))
    assert client.get(reverse("movements:movements-booking-export-csv")).status_code == 404


def test_the_bookings_list_and_export_cost_a_bounded_number_of_queries(
    client, booked, worker, django_assert_max_num_queries
):
    client.force_login(worker)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("movements:movements-booking-list"), {"sort": "case"}).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("movements:movements-booking-export-xlsx"), {"sort": "departs"}).status_code == 200
