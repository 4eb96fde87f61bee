"""How long health assessments keep their medical findings (core.retention)."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from liman.core import retention
from liman.core.retention import Kind, Purge

from .models import HealthAssessment


def assessments_due(cutoff: date):
    return HealthAssessment.objects.filter(concluded_on__lt=cutoff)


def assessments_anonymise(assessments, work: Purge) -> None:
    work.blank(assessments, "medical_history", "examination", "vaccinations", "hold_reason")


retention.register(
    Kind(
        "health.assessment",
        _("Health assessments"),
        _("the assessment was concluded"),
        ("health.healthassessment", "health.medicalclearance", "health.fittoflycheck"),
        due=assessments_due,
        anonymise=assessments_anonymise,
        default_days=365 * 2,
        keeps=_(
            "status, dates, TB classification, fitness to travel and travel needs (for movement figures); medical "
            "history, examination, vaccinations and the reason of a hold go"
        ),
    )
)
