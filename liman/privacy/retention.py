"""Data protection's own models, and reporting's (which holds no person's details), for the retention registry."""

from django.utils.translation import gettext_lazy as _

from liman.core import retention

retention.declare_no_personal_data(
    _("schedules, holds (a record's kind and reference) and purge bookkeeping (record numbers only)"),
    "privacy.retentionschedule",
    "privacy.legalhold",
    "privacy.purgedrecord",
)
retention.declare_kept(
    _("the breach log: kept as the record of what happened and who was told (describe data, not name people)"),
    "privacy.breach",
)
retention.declare_kept(
    _("data-sharing agreements: kept as the record of what was shared under which terms (parties, not people)"),
    "privacy.sharingagreement",
)
retention.declare_no_personal_data(
    _("projects, indicators, targets and aggregate 4W rows (no person)"),
    "reporting.donor",
    "reporting.project",
    "reporting.outcome",
    "reporting.output",
    "reporting.indicator",
    "reporting.indicatortarget",
    "reporting.manualvalue",
    "reporting.threerpmapping",
    "reporting.fourwsubmission",
    "reporting.fourwrow",
    "reporting.donorreport",
    "reporting.donorreportissue",
    "reporting.projectdefault",
    "reporting.projecttag",
)
retention.declare_no_personal_data(
    _("where the stored first reaches of each measure were last brought up to date (audit event numbers)"),
    "reporting.reachstate",
)
retention.declare_kept(
    _(
        "the first reach of a person by measure and year (or project): keys, the day and the district only (no name), "
        "kept so that locked months, the 4W and indicator tables stay as they were after the person is anonymised"
    ),
    "reporting.firstreach",
    "reporting.projectreach",
)
retention.declare_no_personal_data(
    _("stories in donor reports: refused when they hold a name, reference, phone, address or identity number"),
    "reporting.beneficiarystory",
)


def requests_of_people(people, work) -> None:
    """A person anonymised: what their requests said and what they were answered go too (kind, dates, status stay)."""
    from .models import SubjectRequest

    work.blank(SubjectRequest.objects.filter(person__in=people), "details", "answer")


retention.register_part("registry.person", ("privacy.subjectrequest",), requests_of_people)
