"""Kobo and ODK exports of a form's submissions, imported through core's staging and commit.

An export's columns are the form's own questions (`group/field`, or ODK Central's `group-field`) plus the
exporting server's metadata (`_uuid`, `_submission_time`, `KEY`, `SubmissionDate`…), so each upload is
read with an importer made for its form (`FieldDataImporter.for_form`); columns that are neither (Kobo's
per-option columns of a select_multiple, its `_latitude` helpers) are left out with a notice. Kobo's JSON
(a list, or the API's `{"results": […]}`) is read as a table whose repeats are JSON cells.

Committing writes each row as a submission (`source="import"`), through the same path as an OpenRosa
POST: the same instanceID is never stored twice, and each one becomes its form's record or waits for
review with the reason. The staging report already lists, as warnings, what will wait for review.
"""

from __future__ import annotations

import datetime
import json
import xml.etree.ElementTree as ET  # noqa: S405  (only builds documents; nothing is parsed with it)
from collections.abc import Sequence
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.core import staging
from liman.core.models import ImportBatch, User
from liman.core.staging import Column, Problem, StagedValues
from liman.core.tabular import Limits, Table, TableError, read_table

from . import services, targets
from .choices import FIELD_DATA_EDITORS, FormTarget
from .models import Form, FormVersion, Submission

#: Export metadata columns: where each server keeps the instance ID, the submission time and the version.
INSTANCE_ID_COLUMNS = ("meta/instanceid", "_uuid", "instanceid", "key", "__id")
SUBMITTED_AT_COLUMNS = ("_submission_time", "submissiondate", "__system/submissiondate")
VERSION_COLUMNS = ("formversion", "__version__", "__system/formversion")
DEPRECATED_ID_COLUMNS = ("meta/deprecatedid",)
META_COLUMNS = {
    *INSTANCE_ID_COLUMNS,
    *SUBMITTED_AT_COLUMNS,
    *VERSION_COLUMNS,
    *DEPRECATED_ID_COLUMNS,
    "_id",
    "_index",
    "_status",
    "_submitted_by",
    "_validation_status",
    "_notes",
    "_tags",
    "_attachments",
    "_geolocation",
    "_xform_id_string",
    "formhub/uuid",
    "meta/rootuuid",
    "meta/instancename",
    "submitterid",
    "submittername",
    "attachmentspresent",
    "attachmentsexpected",
    "status",
    "reviewstate",
    "deviceid",
    "edits",
}


def _lower(path: str) -> str:
    return path.strip().lower()


