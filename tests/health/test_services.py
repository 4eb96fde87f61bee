"""Health assessments: the screening rules before clearance, the medical hold, what the clearance carries."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from liman.core.choices import Role
from liman.health import services as health
from liman.health.choices import ClearanceStatus
from liman.health.models import HealthAssessment, MedicalClearance
from tests.factories import staff

pytestmark = pytest.mark.django_db

NEXT_YEAR = timezone.localdate() + datetime.timedelta(days=365)


def examined(person, nurse, **findings):
    assessment = health.health_assessment_request(person=person, by=None)
    changes = {"assessed_on": timezone.localdate(), "examination": "Normal.", "fit_to_travel": True, **findings}
    return health.health_assessment_record(assessment=assessment, by=nurse, changes=changes)


def clearing(assessment, nurse) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        health.health_assessment_clear(assessment=assessment, by=nurse, valid_until=NEXT_YEAR)
    return refused.value.messages


def test_a_request_opens_one_assessment_and_a_pending_clearance(family):
    first = health.health_assessment_request(person=family.father, by=None)
    again = health.health_assessment_request(person=family.father, by=None)
    assert first == again
    assert MedicalClearance.objects.get(person=family.father).status == ClearanceStatus.PENDING


def test_clearance_needs_a_chest_xray_from_age_15(family, nurse):
    assessment = examined(family.daughter, nurse)
    assert "A chest x-ray is part of the TB screening from age 15." in clearing(assessment, nurse)
    health.health_assessment_record(assessment=assessment, by=nurse, changes={"chest_xray": "normal"})
    cleared = health.health_assessment_clear(assessment=assessment, by=nurse, valid_until=NEXT_YEAR)
    assert cleared.status == ClearanceStatus.CLEARED


def test_a_child_under_15_is_cleared_without_a_chest_xray(family, nurse):
    assessment = examined(family.son, nurse)
    health.health_assessment_clear(assessment=assessment, by=nurse, valid_until=NEXT_YEAR)
    assert MedicalClearance.objects.get(person=family.son).is_valid_on(timezone.localdate())


def test_an_xray_suggesting_tb_needs_sputum_smear_and_culture(family, nurse):
    assessment = examined(family.father, nurse, chest_xray="suggestive_of_tb", sputum_smear="negative")
    problems = clearing(assessment, nurse)
    assert "The chest x-ray suggests TB: the sputum culture result is needed before clearance." in problems
    assert not any("sputum smear" in problem for problem in problems)
    health.health_assessment_record(assessment=assessment, by=nurse, changes={"sputum_culture": "negative"})
    health.health_assessment_clear(assessment=assessment, by=nurse, valid_until=NEXT_YEAR)


def test_class_a_tb_blocks_travel_until_waived(family, nurse):
    assessment = examined(family.mother, nurse, chest_xray="normal", tb_class="class_a")
    assert any("Class A TB blocks travel" in problem for problem in clearing(assessment, nurse))
    health.health_assessment_record(assessment=assessment, by=nurse, changes={"class_a_waived": True})
    health.health_assessment_clear(assessment=assessment, by=nurse, valid_until=NEXT_YEAR)


def test_clearance_needs_fit_to_travel_and_a_future_expiry(family, nurse):
    assessment = examined(family.son, nurse, fit_to_travel=None)
    assert "Record that the traveller is fit to travel." in clearing(assessment, nurse)
    health.health_assessment_record(assessment=assessment, by=nurse, changes={"fit_to_travel": True})
    with pytest.raises(ValidationError, match="valid after today"):
        health.health_assessment_clear(assessment=assessment, by=nurse, valid_until=timezone.localdate())


def test_a_medical_hold_is_lifted_by_clearing_after_treatment(family, nurse):
    assessment = examined(family.mother, nurse, chest_xray="normal")
    health.health_assessment_hold(assessment=assessment, by=nurse, reason="Hypertension to control first.")
    clearance = MedicalClearance.objects.get(person=family.mother)
    assert clearance.status == ClearanceStatus.MEDICAL_HOLD and clearance.valid_until is None
    health.health_assessment_clear(assessment=assessment, by=nurse, valid_until=NEXT_YEAR)
    clearance.refresh_from_db()
    assert clearance.status == ClearanceStatus.CLEARED and clearance.valid_until == NEXT_YEAR


def test_a_hold_needs_a_reason(family, nurse):
    assessment = examined(family.mother, nurse)
    with pytest.raises(ValidationError, match="Say why"):
        health.health_assessment_hold(assessment=assessment, by=nurse, reason=" ")


def test_the_clearance_carries_travel_needs_but_no_finding(family, nurse):
    assessment = examined(family.father, nurse, chest_xray="normal", travel_needs=["oxygen"], medical_history="COPD")
    health.health_assessment_clear(assessment=assessment, by=nurse, valid_until=NEXT_YEAR)
    clearance = MedicalClearance.objects.get(person=family.father)
    assert clearance.travel_needs == ["oxygen"] and clearance.needs_medif
    assert not {field.name for field in MedicalClearance._meta.fields} & {"medical_history", "examination", "tb_class"}


def test_findings_are_encrypted_at_rest(family, nurse):
    assessment = examined(family.father, nurse, chest_xray="normal", medical_history="Type 2 diabetes since 2015")
    with connection.cursor() as cursor:
        cursor.execute("SELECT medical_history FROM health_healthassessment WHERE id = %s", [assessment.pk])
        stored = cursor.fetchone()[0]
    assert "diabetes" not in stored
    assert HealthAssessment.objects.get(pk=assessment.pk).medical_history == "Type 2 diabetes since 2015"


def test_only_health_staff_record_findings(family, caseworker, istanbul):
    assessment = health.health_assessment_request(person=family.father, by=caseworker)
    with pytest.raises(PermissionDenied):
        health.health_assessment_record(assessment=assessment, by=caseworker, changes={"examination": "x"})
    with pytest.raises(PermissionDenied):
        health.fit_to_fly_record(person=family.father, by=staff(Role.VIEWER, istanbul), is_fit=True)


def test_findings_only_take_finding_fields(family, nurse):
    assessment = health.health_assessment_request(person=family.father, by=None)
    with pytest.raises(ValidationError, match="not findings: status"):
        health.health_assessment_record(assessment=assessment, by=nurse, changes={"status": "cleared"})


def test_a_fit_to_fly_check_cannot_be_recorded_in_advance(family, nurse):
    with pytest.raises(ValidationError, match="in advance"):
        health.fit_to_fly_record(
            person=family.father, by=nurse, is_fit=True, checked_at=timezone.now() + datetime.timedelta(days=1)
        )
