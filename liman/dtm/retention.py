"""How long field submissions keep their raw answers and files (core.retention)."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from liman.core import retention
from liman.core.retention import Kind, Purge

from .models import Submission, SubmissionAttachment


def submissions_due(cutoff: date):
    return Submission.objects.filter(received_at__date__lt=cutoff).exclude(xml="")


def submissions_anonymise(submissions, work: Purge) -> None:
    work.delete(SubmissionAttachment.objects.filter(submission__in=submissions))
    work.blank(submissions, "xml", "data", "review_reason", "corrections")


retention.register(
    Kind(
        "dtm.submission",
        _("Field submissions"),
        _("the submission was received"),
        ("dtm.submission", "dtm.submissionattachment"),
        due=submissions_due,
        anonymise=submissions_anonymise,
        default_days=365,
        keeps=_(
            "the figures already processed into sites, flows and incidents, the form, state and dates; the raw "
            "answers, photos and files go"
        ),
    )
)
retention.declare_kept(
    _("field staff accounts of the collection server: kept while they collect, deactivated after"), "dtm.fielduser"
)
retention.declare_no_personal_data(
    _("forms, sites, rounds and aggregate counts (no person), sign-in bookkeeping"),
    "dtm.form",
    "dtm.formversion",
    "dtm.formmedia",
    "dtm.fieldloginthrottle",
    "dtm.digestnonce",
    "dtm.operation",
    "dtm.round",
    "dtm.site",
    "dtm.siteassessment",
    "dtm.sitepopulationgroup",
    "dtm.siteneed",
    "dtm.flowmonitoringpoint",
    "dtm.flowcount",
    "dtm.flowmonthly",
    "dtm.presencefigure",
    "dtm.interceptioncount",
    "dtm.datasetrecord",
)
