"""Every write of migration health, in a transaction, validated and audited.

Rules of docs/domain.md ("Migration health"): a chest x-ray at 15 and over; sputum smear and culture when the
x-ray suggests TB; class A blocks travel until treated or waived; findings are for health roles only.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core.access import has_role
from liman.core.choices import Role
from liman.core.models import Office, User
from liman.core.services import new_reference, record_create, record_update
from liman.core.workflows import state_set
from liman.registry.models import Person

from .choices import ClearanceStatus, LabResult, TBClass, TravelNeed, XrayResult
from .models import FitToFlyCheck, HealthAssessment, MedicalClearance

#: Fields health staff record on an assessment (the rest is set by the services below).
FINDING_FIELDS = (
    "assessed_on",
    "medical_history",
    "examination",
    "vaccinations",
    "chest_xray",
    "sputum_smear",
    "sputum_culture",
    "tb_class",
    "class_a_waived",
    "fit_to_travel",
    "travel_needs",
)
#: Age from which the TB screening includes a chest x-ray.
XRAY_FROM_AGE = 15


def _require_health(user: User | None, office: Office) -> None:
    if user is None or not has_role(user, Role.HEALTH, office=office):
        raise PermissionDenied(_("Only health staff of this office record health assessments."))


def health_assessment_request(
    *, person: Person, by: User | None, office: Office | None = None, requested_on: datetime.date | None = None
) -> HealthAssessment:
    """Ask health staff to assess a traveller (resettlement staff do, when a case reaches the health step).

    An assessment still in progress is reused: one request, however many times the case asks."""
    with transaction.atomic():
        open_one = HealthAssessment.objects.filter(person=person, status=ClearanceStatus.PENDING).first()
        if open_one is not None:
            return open_one
        assessment = record_create(
            HealthAssessment(
                reference=new_reference(f"{(office or person.office).code}-HA", HealthAssessment),
                office=office or person.office,
                person=person,
                requested_on=requested_on or timezone.localdate(),
                requested_by=by,
            ),
            by=by,
        )
        _clearance_follow(assessment, by=by)
    return assessment


def health_assessment_record(*, assessment: HealthAssessment, by: User, changes: dict) -> HealthAssessment:
    """Health staff record findings (history, examination, vaccinations, TB screening, travel needs)."""
    _require_health(by, assessment.office)
    unknown = set(changes) - set(FINDING_FIELDS)
    if unknown:
        raise ValidationError(_("These fields are not findings: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        assessment = record_update(assessment, by=by, changes=changes)
        if assessment.status != ClearanceStatus.PENDING:
            _clearance_follow(assessment, by=by)
    return assessment


def clearance_problems(assessment: HealthAssessment, valid_until: datetime.date | None) -> list[str]:
    """What stops health staff from clearing this traveller, in their words (empty: they may)."""
    problems = []
    if not assessment.assessed_on or not assessment.examination.strip():
        problems.append(_("Record the date and the physical examination first."))
    age = assessment.person.age_on(assessment.assessed_on or timezone.localdate())
    if age is not None and age >= XRAY_FROM_AGE and assessment.chest_xray == XrayResult.NOT_DONE:
        problems.append(_("A chest x-ray is part of the TB screening from age %(age)d.") % {"age": XRAY_FROM_AGE})
    if assessment.chest_xray == XrayResult.SUGGESTIVE_OF_TB:
        for label, result in (
            (_("sputum smear"), assessment.sputum_smear),
            (_("sputum culture"), assessment.sputum_culture),
        ):
            if result in (LabResult.NOT_DONE, LabResult.PENDING):
                problems.append(
                    _("The chest x-ray suggests TB: the %(test)s result is needed before clearance.") % {"test": label}
                )
    if assessment.tb_class == TBClass.CLASS_A and not assessment.class_a_waived:
        problems.append(_("Class A TB blocks travel until treated (then re-assess) or waived by the country."))
    if assessment.fit_to_travel is not True:
        problems.append(_("Record that the traveller is fit to travel."))
    if valid_until is None:
        problems.append(_("Give the date until which the clearance is valid."))
    elif valid_until <= timezone.localdate():
        problems.append(_("The clearance must be valid after today."))
    return problems


def health_assessment_clear(
    *, assessment: HealthAssessment, by: User, valid_until: datetime.date | None
) -> HealthAssessment:
    """Clear the traveller for travel until `valid_until`; also lifts a medical hold once treated."""
    _require_health(by, assessment.office)
    with transaction.atomic():
        assessment = HealthAssessment.objects.select_for_update().select_related("person").get(pk=assessment.pk)
        problems = clearance_problems(assessment, valid_until)
        if problems:
            raise ValidationError(problems)
        assessment = state_set(
            assessment,
            field="status",
            new=ClearanceStatus.CLEARED,
            by=by,
            changes={"valid_until": valid_until, "concluded_on": timezone.localdate(), "concluded_by": by},
        )
        _clearance_follow(assessment, by=by)
    return assessment


def health_assessment_hold(*, assessment: HealthAssessment, by: User, reason: str) -> HealthAssessment:
    """Put the traveller on medical hold; the reason is a finding (health staff only read it)."""
    _require_health(by, assessment.office)
    if not reason.strip():
        raise ValidationError({"hold_reason": _("Say why the traveller is on medical hold.")})
    with transaction.atomic():
        # The hold reason is a finding: it stays on the assessment, not in the history row.
        assessment = state_set(
            assessment,
            field="status",
            new=ClearanceStatus.MEDICAL_HOLD,
            by=by,
            changes={
                "hold_reason": reason.strip(),
                "valid_until": None,
                "concluded_on": timezone.localdate(),
                "concluded_by": by,
            },
        )
        _clearance_follow(assessment, by=by)
    return assessment


def _clearance_follow(assessment: HealthAssessment, *, by: User | None) -> MedicalClearance:
    """The person's clearance shows the latest assessment: status, expiry and travel needs, nothing else."""
    values = {
        "assessment": assessment,
        "status": assessment.status,
        "valid_until": assessment.valid_until if assessment.status == ClearanceStatus.CLEARED else None,
        "travel_needs": [need for need in TravelNeed.values if need in assessment.travel_needs],
        "updated_at": timezone.now(),
    }
    clearance = MedicalClearance.objects.filter(person=assessment.person).first()
    if clearance is None:
        return record_create(MedicalClearance(person=assessment.person, **values), by=by)
    return record_update(clearance, by=by, changes=values)


def fit_to_fly_record(
    *, person: Person, by: User, is_fit: bool, checked_at: datetime.datetime | None = None
) -> FitToFlyCheck:
    """Health staff record the pre-departure check (it counts for departures within the next 72 hours)."""
    _require_health(by, person.office)
    return record_create(
        FitToFlyCheck(
            office=person.office, person=person, checked_at=checked_at or timezone.now(), is_fit=is_fit, checked_by=by
        ),
        by=by,
    )
