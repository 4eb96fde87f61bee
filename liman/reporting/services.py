"""Writes of reporting: submitting (locking) a month's 4W, projects and their results frameworks. Each in one
transaction, audited."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core import audit
from liman.core.choices import AuditAction
from liman.core.services import record_create

from . import fourw
from .models import FourWRow, FourWSubmission, Indicator, IndicatorTarget, ManualValue, Outcome, Output, Project


def fourw_submit(*, month: datetime.date, office, by, note: str = "", today: datetime.date | None = None):
    """Submit `office`'s 4W of `month`: its rows (new people, and adjustments to earlier submitted months) are
    stored as they are now, and the month is locked for the office. A month is submitted once it is over."""
    today = today or timezone.localdate()
    if month.day != 1:
        raise ValidationError({"month": _("A month is given by its first day.")})
    if fourw.next_month(month) > today:
        raise ValidationError({"month": _("%(m)s is not over yet: submit it from the 1st of the next month.")
                               % {"m": month.strftime("%Y-%m")}})  # fmt: skip
    refused = ValidationError(
        {"month": _("The 4W of %(m)s is already submitted for %(o)s.") % {"m": month.strftime("%Y-%m"),
                                                                          "o": office.code}}
    )  # fmt: skip
    if FourWSubmission.objects.filter(office=office, month=month).exists():
        raise refused
    try:
        return _submit(month, office, by, note)
    except IntegrityError:  # submitted by someone else at the same moment (the constraint holds one per month)
        raise refused from None


@transaction.atomic
def _submit(month, office, by, note):
    lines = fourw.office_lines(month, [office.pk])
    submission = record_create(FourWSubmission(office=office, month=month, submitted_by=by, note=note), by=by)
    rows = [
        FourWRow(
            submission=submission, measure_key=line.measure_key, sector=line.sector,
            indicator_code=line.indicator_code, indicator=line.indicator, activity=line.activity,
            district_pcode=line.district_pcode, province_pcode=line.province_pcode,
            population_group=line.population_group, girls=line.girls, boys=line.boys, women=line.women,
            men=line.men, with_disability=line.with_disability, adjustment_for=line.adjustment_for,
        )
        for line in lines
    ]  # fmt: skip
    FourWRow.objects.bulk_create(rows, batch_size=500)
    audit.record(
        AuditAction.UPDATE, actor=by, obj=submission,
        changes={"rows": [0, len(rows)], "people": [0, sum(line.total for line in lines)]},
        reason=_("4W of %(m)s submitted and locked") % {"m": month.strftime("%Y-%m")},
    )  # fmt: skip
    return submission


def project_create(*, by, offices, programmes=(), **fields) -> Project:
    with transaction.atomic():
        project = Project(**fields)
        project.full_clean()
        project.save()
        project.offices.set(offices)
        project.programmes.set(programmes)
        audit.record(
            AuditAction.CREATE, actor=by, obj=project,
            changes={**audit.diff({}, audit.snapshot(project)),
                     "offices": [[], sorted(office.code for office in offices)]},
        )  # fmt: skip
    return project


def outcome_add(*, project: Project, code: str, title: str, by) -> Outcome:
    return record_create(Outcome(project=project, code=code, title=title), by=by)


def output_add(*, outcome: Outcome, code: str, title: str, by) -> Output:
    return record_create(Output(outcome=outcome, code=code, title=title), by=by)


def indicator_add(*, output: Output, code: str, title: str, by, targets=(), **fields) -> Indicator:
    """An indicator and its targets [(from, until, value)], all or nothing."""
    with transaction.atomic():
        indicator = record_create(Indicator(output=output, code=code, title=title, **fields), by=by)
        for starts_on, ends_on, value in targets:
            record_create(
                IndicatorTarget(indicator=indicator, starts_on=starts_on, ends_on=ends_on, value=value), by=by
            )
    return indicator


def manual_value_enter(*, indicator: Indicator, starts_on, ends_on, value: int, evidence: str, by) -> ManualValue:
    return record_create(
        ManualValue(indicator=indicator, starts_on=starts_on, ends_on=ends_on, value=value, evidence=evidence,
                    entered_by=by),
        by=by,
    )  # fmt: skip
