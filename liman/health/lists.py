"""The health assessment list: its columns, filters and order (see `liman.core.lists`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liman.core.lists import Column, Filter, ListSpec, name_column, register

from .choices import ClearanceStatus

ASSESSMENTS = register(
    ListSpec(
        url_name="health:health-assessment-list",
        title=_("Health assessments"),
        columns=(
            Column("reference", _("Reference"), lambda assessment: assessment.reference, ("reference",)),
            name_column("person", _("Person"), "person"),
            Column("person_reference", _("Person reference"), lambda assessment: assessment.person.reference),
            Column("status", _("Status"), lambda assessment: assessment.get_status_display(), ("status",)),
            Column("requested", _("Requested"), lambda assessment: assessment.requested_on, ("requested_on",)),
            Column("valid_until", _("Valid until"), lambda assessment: assessment.valid_until, ("valid_until",)),
            Column("office", _("Office"), lambda assessment: assessment.office.code, ("office__code",)),
        ),
        filters=(
            Filter("q", _("Search"), kind="text", empty_label=_("Reference or full name")),
            Filter(
                "status",
                _("Status"),
                choices=lambda request, values: ClearanceStatus.choices,
                empty_label=_("Every status"),
            ),
        ),
        default_sort="-requested",
        export_url_name="health:health-assessment-export",
    )
)
