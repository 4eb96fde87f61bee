"""The 3RP 4W of a month, computed once from the measures the apps register, the same way for every page, export
and report.

For each measure mapped to a 3RP indicator (`ThreeRPMapping`), a person counts in month M when reached in M and not
earlier in M's calendar year (new people only), once, at their first reach in the month (office, district,
population group, sex and age then). Group counts (people met at the border) count as given.

A submitted month is locked per office (`FourWSubmission`): its rows are read from `FourWRow`, never recomputed.
For an office whose month M is still open, every locked month L of the twelve before M is recomputed, and what
differs from what was submitted for L (and from adjustments to L already submitted since) is reported in M as an
adjustment row ("… — adjustment to L"). So corrections reach the 3RP once, in the next open month.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from liman.core import measures

#: The columns of the 3RP 4W, in order (ActivityInfo's import template).
COLUMNS = (
    "month", "appealing_partner", "implementing_partner", "sector", "indicator_code", "indicator", "activity",
    "province_pcode", "province", "district_pcode", "district", "population_group", "girls", "boys", "women", "men",
    "total", "with_disability",
)  # fmt: skip

COUNT_FIELDS = ("girls", "boys", "women", "men", "with_disability")
AGE_SEX_INDEX = {measures.AgeSex.GIRLS: 0, measures.AgeSex.BOYS: 1, measures.AgeSex.WOMEN: 2, measures.AgeSex.MEN: 3}


def month_start(value: datetime.date) -> datetime.date:
    return value.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def previous_month(month: datetime.date) -> datetime.date:
    return (month - datetime.timedelta(days=1)).replace(day=1)


def parse_month(text: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(text.strip(), "%Y-%m").date()
    except (ValueError, AttributeError):
        raise ValueError(_("Give the month as YYYY-MM (e.g. 2026-10), not %(t)r.") % {"t": text}) from None


#: (office id, measure key, district p-code, province p-code, population group)
Key = tuple[int, str, str, str, str]


class Geography:
    """P-codes and names of the districts and provinces, and each office's province, loaded once."""

    def __init__(self):
        from liman.core.models import AdminArea, Office

        self.names: dict[str, str] = {}
        self.parent: dict[str, str] = {}
        for pcode, name, parent in AdminArea.objects.values_list("pcode", "name_en", "parent__pcode"):
            self.names[pcode] = name
            if parent:
                self.parent[pcode] = parent
        self.office_province = dict(Office.objects.values_list("pk", "province__pcode"))

    def place(self, office_id: int, district: str) -> tuple[str, str]:
        """(district p-code, province p-code); a record with no district is reported at its office's province."""
        if district and district in self.parent:
            return district, self.parent[district]
        return "", self.office_province.get(office_id, "")


def reached(
    measure_key: str,
    start: datetime.date,
    end: datetime.date,
    offices: Iterable[int] | None,
    *,
    since: datetime.date | None = None,
    project=None,
) -> list[measures.MeasureRow]:
    """The measure's rows for [start, end): each person once, at their first reach (group counts as given); with
    `since`, people already reached in [since, start) are left out (not new); with `project`, only through the
    records tagged with it (reporting.tagging). A measure's first reaches stored for the year (reporting.reach) give
    the same rows without reading the year's records."""
    offices = None if offices is None else list(offices)
    stored = _stored(measure_key, start, end, offices, since=since, project=project)
    return _reached(measure_key, start, end, offices, since=since, project=project, stored=stored)


def _stored(measure_key: str, start, end, offices: list[int] | None, *, since, project):
    """The stored first reaches that answer for the period (reporting.reach.Stored), or None: computed."""
    from . import reach

    if measures.measure(measure_key).reach is None:
        return None
    if project is None:
        return reach.stored_rows(measure_key, start, end, offices, since=since)
    if since is None and sorted(offices or []) == sorted(project.offices.values_list("pk", flat=True)):
        return reach.project_rows(measure_key, project, start, end)
    return None


def _reached(measure_key: str, start, end, offices, *, since, project, stored) -> list[measures.MeasureRow]:
    from . import tagging

    measure = measures.measure(measure_key)

    def rows(a, b):
        found = measure.rows(a, b, offices)
        return found if project is None else tagging.restricted(measure_key, found, project)

    current = stored if stored is not None else rows(start, end)
    before: set = set()
    if stored is None and since is not None and since < start:
        earlier = rows(since, start)
        if hasattr(current, "excluding") and hasattr(earlier, "queryset"):
            current = current.excluding(earlier)  # the database leaves out people reached earlier
        else:
            before = {row.person_key for row in earlier if row.person_key is not None}
    groups: list[measures.MeasureRow] = []
    first: dict = {}
    for row in current:
        if row.person_key is None:
            groups.append(row)
        elif row.person_key not in before:
            seen = first.get(row.person_key)
            if seen is None or (row.on, row.office_id, row.district_pcode) < (
                seen.on,
                seen.office_id,
                seen.district_pcode,
            ):
                first[row.person_key] = row
    return groups + list(first.values())