class FieldDataImporter(staging.Importer):
    """A Kobo or ODK export (CSV, XLSX or Kobo JSON) of one form's submissions."""

    kind = "field_submissions"
    label = gettext_lazy("Field data: a Kobo or ODK export of a form's submissions")
    roles = FIELD_DATA_EDITORS
    columns: ClassVar[tuple[Column, ...]] = (
        Column("_uuid", required=False, help=gettext_lazy("The instance ID (Kobo); or meta/instanceID, KEY.")),
        Column("_submission_time", required=False, help=gettext_lazy("When the server received it.")),
    )
    created_labels: ClassVar[dict] = {
        "submissions": gettext_lazy("Submissions stored"),
        "processed": gettext_lazy("Turned into records"),
        "review": gettext_lazy("Waiting for review"),
        "received": gettext_lazy("Kept (the form is not bound yet)"),
        "skipped": gettext_lazy("Already in Liman, left as they were"),
    }
    #: Set on the importer made for one upload: the form, and the real question path of each column.
    form: ClassVar[Form | None] = None
    paths: ClassVar[dict[str, str]] = {}

    @classmethod
    def for_form(cls, form: Form, header: list[str]) -> type[FieldDataImporter]:
        """The importer of one upload: its columns are those of `header` that the form (or the export) knows."""
        known = _known_paths(form)
        paths: dict[str, str] = {}
        for name in header:
            key = _lower(name)
            path = known.get(key) or known.get(key.replace("-", "/"))
            if path is not None:
                paths[key] = path
            elif key in META_COLUMNS or key.replace("-", "/") in META_COLUMNS:
                paths[key] = key.replace("-", "/")
        columns = tuple(Column(name, required=False) for name in paths)
        return type(f"FieldDataImporter_{form.pk}", (cls,), {"form": form, "paths": paths, "columns": columns})

    # --- staging: one row ---------------------------------------------------------------------------------

    def clean_row(self, raw: dict[str, str]) -> tuple[dict[str, Any], list[Problem]]:
        form = self.form
        problems: list[Problem] = []
        by_path = {self.paths.get(column, column): value for column, value in raw.items()}
        meta = {path.lower(): value for path, value in by_path.items()}
        instance_id = next((meta[c] for c in INSTANCE_ID_COLUMNS if meta.get(c, "").strip()), "").strip()
        if not instance_id:
            problems.append(Problem("", _("No instance ID: the row needs _uuid, meta/instanceID or KEY.")))
        elif not instance_id.startswith("uuid:"):
            instance_id = f"uuid:{instance_id}"
        submitted_at = next((meta[c] for c in SUBMITTED_AT_COLUMNS if meta.get(c, "").strip()), "")
        received_at = _parse_time(submitted_at)
        if submitted_at and received_at is None:
            problems.append(
                Problem(
                    "_submission_time",
                    _("%(value)s is not a date and time; the import time is used.") % {"value": submitted_at},
                    blocking=False,
                )
            )
        versions = {version.version: version for version in form.versions.all()}
        stated = next((meta[c] for c in VERSION_COLUMNS if meta.get(c, "") in versions), "")
        version = versions.get(stated) or form.versions.first()
        answers, answer_problems = _answers(by_path, version)
        problems += answer_problems
        values = {
            "form": form.pk,
            "version": version.version,
            "instance_id": instance_id,
            "deprecated_id": next((meta[c] for c in DEPRECATED_ID_COLUMNS if meta.get(c)), ""),
            "submitted_at": received_at.isoformat() if received_at else "",
            "answers": answers,
        }
        if not any(problem.blocking for problem in problems) and form.target != FormTarget.NONE:
            for problem in self._review_problems(form, answers):
                message = _("Will wait for review: %(problem)s") % {"problem": problem}
                problems.append(Problem(problem.path or problem.key, message, blocking=False))
        return values, problems

    def _review_problems(self, form: Form, answers: dict) -> list[targets.Problem]:
        """What would send the row to the review list: the target's checks, and places that are not known."""
        extracted = targets.extract(form.target, form.field_mapping, answers)
        problems = list(extracted.problems)
        for spec in targets.fields_for(form.target):
            value = extracted.values.get(spec.key)
            if spec.kind == "area" and value and not self._is_area(value, spec.key):
                kind = _("district") if spec.key == "district" else _("province")
                message = _("%(text)s is not a known %(kind)s (give its p-code or name)") % {
                    "text": repr(value),
                    "kind": kind,
                }
                problems.append(targets.Problem(spec.key, form.field_mapping.get(spec.key, ""), message))
        return problems

    def _is_area(self, text: str, key: str) -> bool:
        from liman.core.models import AdminArea

        level = AdminArea.Level.DISTRICT if key == "district" else AdminArea.Level.PROVINCE
        known = self.__dict__.setdefault("_areas", {})
        if (text, level) not in known:
            try:
                AdminArea.objects.resolve(text, level=level)
            except (AdminArea.DoesNotExist, AdminArea.MultipleObjectsReturned):
                known[(text, level)] = False
            else:
                known[(text, level)] = True
        return known[(text, level)]

    # --- staging: across rows, and against what is stored -------------------------------------------------

    def check_batch(self, rows: Sequence[StagedValues]) -> list[Problem]:
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        for row in rows:
            instance_id = row.values.get("instance_id")
            if not instance_id:
                continue
            if instance_id in seen:
                problems.append(
                    Problem(
                        "",
                        _("The same instance as row %(row)d: it is imported once.") % {"row": seen[instance_id]},
                        blocking=False,
                        row=row.row,
                    )
                )
            else:
                seen[instance_id] = row.row
        form_pk = next((row.values.get("form") for row in rows), None)
        ids = list(seen)
        stored: set[str] = set()
        for start in range(0, len(ids), 500):
            stored |= set(
                Submission.objects.filter(form_id=form_pk, instance_id__in=ids[start : start + 500]).values_list(
                    "instance_id", flat=True
                )
            )
        for instance_id in sorted(stored, key=seen.get):
            problems.append(
                Problem(
                    "",
                    _("Already in Liman (%(id)s): left as it is.") % {"id": instance_id},
                    blocking=False,
                    row=seen[instance_id],
                )
            )
        return problems

    # --- commit -----------------------------------------------------------------------------------------------

    def commit(self, rows: Sequence[StagedValues], batch: ImportBatch, by: User | None) -> dict[str, int]:
        counts = dict.fromkeys(("submissions", "processed", "review", "received", "skipped"), 0)
        forms: dict[int, Form] = {}
        done: set[str] = set()
        for row in rows:
            values = row.values
            form = forms.get(values["form"]) or forms.setdefault(
                values["form"], Form.objects.select_related("office").get(pk=values["form"], office=self.office)
            )
            if values["instance_id"] in done:
                continue
            done.add(values["instance_id"])
            receipt = services.submission_receive(
                office=self.office,
                xml=instance_xml(
                    form.form_id,
                    values["version"],
                    values["instance_id"],
                    values["answers"],
                    deprecated_id=values.get("deprecated_id", ""),
                ),
                by=by,
                source="import",
                received_at=datetime.datetime.fromisoformat(values["submitted_at"]) if values["submitted_at"] else None,
                accept_closed=True,
                existing_is_skipped=True,
            )
            if receipt.outcome == "duplicate":
                counts["skipped"] += 1
                continue
            counts["submissions"] += 1
            counts[receipt.submission.state] = counts.get(receipt.submission.state, 0) + 1
        return {name: count for name, count in counts.items() if count or name == "submissions"}


