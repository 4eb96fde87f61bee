"""The activity list: its columns, filters and order (see `liman.core.lists`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liman.core.lists import Column, Filter, ListSpec, register

from .choices import ActivityState, ActivityType


def _place(activity) -> str:
    district = f"{activity.district.name}, " if activity.district_id else ""
    return f"{district}{activity.province.name}" if activity.province_id else district.rstrip(", ")


ACTIVITIES = register(
    ListSpec(
        url_name="activities:activity-list",
        title=_("Activities"),
        columns=(
            Column("reference", _("Reference"), lambda row: row.reference, ("reference",)),
            Column("title", _("Title"), lambda row: row.title, ("title",)),
            Column("type", _("Type"), lambda row: row.get_type_display(), ("type",)),
            Column("office", _("Office"), lambda row: row.office.code, ("office__code",)),
            Column("place", _("Place"), _place, ("province__name_en", "district__name_en")),
            Column("dates", _("Dates"), lambda row: row.starts_on, ("starts_on", "ends_on")),
            Column("participants", _("Participants"), lambda row: row.participant_count, ("participant_count",)),
            Column("state", _("State"), lambda row: row.get_state_display(), ("state",)),
        ),
        filters=(
            Filter("q", _("Reference or title"), kind="text"),
            Filter("type", _("Type"), choices=lambda request, values: ActivityType.choices, empty_label=_("All")),
            Filter("state", _("State"), choices=lambda request, values: ActivityState.choices, empty_label=_("All")),
        ),
        default_sort="-dates",
    )
)