def counted(
    measure_key: str,
    start: datetime.date,
    end: datetime.date,
    offices: Iterable[int] | None,
    *,
    since: datetime.date | None = None,
    project=None,
) -> list[tuple[int, str, str, str, bool, int]]:
    """The people `reached` counted by (office id, district p-code, population group, sex × age, with a disability,
    people): grouped in the database when the stored first reaches answer, from `reached`'s rows otherwise."""
    offices = None if offices is None else list(offices)
    stored = _stored(measure_key, start, end, offices, since=since, project=project)
    if stored is not None:
        return stored.counts()
    return [
        (row.office_id, row.district_pcode, row.population_group, row.age_sex, row.with_disability, row.count)
        for row in _reached(measure_key, start, end, offices, since=since, project=project, stored=None)
    ]


def first_reach(
    measure_key: str,
    start: datetime.date,
    end: datetime.date,
    offices: Iterable[int] | None,
    *,
    geography: Geography,
    since: datetime.date | None = None,
    project=None,
) -> dict[Key, list[int]]:
    """Counts (girls, boys, women, men, with a disability) of the people `reached` (each once, at their first
    reach) by key."""
    totals: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for office_id, district_pcode, group, age_sex, with_disability, count in counted(
        measure_key, start, end, offices, since=since, project=project
    ):
        district, province = geography.place(office_id, district_pcode)
        counts = totals[(office_id, measure_key, district, province, group)]
        counts[AGE_SEX_INDEX[age_sex]] += count
        if with_disability:
            counts[4] += count
    return dict(totals)


def mappings() -> list:
    from .models import ThreeRPMapping

    return [mapping for mapping in ThreeRPMapping.objects.order_by("sector", "indicator_code")
            if mapping.measure_key in measures.MEASURES]  # fmt: skip


def new_in_month(month: datetime.date, offices, *, geography: Geography, maps=None) -> dict[Key, list[int]]:
    """New people in `month` (not reached earlier in its year), by key, live from the operations."""
    found: dict[Key, list[int]] = {}
    for mapping in maps if maps is not None else mappings():
        found.update(
            first_reach(
                mapping.measure_key, month, next_month(month), offices, geography=geography,
                since=month.replace(month=1),
            )
        )  # fmt: skip
    return found


@dataclass
class Line:
    """One 4W row (before the partner and names are filled in)."""

    month: datetime.date
    measure_key: str
    sector: str
    indicator_code: str
    indicator: str
    activity: str
    district_pcode: str
    province_pcode: str
    population_group: str
    girls: int
    boys: int
    women: int
    men: int
    with_disability: int
    adjustment_for: datetime.date | None = None
    office_id: int | None = None
    locked: bool = False

    @property
    def total(self) -> int:
        return self.girls + self.boys + self.women + self.men

    def key(self) -> Key:
        return (self.office_id, self.measure_key, self.district_pcode, self.province_pcode, self.population_group)


def _lines(month, counts: dict[Key, list[int]], by_measure: dict, *, adjustment_for=None) -> list[Line]:
    lines = []
    for (office_id, key, district, province, group), values in counts.items():
        if not any(values):
            continue
        mapping = by_measure[key]
        lines.append(
            Line(
                month=month, measure_key=key, sector=mapping.sector, indicator_code=mapping.indicator_code,
                indicator=mapping.indicator, activity=mapping.activity, district_pcode=district,
                province_pcode=province, population_group=group, girls=values[0], boys=values[1], women=values[2],
                men=values[3], with_disability=values[4], adjustment_for=adjustment_for, office_id=office_id,
            )
        )  # fmt: skip
    return lines


def _stored_lines(rows) -> list[Line]:
    return [
        Line(
            month=row.submission.month, measure_key=row.measure_key, sector=row.sector,
            indicator_code=row.indicator_code, indicator=row.indicator, activity=row.activity,
            district_pcode=row.district_pcode, province_pcode=row.province_pcode,
            population_group=row.population_group, girls=row.girls, boys=row.boys, women=row.women, men=row.men,
            with_disability=row.with_disability, adjustment_for=row.adjustment_for,
            office_id=row.submission.office_id, locked=True,
        )
        for row in rows
    ]  # fmt: skip


def office_lines(month: datetime.date, offices: list[int], *, geography: Geography | None = None) -> list[Line]:
    """The 4W lines of `month` for `offices`: stored for the offices that submitted it, live (with the adjustments
    to their earlier submitted months) for the others."""
    from . import reach

    with reach.reading():
        return _office_lines(month, offices, geography=geography)


