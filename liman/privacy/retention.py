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
    _("stories in donor reports: refused when they hold a name, reference, phone, address or identity number"),
    "reporting.beneficiarystory",
)
