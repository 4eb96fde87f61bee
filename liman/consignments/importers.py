"""A partner's distribution report as an XLSX (or CSV) file, through core's staging: one row per sub-district.

Columns: the sub-district's p-code and name, households, people, people by sex × age group (`female_0_4` …
`male_60_plus`), then one column per item the partner received at the handover (its code: `tent`, `nfi-kit`), with
the units distributed there. Each upload is read with an importer made for its consignment
(`DistributionReportImporter.for_consignment`), as field-data exports are read with one made for their form. Every
row is checked with the report's rules (`rules.py`), the rules across rows (one row per sub-district, no more
distributed than received) on the whole file; the commit writes the report through `services.report_submit`, all
or nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.core import staging
from liman.core.models import ImportBatch, User
from liman.core.staging import Column, Problem, StagedValues

from . import rules
from .choices import ConsignmentState, ReportSource
from .permissions import REPORT_ROLES

_WHOLE_NUMBER = re.compile(r"[0-9]+")

BASE_COLUMNS: tuple[Column, ...] = (
    Column(
        "subdistrict_pcode",
        help=gettext_lazy("The sub-district's OCHA p-code: SY and six digits (SY070400 is Jisr-Ash-Shugur)."),
    ),
    Column("subdistrict_name", help=gettext_lazy("The sub-district's name (admin 3).")),
    Column("households", help=gettext_lazy("Households reached in the sub-district; no more than the people.")),
    Column("people", help=gettext_lazy("People reached: the sum of the counts by sex and age group.")),
    *(
        Column(rules.cell_name(sex, age), required=False, help=gettext_lazy("People of this sex and age group."))
        for sex, age in rules.SADD_CELLS
    ),
)


def _count(raw: dict[str, str], column: str, problems: list[Problem], *, required: bool = False) -> int:
    text = (raw.get(column) or "").strip()
    if not text:
        if required:
            problems.append(Problem(column, _("Give a number.")))
        return 0
    if not _WHOLE_NUMBER.fullmatch(text):
        problems.append(Problem(column, _("“%(value)s” is not a whole number.") % {"value": text}))
        return 0
    return int(text)


@staging.register
class DistributionReportImporter(staging.Importer):
    """A partner's distribution report of one consignment, one row per sub-district."""

    kind = "distribution_report"
    label = gettext_lazy("Distribution report of a cross-border consignment")
    roles = REPORT_ROLES
    columns: ClassVar[tuple[Column, ...]] = BASE_COLUMNS
    created_labels: ClassVar[dict] = {
        "subdistricts": gettext_lazy("Sub-districts"),
        "households": gettext_lazy("Households reached"),
        "people": gettext_lazy("People reached"),
    }
    #: Set on the importer made for one consignment: the consignment, and the item code of each item column.
    consignment: ClassVar[Any] = None
    item_columns: ClassVar[dict[str, str]] = {}

    @classmethod
    def for_consignment(cls, consignment) -> type[DistributionReportImporter]:
        """The importer of an upload for `consignment`: the base columns, and one per item received at the handover."""
        from .services import received_by_item

        codes = sorted(received_by_item(consignment))
        item_columns = {code.lower(): code for code in codes}
        columns = BASE_COLUMNS + tuple(
            Column(column, required=False, help=gettext_lazy("Units of this item distributed in the sub-district."))
            for column in item_columns
        )
        return type(
            f"DistributionReportImporter_{consignment.pk}",
            (cls,),
            {"consignment": consignment, "columns": columns, "item_columns": item_columns},
        )

    @classmethod
    def for_batch(cls, batch: ImportBatch, *, columns, values) -> type[staging.Importer]:
        consignment = _consignment_of(values.get("consignment"))
        if consignment is None:
            from .models import ReportUpload

            upload = ReportUpload.objects.select_related("consignment").filter(batch=batch).first()
            consignment = upload.consignment if upload is not None else None
        return cls if consignment is None else cls.for_consignment(consignment)

    # --- one row ------------------------------------------------------------------------------------------------

    def clean_row(self, raw: dict[str, str]) -> tuple[dict[str, Any], list[Problem]]:
        if self.consignment is None:
            return {}, [Problem("", _("A distribution report is uploaded from its consignment's page."))]
        problems: list[Problem] = []
        pcode = (raw.get("subdistrict_pcode") or "").strip().upper()
        name = " ".join((raw.get("subdistrict_name") or "").split())
        for column, message in (
            ("subdistrict_pcode", rules.pcode_problem(pcode)),
            ("subdistrict_name", rules.name_problem(name)),
        ):
            if message:
                problems.append(Problem(column, message))
        households = _count(raw, "households", problems, required=True)
        people = _count(raw, "people", problems, required=True)
        sadd = {(sex, age): _count(raw, rules.cell_name(sex, age), problems) for sex, age in rules.SADD_CELLS}
        if not any(problem.column in ("households", "people") for problem in problems):
            for column, message in rules.line_problems(households=households, people=people, sadd=sadd).items():
                problems.append(Problem(column, message))
        items = {code: _count(raw, column, problems) for column, code in self.item_columns.items()}
        values = {
            "consignment": self.consignment.pk,
            "subdistrict_pcode": pcode,
            "subdistrict_name": name,
            "households": households,
            "people": people,
            "sadd": {rules.cell_name(sex, age): count for (sex, age), count in sadd.items() if count},
            "items": {code: count for code, count in items.items() if count},
        }
        return values, problems

    # --- across rows, and against the consignment ---------------------------------------------------------------

    def check_batch(self, rows: Sequence[StagedValues]) -> list[Problem]:
        from liman.assistance.models import Item

        from .services import received_by_item

        rows = [row for row in rows if row.values.get("consignment")]
        if not rows:
            return []
        consignment = _consignment_of(rows[0].values["consignment"])
        first = rows[0].row
        if consignment is None:
            return [Problem("", _("The consignment of this report is not there any more."), row=first)]
        if consignment.state != ConsignmentState.HANDED_OVER:
            message = _("A distribution is reported after the handover; the consignment is “%(state)s”.")
            return [Problem("", message % {"state": consignment.get_state_display()}, row=first)]
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        for row in rows:
            pcode = row.values.get("subdistrict_pcode", "")
            if pcode and pcode in seen:
                message = _("%(pcode)s is already on row %(other)d: one row per sub-district.")
                problems.append(
                    Problem("subdistrict_pcode", message % {"pcode": pcode, "other": seen[pcode]}, row=row.row)
                )
            seen.setdefault(pcode, row.row)
        received = received_by_item(consignment)
        names = dict(Item.objects.filter(code__in=received).values_list("code", "name"))
        running: dict[str, int] = defaultdict(int)
        for row in rows:
            for code, quantity in row.values.get("items", {}).items():
                before = running[code]
                running[code] += quantity
                if before <= received.get(code, 0) < running[code]:
                    found = rules.distributed_problems({code: running[code]}, received, names)
                    problems.append(Problem(code.lower(), found[code], row=row.row))
        if not any(running.values()):
            problems.append(Problem("", _("Say what was distributed: at least one item."), row=first))
        return problems

    # --- commit -------------------------------------------------------------------------------------------------

    def commit(self, rows: Sequence[StagedValues], batch: ImportBatch, by: User | None) -> dict[str, int]:
        from .services import ReportLineInput, report_submit

        consignment = _consignment_of(rows[0].values["consignment"]) if rows else None
        if consignment is None:
            raise staging.ImportRefused(_("The consignment of this report is not there any more."))
        cells = {rules.cell_name(sex, age): (sex, age) for sex, age in rules.SADD_CELLS}
        lines = [
            ReportLineInput(
                subdistrict_name=row.values["subdistrict_name"],
                subdistrict_pcode=row.values["subdistrict_pcode"],
                households=row.values["households"],
                people=row.values["people"],
                sadd={cells[name]: count for name, count in row.values["sadd"].items()},
                items=dict(row.values["items"]),
            )
            for row in rows
        ]
        try:
            report = report_submit(consignment=consignment, lines=lines, by=by, source=ReportSource.UPLOAD)
        except ValidationError as exc:
            raise staging.ImportRefused(exc.messages) from exc
        return {"subdistricts": len(lines), "households": report.households, "people": report.people}


def _consignment_of(pk):
    from .models import Consignment

    if not pk:
        return None
    return Consignment.objects.select_related("office", "partner").filter(pk=pk).first()