def _office_lines(month: datetime.date, offices: list[int], *, geography: Geography | None) -> list[Line]:
    from .models import FourWRow, FourWSubmission

    geography = geography or Geography()
    maps = mappings()
    by_measure = {mapping.measure_key: mapping for mapping in maps}
    earliest = month
    for _step in range(12):
        earliest = previous_month(earliest)
    submissions = list(
        FourWSubmission.objects.filter(office__in=offices, month__gte=earliest, month__lte=month).values_list(
            "office_id", "month"
        )
    )
    locked_now = {office for office, when in submissions if when == month}
    lines = _stored_lines(
        FourWRow.objects.filter(submission__office__in=locked_now, submission__month=month).select_related("submission")
    )
    open_offices = [office for office in offices if office not in locked_now]
    if not open_offices:
        return lines
    lines += _lines(month, new_in_month(month, open_offices, geography=geography, maps=maps), by_measure)
    # Adjustments: each earlier locked month of the open offices, recomputed, minus what was reported for it.
    locked_before: dict[datetime.date, list[int]] = defaultdict(list)
    for office, when in submissions:
        if when < month and office in open_offices:
            locked_before[when].append(office)
    for when in sorted(locked_before):
        lines += _adjustments(when, month, locked_before[when], geography=geography, maps=maps, by_measure=by_measure)
    return lines


def _adjustments(locked: datetime.date, month, offices, *, geography, maps, by_measure) -> list[Line]:
    from .models import FourWRow

    live = new_in_month(locked, offices, geography=geography, maps=maps)
    reported: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    stored = (
        FourWRow.objects.filter(submission__office__in=offices)
        .filter(
            # What the month itself reported, and the adjustments to it reported in the months since.
            **{"submission__month__gte": locked, "submission__month__lt": month}
        )
        .select_related("submission")
    )
    for line in _stored_lines(stored):
        if (line.adjustment_for is None and line.month == locked) or line.adjustment_for == locked:
            values = reported[line.key()]
            for index, name in enumerate(COUNT_FIELDS):
                values[index] += getattr(line, name)
    difference: dict[Key, list[int]] = {}
    for key in set(live) | set(reported):
        now = live.get(key, [0, 0, 0, 0, 0])
        then = reported.get(key, [0, 0, 0, 0, 0])
        delta = [a - b for a, b in zip(now, then, strict=True)]
        if any(delta) and key[1] in by_measure:
            difference[key] = delta
    return _lines(month, difference, by_measure, adjustment_for=locked)


def year_to_date(month: datetime.date, offices, *, geography: Geography | None = None) -> dict[tuple, int]:
    """Distinct people reached from 1 January to the end of `month`, by (measure, district, province, group), live."""
    from . import reach

    with reach.reading():
        return _year_to_date(month, offices, geography=geography)


def _year_to_date(month: datetime.date, offices, *, geography: Geography | None) -> dict[tuple, int]:
    geography = geography or Geography()
    totals: dict[tuple, int] = defaultdict(int)
    for mapping in mappings():
        found = first_reach(
            mapping.measure_key, month.replace(month=1), next_month(month), offices, geography=geography
        )
        for (_office, key, district, province, group), values in found.items():
            totals[(key, district, province, group)] += sum(values[:4])
    return dict(totals)


def combined(lines: list[Line]) -> list[Line]:
    """The lines summed over offices (the 4W has no office column): one per indicator × activity × district ×
    population group (and adjusted month)."""
    merged: dict[tuple, Line] = {}
    for line in lines:
        key = (line.measure_key, line.sector, line.indicator_code, line.indicator, line.activity,
               line.province_pcode, line.district_pcode, line.population_group, line.adjustment_for)  # fmt: skip
        if key not in merged:
            merged[key] = Line(**{**line.__dict__, "office_id": None})
            continue
        target = merged[key]
        for name in COUNT_FIELDS:
            setattr(target, name, getattr(target, name) + getattr(line, name))
        target.locked = target.locked and line.locked
    return sorted(
        merged.values(),
        key=lambda line: (line.sector, line.indicator_code, line.adjustment_for is not None,
                          line.adjustment_for or line.month, line.province_pcode, line.district_pcode,
                          line.population_group),
    )  # fmt: skip


def partner() -> str:
    return settings.LIMAN_REPORTING_PARTNER


def table(month: datetime.date, lines: list[Line], *, geography: Geography | None = None) -> list[list]:
    """The 4W as rows of `COLUMNS` (header first)."""
    geography = geography or Geography()
    rows: list[list] = [list(COLUMNS)]
    for line in combined(lines):
        activity = line.activity
        if line.adjustment_for is not None:
            activity = _("%(activity)s — adjustment to %(month)s") % {
                "activity": activity, "month": line.adjustment_for.strftime("%Y-%m")
            }  # fmt: skip
        rows.append(
            [
                month.strftime("%Y-%m"), partner(), partner(), line.sector, line.indicator_code, line.indicator,
                activity, line.province_pcode, geography.names.get(line.province_pcode, ""), line.district_pcode,
                geography.names.get(line.district_pcode, ""), line.population_group, line.girls, line.boys,
                line.women, line.men, line.total, line.with_disability,
            ]
        )  # fmt: skip
    return rows
