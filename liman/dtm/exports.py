"""A form's submissions as KoboToolbox exports them: one main table, and one table per repeat group.

Each row of a repeat's table is one entry of the repeat (a household member, a need): `_index` numbers the
rows of each table, `_parent_index` points to the row of the table it belongs to (`_parent_table_name`: the
main table, or the repeat it is nested in), and `_submission__uuid` to the submission. The main table has
one row per submission: every question outside repeats, then its metadata (`_id`, `_uuid`,
`_submission_time`, `_status`, `_submitted_by`, `__version__`). Questions are headed by their path
(`group/question`), as Kobo names them and as `importers.py` reads them back.

Every table has a second header row of HXL hashtags: the XLSForm's own (its `hxl` column) where a question
has one, `#indicator+<name>` otherwise. CSV: one file per table, in a ZIP when the form has repeats;
XLSX: one sheet per table. Text that a spreadsheet would run as a formula is neutralised, as in every export.
Answers that count people (`individuals`, `households`, the sex and age cells, or any question tagged with an
HXL people count) follow the minimum cell of every publication (`publishing.apply_min_cell`).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .choices import SEX_AGE_FIELDS
from .instance import get_path
from .models import Form
from .publishing import (
    PEOPLE_COUNT_QUESTIONS,
    PEOPLE_COUNT_TAGS,
    Column,
    Table,
    apply_min_cell,
    hxl_attribute,
    neutralise,
    sex_age_hxl,
    write_csv,
)

#: The main table's metadata columns, named as Kobo names them.
MAIN_META = (
    ("_id", "#meta+id"),
    ("_uuid", "#meta+uuid"),
    ("_submission_time", "#date+submitted"),
    ("_status", "#status"),
    ("_submitted_by", "#meta+enumerator"),
    ("__version__", "#meta+version"),
    ("_index", "#meta+index"),
)
#: The columns that tie a repeat's row to its parent row and its submission.
REPEAT_META = (
    ("_index", "#meta+index"),
    ("_parent_table_name", "#meta+parent+table"),
    ("_parent_index", "#meta+parent+index"),
    ("_submission__id", "#meta+id"),
    ("_submission__uuid", "#meta+uuid"),
)


@dataclass
class ExportTable:
    """One table of the export: the main one (`path` "") or one repeat's."""

    name: str
    path: str
    parent: ExportTable | None
    questions: list[dict]
    rows: list[dict] = field(default_factory=list)

    @property
    def columns(self) -> list[Column]:
        """The questions, then the metadata, in Kobo's order."""
        questions = [question_column(q, self.questions) for q in self.questions]
        meta = [Column(key, key, tag) for key, tag in (REPEAT_META if self.path else MAIN_META)]
        return [*questions, *meta]

    def as_table(self) -> Table:
        return Table(self.name, self.columns, self.rows, geometry="point")


def question_column(question: dict, siblings: list[dict]) -> Column:
    """A question's column; a count of people is tagged as one (its sex and age cells as parts of the total)."""
    name, tag = question["name"], question.get("hxl") or ""
    if question["type"] in ("int", "integer", "decimal"):
        if name in SEX_AGE_FIELDS:
            total = next((q["path"] for q in siblings if q["name"] == "individuals"), "individuals")
            return Column(question["path"], question["path"], tag or sex_age_hxl(name), is_count=True, part_of=total)
        if name in PEOPLE_COUNT_QUESTIONS:
            return Column(question["path"], question["path"], tag or PEOPLE_COUNT_QUESTIONS[name], is_count=True)
        if tag.startswith(PEOPLE_COUNT_TAGS):
            return Column(question["path"], question["path"], tag, is_count=True)
    return Column(question["path"], question["path"], tag or f"#indicator+{hxl_attribute(name)}")


def form_fields(form: Form) -> list[dict]:
    """The questions and repeats of every version of the form, the newest version's order first."""
    fields: dict[str, dict] = {}
    for version_fields in form.versions.values_list("fields", flat=True):  # newest first
        for entry in version_fields:
            fields.setdefault(entry["path"], entry)
    return [entry for entry in fields.values() if not entry["path"].startswith("meta/")]


def _unique_name(name: str, taken: set[str]) -> str:
    candidate, n = name[:31], 1
    while candidate in taken:
        n += 1
        suffix = f"_{n}"
        candidate = f"{name[: 31 - len(suffix)]}{suffix}"
    taken.add(candidate)
    return candidate


