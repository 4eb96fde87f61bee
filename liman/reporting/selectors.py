"""Reads of reporting, scoped to the user: the offices whose 4W they read or submit, the 4W of a month, projects and
their indicator tables (progress against targets, with the disaggregations)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from liman.core.access import active_grants, get_visible_or_404
from liman.core.models import Office, User

from . import fourw, reach, tagging
from .choices import IndicatorKind
from .models import (
    DonorReport,
    DonorReportIssue,
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
from .permissions import REPORTING_READ_ROLES, REPORTING_WRITE_ROLES


def _offices_with(user: User, roles) -> list[Office]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    grants = [grant for grant in active_grants(user) if grant.role in roles]
    every = user.is_superuser or any(grant.office_id is None for grant in grants)
    offices = Office.objects.select_related("province")
    if not every:
        offices = offices.filter(pk__in={grant.office_id for grant in grants})
    return list(offices.order_by("code"))


def reporting_offices(user: User) -> list[Office]:
    """Offices whose 4W and figures the user reads."""
    return _offices_with(user, REPORTING_READ_ROLES)


def submitting_offices(user: User) -> list[Office]:
    """Offices whose 4W the user may submit (reporting officers)."""
    return _offices_with(user, REPORTING_WRITE_ROLES)


def submissions_for(user: User, month: datetime.date) -> QuerySet[FourWSubmission]:
    return FourWSubmission.objects.visible_to(user).filter(month=month).select_related("office", "submitted_by")


@dataclass
class FourWView:
    month: datetime.date
    offices: list[Office]
    rows: list[list]  # the 4W's columns, then the year-to-date total of the row's indicator × district × group
    locked: list[FourWSubmission]
    open_offices: list[Office]


def fourw_for(user: User, month: datetime.date) -> FourWView:
    """The 4W of `month` over the user's reporting offices, with the year to date beside each row."""
    offices = reporting_offices(user)
    ids = [office.pk for office in offices]
    geography = fourw.Geography()
    from . import reach

    with reach.reading():  # the stored first reaches brought up to date once for both
        lines = fourw.office_lines(month, ids, geography=geography) if ids else []
        ytd = fourw.year_to_date(month, ids, geography=geography) if ids else {}
    table = fourw.table(month, lines, geography=geography)
    combined = fourw.combined(lines)
    rows = []
    for line, row in zip(combined, table[1:], strict=True):
        key = (line.measure_key, line.district_pcode, line.province_pcode, line.population_group)
        rows.append([*row, ytd.get(key, 0) if line.adjustment_for is None else ""])
    locked = list(submissions_for(user, month).filter(office__in=ids))
    done = {submission.office_id for submission in locked}
    return FourWView(month=month, offices=offices, rows=rows, locked=locked,
                     open_offices=[office for office in offices if office.pk not in done])  # fmt: skip


def projects_for(user: User) -> QuerySet[Project]:
    return Project.objects.visible_to(user).select_related("donor").prefetch_related("offices")


def project_for(user: User, pk: int) -> Project:
    return get_visible_or_404(projects_for(user), user, pk=pk)


@dataclass
class IndicatorProgress:
    indicator: Indicator
    target: int
    achieved: int
    by_age_sex: dict = field(default_factory=dict)
    by_group: dict = field(default_factory=dict)
    by_province: dict = field(default_factory=dict)
    with_disability: int = 0
    #: Counted over the project's offices (the measure's records are not tagged with projects).
    over_offices: bool = False

    @property
    def percent(self) -> int | None:
        return round(100 * self.achieved / self.target) if self.target else None


def framework_for(project: Project) -> list[Outcome]:
    """The project's outcomes → outputs → indicators (with targets and values entered by hand), in three queries."""
    indicators = Indicator.objects.prefetch_related(
        Prefetch("targets", queryset=IndicatorTarget.objects.order_by("starts_on")),
        Prefetch("manual_values", queryset=ManualValue.objects.order_by("starts_on")),
    )
    outputs = Output.objects.prefetch_related(Prefetch("indicators", queryset=indicators))
    return list(project.outcomes.prefetch_related(Prefetch("outputs", queryset=outputs)))


def indicator_table(project: Project, *, start: datetime.date | None = None, end: datetime.date | None = None):
    """Each indicator's progress over [start, end] (the project's life by default): distinct people (or households,
    records) reached once each over the period, against the targets of periods inside it. Over a period from the
    project's first day (its life, a donor report to date), read from its stored first reaches (reporting.reach)
    when they are built; a period starting later is computed from the tagged records."""
    with reach.reading():  # the stored first reaches brought up to date once for the whole table
        return _indicator_table(project, start=start, end=end)


def _indicator_table(project: Project, *, start: datetime.date | None, end: datetime.date | None):
    start = start or project.starts_on
    end = end or project.ends_on
    offices = list(project.offices.values_list("pk", flat=True))
    geography = fourw.Geography()
    found: dict[str, dict] = {}
    table = []
    for outcome in framework_for(project):
        for output in outcome.outputs.all():
            for indicator in output.indicators.all():
                target = sum(t.value for t in indicator.targets.all() if t.starts_on >= start and t.ends_on <= end)
                if indicator.kind == IndicatorKind.MANUAL:
                    achieved = sum(v.value for v in indicator.manual_values.all()
                                   if v.starts_on >= start and v.ends_on <= end)  # fmt: skip
                    table.append((outcome, output, IndicatorProgress(indicator, target, achieved)))
                    continue
                if indicator.measure_key not in found:
                    found[indicator.measure_key] = fourw.first_reach(
                        indicator.measure_key, start, end + datetime.timedelta(days=1), offices, geography=geography,
                        project=project,
                    )  # fmt: skip
                table.append((outcome, output, _progress(indicator, target, found[indicator.measure_key])))
    return table


