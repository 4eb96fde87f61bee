"""Every read that a field-data or DTM page, download or API shows, scoped to the user first.

Field users (ODK Collect logins) are not staff: their reads are the `*_for_field_user` functions,
narrowed to their own office.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connections
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from liman.assistance.choices import LocationKind
from liman.assistance.models import StockLocation
from liman.core.access import has_role
from liman.core.models import AdminArea, Office, User

from .choices import (
    FIELD_DATA_EDITORS,
    SEX_AGE_FIELDS,
    AgeGroup,
    FlowBreakdown,
    FormState,
    JavaRosaCheck,
    OperationKind,
    SubmissionState,
)
from .models import (
    DatasetRecord,
    FieldUser,
    FlowCount,
    FlowMonitoringPoint,
    FlowMonthly,
    Form,
    FormMedia,
    FormVersion,
    InterceptionCount,
    Operation,
    PresenceFigure,
    Round,
    Site,
    SiteAssessment,
    Submission,
)

# --- field data ------------------------------------------------------------------------------------------------


def offices_where(user: User, roles) -> list[Office]:
    """Offices in which the user holds one of `roles` (every office for a grant without one)."""
    if user.is_superuser or any(grant.office_id is None and grant.role in roles for grant in user.grants):
        return list(Office.objects.filter(is_active=True).order_by("code"))
    offices = {grant.office_id: grant.office for grant in user.grants if grant.role in roles and grant.office_id}
    return sorted(offices.values(), key=lambda office: office.code)


def can_edit_in(user: User, roles, office: Office) -> bool:
    return has_role(user, roles, office=office)


def forms_for(user: User, *, office: Office | None = None) -> QuerySet[Form]:
    forms = Form.objects.visible_to(user).select_related("office", "operation", "round")
    if office is not None:
        forms = forms.filter(office=office)
    newest = FormVersion.objects.filter(form=OuterRef("pk")).order_by("-created_at", "-id")
    return forms.annotate(
        current_javarosa_check=Subquery(newest.values("javarosa_check")[:1]),
        version_count=Count("versions", distinct=True),
        review_count=Count(
            "submissions",
            filter=Q(submissions__state=SubmissionState.REVIEW, submissions__is_current=True),
            distinct=True,
        ),
    )


def form_versions_for(user: User) -> QuerySet[FormVersion]:
    return FormVersion.objects.visible_to(user).select_related("form", "form__office")


def latest_version(form: Form) -> FormVersion | None:
    return form.versions.first()


def versions_not_checked_for(user: User, *, form: Form | None = None) -> QuerySet[FormVersion]:
    """Versions stored where Java could not run, in the offices where `user` uploads forms: what a JavaRosa check
    would look at."""
    offices = [office.pk for office in offices_where(user, FIELD_DATA_EDITORS)]
    versions = form_versions_for(user).filter(javarosa_check=JavaRosaCheck.NOT_CHECKED, form__office__in=offices)
    return versions.filter(form=form) if form is not None else versions


def submissions_for(user: User, *, state: str = "", form: Form | None = None, current: bool = True):
    submissions = Submission.objects.visible_to(user).select_related("form", "form_version", "office", "submitted_by")
    if state:
        submissions = submissions.filter(state=state)
    if form is not None:
        submissions = submissions.filter(form=form)
    if current:
        submissions = submissions.filter(is_current=True)
    return submissions.defer("xml")


def submissions_for_export(user: User, form: Form) -> QuerySet:
    """The form's current submissions as an export reads them, oldest first: (id, instance ID, received, state,
    version, field user, answers), without model instances (one query, however many)."""
    return (
        Submission.objects.visible_to(user)
        .filter(form=form, is_current=True)
        .order_by("id")
        .values_list("pk", "instance_id", "received_at", "state", "form_version__version", "submitted_by__username",
                     "data")
    )  # fmt: skip


def field_users_for(
    user: User, *, office_code: str = "", query: str = "", deactivated_only: bool = False
) -> QuerySet[FieldUser]:
    """Field users the user sees; `query` finds a user name or a name in part."""
    field_users = FieldUser.objects.visible_to(user).select_related("office", "vehicle")
    if office_code:
        field_users = field_users.filter(office__code=office_code)
    if query:
        field_users = field_users.filter(Q(username__icontains=query) | Q(name__icontains=query))
    if deactivated_only:
        field_users = field_users.filter(is_active=False)
    return field_users


def field_user_vehicles(user: User) -> QuerySet[StockLocation]:
    """The vans a field user may be given by `user`: the active vehicles of the offices where `user` manages field
    users (a DTM officer reads no stock, but maps the phones of the office's mobile teams to their vans)."""
    offices = offices_where(user, FIELD_DATA_EDITORS)
    return _vehicles().filter(office__in=[office.pk for office in offices])


def office_vehicle_by_plate(office: Office, plate: str) -> StockLocation | None:
    """The office's active van with this plate (spaces and case ignored: `22LM101` is `22 LM 101`)."""
    wanted = "".join(plate.split()).upper()
    return next(
        (van for van in _vehicles().filter(office=office) if "".join(van.vehicle_plate.split()) == wanted), None
    )


def office_vehicles(office: Office) -> QuerySet[StockLocation]:
    return _vehicles().filter(office=office)


def _vehicles() -> QuerySet[StockLocation]:
    return (
        StockLocation.objects.filter(kind=LocationKind.VEHICLE, is_active=True)
        .select_related("office")
        .order_by("office__code", "name")
    )


def incident_of(submission: Submission):
    """The field incident a submission became, if any (shown on the submission's page)."""
    return submission.incident if submission.incident_id else None


def forms_for_field_user(field_user: FieldUser) -> QuerySet[Form]:
    return Form.objects.filter(office_id=field_user.office_id, state=FormState.OPEN)


def _served(versions: QuerySet[FormVersion]) -> QuerySet[FormVersion]:
    """Of each form, the newest version JavaRosa has not refused (a version refused by a later check is withdrawn:
    Collect gets the one before)."""
    latest = (
        FormVersion.objects.filter(form=OuterRef("form"))
        .exclude(javarosa_check=JavaRosaCheck.REFUSED)
        .order_by("-created_at", "-id")
        .values("id")[:1]
    )
    return versions.filter(id=Subquery(latest))


def current_versions_for_field_user(field_user: FieldUser) -> list[FormVersion]:
    """The newest version of each open form of the field user's office that JavaRosa has not refused: what Collect
    should download."""
    return list(
        _served(FormVersion.objects.filter(form__in=forms_for_field_user(field_user)))
        .select_related("form")
        .defer("xlsform", "xml")
        .order_by("form__form_id")
    )


def versions_for_staff_form_list(user: User) -> list[FormVersion]:
    return list(
        _served(form_versions_for(user).filter(form__state=FormState.OPEN))
        .defer("xlsform", "xml")
        .order_by("form__form_id")
    )


def form_version_for_field_user(field_user: FieldUser, pk: int) -> FormVersion | None:
    return FormVersion.objects.filter(pk=pk, form__office_id=field_user.office_id).select_related("form").first()


def media_for_field_user(field_user: FieldUser, version_pk: int, filename: str) -> FormMedia | None:
    return FormMedia.objects.filter(
        version_id=version_pk, filename=filename, version__form__office_id=field_user.office_id
    ).first()


# --- DTM and MPM ------------------------------------------------------------------------------------------------


def operations_for(user: User) -> QuerySet[Operation]:
    return Operation.objects.visible_to(user).select_related("office").prefetch_related("rounds")


def rounds_for(user: User, operation: Operation) -> QuerySet[Round]:
    return Round.objects.visible_to(user).filter(operation=operation).select_related("operation")


def all_rounds_for(user: User) -> QuerySet[Round]:
    return Round.objects.visible_to(user).select_related("operation").order_by("operation__code", "number")


def sites_for(user: User, *, operation: Operation | None = None) -> QuerySet[Site]:
    sites = Site.objects.visible_to(user).select_related("district", "province", "office", "operation")
    if operation is not None:
        sites = sites.filter(operation=operation)
    return sites


def flow_points_for(user: User, *, operation: Operation | None = None) -> QuerySet[FlowMonitoringPoint]:
    points = FlowMonitoringPoint.objects.visible_to(user).select_related("district", "province")
    if operation is not None:
        points = points.filter(operation=operation)
    return points


def dataset_forms_for(user: User, *, operation: Operation | None = None) -> QuerySet[Form]:
    """Forms published as datasets: seen by whoever sees the form, or records of it (reporting, viewers)."""
    from .choices import FormTarget

    forms = Form.objects.filter(target=FormTarget.DATASET).filter(
        Q(pk__in=Form.objects.visible_to(user).values("pk"))
        | Q(pk__in=DatasetRecord.objects.visible_to(user).values("form"))
    )
    if operation is not None:
        forms = forms.filter(operation=operation)
    return forms.order_by("form_id")


def dataset_records_for(user: User, form: Form) -> QuerySet[DatasetRecord]:
    return DatasetRecord.objects.visible_to(user).filter(form=form)


@dataclass
class DashboardFilters:
    round: Round | None = None
    month_from: datetime.date | None = None
    month_to: datetime.date | None = None
    province: AdminArea | None = None
    population_group: str = ""

    def months(self, field: str) -> Q:
        q = Q()
        if self.month_from:
            q &= Q(**{f"{field}__gte": self.month_from})
        if self.month_to:
            # month_to is the first of the month: keep every day of it.
            q &= Q(**{f"{field}__lt": _next_month(self.month_to)})
        return q


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def assessments_for(
    user: User, operation: Operation, filters: DashboardFilters, *, latest: bool = True
) -> QuerySet[SiteAssessment]:
    """Site assessments of the operation within the filters: the given round's, else each site's latest
    (every one of them with `latest=False`, for the figures over time)."""
    assessments = SiteAssessment.objects.visible_to(user).filter(site__operation=operation)
    condition = filters.months("assessed_on")
    if filters.province is not None:
        condition &= Q(site__province=filters.province)
    if filters.population_group:
        condition &= Q(population_groups__group=filters.population_group)
    if filters.round is not None:
        condition &= Q(round=filters.round)
    assessments = assessments.filter(condition)
    if filters.round is None and latest:
        latest = (
            SiteAssessment.objects.filter(site=OuterRef("site"))
            .filter(condition)
            .order_by("-assessed_on", "-id")
            .values("id")[:1]
        )
        assessments = assessments.filter(id=Subquery(latest))
    return assessments


def flows_for(user: User, *, operation: Operation | None, filters: DashboardFilters) -> QuerySet[FlowCount]:
    flows = FlowCount.objects.visible_to(user).filter(filters.months("month"))
    if operation is not None:
        flows = flows.filter(point__operation=operation)
    if filters.province is not None:
        flows = flows.filter(province=filters.province)
    if filters.round is not None:
        flows = flows.filter(round=filters.round)
    return flows


def flow_cells_for(
    user: User, *, operation: Operation | None, filters: DashboardFilters, breakdown: str
) -> QuerySet[FlowMonthly]:
    """The monthly flow rollup in one breakdown, within the filters: what the flow dashboards sum."""
    cells = FlowMonthly.objects.visible_to(user).filter(filters.months("month"), breakdown=breakdown)
    if operation is not None:
        cells = cells.filter(operation=operation)
    if filters.province is not None:
        cells = cells.filter(province=filters.province)
    if filters.round is not None:
        cells = cells.filter(round=filters.round)
    return cells


def presence_for(user: User, *, operation: Operation | None, filters: DashboardFilters) -> QuerySet[PresenceFigure]:
    figures = PresenceFigure.objects.visible_to(user).filter(filters.months("period"))
    if operation is not None:
        figures = figures.filter(operation=operation)
    if filters.province is not None:
        figures = figures.filter(province=filters.province)
    if filters.population_group:
        figures = figures.filter(population_group=filters.population_group)
    return figures


def interceptions_for(
    user: User, *, operation: Operation | None, filters: DashboardFilters
) -> QuerySet[InterceptionCount]:
    counts = InterceptionCount.objects.visible_to(user).filter(filters.months("period"))
    if operation is not None:
        counts = counts.filter(operation=operation)
    if filters.province is not None:
        counts = counts.filter(province=filters.province)
    return counts


def _rows(queryset: QuerySet) -> list[tuple]:
    """A grouped queryset's rows as the database driver returns them (ids, dates, texts and sums are already
    Python's on SQLite and PostgreSQL alike), without Django's converters row by row: the main aggregate's
    140,000 cells come back a third sooner (benchmarks/dtm_aggregate.py)."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _pcodes(ids) -> dict[int, str]:
    return dict(AdminArea.objects.filter(id__in=set(ids)).values_list("id", "pcode"))


def flow_by_province_month_nationality(
    user: User, *, operation: Operation | None = None, filters: DashboardFilters | None = None
) -> list[tuple[str, datetime.date, str, int]]:
    """(province p-code, month, nationality, individuals): the flow dashboard's main aggregate."""
    cells = flow_cells_for(
        user, operation=operation, filters=filters or DashboardFilters(), breakdown=FlowBreakdown.NATIONALITY
    )
    rows = _rows(cells.order_by().values_list("province_id", "month", "nationality").annotate(n=Sum("individuals")))
    pcodes = _pcodes(row[0] for row in rows)
    return [(pcodes[province], month, nationality, n) for province, month, nationality, n in rows]


def presence_by_province_month_nationality(
    user: User, *, operation: Operation | None = None, filters: DashboardFilters | None = None
) -> list[tuple[str, datetime.date, str, int]]:
    """(province p-code, month, nationality, individuals) of the presence figures."""
    rows = _rows(
        presence_for(user, operation=operation, filters=filters or DashboardFilters())
        .order_by()
        .values_list("province_id", "period", "nationality")
        .annotate(n=Sum("individuals"))
    )
    pcodes = _pcodes(row[0] for row in rows)
    return [(pcodes[province], month, nationality, n) for province, month, nationality, n in rows]


def _month_label(day: datetime.date) -> str:
    return day.strftime("%Y-%m")


def dashboard(user: User, operation: Operation, filters: DashboardFilters) -> dict:
    """Everything an operation's dashboard draws, in one read of each table (a fixed number of queries)."""
    assessments = assessments_for(user, operation, filters)
    site_rows = list(
        assessments.values(
            "site__site_id",
            "site__name",
            "site__type",
            "site__status",
            "site__latitude",
            "site__longitude",
            "site__district__pcode",
            "site__district__name_tr",
            "site__province__pcode",
            "assessed_on",
            "households",
            "individuals",
            *SEX_AGE_FIELDS,
        ).order_by("site__site_id")
    )

    # Flows from their monthly rollup: a few cells per point and month, however many counts were made.
    def flows(breakdown: str) -> QuerySet[FlowMonthly]:
        return flow_cells_for(user, operation=operation, filters=filters, breakdown=breakdown).order_by()

    by_district = flows(FlowBreakdown.DISTRICT)
    flow_by_area = list(by_district.values_list("province_id", "district_id").annotate(n=Sum("individuals")))
    flow_by_month = dict(by_district.values_list("month").annotate(n=Sum("individuals")))
    flow_by_nationality = dict(
        flows(FlowBreakdown.NATIONALITY).values_list("nationality").annotate(n=Sum("individuals"))
    )
    flow_by_sex_age = list(flows(FlowBreakdown.SEX_AGE).values_list("sex", "age_group").annotate(n=Sum("individuals")))
    presence = presence_for(user, operation=operation, filters=filters)
    presence_by_month = dict(presence.order_by().values_list("period").annotate(n=Sum("individuals")))
    # Presence figures are stocks: only the latest month shown is broken down by province and nationality.
    latest_presence = max(presence_by_month, default=None)
    latest = presence.filter(period=latest_presence).order_by()
    presence_by_nationality_rows = list(
        latest.values_list("period", "nationality").annotate(n=Sum("individuals")) if latest_presence else []
    )
    presence_by_province_rows = list(
        latest.values_list("period", "province_id").annotate(n=Sum("individuals")) if latest_presence else []
    )
    interceptions = interceptions_for(user, operation=operation, filters=filters)
    interception_by_month = dict(interceptions.order_by().values_list("period").annotate(n=Sum("individuals")))
    interception_by_nationality = dict(
        interceptions.order_by().values_list("nationality").annotate(n=Sum("individuals"))
    )
    interception_by_sex_age = list(
        interceptions.order_by().values_list("sex", "age_group").annotate(n=Sum("individuals"))
    )

    area_ids = {row[0] for row in flow_by_area} | {row[1] for row in flow_by_area}
    area_ids |= {row[1] for row in presence_by_province_rows}
    pcodes = _pcodes(area_ids)

    # A province's presence is its figure in the latest month shown, not a sum over the months.
    presence_provinces = {pcodes[row[1]]: row[2] for row in presence_by_province_rows if row[0] == latest_presence}
    presence_nationality: dict[str, int] = {}
    for period, nationality, n in presence_by_nationality_rows:
        if period == latest_presence:
            presence_nationality[nationality] = n

    provinces: dict[str, int] = defaultdict(int)
    districts: dict[str, int] = defaultdict(int)
    kind = operation.kind
    if kind in (OperationKind.EMERGENCY, OperationKind.MOBILITY) or (site_rows and not flow_by_area):
        measure = _("Individuals in sites")
        for row in site_rows:
            provinces[row["site__province__pcode"]] += row["individuals"]
            districts[row["site__district__pcode"]] += row["individuals"]
    elif flow_by_area:
        measure = _("Individuals counted at flow monitoring points")
        for province, district, n in flow_by_area:
            provinces[pcodes[province]] += n
            districts[pcodes[district]] += n
    else:
        measure = _("Migrants present (latest month shown)")
        provinces.update(presence_provinces)

    # In sites over time: every assessment in the filters (not only each site's latest), by month assessed.
    sites_by_month: dict[str, int] = defaultdict(int)
    for month, n in (
        assessments_for(user, operation, filters, latest=False)
        .annotate(m=TruncMonth("assessed_on"))
        .order_by()
        .values_list("m")
        .annotate(n=Sum("individuals"))
    ):
        sites_by_month[_month_label(month)] += n
    months = sorted(
        set(sites_by_month)
        | {_month_label(m) for m in flow_by_month}
        | {_month_label(m) for m in presence_by_month}
        | {_month_label(m) for m in interception_by_month}
    )

    def series(key: str, label: str, values: dict[str, int]) -> dict | None:
        if not any(values.values()):
            return None
        return {"key": key, "label": label, "data": [values.get(month, 0) for month in months]}

    by_month = [
        series("sites", _("Individuals in sites (assessed that month)"), sites_by_month),
        series("flows", _("Flows counted"), {_month_label(k): v for k, v in flow_by_month.items()}),
        series("presence", _("Migrants present"), {_month_label(k): v for k, v in presence_by_month.items()}),
        series(
            "interceptions",
            _("Apprehended or rescued"),
            {_month_label(k): v for k, v in interception_by_month.items()},
        ),
    ]

    nationalities = defaultdict(int)
    for source in (flow_by_nationality, presence_nationality, interception_by_nationality):
        for code, n in source.items():
            nationalities[code] += n
    top = [code for code, _n in sorted(nationalities.items(), key=lambda item: -item[1])[:10]]
    by_nationality = [
        series_for("flows", _("Flows counted"), top, flow_by_nationality),
        series_for("presence", _("Migrants present (latest month shown)"), top, presence_nationality),
        series_for("interceptions", _("Apprehended or rescued"), top, interception_by_nationality),
    ]

    ages = AgeGroup.values
    sex_age: dict[str, dict[str, int]] = {"F": defaultdict(int), "M": defaultdict(int)}
    for row in site_rows:
        for name in SEX_AGE_FIELDS:
            if row[name] is not None:
                sex, age = name.split("_", 1)
                sex_age[sex.upper()][age] += row[name]
    for sex, age, n in (*flow_by_sex_age, *interception_by_sex_age):
        sex_age[sex][age] += n

    return {
        "operation": {"code": operation.code, "name": operation.name, "kind": operation.kind},
        "measure": measure,
        "provinces": dict(provinces),
        "districts": dict(districts),
        "district_provinces": sorted({row["site__province__pcode"] for row in site_rows} | set(provinces)),
        "totals": {
            "sites": len(site_rows),
            "households": sum(row["households"] for row in site_rows),
            "individuals": sum(row["individuals"] for row in site_rows),
            "flows": sum(flow_by_month.values()),
            "present": sum(presence_provinces.values()),
            "intercepted": sum(interception_by_month.values()),
        },
        "sites": [
            {
                "site_id": row["site__site_id"],
                "name": row["site__name"],
                "type": row["site__type"],
                "status": row["site__status"],
                "district": row["site__district__name_tr"],
                "lat": row["site__latitude"],
                "lon": row["site__longitude"],
                "households": row["households"],
                "individuals": row["individuals"],
            }
            for row in site_rows
            if row["site__latitude"] is not None
        ],
        "by_month": {"labels": months, "series": [s for s in by_month if s]},
        "by_nationality": {"labels": top, "series": [s for s in by_nationality if s]},
        "by_sex_age": {
            "labels": [str(AgeGroup(age).label) for age in ages],
            "series": [
                {"key": "female", "label": _("Female"), "data": [sex_age["F"].get(age, 0) for age in ages]},
                {"key": "male", "label": _("Male"), "data": [sex_age["M"].get(age, 0) for age in ages]},
            ]
            if any(sex_age["F"].values()) or any(sex_age["M"].values())
            else [],
        },
    }


def series_for(key: str, label: str, labels: list[str], values: dict[str, int]) -> dict | None:
    if not any(values.get(code) for code in labels):
        return None
    return {"key": key, "label": label, "data": [values.get(code, 0) for code in labels]}


def site_individuals_by_province(user: User) -> dict[str, int]:
    """For the core map: individuals in sites per province, from each site's latest assessment."""
    latest = SiteAssessment.objects.filter(site=OuterRef("site")).order_by("-assessed_on", "-id").values("id")[:1]
    rows = (
        SiteAssessment.objects.visible_to(user)
        .filter(id=Subquery(latest))
        .order_by()
        .values("site__province__pcode")
        .annotate(n=Sum("individuals"))
    )
    return {row["site__province__pcode"]: row["n"] for row in rows}


def review_counts(user: User) -> int:
    return Submission.objects.visible_to(user).filter(state=SubmissionState.REVIEW, is_current=True).count()