def tables_for(form: Form, fields: list[dict]) -> list[ExportTable]:
    """The empty tables of an export: the main one, then one per repeat in form order."""
    taken: set[str] = set()
    main = ExportTable(_unique_name(form.form_id, taken), "", None, [])
    by_path = {"": main}
    tables = [main]
    for entry in fields:
        if entry["type"] == "repeat":
            table = ExportTable(_unique_name(entry["name"], taken), entry["path"], by_path[entry.get("repeat", "")], [])
            by_path[entry["path"]] = table
            tables.append(table)
    for entry in fields:
        if entry["type"] != "repeat" and entry.get("repeat", "") in by_path:
            by_path[entry.get("repeat", "")].questions.append(entry)
    return tables


_NUMBER_TYPES = {"int": int, "integer": int, "decimal": float}


def _cell(value, kind: str = ""):
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ""  # a group where a question was expected: its answers have their own columns
    if kind in _NUMBER_TYPES and isinstance(value, str):
        # Numbers stay numbers (a spreadsheet sums them, and "-3" is not taken for a formula).
        try:
            return _NUMBER_TYPES[kind](value)
        except ValueError:
            return value
    return value


def _relative(path: str, table: ExportTable) -> str:
    return path[len(table.path) + 1 :] if table.path else path


def _items(node: dict, path: str) -> list[dict]:
    items = get_path(node, path)
    if isinstance(items, dict):  # a repeat answered once, read without the form's repeats
        return [items]
    return [item if isinstance(item, dict) else {} for item in items or []]


def fill(tables: list[ExportTable], submissions) -> None:
    """Add the rows of each submission: `(id, instance_id, received_at, state, version, submitted_by, answers)`."""
    main = tables[0]
    children: dict[str, list[ExportTable]] = {}
    for table in tables[1:]:
        children.setdefault(table.parent.path, []).append(table)

    def add_repeats(node: dict, table: ExportTable, index: int, submission_id: int, instance_id: str) -> None:
        for child in children.get(table.path, []):
            for item in _items(node, _relative(child.path, table)):
                row = {
                    q["path"]: _cell(get_path(item, _relative(q["path"], child)), q["type"]) for q in child.questions
                }
                row.update(
                    _index=len(child.rows) + 1,
                    _parent_table_name=table.name,
                    _parent_index=index,
                    _submission__id=submission_id,
                    _submission__uuid=instance_id,
                )
                child.rows.append(row)
                add_repeats(item, child, row["_index"], submission_id, instance_id)

    for submission_id, instance_id, received_at, state, version, submitted_by, answers in submissions:
        answers = answers or {}
        row = {q["path"]: _cell(get_path(answers, q["path"]), q["type"]) for q in main.questions}
        row.update(
            _id=submission_id,
            _uuid=instance_id,
            _submission_time=received_at.isoformat(),
            __version__=version,
            _status=state,
            _submitted_by=submitted_by or "",
            _index=len(main.rows) + 1,
        )
        main.rows.append(row)
        add_repeats(answers, main, row["_index"], submission_id, instance_id)


def export_tables(form: Form, submissions) -> list[ExportTable]:
    tables = tables_for(form, form_fields(form))
    fill(tables, submissions)
    for table in tables:
        table.rows = apply_min_cell(table.as_table()).rows
    return tables


# --- writers ----------------------------------------------------------------------------------------------------


def file_name(form: Form, table: ExportTable) -> str:
    return f"{form.form_id}.csv" if not table.path else f"{form.form_id}-{table.name}.csv"


def write_zip(form: Form, tables: list[ExportTable]) -> bytes:
    """One HXL-tagged CSV per table, in a ZIP."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            archive.writestr(file_name(form, table), write_csv(table.as_table()))
    return out.getvalue()


def write_xlsx(tables: list[ExportTable]) -> bytes:
    """One sheet per table, each with its header row and its row of HXL hashtags."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for table in tables:
        sheet = workbook.create_sheet(title=table.name)
        columns = table.columns
        sheet.append([column.header for column in columns])
        sheet.append([column.hxl for column in columns])
        for row in table.rows:
            sheet.append([neutralise(row.get(column.key)) for column in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def describe(tables: list[ExportTable]) -> str:
    return ", ".join(_("%(table)s: %(rows)s rows") % {"table": table.name, "rows": len(table.rows)} for table in tables)
