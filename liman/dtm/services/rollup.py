"""The monthly flow rollup (FlowMonthly): what each write of flow counts adds or takes away, applied as upserts
after the write's audit event, checked against the counts and rebuilt from them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from liman.core import audit
from liman.core.choices import AuditAction
from liman.core.models import User

from ..choices import FlowBreakdown
from ..models import FlowCount, FlowMonitoringPoint, FlowMonthly, Submission

#: The columns of a FlowMonthly cell, in the order of its unique index `dtm_flowmonthly_cell`.
_CELL_COLUMNS = (
    "breakdown", "office_id", "operation_id", "round_id", "month", "province_id", "district_id", "nationality", "sex",
    "age_group",
)  # fmt: skip
#: What a flow count contributes to its cells, read with `.values()` (the point gives operation and district).
FLOW_CELL_VALUES = (
    "office_id", "point__operation_id", "round_id", "month", "province_id", "point__district_id", "nationality", "sex",
    "age_group", "individuals",
)  # fmt: skip


def flow_cells(*, office_id, operation_id, round_id, month, province_id, district_id, nationality, sex, age_group):
    """The three FlowMonthly cells (one per breakdown) a flow count adds to."""
    base = (office_id, operation_id, round_id, month, province_id)
    return (
        (FlowBreakdown.NATIONALITY.value, *base, None, nationality, "", ""),
        (FlowBreakdown.DISTRICT.value, *base, district_id, "", "", ""),
        (FlowBreakdown.SEX_AGE.value, *base, None, "", sex, age_group),
    )


class FlowRollupDelta:
    """What a write changes in FlowMonthly: individuals and counts by cell, summed before one upsert.

    The upsert is applied after the write's audit event, in the same transaction: every audited
    transaction holds the audit chain's head row from its first event to its commit, so cells are only
    ever locked by the holder of the head and two writers never wait on each other's cells (no deadlock,
    even against an import that holds the head for its whole commit).
    """

    def __init__(self) -> None:
        self.cells: dict[tuple, list[int]] = {}

    def __bool__(self) -> bool:
        return bool(self.cells)

    def _add(self, cells, individuals: int, sign: int) -> None:
        for cell in cells:
            entry = self.cells.setdefault(cell, [0, 0])
            entry[0] += sign * individuals
            entry[1] += sign

    def add(self, count: FlowCount, *, operation_id: int | None, district_id: int | None, sign: int = 1) -> None:
        cells = flow_cells(
            office_id=count.office_id, operation_id=operation_id, round_id=count.round_id, month=count.month,
            province_id=count.province_id, district_id=district_id, nationality=count.nationality, sex=count.sex,
            age_group=count.age_group,
        )  # fmt: skip
        self._add(cells, count.individuals, sign)

    def add_count(self, values: dict, *, sign: int = 1) -> None:
        """A count read with `.values(*FLOW_CELL_VALUES)`."""
        cells = flow_cells(
            office_id=values["office_id"], operation_id=values["point__operation_id"], round_id=values["round_id"],
            month=values["month"], province_id=values["province_id"], district_id=values["point__district_id"],
            nationality=values["nationality"], sex=values["sex"], age_group=values["age_group"],
        )  # fmt: skip
        self._add(cells, values["individuals"], sign)


def pending_rollup(submission: Submission) -> FlowRollupDelta:
    """The rollup change of what a submission becomes, applied by its service after the submission's audit event."""
    return submission.__dict__.setdefault("_flow_rollup", FlowRollupDelta())


def _cell_order(item) -> tuple:
    # One order for every writer (None first), so concurrent upserts lock cells in the same order.
    return tuple((value is None, value if value is not None else 0) for value in item[0])


def rollup_statements(delta: FlowRollupDelta, *, chunk: int = 500) -> list[tuple[str, list, bool]]:
    """The upserts that add `delta` to FlowMonthly: (SQL, parameters, whether it may empty a cell).

    Portable SQL (SQLite ≥ 3.24, PostgreSQL ≥ 9.5); made before the caller's audit event, so that little
    happens between that event and the commit (the audit chain's head is locked in between).
    """
    changes = [(cell, values) for cell, values in sorted(delta.cells.items(), key=_cell_order) if values != [0, 0]]
    if not changes:
        return []
    ops = connection.ops
    table = ops.quote_name(FlowMonthly._meta.db_table)
    columns = ", ".join(ops.quote_name(name) for name in (*_CELL_COLUMNS, "individuals", "records"))
    target = (
        '"breakdown", "office_id", COALESCE("operation_id", 0), COALESCE("round_id", 0), "month", "province_id", '
        'COALESCE("district_id", 0), "nationality", "sex", "age_group"'
    )
    placeholders = "(" + ", ".join(["%s"] * (len(_CELL_COLUMNS) + 2)) + ")"
    statements = []
    for start in range(0, len(changes), chunk):
        part = changes[start : start + chunk]
        params = []
        for cell, (individuals, records) in part:
            params += [*cell[:4], ops.adapt_datefield_value(cell[4]), *cell[5:], individuals, records]
        empties = any(records < 0 for _cell, (_individuals, records) in part)
        returning = " RETURNING id, records" if empties and connection.features.can_return_rows_from_bulk_insert else ""
        sql = (
            f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(part))} "  # noqa: S608
            f"ON CONFLICT ({target}) DO UPDATE SET individuals = {table}.individuals + excluded.individuals, "
            f"records = {table}.records + excluded.records{returning}"
        )
        statements.append((sql, params, empties))
    return statements


