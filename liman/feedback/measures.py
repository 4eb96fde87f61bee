"""What feedback offers to reporting (liman.core.measures): complaints responded to. Counts only (the protected
channel's complaints included, never their content or who made them). Registered in FeedbackConfig.ready()."""

from __future__ import annotations

import datetime

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from liman.core import measures

from .choices import Category

COMPLAINTS_RESPONDED = "feedback.complaints_responded"


def complaints_responded(start: datetime.date, end: datetime.date, offices=None):
    """Complaints (every category but a request for information) responded to in [start, end), each once,
    described by the person who made it when known, at their household's district."""
    from liman.registry.models import DisabilityAssessment, LegalStatus

    from .models import Feedback

    complaints = (
        Feedback.objects.filter(
            measures.day_range("responded_at", start, end, datetime_field=True),
            measures.offices_filter("office", offices),
        )
        .exclude(category=Category.INFORMATION)
        .annotate(
            **measures.person_annotations(
                "person", legal_status_model=LegalStatus, disability_model=DisabilityAssessment, since=start
            )
        )
        .annotate(m_complaint=F("pk"))
    )
    return measures.person_rows(
        complaints, on="responded_at", office="office", district="person__membership__household__district__pcode",
        key="m_complaint",
    )  # fmt: skip


def register() -> None:
    measures.register(
        measures.Measure(
            key=COMPLAINTS_RESPONDED,
            label=_("Complaints responded to"),
            unit=measures.Unit.RECORDS,
            rows=complaints_responded,
            app="feedback",
            order=60,
        )
    )
