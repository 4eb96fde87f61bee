"""Medical tier: a caseworker without a health role sees no finding anywhere (pages, manifests, API), only
"cleared" / "on medical hold" and the expiry date. Tested by walking every route as that caseworker."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, get_resolver, reverse
from django.utils import timezone

from liman.core.models import AuditEvent
from liman.health import services as health
from liman.health.models import HealthAssessment
from liman.movements import services as movements
from tests.core.test_access_walk import walk
from tests.movements.conftest import document, everyone, leg, ready
from tests.movements.pdf import pdf_text

pytestmark = pytest.mark.django_db

#: What only health staff may read: free-text findings, and the TB screening results' labels.
FINDINGS = [
    "FINDING-history-hepatitis",
    "FINDING-exam-murmur",
    "FINDING-vaccines-mmr",
    "FINDING-hold-tuberculosis",
    "Abnormal, not suggestive of TB",
    "Class B",
]


@pytest.fixture
def world(istanbul, family, worker, nurse):
    """A booked family: the father cleared with findings, the son on medical hold (another case, not booked)."""
    case = movements.resettlement_case_open(office=istanbul, principal=family.father, country="CAN", by=worker)
    for person in family.people:
        document(case, person, worker, nurse)
    father = HealthAssessment.objects.filter(person=family.father).latest("id")
    health.health_assessment_record(
        assessment=father,
        by=nurse,
        changes={
            "medical_history": FINDINGS[0],
            "examination": FINDINGS[1],
            "vaccinations": FINDINGS[2],
            "chest_xray": "abnormal_not_tb",
            "tb_class": "class_b",
            "travel_needs": ["wheelchair"],
        },
    )
    flight = movements.flight_create(
        office=istanbul,
        destination_country="CAN",
        legs=[leg(timezone.now() + datetime.timedelta(days=2))],
        by=worker,
    )
    movements.case_book(case=ready(case), flight=flight, travellers=everyone(family), by=worker)
    son = health.health_assessment_request(person=family.son, by=None)
    health.health_assessment_hold(assessment=son, by=nurse, reason=FINDINGS[3])
    return case, flight, [father, son]


def records_of(case, flight, family, assessments) -> list:
    return [case, flight, family.father, family.son, *assessments, case.members.first(), flight.bookings.first()]


def value_for(record, param: str):
    if param == "format":
        return "json"
    if param in ("pk", "id"):
        return record.pk
    if param == "person" and hasattr(record, "person"):
        return record.person.reference
    return getattr(record, param, None)


def leaked(body: str) -> list[str]:
    return [finding for finding in FINDINGS if finding in body]


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_a_caseworker_sees_no_medical_finding_on_any_route(client, world, family, caseworker):
    case, flight, assessments = world
    client.force_login(caseworker)
    records = records_of(case, flight, family, assessments)
    seen = 0
    for _route, name, params in walk(get_resolver().url_patterns):
        if not name:
            continue
        candidates = [None] if not params - {"format"} else records
        for record in candidates:
            kwargs = {param: value_for(record, param) for param in params} if record is not None else {}
            if params and not kwargs:
                kwargs = {"format": "json"}
            if any(value is None for value in kwargs.values()):
                continue
            try:
                url = reverse(name, kwargs=kwargs or None)
            except NoReverseMatch:
                continue
            response = client.get(url)
            if response.status_code != 200:
                continue
            body = response.content.decode("utf-8", "replace") if "pdf" not in response["Content-Type"] else ""
            if response["Content-Type"] == "application/pdf":
                body = pdf_text(response.content)
            elif "spreadsheetml" in response["Content-Type"]:
                sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
                body = "\n".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row)
            assert leaked(body) == [], f"{url} shows {leaked(body)} to a caseworker"
            seen += 1
    assert seen > 30, "the walk reached too few pages to mean anything"


def test_the_case_page_shows_the_clearance_status_and_expiry(client, world, caseworker):
    case, _flight, _assessments = world
    client.force_login(caseworker)
    page = client.get(reverse("movements:resettlement-case-detail", args=[case.reference])).content.decode()
    assert "Cleared" in page and "On medical hold" in page and leaked(page) == []
    son_page = client.get(reverse("registry:person-detail", args=[_assessments[1].person.reference])).content.decode()
    assert "On medical hold" in son_page and FINDINGS[3] not in son_page
    valid_until = _assessments[0].person.medical_clearance.valid_until
    assert valid_until.strftime("%m/%d/%Y") in page or str(valid_until.year) in page


def test_health_pages_and_api_answer_404_to_a_caseworker(client, world, caseworker):
    _case, _flight, assessments = world
    client.force_login(caseworker)
    assert client.get(reverse("health:health-assessment-list")).status_code == 404
    assert client.get(reverse("health:health-assessment-detail", args=[assessments[0].reference])).status_code == 404
    assert client.get("/api/health-assessments/").json()["count"] == 0
    assert client.get(f"/api/health-assessments/{assessments[0].reference}/").status_code == 404


def test_the_api_gives_a_caseworker_the_clearance_only(client, world, caseworker, family):
    case, flight, _assessments = world
    client.force_login(caseworker)
    detail = client.get(f"/api/resettlement-cases/{case.reference}/").json()
    father = next(member for member in detail["members"] if member["person"] == family.father.reference)
    assert father["medical_clearance"]["status"] == "cleared"
    assert father["medical_clearance"]["travel_needs"] == ["wheelchair"]
    manifest = client.get(f"/api/flights/{flight.reference}/manifest/").json()
    assert len(manifest) == 5 and set(manifest[0]["medical_clearance"]) == {"status", "valid_until", "travel_needs"}
    son = client.get(f"/api/medical-clearances/{family.son.reference}/").json()
    assert son["status"] == "medical_hold" and leaked(str(son)) == []


def test_health_staff_read_the_findings_and_the_reading_is_audited(client, world, nurse):
    _case, _flight, assessments = world
    client.force_login(nurse)
    page = client.get(reverse("health:health-assessment-detail", args=[assessments[0].reference])).content.decode()
    assert FINDINGS[0] in page and FINDINGS[1] in page
    assert AuditEvent.objects.filter(action="view", object_id=str(assessments[0].pk), actor=nurse).exists()
    api = client.get(f"/api/health-assessments/{assessments[1].reference}/").json()
    assert api["hold_reason"] == FINDINGS[3]