def run_rollup(statements: list[tuple[str, list, bool]]) -> None:
    """Run prepared upserts; cells whose counts were all retired are removed."""
    emptied: list[int] = []
    scan = False
    with connection.cursor() as cursor:
        for sql, params, empties in statements:
            cursor.execute(sql, params)
            if empties and sql.endswith("RETURNING id, records"):
                emptied += [pk for pk, records in cursor.fetchall() if records <= 0]
            elif empties:
                scan = True
    if emptied:
        FlowMonthly.objects.filter(pk__in=emptied).delete()
    if scan:
        FlowMonthly.objects.filter(records__lte=0).delete()


def flow_monthly_apply(*, delta: FlowRollupDelta) -> None:
    """Add a change to FlowMonthly. Call it inside the transaction that wrote the counts, after its audit event
    (see `FlowRollupDelta`)."""
    with transaction.atomic(savepoint=False):
        run_rollup(rollup_statements(delta))


def _flow_cells_from_counts() -> dict[tuple, list[int]]:
    """Every FlowMonthly cell as the flow counts give it (three grouped reads of FlowCount)."""
    cells: dict[tuple, list[int]] = {}
    base = ("office_id", "point__operation_id", "round_id", "month", "province_id")
    counts = FlowCount.objects.order_by()
    for breakdown, extra in (
        (FlowBreakdown.NATIONALITY.value, ("nationality",)),
        (FlowBreakdown.DISTRICT.value, ("point__district_id",)),
        (FlowBreakdown.SEX_AGE.value, ("sex", "age_group")),
    ):
        for row in counts.values_list(*base, *extra).annotate(n=Sum("individuals"), r=Count("id")).iterator():
            office_id, operation_id, round_id, month, province_id = row[:5]
            fields = dict(zip(extra, row[5:-2], strict=True))
            cell = (
                breakdown, office_id, operation_id, round_id, month, province_id, fields.get("point__district_id"),
                fields.get("nationality", ""), fields.get("sex", ""), fields.get("age_group", ""),
            )  # fmt: skip
            cells[cell] = [row[-2], row[-1]]
    return cells


def _flow_cells_stored() -> dict[tuple, list[int]]:
    return {
        tuple(row[:-2]): [row[-2], row[-1]]
        for row in FlowMonthly.objects.order_by().values_list(*_CELL_COLUMNS, "individuals", "records").iterator()
    }


@dataclass
class RollupDifference:
    cell: tuple
    expected: list[int] | None
    stored: list[int] | None

    def __str__(self) -> str:
        names = dict(zip(_CELL_COLUMNS, self.cell, strict=True))
        where = ", ".join(f"{name}={value}" for name, value in names.items() if value not in (None, ""))
        return _("%(cell)s: the counts give %(expected)s, the rollup holds %(stored)s") % {
            "cell": where,
            "expected": self.expected or "—",
            "stored": self.stored or "—",
        }


def flow_monthly_differences() -> list[RollupDifference]:
    """Where FlowMonthly and the flow counts disagree (empty: the rollup is exact)."""
    expected, stored = _flow_cells_from_counts(), _flow_cells_stored()
    return [
        RollupDifference(cell, expected.get(cell), stored.get(cell))
        for cell in sorted(set(expected) | set(stored), key=lambda cell: _cell_order((cell,)))
        if expected.get(cell) != stored.get(cell)
    ]


def flow_monthly_rebuild(*, by: User | None = None) -> int:
    """Compute FlowMonthly again from every flow count (after a bulk load, or to repair it); returns the cells.

    One INSERT … SELECT … GROUP BY per breakdown, inside the database (portable SQL): a million counts take
    seconds, not the minutes that reading them out and writing the cells back would.
    """
    quote = connection.ops.quote_name
    rollup, counts = quote(FlowMonthly._meta.db_table), quote(FlowCount._meta.db_table)
    points = quote(FlowMonitoringPoint._meta.db_table)
    columns = ", ".join(quote(name) for name in (*_CELL_COLUMNS, "individuals", "records"))
    base = "c.office_id, p.operation_id, c.round_id, c.month, c.province_id"
    breakdowns = (
        (FlowBreakdown.NATIONALITY, "NULL, c.nationality, '', ''", "c.nationality"),
        (FlowBreakdown.DISTRICT, "p.district_id, '', '', ''", "p.district_id"),
        (FlowBreakdown.SEX_AGE, "NULL, '', c.sex, c.age_group", "c.sex, c.age_group"),
    )
    with transaction.atomic():
        FlowMonthly.objects.all().delete()
        with connection.cursor() as cursor:
            for breakdown, fields, group in breakdowns:
                cursor.execute(
                    f"INSERT INTO {rollup} ({columns}) "  # noqa: S608  (names from the models, no input)
                    f"SELECT %s, {base}, {fields}, SUM(c.individuals), COUNT(*) "
                    f"FROM {counts} c INNER JOIN {points} p ON p.id = c.point_id GROUP BY {base}, {group}",
                    [breakdown.value],
                )
        cells = FlowMonthly.objects.count()
        audit.record(
            AuditAction.UPDATE,
            actor=by,
            object_type=FlowMonthly._meta.label_lower,
            object_repr=f"rebuilt: {cells} cells",
            changes={"cells": [None, str(cells)]},
        )
    return cells
