"""Writes of reporting: submitting (locking) a month's 4W, projects and their results frameworks, project tagging
(defaults, tags at creation, re-tags) and donor reports (narrative, stories, issues). Each in one transaction,
audited."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core import audit
from liman.core.choices import AuditAction
from liman.core.services import record_create, record_create_many, record_update

from . import fourw, tagging
from .models import (
    BeneficiaryStory,
    DonorReport,
    DonorReportIssue,
    FourWRow,
    FourWSubmission,
    Indicator,
    IndicatorTarget,
    ManualValue,
    Outcome,
    Output,
    Project,
    ProjectDefault,
    ProjectTag,
)


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


# --- project tagging ------------------------------------------------------------------------------------------


def tag_at_creation(record, project_id: int) -> ProjectTag:
    """Tag a record just created with its office × programme's default project (audited)."""
    from django.contrib.contenttypes.models import ContentType

    return record_create(
        ProjectTag(
            project_id=project_id, content_type=ContentType.objects.get_for_model(type(record)),
            object_id=record.pk, office_id=record.office_id, reference=getattr(record, "reference", "") or "",
        ),
        by=None, reason=_("Tagged with the default project of its office and programme"),
    )  # fmt: skip


def tag_many_at_creation(model, tags: list[tuple]) -> list[ProjectTag]:
    """The bulk form of `tag_at_creation`: `tags` is [(record, project id)] of records of `model` just created in
    bulk; one insert, one audit event each."""
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(model)
    return record_create_many(
        ProjectTag,
        [
            ProjectTag(project_id=project_id, content_type=content_type, object_id=record.pk,
                       office_id=record.office_id, reference=getattr(record, "reference", "") or "")
            for record, project_id in tags
        ],
        by=None, reason=_("Tagged with the default project of its office and programme"),
    )  # fmt: skip


def project_default_set(*, office, programme, project: Project, by) -> ProjectDefault:
    """`office`'s new records of `programme` belong to `project` from now on; its records of the programme that no
    project holds yet are tagged with it too (one audited event). A project is the default only where it runs."""
    if not project.offices.filter(pk=office.pk).exists():
        raise ValidationError({"project": _("%(p)s does not run in %(o)s.") % {"p": project.grant_code,
                                                                              "o": office.code}})  # fmt: skip
    with transaction.atomic():
        current = ProjectDefault.objects.select_for_update().filter(office=office, programme=programme).first()
        if current is None:
            current = record_create(ProjectDefault(office=office, programme=programme, project=project), by=by)
        elif current.project_id != project.pk:
            current = record_update(current, by=by, changes={"project": project, "set_at": timezone.now()})
        tagged = _tag_untagged(office, programme, project)
        if tagged:
            audit.record(AuditAction.UPDATE, actor=by, obj=current, changes={"tagged": [0, tagged]},
                         reason=_("Records of %(o)s × %(p)s with no project tagged with %(g)s")
                         % {"o": office.code, "p": programme.code, "g": project.grant_code})  # fmt: skip
    return current


def _tag_untagged(office, programme, project: Project) -> int:
    from django.contrib.contenttypes.models import ContentType

    count = 0
    for taggable in tagging.installed().values():
        model = taggable.model_class()
        content_type = ContentType.objects.get_for_model(model)
        held = ProjectTag.objects.filter(content_type=content_type).values("object_id")
        records = (
            model._default_manager.filter(tagging.programme_filter(taggable, programme), office=office)
            .exclude(pk__in=held)
            .values_list("pk", "reference")
        )
        tags = [ProjectTag(project=project, content_type=content_type, object_id=pk, office=office, reference=ref)
                for pk, ref in records]  # fmt: skip
        ProjectTag.objects.bulk_create(tags, batch_size=500)
        count += len(tags)
    return count


def record_retag(*, record, project: Project, by, reason: str) -> ProjectTag:
    """`record` belongs to `project` from now on (its figures move with it), with the reason, audited."""
    from django.contrib.contenttypes.models import ContentType

    if type(record)._meta.label not in tagging.installed():
        raise ValidationError(_("Records of this kind are not tagged with projects."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the record moves to another project.")})
    if not project.offices.filter(pk=record.office_id).exists():
        raise ValidationError({"project": _("%(p)s does not run in the record's office.") % {"p": project.grant_code}})
    content_type = ContentType.objects.get_for_model(type(record))
    with transaction.atomic():
        tag = ProjectTag.objects.select_for_update().filter(content_type=content_type, object_id=record.pk).first()
        if tag is None:
            return record_create(
                ProjectTag(project=project, content_type=content_type, object_id=record.pk, office_id=record.office_id,
                           reference=getattr(record, "reference", "") or "", retagged=True),
                by=by, reason=reason,
            )  # fmt: skip
        if tag.project_id == project.pk:
            raise ValidationError({"project": _("The record already belongs to %(p)s.") % {"p": project.grant_code}})
        return record_update(tag, by=by, changes={"project": project, "retagged": True, "tagged_at": timezone.now()},
                             reason=reason)  # fmt: skip


# --- donor reports --------------------------------------------------------------------------------------------

NARRATIVE = ("summary", "achievements", "challenges", "next_steps")


def donor_report_create(*, project: Project, by, **fields) -> DonorReport:
    return record_create(DonorReport(project=project, **fields), by=by)


def donor_report_update(*, report: DonorReport, by, changes: dict) -> DonorReport:
    allowed = {"title", "starts_on", "ends_on", *NARRATIVE}
    return record_update(report, by=by, changes={k: v for k, v in changes.items() if k in allowed})


def story_add(*, report: DonorReport, by, **fields) -> BeneficiaryStory:
    return record_create(BeneficiaryStory(report=report, **fields), by=by)


def donor_report_issue(*, report: DonorReport, by) -> DonorReportIssue:
    """Freeze the report as it is now (figures computed now, the narrative and stories) as its next issue; from the
    second issue on, what changed since the previous one is stored with it."""
    from . import donor_reports

    with transaction.atomic():
        DonorReport.objects.select_for_update().filter(pk=report.pk).first()
        previous = report.issues.order_by("-number").first()
        content = donor_reports.content_of(report)
        changes = donor_reports.differences(previous.content, content) if previous else []
        issue = record_create(
            DonorReportIssue(report=report, number=(previous.number + 1) if previous else 1, issued_by=by,
                             content=content, changes=changes),
            by=by, reason=_("Donor report issued"),
        )  # fmt: skip
    return issue
