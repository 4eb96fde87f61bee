"""The feedback list: its columns, filters and order (see `liman.core.lists`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liman.core.lists import Column, Filter, ListSpec, register

from .choices import Category, Channel, FeedbackState

FEEDBACK = register(
    ListSpec(
        url_name="feedback:feedback-list",
        title=_("Feedback and complaints"),
        columns=(
            Column("reference", _("Reference"), lambda row: row.reference, ("reference",)),
            Column("received", _("Received"), lambda row: row.received_at, ("received_at",)),
            Column("channel", _("Channel"), lambda row: row.get_channel_display(), ("channel",)),
            Column("category", _("Category"), lambda row: row.get_category_display(), ("category",)),
            Column("priority", _("Priority"), lambda row: row.get_priority_display(), ("priority",)),
            Column("state", _("State"), lambda row: row.get_state_display(), ("state",)),
            Column("due", _("Respond by"), lambda row: row.due_on, ("due_on",)),
            Column(
                "assigned",
                _("Assigned to"),
                lambda row: row.assigned_to.display_name if row.assigned_to_id else "",
                ("assigned_to__first_name", "assigned_to__last_name", "assigned_to__username"),
            ),
        ),
        filters=(
            Filter("q", _("Reference"), kind="text"),
            Filter("state", _("State"), choices=lambda request, values: FeedbackState.choices, empty_label=_("All")),
            Filter("category", _("Category"), choices=lambda request, values: Category.choices, empty_label=_("All")),
            Filter("channel", _("Channel"), choices=lambda request, values: Channel.choices, empty_label=_("All")),
            Filter("overdue", _("Overdue only"), kind="flag"),
            Filter("mine", _("Assigned to me"), kind="flag"),
        ),
        default_sort="-received",
    )
)
