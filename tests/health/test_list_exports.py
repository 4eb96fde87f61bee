"""The health list's export: the assessments the nurse sees, as the page shows them, audited at the medical tier."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from liman.core.choices import AuditAction, Role
from liman.core.models import AuditEvent
from liman.health import services as health
from tests.factories import staff
from tests.movements.conftest import register, years_ago

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_export_finds_by_full_name_sorts_and_is_audited_at_its_tier(client, istanbul, izmir, nurse):
    said = register(istanbul, "Said", "Al-Hassan", "M", years_ago(30))
    karim = register(istanbul, "Said", "Karimi", "M", years_ago(25))
    elsewhere = register(izmir, "Said", "Al-Hassan", "M", years_ago(30))
    assessments = {person: health.health_assessment_request(person=person, by=None) for person in (said, karim)}
    health.health_assessment_request(person=elsewhere, by=None)
    client.force_login(nurse)
    rows = _rows(client.get(reverse("health:health-assessment-export-csv"), {"q": "Said Al-Hassan"}))
    assert rows[0][:3] == ["Reference", "Person", "Person reference"]
    assert [row[2] for row in rows[1:]] == [said.reference]
    both = _rows(client.get(reverse("health:health-assessment-export-csv"), {"q": "Said", "sort": "-person"}))
    assert [row[0] for row in both[1:]] == [assessments[karim].reference, assessments[said].reference]
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT).latest("seq")
    assert event.sensitivity == "medical"
    assert set(event.changes["sensitive"]) == {assessment.reference for assessment in assessments.values()}


def test_only_health_staff_export_the_health_list(client, istanbul):
    client.force_login(staff(Role.CASEWORKER, istanbul, username="cw.ist"))
    for fmt in ("csv", "xlsx"):
        assert client.get(reverse(f"health:health-assessment-export-{fmt}")).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_health_list_and_export_cost_a_bounded_number_of_queries(
    client, istanbul, nurse, django_assert_max_num_queries
):
    for number in range(25):
        health.health_assessment_request(
            person=register(istanbul, "Name", f"Family{number}", "F", years_ago(20)), by=None
        )
    client.force_login(nurse)
    with django_assert_max_num_queries(16):
        assert (
            client.get(reverse("health:health-assessment-list"), {"sort": "person", "status": "pending"}).status_code
            == 200
        )
    with django_assert_max_num_queries(16):
        assert client.get(reverse("health:health-assessment-export-xlsx"), {"sort": "-valid_until"}).status_code == 200
