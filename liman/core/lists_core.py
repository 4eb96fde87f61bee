"""The staff directory and the audit log lists: columns, filters and order (see `liman.core.lists`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .choices import AuditAction, Role
from .lists import Column, Filter, ListSpec, register

STAFF = register(
    ListSpec(
        url_name="core:staff-list",
        title=_("Staff"),
        columns=(
            Column("username", _("User name"), lambda member: member.username, ("username",)),
            Column("name", _("Name"), lambda member: member.get_full_name(), ("last_name", "first_name")),
            Column(
                "roles",
                _("Roles"),
                lambda member: ", ".join(
                    f"{grant.get_role_display()} · {grant.office.code if grant.office_id else _('all')}"
                    for grant in member.current_grants
                ),
            ),
            Column("last_login", _("Last signed in"), lambda member: member.last_login, ("last_login",)),
        ),
        filters=(
            Filter("q", _("Search"), kind="text", empty_label=_("Name or user name")),
            Filter("office", _("Office"), choices=lambda request, values: _offices(request), empty_label=_("All")),
            Filter("role", _("Role"), choices=lambda request, values: Role.choices, empty_label=_("All")),
            Filter("inactive", _("Deactivated"), kind="flag", empty_label=_("Deactivated accounts too")),
        ),
        default_sort="username",
    )
)

#: The audit log is the largest table: it sorts only by indexed columns (the number, the time, the action and
#: the record type), and its usual order is the number's unique index, newest first.
AUDIT = register(
    ListSpec(
        url_name="core:audit-list",
        title=_("Audit log"),
        columns=(
            Column("seq", "#", lambda event: event.seq, ("seq",)),
            Column("at", _("At"), lambda event: event.at, ("at",)),
            Column("user", _("User"), lambda event: event.actor_username),
            Column("action", _("Action"), lambda event: event.get_action_display(), ("action",)),
            Column("record", _("Record"), lambda event: f"{event.object_type} {event.object_repr}", ("object_type",)),
            Column("office", _("Office"), lambda event: event.office.code if event.office_id else ""),
        ),
        filters=(
            Filter("action", _("Action"), choices=lambda request, values: AuditAction.choices, empty_label=_("Any")),
            Filter("actor", _("User"), kind="text", empty_label=_("User name")),
            Filter("object_type", _("Record type"), kind="text", empty_label=_("Record type (cases.case)")),
            Filter("office", _("Office"), choices=lambda request, values: _offices(request), empty_label=_("Any")),
        ),
        default_sort="-seq",
    )
)


def _offices(request) -> list[tuple[str, str]]:
    from .selectors import offices_for

    return [(office.code, f"{office.code} · {office.name}") for office in offices_for(request.user).order_by("code")]