def _progress(indicator: Indicator, target: int, counts: dict) -> IndicatorProgress:
    wanted = indicator.measure_filter or {}
    groups = set(wanted.get("population_groups") or [])
    provinces = set(wanted.get("provinces") or [])
    columns = [index for name, index in fourw.AGE_SEX_INDEX.items() if name in (wanted.get("age_sex") or [name])]
    tagged = tagging.is_tagged_measure(indicator.measure_key)
    progress = IndicatorProgress(indicator, target, 0, over_offices=not tagged)
    by_age_sex: dict = defaultdict(int)
    by_group: dict = defaultdict(int)
    by_province: dict = defaultdict(int)
    for (_office, _key, _district, province, group), values in counts.items():
        if (groups and group not in groups) or (provinces and province not in provinces):
            continue
        if wanted.get("with_disability"):
            chosen = values[4]
            people = {"": chosen}
        else:
            chosen = sum(values[index] for index in columns)
            people = {str(name): values[index] for name, index in fourw.AGE_SEX_INDEX.items() if index in columns}
        progress.achieved += chosen
        for name, n in people.items():
            if name:
                by_age_sex[name] += n
        by_group[group] += chosen
        by_province[province] += chosen
        progress.with_disability += values[4]
    progress.by_age_sex = dict(by_age_sex)
    progress.by_group = dict(sorted(by_group.items()))
    progress.by_province = dict(sorted(by_province.items()))
    return progress


# --- tagging --------------------------------------------------------------------------------------------------


def defaults_for(user: User) -> QuerySet[ProjectDefault]:
    return ProjectDefault.objects.visible_to(user).select_related("office", "programme", "project")


def tags_of(user: User, project: Project) -> QuerySet[ProjectTag]:
    """The records tagged with `project` in the offices the user reports for (newest first)."""
    return ProjectTag.objects.visible_to(user).filter(project=project).select_related("content_type", "office")


def tag_counts(user: User, project: Project) -> list[tuple[str, int]]:
    """How many records of each kind the project holds, in the user's offices."""
    from django.db.models import Count

    labels = {f"{t.model.split('.')[0]}.{t.model.split('.')[1].lower()}": t.label for t in tagging.installed().values()}
    counts = (
        tags_of(user, project).order_by().values("content_type__app_label", "content_type__model")
        .annotate(n=Count("pk"))
    )  # fmt: skip
    return sorted(
        (str(labels.get(f"{row['content_type__app_label']}.{row['content_type__model']}", "?")), row["n"])
        for row in counts
    )


def taggable_record(user: User, kind: str, reference: str):
    """The record of `kind` with `reference` that the user may re-tag, or None: one of an office whose figures the
    user submits and, for a protected kind (cases), one the user may see."""
    taggable = tagging.installed().get(kind)
    if taggable is None or not reference.strip():
        return None
    model = taggable.model_class()
    records = model.objects.visible_to(user) if taggable.protected else model._default_manager.all()
    offices = [office.pk for office in submitting_offices(user)]
    return records.filter(reference=reference.strip(), office__in=offices).first()


# --- donor reports --------------------------------------------------------------------------------------------


def donor_reports_for(user: User) -> QuerySet[DonorReport]:
    return DonorReport.objects.visible_to(user).select_related("project", "project__donor")


def donor_report_for(user: User, pk: int) -> DonorReport:
    return get_visible_or_404(donor_reports_for(user), user, pk=pk)


def issue_of(report: DonorReport, number: int) -> DonorReportIssue:
    from django.http import Http404

    issue = report.issues.filter(number=number).select_related("issued_by").first()
    if issue is None:
        raise Http404
    return issue


def retagged_for(user: User) -> QuerySet[ProjectTag]:
    """Records re-tagged by hand, in the user's offices (newest first)."""
    return tags_of_all(user).filter(retagged=True)


def tags_of_all(user: User) -> QuerySet[ProjectTag]:
    return ProjectTag.objects.visible_to(user).select_related("content_type", "office", "project")


def with_visibility(user: User, tags) -> list[tuple[ProjectTag, str, bool]]:
    """(tag, kind label, whether the reference may show): always for a record of an office the user reports for,
    except a protected kind (a case), whose reference shows only to who may see the case. One query per such kind."""
    tags = list(tags)
    kinds = {key.lower(): t for key, t in tagging.installed().items()}
    protected: dict = {}
    for tag in tags:
        taggable = kinds.get(f"{tag.content_type.app_label}.{tag.content_type.model}")
        if taggable is not None and taggable.protected:
            protected.setdefault(tag.content_type, []).append(tag.object_id)
    visible: set = set()
    for content_type, ids in protected.items():
        found = content_type.model_class().objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)
        visible |= {(content_type.pk, pk) for pk in found}
    rows = []
    for tag in tags:
        taggable = kinds.get(f"{tag.content_type.app_label}.{tag.content_type.model}")
        shown = taggable is not None and (not taggable.protected or (tag.content_type_id, tag.object_id) in visible)
        rows.append((tag, taggable.label if taggable else "", shown))
    return rows