staging.register(FieldDataImporter)


def _known_paths(form: Form) -> dict[str, str]:
    """Every question path of every version of the form (lower-cased → as written), repeats included."""
    known: dict[str, str] = {}
    for fields in form.versions.values_list("fields", flat=True):
        for entry in fields:
            known.setdefault(_lower(entry["path"]), entry["path"])
    return known


def _parse_time(text: str) -> datetime.datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, datetime.UTC)


def _answers(by_path: dict[str, str], version: FormVersion) -> tuple[dict, list[Problem]]:
    """The answers as the submission XML nests them: groups as dicts, repeats (JSON cells) as lists of dicts."""
    repeats = version.repeat_paths
    fields = {entry["path"]: entry for entry in version.fields}
    answers: dict = {}
    problems: list[Problem] = []
    for path, value in by_path.items():
        if path.lower() in META_COLUMNS or path not in fields:
            continue
        if path in repeats:
            items = _repeat_items(path, value, problems)
            if items:
                _put(answers, path, items)
            continue
        if value == "":
            continue
        _put(answers, path, value)
    return answers, problems


def _repeat_items(path: str, cell: str, problems: list[Problem]) -> list[dict]:
    """Kobo writes a repeat as an array of objects whose keys are full paths (`need/sector`)."""
    if not cell.strip():
        return []
    try:
        items = json.loads(cell)
    except ValueError:
        problems.append(Problem(path, _("A repeat must be a JSON array of objects, as Kobo's JSON export has it.")))
        return []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        problems.append(Problem(path, _("A repeat must be a JSON array of objects, as Kobo's JSON export has it.")))
        return []
    entries = []
    for item in items:
        entry: dict = {}
        for key, value in item.items():
            relative = key[len(path) + 1 :] if key.startswith(f"{path}/") else key
            _put(entry, relative, value if isinstance(value, list | dict) else str(value))
        entries.append(entry)
    return entries


def _put(target: dict, path: str, value) -> None:
    *groups, name = path.split("/")
    for group in groups:
        target = target.setdefault(group, {})
        if not isinstance(target, dict):
            return
    target[name] = value


def instance_xml(form_id: str, version: str, instance_id: str, answers: dict, *, deprecated_id: str = "") -> bytes:
    """The submission as Collect would have sent it (the form's root, id and version, meta/instanceID)."""
    root = ET.Element("data", id=form_id, version=version)

    def add(parent: ET.Element, data: dict) -> None:
        for name, value in data.items():
            if name == "meta":
                continue
            for item in value if isinstance(value, list) else [value]:
                element = ET.SubElement(parent, name)
                if isinstance(item, dict):
                    add(element, item)
                elif item is not None:
                    element.text = str(item)

    add(root, answers)
    meta = ET.SubElement(root, "meta")
    ET.SubElement(meta, "instanceID").text = instance_id
    if deprecated_id:
        ET.SubElement(meta, "deprecatedID").text = deprecated_id
    return b"<?xml version='1.0' ?>" + ET.tostring(root, encoding="utf-8", xml_declaration=False)


