"""Published tables of DTM / MPM data: HXL-tagged CSV, XLSX and GeoJSON.

Each table has a header row and a row of HXL hashtags (https://hxlstandard.org), the way HDX and
ActivityInfo users read them. Text cells that a spreadsheet would run as a formula are neutralised.
Individual-level datasets are published only as counts. No published cell counts between 1 and k-1 people
(`LIMAN_DTM_MIN_CELL`, default 11, as the CTDC standard does for trafficking data): `suppress` decides which
cells to hide, for every download (these tables, the Kobo-style submission exports) and the dashboard's
figures. A hidden cell shows "<11"; totals are true totals (they include the hidden values), so when a total
covers a single hidden cell a second one is hidden too (complementary suppression), or the total would give
the hidden one away.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from liman.core.disclosure import (  # noqa: F401 (re-exported: the DTM tables and their tests read them here)
    PEOPLE_COUNT_TAGS,
    min_cell,
    neutralise,
    publishes,
    suppress,
    suppressed_mark,
)
from liman.core.models import AdminArea

from . import selectors
from .choices import SEX_AGE_FIELDS, AgeGroup
from .models import Form, Operation

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "geojson": ("application/geo+json", "geojson"),
}
HXL_AGE = {"0_4": "infants", "5_17": "children", "18_59": "adults", "60": "elderly"}
#: Questions that count people, named as the DTM forms name them, with their HXL hashtag.
PEOPLE_COUNT_QUESTIONS = {"individuals": "#affected+ind", "households": "#affected+hh"}
_HXL_ATTRIBUTE = re.compile(r"[^a-z0-9_]+")


@dataclass
class Column:
    key: str
    header: str
    hxl: str
    #: A count of people: published only from k up (or 0).
    is_count: bool = False
    #: The key of the column in the same row that this count is a part of (a sex and age cell of "individuals").
    part_of: str = ""


@dataclass
class Table:
    name: str
    columns: list[Column]
    rows: list[dict]
    #: How a row becomes a GeoJSON feature: "point" (lat/lon columns) or "province" (polygons, summed).
    geometry: str = "province"
    #: Columns summed per province in the GeoJSON (polygons).
    measures: list[str] = field(default_factory=list)
    suppressed: int = 0
    #: The columns whose rows the GeoJSON sums into one published total (per province, or province and month).
    margins: tuple[str, ...] = ("province_pcode",)
    #: The true totals per province, from the values before suppression (filled by `apply_min_cell`).
    province_totals: dict[str, dict[str, int | str]] | None = None


def suppress_small_cells(rows: list[dict], *, count: str, k: int) -> tuple[list[dict], int]:
    """Mark every `count` cell of fewer than k people (see `suppress`); returns the rows and how many were hidden."""
    hidden = suppress({i: row.get(count) or 0 for i, row in enumerate(rows)}, k)
    mark = suppressed_mark(k)
    return [{**row, count: mark} if i in hidden else row for i, row in enumerate(rows)], len(hidden)


def _hide_row_cells(row: dict, columns: list[Column], hidden: set[str], k: int) -> set[str]:
    """The cells of one row to hide: small counts, and complements among the parts of each total."""
    counts = {c.key: row.get(c.key) or 0 for c in columns if c.is_count and isinstance(row.get(c.key) or 0, int)}
    hidden = hidden | suppress(counts, k, total_published=False)
    for total in {c.part_of for c in columns if c.part_of}:
        parts = {c.key: counts.get(c.key, 0) for c in columns if c.part_of == total}
        if total in hidden:
            # A hidden total with every part shown would be their sum: hide parts until two are hidden.
            shown = sorted((value, key) for key, value in parts.items() if value and key not in hidden)
            missing = max(0, 2 - len([key for key in parts if key in hidden and parts[key]]))
            hidden |= {key for _value, key in shown[:missing]}
        else:
            # The total is published, in this row or in another table (a site's individuals): complements apply.
            hidden |= suppress(parts, k, hidden=hidden & parts.keys())
    return hidden


def apply_min_cell(table: Table, k: int | None = None) -> Table:
    """The table as it may be published: see `suppress`. Province totals (for the GeoJSON) are computed from the
    true values first; a province whose total is small is hidden, and within a province no hidden row stands
    alone."""
    k = min_cell() if k is None else k
    if k <= 1:
        return table
    columns = table.columns
    rows = table.rows
    hidden: list[set[str]] = [_hide_row_cells(row, columns, set(), k) for row in rows]
    measures = [m for m in table.measures if any(c.key == m and c.is_count for c in columns)]
    if table.geometry != "point" and measures:
        groups: dict[tuple, list[int]] = defaultdict(list)
        for i, row in enumerate(rows):
            if row.get("province_pcode"):
                groups[tuple(row.get(key) for key in table.margins)].append(i)
        for _round in range(5):  # hiding one cell may call for another: repeat until nothing changes
            changed = False
            for members in groups.values():
                for measure in measures:
                    values = {i: rows[i].get(measure) or 0 for i in members}
                    already = {i for i in members if measure in hidden[i]}
                    for i in suppress(values, k, hidden=already) - already:
                        hidden[i] = _hide_row_cells(rows[i], columns, hidden[i] | {measure}, k)
                        changed = True
            if not changed:
                break
        table.province_totals = _province_totals(table, k)
    mark = suppressed_mark(k)
    table.rows = [{**row, **{key: mark for key in cells}} for row, cells in zip(rows, hidden, strict=True)]
    table.suppressed += sum(len(cells) for cells in hidden)
    return table


def _province_totals(table: Table, k: int) -> dict[str, dict[str, int | str]]:
    only_month = table.geometry.split("@", 1)[1] if "@" in table.geometry else None
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in table.rows:
        if not row.get("province_pcode") or (only_month and row.get("month") != only_month):
            continue
        for measure in table.measures:
            value = row.get(measure) or 0
            totals[row["province_pcode"]][measure] += value if isinstance(value, int) else 0
    mark = suppressed_mark(k)
    return {
        pcode: {measure: mark if 0 < value < k else value for measure, value in measures.items()}
        for pcode, measures in totals.items()
    }


def dashboard_figures(data: dict, k: int | None = None) -> dict:
    """The dashboard's figures as they may be shown: the same rule as the downloads (`suppress`), a hidden
    figure is None (a gap in a chart, "<11" on the map) and `suppressed_mark` says how to show it."""
    k = min_cell() if k is None else k
    data = dict(data)
    data["suppressed_mark"] = suppressed_mark(k)
    if k <= 1:
        return data

    def vector(values: dict) -> dict:
        hidden = suppress(values, k)
        return {key: None if key in hidden else value for key, value in values.items()}

    data["provinces"] = vector(data.get("provinces", {}))
    data["districts"] = vector(data.get("districts", {}))
    data["totals"] = {
        key: None if key != "sites" and value and 0 < value < k else value
        for key, value in data.get("totals", {}).items()
    }
    sites = []
    for site in data.get("sites", []):
        counts = {key: site[key] or 0 for key in ("households", "individuals")}
        hidden = suppress(counts, k, total_published=False)
        sites.append({**site, **{key: None for key in hidden}})
    data["sites"] = sites
    for block in ("by_month", "by_nationality", "by_sex_age"):
        if block in data:
            series = []
            for entry in data[block]["series"]:
                hidden = suppress(dict(enumerate(entry["data"])), k)
                series.append({**entry, "data": [None if i in hidden else v for i, v in enumerate(entry["data"])]})
            data[block] = {**data[block], "series": series}
    return data


def _sex_age_columns(prefix: str = "affected", part_of: str = "individuals") -> list[Column]:
    labels = {"f": _("Females"), "m": _("Males")}
    return [
        Column(
            name,
            f"{labels[name[0]]} {AgeGroup(name[2:]).label}",
            sex_age_hxl(name, prefix),
            is_count=True,
            part_of=part_of,
        )
        for name in SEX_AGE_FIELDS
    ]


def sex_age_hxl(name: str, prefix: str = "affected") -> str:
    """`f_0_4` -> `#affected+f+infants`."""
    return f"#{prefix}+{name[0]}+{HXL_AGE[name[2:]]}"


def _area_columns(level: str = "adm1") -> list[Column]:
    if level == "adm1":
        return [
            Column("province_pcode", _("Province p-code"), "#adm1+code"),
            Column("province", _("Province"), "#adm1+name"),
        ]
    return [
        Column("district_pcode", _("District p-code"), "#adm2+code"),
        Column("district", _("District"), "#adm2+name"),
    ]


def _names(pcodes) -> dict[str, str]:
    return dict(AdminArea.objects.filter(pcode__in=set(pcodes)).values_list("pcode", "name_tr"))


# --- the tables -------------------------------------------------------------------------------------------------


def sites_table(user, operation: Operation, filters: selectors.DashboardFilters) -> Table:
    assessments = selectors.assessments_for(user, operation, filters).select_related(
        "site", "site__district", "site__province", "round"
    )
    rows = []
    for assessment in assessments.prefetch_related("needs").order_by("site__site_id"):
        site = assessment.site
        rows.append(
            {
                "site_id": site.site_id,
                "site_name": site.name,
                "site_type": site.type,
                "manager": site.manager,
                "status": site.status,
                "province_pcode": site.province.pcode,
                "province": site.province.name_tr,
                "district_pcode": site.district.pcode,
                "district": site.district.name_tr,
                "lat": site.latitude,
                "lon": site.longitude,
                "round": assessment.round.number,
                "assessed_on": assessment.assessed_on.isoformat(),
                "households": assessment.households,
                "individuals": assessment.individuals,
                **{name: getattr(assessment, name) for name in SEX_AGE_FIELDS},
                "needs": " ".join(f"{need.sector}:{need.severity}" for need in assessment.needs.all()),
            }
        )
    columns = [
        Column("site_id", _("Site ID"), "#loc+code"),
        Column("site_name", _("Site"), "#loc+name"),
        Column("site_type", _("Site type"), "#loc+type"),
        Column("manager", _("Site manager"), "#org+name+manager"),
        Column("status", _("Status"), "#status"),
        *_area_columns("adm1"),
        *_area_columns("adm2"),
        Column("lat", _("Latitude"), "#geo+lat"),
        Column("lon", _("Longitude"), "#geo+lon"),
        Column("round", _("Round"), "#meta+round"),
        Column("assessed_on", _("Assessed on"), "#date+assessed"),
        Column("households", _("Households"), "#affected+hh", is_count=True),
        Column("individuals", _("Individuals"), "#affected+ind", is_count=True),
        *_sex_age_columns(),
        Column("needs", _("Needs by sector (sector:severity, by rank)"), "#sector+needs"),
    ]
    return apply_min_cell(Table("sites", columns, rows, geometry="point", measures=["households", "individuals"]))


def flows_table(user, operation: Operation | None, filters: selectors.DashboardFilters) -> Table:
    flows = selectors.flows_for(user, operation=operation, filters=filters)
    cells: dict[tuple, dict] = {}
    for province, month, nationality, sex, age, n in (
        flows.order_by()
        .values_list("province__pcode", "month", "nationality", "sex", "age_group")
        .annotate(n=Sum("individuals"))
    ):
        row = cells.setdefault(
            (province, month, nationality),
            {
                "province_pcode": province,
                "month": month.strftime("%Y-%m"),
                "nationality": nationality,
                "individuals": 0,
            },
        )
        row[f"{sex.lower()}_{age}"] = row.get(f"{sex.lower()}_{age}", 0) + n
        row["individuals"] += n
    names = _names(key[0] for key in cells)
    rows = [
        {**row, "province": names.get(row["province_pcode"], ""), **{n: row.get(n, 0) for n in SEX_AGE_FIELDS}}
        for _key, row in sorted(cells.items())
    ]
    columns = [
        *_area_columns("adm1"),
        Column("month", _("Month"), "#date+month"),
        Column("nationality", _("Nationality"), "#country+code+origin"),
        Column("individuals", _("Individuals"), "#affected+ind", is_count=True),
        *_sex_age_columns(),
    ]
    return apply_min_cell(Table("flows", columns, rows, measures=["individuals"]))


def presence_table(user, operation: Operation | None, filters: selectors.DashboardFilters) -> Table:
    figures = selectors.presence_for(user, operation=operation, filters=filters).select_related("province")
    rows = [
        {
            "month": figure.period.strftime("%Y-%m"),
            "province_pcode": figure.province.pcode,
            "province": figure.province.name_tr,
            "population_group": figure.population_group,
            "nationality": figure.nationality,
            "source": figure.source,
            "individuals": figure.individuals,
        }
        for figure in figures.order_by("period", "province__pcode", "population_group", "nationality")
    ]
    columns = [
        Column("month", _("Month"), "#date+month"),
        *_area_columns("adm1"),
        Column("population_group", _("Population group"), "#group+population+code"),
        Column("nationality", _("Nationality"), "#country+code+origin"),
        Column("source", _("Source"), "#meta+source"),
        Column("individuals", _("Individuals present"), "#population+total", is_count=True),
    ]
    latest = max((row["month"] for row in rows), default="")
    # Presence is a stock: the map shows the latest month only, never a sum over months.
    table = Table("presence", columns, rows, measures=["individuals"], geometry=f"province@{latest}")
    table.margins = ("province_pcode", "month")
    return apply_min_cell(table)


def interceptions_table(user, operation: Operation | None, filters: selectors.DashboardFilters) -> Table:
    counts = selectors.interceptions_for(user, operation=operation, filters=filters)
    cells: dict[tuple, dict] = {}
    for period, kind, route, authority, nationality, province, sex, age, n in (
        counts.order_by()
        .values_list("period", "kind", "route", "authority", "nationality", "province__pcode", "sex", "age_group")
        .annotate(n=Sum("individuals"))
    ):
        key = (period, kind, route, authority, nationality, province or "")
        row = cells.setdefault(
            key,
            {
                "month": period.strftime("%Y-%m"),
                "kind": kind,
                "route": route,
                "authority": authority,
                "nationality": nationality,
                "province_pcode": province or "",
                "individuals": 0,
            },
        )
        row[f"{sex.lower()}_{age}"] = row.get(f"{sex.lower()}_{age}", 0) + n
        row["individuals"] += n
    names = _names(key[5] for key in cells if key[5])
    rows = [
        {**row, "province": names.get(row["province_pcode"], ""), **{n: row.get(n, 0) for n in SEX_AGE_FIELDS}}
        for _key, row in sorted(cells.items(), key=lambda item: tuple(str(part) for part in item[0]))
    ]
    columns = [
        Column("month", _("Month"), "#date+month"),
        Column("kind", _("Apprehension or rescue"), "#event+type"),
        Column("route", _("Route"), "#loc+route"),
        Column("authority", _("Authority"), "#org+authority"),
        Column("nationality", _("Nationality"), "#country+code+origin"),
        *_area_columns("adm1"),
        Column("individuals", _("Individuals"), "#affected+ind", is_count=True),
        *_sex_age_columns(),
    ]
    return apply_min_cell(Table("interceptions", columns, rows, measures=["individuals"]))


def hxl_attribute(name: str) -> str:
    attribute = _HXL_ATTRIBUTE.sub("_", name.lower()).strip("_")
    return attribute if attribute and attribute[0].isalpha() else f"q_{attribute}"


def dataset_table(user, form: Form, *, by: list[str], k: int | None = None) -> Table:
    """A dataset of individual-level submissions, as counts by province, month and the chosen questions.

    Never a row per person; cells of fewer than k people are hidden (`apply_min_cell`).
    """
    k = min_cell() if k is None else k
    records = selectors.dataset_records_for(user, form)
    cells: dict[tuple, int] = defaultdict(int)
    if by:
        # Grouping by answers happens in Python: the answers are JSON, and the dataset is one form's.
        for province, month, values in records.annotate(m=TruncMonth("collected_on")).values_list(
            "province__pcode", "m", "values"
        ):
            key = (province or "", month.strftime("%Y-%m") if month else "", *(str(values.get(q) or "") for q in by))
            cells[key] += 1
    else:
        for province, month, n in (
            records.annotate(m=TruncMonth("collected_on"))
            .order_by()
            .values_list("province__pcode", "m")
            .annotate(n=Count("id"))
        ):
            cells[(province or "", month.strftime("%Y-%m") if month else "")] += n
    names = _names(key[0] for key in cells if key[0])
    rows = []
    for key, n in sorted(cells.items()):
        row = {"province_pcode": key[0], "province": names.get(key[0], ""), "month": key[1], "individuals": n}
        row.update({question: value for question, value in zip(by, key[2:], strict=True)})
        rows.append(row)
    columns = [
        *_area_columns("adm1"),
        Column("month", _("Month"), "#date+month"),
        *[Column(question, question, f"#indicator+{hxl_attribute(question)}") for question in by],
        Column("individuals", _("Individuals"), "#affected+ind", is_count=True),
    ]
    return apply_min_cell(Table(f"{form.form_id}", columns, rows, measures=["individuals"]), k)


TABLES: dict[str, Callable] = {
    "sites": sites_table,
    "flows": flows_table,
    "presence": presence_table,
    "interceptions": interceptions_table,
}


# --- writers ----------------------------------------------------------------------------------------------------


def write_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.header for column in table.columns])
    writer.writerow([column.hxl for column in table.columns])
    for row in table.rows:
        writer.writerow([neutralise(_cell(row.get(column.key))) for column in table.columns])
    return out.getvalue().encode("utf-8")


def _cell(value):
    return "" if value is None else value


def write_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.name[:31] or "data")
    sheet.append([column.header for column in table.columns])
    sheet.append([column.hxl for column in table.columns])
    for row in table.rows:
        sheet.append([neutralise(row.get(column.key)) for column in table.columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_geojson(table: Table) -> bytes:
    features = []
    if table.geometry == "point":
        for row in table.rows:
            if row.get("lat") is None or row.get("lon") is None:
                continue
            properties = {
                column.key: row.get(column.key) for column in table.columns if column.key not in ("lat", "lon")
            }
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                    "properties": properties,
                }
            )
    else:
        only_month = table.geometry.split("@", 1)[1] if "@" in table.geometry else None
        totals = table.province_totals if table.province_totals is not None else _province_totals(table, 0)
        for area in AdminArea.objects.filter(pcode__in=totals.keys()).only("pcode", "name_tr", "geometry"):
            properties = {"province_pcode": area.pcode, "province": area.name_tr, **totals[area.pcode]}
            if only_month:
                properties["month"] = only_month
            features.append({"type": "Feature", "geometry": area.geometry, "properties": properties})
    document = {"type": "FeatureCollection", "name": table.name, "features": features}
    return json.dumps(document, ensure_ascii=False, default=str).encode("utf-8")


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "geojson": write_geojson}
