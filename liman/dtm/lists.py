"""The submissions and field users lists: columns, filters and order (see `liman.core.lists`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liman.core.lists import Column, Filter, ListSpec, register

from .choices import SubmissionState

#: The submissions list shows those waiting for review unless another state (or "all") is asked for.
ALL_STATES = "all"

SUBMISSIONS = register(
    ListSpec(
        url_name="dtm:dtm-submissions",
        title=_("Submissions"),
        columns=(
            Column("received", _("Received"), lambda submission: submission.received_at, ("received_at",)),
            Column("form", _("Form"), lambda submission: submission.form.title, ("form__title",)),
            Column("reason", _("Reason for review"), lambda submission: submission.review_reason),
            Column("state", _("State"), lambda submission: submission.get_state_display(), ("state",)),
            Column(
                "version", _("Version"), lambda submission: submission.form_version.version, ("form_version__version",)
            ),
            Column(
                "field_user",
                _("Field user"),
                lambda submission: (
                    submission.submitted_by.username if submission.submitted_by_id else submission.source
                ),
                ("submitted_by__username", "source"),
            ),
        ),
        filters=(
            Filter(
                "state",
                _("State"),
                choices=lambda request, values: [*SubmissionState.choices, (ALL_STATES, _("All"))],
                empty_label=SubmissionState.REVIEW.label,
            ),
            Filter("form", _("Form"), choices=lambda request, values: _forms(request), empty_label=_("All")),
        ),
        default_sort="-received",
    )
)

FIELD_USERS = register(
    ListSpec(
        url_name="dtm:dtm-field-users",
        title=_("Field users"),
        columns=(
            Column("username", _("User name"), lambda field_user: field_user.username, ("username",)),
            Column("name", _("Name"), lambda field_user: field_user.name, ("name",)),
            Column("office", _("Office"), lambda field_user: field_user.office.code, ("office__code", "username")),
            Column(
                "vehicle",
                _("Team's vehicle"),
                lambda field_user: field_user.vehicle.vehicle_plate if field_user.vehicle_id else "",
                ("vehicle__vehicle_plate",),
            ),
            Column("active", _("Active"), lambda field_user: field_user.is_active, ("is_active",)),
            Column("last_seen", _("Last seen"), lambda field_user: field_user.last_seen_at, ("last_seen_at",)),
        ),
        filters=(
            Filter("office", _("Office"), choices=lambda request, values: _offices(request), empty_label=_("All")),
            Filter("q", _("Search"), kind="text", empty_label=_("User name or name")),
            Filter("inactive", _("Inactive"), kind="flag", empty_label=_("Inactive only")),
        ),
        default_sort="office",
    )
)


def _forms(request) -> list[tuple[int, str]]:
    from .models import Form

    return list(Form.objects.visible_to(request.user).order_by("title", "pk").values_list("pk", "title"))


def _offices(request) -> list[tuple[str, str]]:
    from liman.core.selectors import offices_for

    return [(office.code, f"{office.code} · {office.name}") for office in offices_for(request.user).order_by("code")]
