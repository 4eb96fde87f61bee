"""The case, follow-up and referral lists: their columns, filters and order (see `liman.core.lists`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liman.core.lists import Column, Filter, ListSpec, name_column, register

from .choices import CaseType, ReferralStatus, ServiceType
from .workflows import state_choices


def _name(user) -> str:
    return user.display_name if user is not None else ""


CASES = register(
    ListSpec(
        url_name="cases:case-list",
        title=_("Cases"),
        columns=(
            Column("case", _("Case"), lambda case: case.reference, ("reference",)),
            name_column("person", _("Person"), "person"),
            Column("type", _("Type"), lambda case: case.get_type_display(), ("type",)),
            Column("state", _("State"), lambda case: case.state_label, ("state",)),
            Column(
                "caseworker",
                _("Caseworker"),
                lambda case: _name(case.owner),
                ("owner__first_name", "owner__last_name", "owner__username"),
            ),
            Column("office", _("Office"), lambda case: case.office.code, ("office__code",)),
            Column("opened", _("Opened on"), lambda case: case.opened_on, ("opened_on",)),
            Column("due", _("Follow-ups due"), lambda case: case.pending_follow_ups, ("pending_follow_ups",)),
        ),
        filters=(
            Filter("type", _("Type"), choices=lambda request, values: CaseType.choices),
            Filter("state", _("State"), choices=lambda request, values: state_choices(values.get("type", ""))),
            Filter(
                "owner",
                _("Caseworker"),
                choices=lambda request, values: [("me", _("Me")), ("none", _("Nobody yet"))],
                empty_label=_("Anyone"),
            ),
            Filter("q", _("Search"), kind="text", empty_label=_("Reference or name")),
            Filter("open", _("Open cases only"), kind="flag"),
        ),
        default_sort="-opened",
        export_url_name="cases:case-export",
    )
)


FOLLOW_UPS = register(
    ListSpec(
        url_name="cases:follow-up-list",
        title=_("Follow-ups"),
        columns=(
            Column("due", _("Due on"), lambda follow_up: follow_up.due_on, ("due_on",)),
            Column(
                "status",
                _("Status"),
                lambda follow_up: (
                    _("%(days)s days overdue") % {"days": follow_up.days_overdue} if follow_up.is_overdue else _("Due")
                ),
            ),
            Column("case", _("Case"), lambda follow_up: follow_up.case.reference, ("case__reference",)),
            Column("office", _("Office"), lambda follow_up: follow_up.case.office.code, ("case__office__code",)),
            name_column("person", _("Person"), "case__person"),
            Column("purpose", _("Purpose"), lambda follow_up: follow_up.purpose, ("purpose",)),
            Column(
                "caseworker",
                _("Caseworker"),
                lambda follow_up: _name(follow_up.assigned_to),
                ("assigned_to__first_name", "assigned_to__last_name", "assigned_to__username"),
            ),
        ),
        filters=(
            Filter("team", _("My offices"), kind="flag", in_bar=False),
            Filter("overdue", _("Overdue only"), kind="flag", in_bar=False),
            Filter("q", _("Search"), kind="text", empty_label=_("Case, name or purpose")),
        ),
        default_sort="due",
        export_url_name="cases:follow-up-export",
    )
)


REFERRALS = register(
    ListSpec(
        url_name="cases:referral-list",
        title=_("Referrals"),
        columns=(
            Column("referral", _("Referral"), lambda referral: referral.reference, ("reference",)),
            Column("kind", _("Kind"), lambda referral: referral.get_kind_display(), ("kind",)),
            Column("from", _("From"), lambda referral: referral.office.name, ("office__name",)),
            Column(
                "to",
                _("To"),
                lambda referral: referral.destination,
                ("to_partner__name", "to_office__name", "to_programme__name"),
            ),
            Column(
                "service",
                _("Service needed"),
                lambda referral: referral.get_service_type_display(),
                ("service_type",),
            ),
            Column("sent", _("Sent"), lambda referral: referral.sent_at, ("sent_at",)),
            Column("status", _("Status"), lambda referral: referral.get_status_display(), ("status",)),
        ),
        filters=(
            Filter("box", _("Box"), kind="text", in_bar=False),
            Filter("status", _("Status"), choices=lambda request, values: ReferralStatus.choices),
            Filter("service", _("Service needed"), choices=lambda request, values: ServiceType.choices),
            Filter("q", _("Search"), kind="text", empty_label=_("Reference")),
        ),
        default_sort="-sent",
        export_url_name="cases:referral-export",
    )
)