# --- reading an export ----------------------------------------------------------------------------------------


def read_export(stream, file_name: str, *, sheet: str | None = None) -> Table:
    """A Kobo or ODK export as a table: CSV and XLSX (the sheet named, or its only sheet of data) through core's
    reader, Kobo JSON made into one."""
    if file_name.lower().endswith(".json"):
        return _json_table(stream, file_name)
    return read_table(stream, file_name, limits=Limits.from_settings(), sheet=sheet)


def _json_table(stream, file_name: str) -> Table:
    limits = Limits.from_settings()
    content = stream.read()
    if len(content) > limits.max_bytes:
        raise TableError(_("The file is larger than the import limit; split the export."))
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise TableError(_("The file is not JSON (%(error)s).") % {"error": exc}) from exc
    records = document.get("results", document.get("value")) if isinstance(document, dict) else document
    if not isinstance(records, list) or not all(isinstance(record, dict) for record in records):
        raise TableError(_("Expected a list of submissions (Kobo's export, or its API's {\"results\": [...]})."))
    if len(records) > limits.max_rows:
        raise TableError(_("The file has more than %(rows)d submissions; split it.") % {"rows": limits.max_rows})
    flat = [_flatten(record) for record in records]
    header: list[str] = list(dict.fromkeys(key for record in flat for key in record))

    def rows():
        for number, record in enumerate(flat, start=2):
            yield number, [record.get(key, "") for key in header]

    return Table("json", "utf-8", header, rows(), len(content), estimated_rows=len(flat))


def _flatten(record: dict, prefix: str = "") -> dict[str, str]:
    """Nested objects (ODK Central's groups) become `group/field`; arrays (Kobo's repeats) stay JSON cells."""
    flat: dict[str, str] = {}
    for key, value in record.items():
        if "@odata" in key:
            continue
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value.get("type") == "Point" and "coordinates" in value:
            lon, lat, *rest = value["coordinates"] + [None]
            accuracy = (value.get("properties") or {}).get("accuracy", "")
            flat[path] = " ".join(str(part) for part in (lat, lon, rest[0] or 0, accuracy or 0))
        elif isinstance(value, dict):
            flat.update(_flatten(value, f"{path}/"))
        elif isinstance(value, list):
            flat[path] = json.dumps(value, ensure_ascii=False)
        else:
            flat[path] = "" if value is None else str(value)
    return flat


def stage_export(*, form: Form, stream, file_name: str, by: User | None, sheet: str | None = None) -> ImportBatch:
    """Stage an export of `form`'s submissions; the batch is then committed or discarded as any import.

    Raises `staging.ImportRefused` when the file cannot be taken (not CSV/XLSX/JSON, no row, no column the
    form knows).
    """
    try:
        table = read_export(stream, file_name, sheet=sheet)
    except TableError as exc:
        raise staging.ImportRefused(str(exc)) from exc
    importer_class = FieldDataImporter.for_form(form, table.header)
    if not staging.may_import(by, importer_class, form.office):
        raise PermissionDenied
    if not any(_lower(name) in importer_class.paths for name in table.header if _lower(name) not in META_COLUMNS):
        raise staging.ImportRefused(
            _("None of the file's columns is a question of the form %(form)s: is it the export of another form?")
            % {"form": form.form_id}
        )
    ignored = [name for name in table.header if _lower(name) not in importer_class.paths]
    table = _only_columns(table, importer_class)
    if ignored:
        table.notices.append(
            _("Columns left out (neither a question of the form nor export metadata): %(columns)s.")
            % {"columns": ", ".join(ignored[:30]) + (" …" if len(ignored) > 30 else "")}
        )
    return staging.stage_table(  # an importer class made for this upload
        importer_class(office=form.office),
        table,
        file_name=file_name,
        by=by,
        limits=Limits.from_settings(),
        reporter=None,
    )


def _only_columns(table: Table, importer_class: type[FieldDataImporter]) -> Table:
    keep = [index for index, name in enumerate(table.header) if _lower(name) in importer_class.paths]
    header = [_lower(table.header[index]) for index in keep]

    def rows():
        for number, cells in table.rows:
            yield number, [cells[index] if index < len(cells) else "" for index in keep]

    return Table(table.format, table.encoding, header, rows(), table.size, table.estimated_rows, list(table.notices))
