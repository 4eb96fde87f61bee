"""Needs during travel (wheelchair, oxygen, stretcher, medical escort) are operational: movement staff need them to
book seats and meet the travellers at the airport, so they show wherever a traveller is booked or on a case the
user sees, also to the office running a flight for another office's travellers. Medical findings never show."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from liman.core.choices import Role
from liman.health import services as health
from liman.health.models import HealthAssessment
from liman.health.selectors import travel_needs_of
from liman.movements import services as movements
from liman.registry.models import Person
from tests.factories import staff
from tests.movements.conftest import clear, document, leg, ready
from tests.movements.pdf import pdf_text

pytestmark = pytest.mark.django_db

#: What only health staff may read, written into the assessments behind the needs.
FINDINGS = ["FINDING-copd-history", "FINDING-exam-wheeze", "FINDING-fracture-left-femur"]


def with_findings(person, nurse, *, needs: list[str], history: str, examination: str):
    """A clearance with needs during travel, and the findings behind them in the assessment."""
    clear(person, nurse, needs=needs)
    assessment = HealthAssessment.objects.filter(person=person).latest("id")
    health.health_assessment_record(
        assessment=assessment, by=nurse, changes={"medical_history": history, "examination": examination}
    )


@pytest.fixture
def izmir_flight(izmir, worker):
    """A flight to Canada that the Izmir office runs (its airport team meets everyone booked on it)."""
    departs = timezone.now() + datetime.timedelta(days=2)
    return movements.flight_create(office=izmir, destination_country="CAN", legs=[leg(departs)], by=worker)


@pytest.fixture
def booked(istanbul, family, worker, nurse, izmir_flight):
    """The Istanbul family booked on Izmir's flight: the father needs a wheelchair, the mother oxygen."""
    case = movements.resettlement_case_open(office=istanbul, principal=family.father, country="CAN", by=worker)
    for person in family.people:
        document(case, person, worker, nurse)
    with_findings(family.father, nurse, needs=["wheelchair"], history=FINDINGS[0], examination=FINDINGS[2])
    with_findings(family.mother, nurse, needs=["oxygen"], history=FINDINGS[0], examination=FINDINGS[1])
    travellers = [
        movements.TravellerBooking(
            person=person,
            escort_name="Dr Elif Kaya" if person == family.mother else "",
            medif_received_on=timezone.localdate() if person == family.mother else None,
        )
        for person in family.people
    ]
    movements.case_book(case=ready(case), flight=izmir_flight, travellers=travellers, by=worker)
    return case


@pytest.fixture
def izmir_movements(izmir):
    """Movement staff of the office running the flight: they see its bookings, not the Istanbul registry."""
    return staff(Role.SUPERVISOR, izmir, programme="resettlement", username="movements.izm")


def leaked(body: str) -> list[str]:
    return [finding for finding in FINDINGS if finding in body]


def test_only_the_needs_are_read_never_the_findings(booked, family):
    needs = travel_needs_of([family.father.pk, family.mother.pk, family.son.pk])
    assert {pk: list(value) for pk, value in needs.items()} == {
        family.father.pk: ["wheelchair"],
        family.mother.pk: ["oxygen"],
    }
    assert needs[family.mother.pk].needs_medif and not needs[family.father.pk].needs_medif
    assert leaked(repr(needs)) == []


def test_the_flight_office_sees_the_needs_on_its_manifest_page(client, booked, izmir_flight, izmir_movements):
    client.force_login(izmir_movements)
    response = client.get(reverse("movements:movements-flight-detail", args=[izmir_flight.reference]))
    body = response.content.decode()
    assert "Wheelchair" in body and "Oxygen" in body and "Escort: Dr Elif Kaya" in body
    assert "Wheelchair: Ahmad Haddad" in body  # the airport team's checklist
    assert leaked(body) == []
    # Registered in Istanbul, outside the Izmir reader's scope: no clearance status, not "not assessed" either.
    assert "Not assessed" not in body and "Cleared" not in body


def test_the_flight_office_sees_the_needs_in_the_pdf_manifest(client, booked, izmir_flight, izmir_movements):
    client.force_login(izmir_movements)
    text = pdf_text(client.get(reverse("movements:movements-manifest-pdf", args=[izmir_flight.reference])).content)
    assert "Wheelchair" in text and "Oxygen" in text and "Travellers booked: 5" in text
    assert leaked(text) == []


def test_the_flight_office_sees_the_needs_in_the_xlsx_manifest(client, booked, family, izmir_flight, izmir_movements):
    client.force_login(izmir_movements)
    response = client.get(reverse("movements:movements-manifest-xlsx", args=[izmir_flight.reference]))
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = next(row for row in rows if row and row[0] == "No.")
    assistance = {row[2]: row[header.index("Assistance")] for row in rows if row and isinstance(row[0], int)}
    assert assistance["Ahmad"] == "Wheelchair"
    assert assistance["Rania"] == "Oxygen; Escort: Dr Elif Kaya; MEDIF approved"
    assert leaked(str(rows)) == []


def test_the_flight_office_gets_the_needs_but_not_the_clearance_from_the_api(
    client, booked, family, izmir_flight, izmir_movements
):
    client.force_login(izmir_movements)
    entries = client.get(f"/api/flights/{izmir_flight.reference}/manifest/").json()
    father = next(entry for entry in entries if entry["person"] == family.father.reference)
    assert father["medical_clearance"] == {"status": None, "valid_until": None, "travel_needs": ["wheelchair"]}
    assert leaked(str(entries)) == []


def test_the_caseworker_sees_the_needs_and_the_clearance_on_the_case_page(client, booked, caseworker):
    client.force_login(caseworker)
    body = client.get(reverse("movements:resettlement-case-detail", args=[booked.reference])).content.decode()
    assert "Wheelchair" in body and "Oxygen" in body and "Cleared" in body
    assert leaked(body) == []


def test_the_booking_form_shows_each_travellers_needs(client, istanbul, family, worker, nurse, izmir_flight):
    case = movements.resettlement_case_open(office=istanbul, principal=family.father, country="CAN", by=worker)
    with_findings(family.mother, nurse, needs=["oxygen"], history=FINDINGS[0], examination=FINDINGS[1])
    flight = movements.flight_create(
        office=istanbul, destination_country="CAN", legs=[leg(timezone.now() + datetime.timedelta(days=3))], by=worker
    )
    client.force_login(worker)
    body = client.get(reverse("movements:resettlement-case-detail", args=[ready(case).reference])).content.decode()
    assert flight.reference in body and "Needs during travel: Oxygen." in body and leaked(body) == []


def test_a_protection_sensitive_travellers_needs_reach_the_flight_office(client, booked, family, izmir, izmir_flight):
    Person.objects.filter(pk=family.father.pk).update(sensitivity="protection")
    viewer = staff(Role.VIEWER, izmir, username="viewer.izm")
    client.force_login(viewer)
    body = client.get(reverse("movements:movements-flight-detail", args=[izmir_flight.reference])).content.decode()
    assert "Wheelchair: Ahmad Haddad" in body and leaked(body) == []


def test_the_findings_form_shows_fit_to_travel_as_stored_so_saving_again_keeps_it():
    from liman.health.forms import FindingsForm
    from liman.health.models import HealthAssessment

    rendered = str(FindingsForm(instance=HealthAssessment(fit_to_travel=True))["fit_to_travel"])
    assert '<option value="true" selected>' in rendered
    form = FindingsForm(data={"fit_to_travel": "true"}, instance=HealthAssessment())
    form.is_valid()
    assert form.cleaned_data["fit_to_travel"] is True
