"""The employment lists: employers, job seekers, vacancies, placements, follow-ups and work permits (see
`liman.core.lists`). The first column of each links to the record's page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liman.core.lists import Column, Filter, ListSpec, name_column, register

from .choices import PermitKind, PermitState


def _yes(value) -> str:
    return str(_("yes")) if value else ""


EMPLOYERS = register(
    ListSpec(
        url_name="livelihoods:employment-employer-list",
        title=_("Employers"),
        columns=(
            Column("name", _("Employer"), lambda row: row.name, ("name",)),
            Column("office", _("Office"), lambda row: row.office.code, ("office__code",)),
            Column("province", _("Province"), lambda row: row.province.name, ("province__name_en",)),
            Column("sector", _("Sector"), lambda row: row.get_sector_display(), ("sector",)),
            Column(
                "turkish", _("Turkish citizens employed"), lambda row: row.turkish_employees, ("turkish_employees",)
            ),  # fmt: skip
            Column(
                "exception", _("İŞKUR quota exception"), lambda row: _yes(row.quota_exception), ("quota_exception",)
            ),  # fmt: skip
        ),
        filters=(Filter("q", _("Name or tax number"), kind="text"),),
        default_sort="name",
    )
)

SEEKERS = register(
    ListSpec(
        url_name="livelihoods:employment-seeker-list",
        title=_("Job seekers"),
        columns=(
            name_column("person", _("Person"), "person"),
            Column("office", _("Office"), lambda row: row.office.code, ("office__code",)),
            Column("skills", _("Skills"), lambda row: row.skills, ("skills",)),
            Column("languages", _("Languages"), lambda row: row.languages, ("languages",)),
            Column("registered", _("Registered"), lambda row: row.registered_on, ("registered_on",)),
        ),
        filters=(Filter("q", _("Name, skill or language"), kind="text"),),
        default_sort="-registered",
    )
)

VACANCIES = register(
    ListSpec(
        url_name="livelihoods:employment-vacancy-list",
        title=_("Vacancies"),
        columns=(
            Column("title", _("Job"), lambda row: row.title, ("title",)),
            Column("employer", _("Employer"), lambda row: row.employer.name, ("employer__name",)),
            Column("positions", _("Positions"), lambda row: row.positions, ("positions",)),
            Column("wage", _("Monthly wage"), lambda row: row.monthly_wage, ("monthly_wage",)),
            Column(
                "seasonal",
                _("Seasonal agriculture"),
                lambda row: _yes(row.seasonal_agriculture),
                ("seasonal_agriculture",),
            ),  # fmt: skip
            Column("referrals", _("Referred"), lambda row: row.referral_count, ("referral_count",)),
            Column("opened", _("Opened"), lambda row: row.opened_on, ("opened_on",)),
        ),
        filters=(
            Filter("q", _("Job or employer"), kind="text"),
            Filter("seasonal", _("Seasonal agriculture"), kind="flag", empty_label=_("Seasonal agriculture only")),
        ),
        default_sort="-opened",
    )
)

PLACEMENTS = register(
    ListSpec(
        url_name="livelihoods:employment-placement-list",
        title=_("Placements"),
        columns=(
            name_column("person", _("Person"), "referral__seeker__person"),
            Column("job", _("Job"), lambda row: row.referral.vacancy.title, ("referral__vacancy__title",)),
            Column(
                "employer",
                _("Employer"),
                lambda row: row.referral.vacancy.employer.name,
                ("referral__vacancy__employer__name",),
            ),  # fmt: skip
            Column("started", _("Started"), lambda row: row.started_on, ("started_on",)),
            Column("wage", _("Monthly wage"), lambda row: row.monthly_wage, ("monthly_wage",)),
        ),
        filters=(Filter("q", _("Name, job or employer"), kind="text"),),
        default_sort="-started",
    )
)


def _follow_up_state(row) -> str:
    if row.done_on is None:
        return str(_("due"))
    return str(_("still employed") if row.still_employed else _("no longer employed"))


FOLLOW_UPS = register(
    ListSpec(
        url_name="livelihoods:employment-follow-up-list",
        title=_("Placement follow-ups"),
        columns=(
            Column("due", _("Due"), lambda row: row.due_on, ("due_on",)),
            name_column("person", _("Person"), "placement__referral__seeker__person"),
            Column(
                "job",
                _("Job"),
                lambda row: f"{row.placement.referral.vacancy.title} · {row.placement.referral.vacancy.employer.name}",
                ("placement__referral__vacancy__title",),
            ),
            Column("months", _("After months"), lambda row: row.months, ("months",)),
            Column("done", _("Done"), lambda row: row.done_on, ("done_on",)),
            Column("result", _("Result"), _follow_up_state),
        ),  # fmt: skip
        filters=(
            Filter("q", _("Name or job"), kind="text"),
            Filter("open_only", _("Not done"), kind="flag", empty_label=_("Not done yet")),
            Filter("overdue", _("Overdue"), kind="flag", empty_label=_("Overdue only")),
        ),
        default_sort="due",
    )
)

PERMITS = register(
    ListSpec(
        url_name="livelihoods:employment-permit-list",
        title=_("Work-permit applications"),
        columns=(
            name_column("person", _("Person"), "person"),
            Column("employer", _("Employer"), lambda row: row.employer.name, ("employer__name",)),
            Column("kind", _("Kind"), lambda row: row.get_kind_display(), ("kind",)),
            Column("state", _("State"), lambda row: row.get_state_display(), ("state",)),
            Column("submitted", _("Submitted"), lambda row: row.submitted_on, ("submitted_on",)),
            Column("decided", _("Decided"), lambda row: row.decided_on, ("decided_on",)),
            Column("decision", _("Decision reference"), lambda row: row.decision_reference, ("decision_reference",)),
        ),
        filters=(
            Filter("q", _("Name, employer or reference"), kind="text"),
            Filter("state", _("State"), choices=lambda request, values: PermitState.choices, empty_label=_("All")),
            Filter("kind", _("Kind"), choices=lambda request, values: PermitKind.choices, empty_label=_("All")),
        ),
        default_sort="-submitted",
    )
)
