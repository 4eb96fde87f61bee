"""The DTM and MPM records themselves: operations and rounds, sites and their assessments, flow monitoring points,
and the count rows (flow counts, presence figures, interceptions), each batch validated row by row and audited
once."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from liman.core import audit
from liman.core.bulk import insert_many
from liman.core.choices import AuditAction
from liman.core.models import AdminArea, Office, User
from liman.core.services import record_create
from liman.core.workflows import record_state_change, state_set

from ..models import (
    FlowCount,
    FlowMonitoringPoint,
    InterceptionCount,
    Operation,
    PresenceFigure,
    Round,
    Site,
    SiteAssessment,
    SiteNeed,
    SitePopulationGroup,
    Submission,
    first_of_month,
)
from .rollup import FlowRollupDelta, flow_monthly_apply, pending_rollup


def validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{key}: {' '.join(messages)}" for key, messages in exc.message_dict.items())
    return " ".join(exc.messages)


def operation_create(
    *,
    office: Office,
    code: str,
    name: str,
    kind: str,
    started_on: datetime.date,
    by: User | None,
    ended_on: datetime.date | None = None,
    provinces: Iterable[AdminArea] = (),
    description: str = "",
) -> Operation:
    with transaction.atomic():
        operation = record_create(
            Operation(
                office=office,
                code=code.strip().upper(),
                name=name.strip(),
                kind=kind,
                started_on=started_on,
                ended_on=ended_on,
                description=description,
            ),
            by=by,
        )
        provinces = list(provinces)
        if any(area.level != AdminArea.Level.PROVINCE for area in provinces):
            raise ValidationError({"provinces": _("An operation covers provinces, not districts.")})
        operation.provinces.set(provinces)
    return operation


def round_create(
    *,
    operation: Operation,
    number: int,
    assessment_type: str,
    started_on: datetime.date,
    by: User | None,
    ended_on: datetime.date | None = None,
) -> Round:
    return record_create(
        Round(
            operation=operation,
            number=number,
            assessment_type=assessment_type,
            started_on=started_on,
            ended_on=ended_on,
        ),
        by=by,
    )


def _next_site_id(district: AdminArea) -> str:
    """Stable site IDs: the district's p-code and a number, `TUR031001-S007`, never reused."""
    prefix = f"{district.pcode}-S"
    taken = Site.objects.filter(site_id__startswith=prefix).values_list("site_id", flat=True)
    numbers = [int(site_id[len(prefix) :]) for site_id in taken if site_id[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def site_register(
    *,
    office: Office,
    name: str,
    type: str,
    district: AdminArea,
    by: User | None,
    operation: Operation | None = None,
    manager: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    status: str = "open",
    opened_on: datetime.date | None = None,
    site_id: str = "",
) -> Site:
    with transaction.atomic():
        site = record_create(
            Site(
                office=office,
                operation=operation,
                site_id=(site_id or _next_site_id(district)).upper(),
                name=name.strip(),
                type=type,
                manager=manager.strip(),
                district=district,
                latitude=latitude,
                longitude=longitude,
                status=status,
                opened_on=opened_on,
            ),
            by=by,
        )
        record_state_change(site, field="status", old="", new=site.status, by=by)
        return site


def site_record_status(
    *, site: Site, status: str, by: User | None, closed_on: datetime.date | None = None, reason: str = ""
) -> Site:
    """Open, plan or close a site (a closed site keeps its ID and its assessments)."""
    changes: dict = {}
    if closed_on is not None:
        changes["closed_on"] = closed_on
    return state_set(site, field="status", new=status, by=by, changes=changes, reason=reason)


def site_assessment_record(
    *,
    site: Site,
    round: Round,
    assessed_on: datetime.date,
    households: int,
    individuals: int,
    by: User | None,
    sex_age: dict[str, int | None] | None = None,
    population_groups: dict[str, int | None] | None = None,
    needs: list[tuple[str, int]] = (),
    submission: Submission | None = None,
) -> SiteAssessment:
    """Record one round's assessment of a site; `needs` are (sector, severity) in order of rank."""
    with transaction.atomic():
        assessment = record_create(
            SiteAssessment(
                office=site.office,
                site=site,
                round=round,
                assessed_on=assessed_on,
                households=households,
                individuals=individuals,
                submission=submission,
                created_by=by,
                **(sex_age or {}),
            ),
            by=by,
        )
        groups = [
            SitePopulationGroup(assessment=assessment, group=group, individuals=count)
            for group, count in (population_groups or {}).items()
        ]
        seen: set[str] = set()
        need_rows = []
        for sector, severity in needs:
            if sector in seen:
                raise ValidationError({"needs": _("The sector %(sector)s is ranked twice.") % {"sector": sector}})
            seen.add(sector)
            need_rows.append(SiteNeed(assessment=assessment, sector=sector, rank=len(need_rows) + 1, severity=severity))
        for row in (*groups, *need_rows):
            row.full_clean(exclude=["assessment"])
        SitePopulationGroup.objects.bulk_create(groups)
        SiteNeed.objects.bulk_create(need_rows)
    return assessment


def flow_point_create(
    *,
    office: Office,
    code: str,
    name: str,
    type: str,
    district: AdminArea,
    by: User | None,
    operation: Operation | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> FlowMonitoringPoint:
    return record_create(
        FlowMonitoringPoint(
            office=office,
            operation=operation,
            code=code.strip().upper(),
            name=name.strip(),
            type=type,
            district=district,
            latitude=latitude,
            longitude=longitude,
        ),
        by=by,
    )


_ROW_FIELDS = {
    "FlowCount": ("counted_on", "direction", "nationality", "sex", "age_group", "individuals"),
    "PresenceFigure": ("period", "population_group", "nationality", "source", "individuals"),
    "InterceptionCount": ("period", "kind", "route", "authority", "nationality", "sex", "age_group", "individuals"),
}


def _check_row(record) -> None:
    """`full_clean` of the value fields of a count row, without the per-row overhead (imports run to 10⁵ rows)."""
    model = type(record)
    errors = {}
    for name in _ROW_FIELDS[model.__name__]:
        field = model._meta.get_field(name)
        value = getattr(record, name)
        if value is None or value == "":
            errors[name] = [_("This field cannot be blank.")]
            continue
        if field.choices and value not in _choice_values(field):
            errors[name] = [
                _("%(value)s is not one of %(choices)s.")
                % {"value": value, "choices": ", ".join(str(choice) for choice in _choice_values(field))}
            ]
            continue
        try:
            field.run_validators(value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)


def _checked_rows(records: list) -> list:
    """The count rows, each checked (`_check_row`); the first refused names its row, counted from 1."""
    for number, record in enumerate(records, start=1):
        try:
            _check_row(record)
        except ValidationError as exc:
            raise ValidationError(
                _("Row %(row)s: %(problem)s") % {"row": number, "problem": validation_text(exc)}
            ) from exc
    return records


_CHOICES: dict = {}


def _choice_values(field) -> frozenset:
    if field not in _CHOICES:
        _CHOICES[field] = frozenset(value for value, _label in field.flatchoices)
    return _CHOICES[field]


_FLOW_COUNT_COLUMNS = (
    "office_id", "point_id", "round_id", "counted_on", "month", "province_id", "direction", "nationality", "sex",
    "age_group", "individuals", "submission_id",
)  # fmt: skip


@dataclass
class FlowCountInput:
    point: FlowMonitoringPoint
    counted_on: datetime.date
    direction: str
    nationality: str
    sex: str
    age_group: str
    individuals: int


def flow_counts_record(
    *,
    rows: list[FlowCountInput],
    by: User | None,
    round: Round | None = None,
    submission: Submission | None = None,
) -> list[FlowCount]:
    """Record counts at flow-monitoring points: every row validated, all stored or none, one audit event.

    The counts of a submission are inserted without reading their ids back (core's `insert_many`, a third of
    `bulk_create`'s time on the phones' path); those recorded directly come back with their ids.
    """
    records = _checked_rows(
        [
            FlowCount(
                office_id=row.point.office_id,
                point=row.point,
                round=round,
                counted_on=row.counted_on,
                month=first_of_month(row.counted_on),
                province_id=row.point.province_id,
                direction=row.direction,
                nationality=row.nationality.upper(),
                sex=row.sex,
                age_group=row.age_group,
                individuals=row.individuals,
                submission=submission,
            )
            for row in rows
        ]
    )
    with transaction.atomic(savepoint=False):
        if submission is not None:
            insert_many(FlowCount, [{name: getattr(rec, name) for name in _FLOW_COUNT_COLUMNS} for rec in records])
        else:
            FlowCount.objects.bulk_create(records, batch_size=500)
        _audit_batch("flow_counts", records, by=by, submission=submission)
        rollup = pending_rollup(submission) if submission is not None else FlowRollupDelta()
        for record in records:
            rollup.add(record, operation_id=record.point.operation_id, district_id=record.point.district_id)
        if submission is None:
            flow_monthly_apply(delta=rollup)  # after the audit event: see FlowRollupDelta
    return records


@dataclass
class PresenceInput:
    period: datetime.date
    province: AdminArea
    population_group: str
    nationality: str
    source: str
    individuals: int


def presence_figures_record(
    *,
    office: Office,
    rows: list[PresenceInput],
    by: User | None,
    operation: Operation | None = None,
    submission: Submission | None = None,
) -> list[PresenceFigure]:
    """Record migrant-presence figures; a figure for a cell already published by the same source is refused."""
    records = _checked_rows(
        [
            PresenceFigure(
                office=office,
                operation=operation,
                period=first_of_month(row.period),
                province=row.province,
                population_group=row.population_group,
                nationality=row.nationality.upper(),
                source=row.source,
                individuals=row.individuals,
                submission=submission,
            )
            for row in rows
        ]
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                PresenceFigure.objects.bulk_create(records, batch_size=500)
        except IntegrityError as exc:
            raise ValidationError(
                _("A figure for the same month, province, group, nationality and source is already recorded.")
            ) from exc
        _audit_batch("presence_figures", records, by=by, submission=submission, office=office)
    return records


@dataclass
class InterceptionInput:
    period: datetime.date
    kind: str
    route: str
    authority: str
    nationality: str
    sex: str
    age_group: str
    individuals: int
    province: AdminArea | None = None


def interceptions_record(
    *, office: Office, rows: list[InterceptionInput], by: User | None, operation: Operation | None = None
) -> list[InterceptionCount]:
    """Record apprehension and rescue counts as the authorities published them."""
    records = _checked_rows(
        [
            InterceptionCount(
                office=office,
                operation=operation,
                period=first_of_month(row.period),
                kind=row.kind,
                route=row.route,
                authority=row.authority,
                province=row.province,
                nationality=row.nationality.upper(),
                sex=row.sex,
                age_group=row.age_group,
                individuals=row.individuals,
            )
            for row in rows
        ]
    )
    with transaction.atomic():
        InterceptionCount.objects.bulk_create(records, batch_size=500)
        _audit_batch("interception_counts", records, by=by, office=office)
    return records


def _audit_batch(kind: str, records: list, *, by: User | None, submission: Submission | None = None, office=None):
    """One event for a batch of count rows (a row-per-event log would dwarf the figures it describes).

    Rows that come from a submission are told in the submission's own event instead (one event a phone POST).
    """
    if not records:
        return
    total = sum(record.individuals for record in records)
    if submission is not None:
        submission.__dict__.setdefault("_records", {})[kind] = f"{len(records)} rows, {total} individuals"
        return
    audit.record(
        AuditAction.CREATE,
        actor=by,
        office=office or records[0].office_id,
        object_type=records[0]._meta.label_lower,
        object_repr=f"{len(records)} {kind}",
        changes={kind: [None, f"{len(records)} rows, {total} individuals"]},
    )
