"""Published tables of DTM / MPM data: HXL-tagged CSV, XLSX and GeoJSON.

Each table has a header row and a row of HXL hashtags (https://hxlstandard.org), the way HDX and
ActivityInfo users read them. Text cells that a spreadsheet would run as a formula are neutralised.
Individual-level datasets are published only as counts, and never a cell of fewer than k people
(`LIMAN_DTM_MIN_CELL`, default 11, as the CTDC standard does for trafficking data).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

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
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_HXL_ATTRIBUTE = re.compile(r"[^a-z0-9_]+")


def min_cell() -> int:
    return int(getattr(settings, "LIMAN_DTM_MIN_CELL", 11))


@dataclass
class Column:
    key: str
    header: str
    hxl: str


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


def neutralise(value):
    """A text cell starting like a formula is prefixed with an apostrophe (CSV/XLSX injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def suppress_small_cells(rows: list[dict], *, count: str, k: int) -> tuple[list[dict], int]:
    """Drop every cell counting fewer than k people; returns the rows kept and how many were dropped."""
    kept = [row for row in rows if (row.get(count) or 0) >= k]
    return kept, len(rows) - len(kept)


def _sex_age_columns(prefix: str = "affected") -> list[Column]:
    labels = {"f": _("Females"), "m": _("Males")}
    return [
        Column(name, f"{labels[name[0]]} {AgeGroup(name[2:]).label}", f"#{prefix}+{name[0]}+{HXL_AGE[name[2:]]}")
        for name in SEX_AGE_FIELDS
    ]


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
        Column("households", _("Households"), "#affected+hh"),
        Column("individuals", _("Individuals"), "#affected+ind"),
        *_sex_age_columns(),
        Column("needs", _("Needs by sector (sector:severity, by rank)"), "#sector+needs"),
    ]
    return Table("sites", columns, rows, geometry="point", measures=["households", "individuals"])


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
        Column("individuals", _("Individuals"), "#affected+ind"),
        *_sex_age_columns(),
    ]
    return Table("flows", columns, rows, measures=["individuals"])


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
        Column("individuals", _("Individuals present"), "#population+total"),
    ]
    latest = max((row["month"] for row in rows), default="")
    # Presence is a stock: the map shows the latest month only, never a sum over months.
    return Table("presence", columns, rows, measures=["individuals"], geometry=f"province@{latest}")


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
        Column("individuals", _("Individuals"), "#affected+ind"),
        *_sex_age_columns(),
    ]
    return Table("interceptions", columns, rows, measures=["individuals"])


def hxl_attribute(name: str) -> str:
    attribute = _HXL_ATTRIBUTE.sub("_", name.lower()).strip("_")
    return attribute if attribute and attribute[0].isalpha() else f"q_{attribute}"


def dataset_table(user, form: Form, *, by: list[str], k: int | None = None) -> Table:
    """A dataset of individual-level submissions, as counts by province, month and the chosen questions.

    Never a row per person; cells of fewer than k people are left out.
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
    rows, suppressed = suppress_small_cells(rows, count="individuals", k=k)
    columns = [
        *_area_columns("adm1"),
        Column("month", _("Month"), "#date+month"),
        *[Column(question, question, f"#indicator+{hxl_attribute(question)}") for question in by],
        Column("individuals", _("Individuals"), "#affected+ind"),
    ]
    return Table(f"{form.form_id}", columns, rows, measures=["individuals"], suppressed=suppressed)


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
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in table.rows:
            if not row.get("province_pcode") or (only_month and row.get("month") != only_month):
                continue
            for measure in table.measures:
                totals[row["province_pcode"]][measure] += row.get(measure) or 0
        for area in AdminArea.objects.filter(pcode__in=totals.keys()).only("pcode", "name_tr", "geometry"):
            properties = {"province_pcode": area.pcode, "province": area.name_tr, **totals[area.pcode]}
            if only_month:
                properties["month"] = only_month
            features.append({"type": "Feature", "geometry": area.geometry, "properties": properties})
    document = {"type": "FeatureCollection", "name": table.name, "features": features}
    return json.dumps(document, ensure_ascii=False, default=str).encode("utf-8")


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "geojson": write_geojson}
