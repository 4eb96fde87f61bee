"""Dashboards: the country's (every office the user reports for) and each project's: people reached by province
(the Leaflet choropleth), new people by month, and progress against targets. The figures are the 4W's and the
indicator table's (fourw.reached: each person once, at the first reach in the period), so a dashboard never disagrees
with a report. Their downloads are published figures: no cell between 1 and k-1 (core.disclosure)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from liman.core import disclosure, measures

from . import fourw, selectors


@dataclass
class Series:
    key: str  # a measure key (country) or an indicator code (project)
    label: str
    unit: str
    months: list[str]
    by_month: list[int]
    by_province: dict[str, int]
    total: int
    target: int | None = None
    percent: int | None = None
    over_offices: bool = False
    extra: dict = field(default_factory=dict)


def months_of(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The first days of the months from `start`'s to `end`'s (inclusive)."""
    month, found = fourw.month_start(start), []
    while month <= end:
        found.append(month)
        month = fourw.next_month(month)
    return found


def _series(key, label, unit, rows, geography, months) -> Series:
    by_month: dict[datetime.date, int] = defaultdict(int)
    by_province: dict[str, int] = defaultdict(int)
    for row in rows:
        by_month[fourw.month_start(row.on)] += row.count
        _district, province = geography.place(row.office_id, row.district_pcode)
        by_province[province] += row.count
    return Series(
        key=key, label=label, unit=unit, months=[m.strftime("%Y-%m") for m in months],
        by_month=[by_month.get(m, 0) for m in months], by_province=dict(sorted(by_province.items())),
        total=sum(by_province.values()),
    )  # fmt: skip


def country(user, *, year: int, today: datetime.date | None = None, only: str | None = None):
    """Each 3RP-mapped measure over the user's reporting offices, 1 January to the end of the year (or today): people
    reached (each once), by province and by the month they were first reached in the year; and the progress of
    every project the user sees. With `only` (a measure key), that measure's series alone (the map's counts)."""
    offices = [office.pk for office in selectors.reporting_offices(user)]
    start = datetime.date(year, 1, 1)
    end = min(datetime.date(year, 12, 31), today or datetime.date(year, 12, 31))
    geography = fourw.Geography()
    months = months_of(start, end)
    series = []
    for mapping in fourw.mappings():
        if only is not None and mapping.measure_key != only:
            continue
        measure = measures.measure(mapping.measure_key)
        rows = fourw.reached(mapping.measure_key, start, end + datetime.timedelta(days=1), offices) if offices else []
        found = _series(mapping.measure_key, f"{mapping.indicator_code} · {measure.label}", measure.unit, rows,
                        geography, months)  # fmt: skip
        found.extra = {"sector": mapping.sector, "indicator": mapping.indicator}
        series.append(found)
    projects = [] if only is not None else [(p, selectors.indicator_table(p)) for p in selectors.projects_for(user)]
    return {"series": series, "projects": projects, "start": start, "end": end, "names": geography.names}


def project(project, *, today: datetime.date | None = None):
    """Each computed indicator of `project` over its life (to today): people reached through its records, by
    province and by the month first reached; and every indicator's progress against its target."""
    start, end = project.starts_on, min(project.ends_on, today or project.ends_on)
    offices = list(project.offices.values_list("pk", flat=True))
    geography = fourw.Geography()
    months = months_of(start, end) if end >= start else []
    table = selectors.indicator_table(project)
    series = []
    reached: dict[str, list] = {}
    for _outcome, _output, progress in table:
        indicator = progress.indicator
        if indicator.kind != "computed":
            continue
        key = indicator.measure_key
        if key not in reached:
            reached[key] = fourw.reached(key, start, end + datetime.timedelta(days=1), offices, project=project)
        rows = [row for row in reached[key] if _kept(indicator, row, geography)]
        found = _series(indicator.code, f"{indicator.code} · {indicator.title}", indicator.unit, rows, geography,
                        months)  # fmt: skip
        found.target, found.percent, found.over_offices = progress.target, progress.percent, progress.over_offices
        series.append(found)
    return {"series": series, "table": table, "start": start, "end": end, "names": geography.names}


def _kept(indicator, row, geography) -> bool:
    """The indicator's filter (population groups, provinces, with a disability, sex × age), as the table applies."""
    wanted = indicator.measure_filter or {}
    if wanted.get("population_groups") and row.population_group not in wanted["population_groups"]:
        return False
    if wanted.get("provinces") and geography.place(row.office_id, row.district_pcode)[1] not in wanted["provinces"]:
        return False
    if wanted.get("with_disability") and not row.with_disability:
        return False
    return not (wanted.get("age_sex") and str(row.age_sex) not in wanted["age_sex"])


def published_rows(series: list[Series], names: dict[str, str]) -> list[list]:
    """The download of a dashboard: each series' people by province and by month, with an HXL row; every count of
    people between 1 and k-1 shows as "<k", and a second cell is hidden where a total would give one back."""
    k = disclosure.min_cell()
    rows = [
        [_("indicator"), _("label"), _("breakdown"), _("province p-code"), _("province"), _("month"), _("people")],
        ["#indicator+code", "#indicator+name", "#meta+breakdown", "#adm1+code", "#adm1+name", "#date+month",
         "#reached+ind"],
    ]  # fmt: skip
    for one in series:
        hidden = disclosure.suppress(one.by_province, k)
        total_hidden = 0 < one.total < k
        for pcode, value in one.by_province.items():
            shown = disclosure.suppressed_mark(k) if pcode in hidden else value
            rows.append([one.key, one.label, "province", pcode, names.get(pcode, ""), "", shown])
        by_month = dict(zip(one.months, one.by_month, strict=True))
        hidden = disclosure.suppress(by_month, k)
        for month, value in by_month.items():
            shown = disclosure.suppressed_mark(k) if month in hidden else value
            rows.append([one.key, one.label, "month", "", "", month, shown])
        rows.append([one.key, one.label, "total", "", "", "", disclosure.suppressed_mark(k) if total_hidden
                     else one.total])  # fmt: skip
    return [[disclosure.neutralise(cell) for cell in row] for row in rows]
