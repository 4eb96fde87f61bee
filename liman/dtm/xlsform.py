"""XLSForm to XForm with pyxform, and the list of questions an XForm asks (nothing of Django but translations).

A form without a settings sheet, form ID or version still gets them: the ID from the file name, the
version from the caller (a new one per upload). A bad XLSForm raises `XLSFormError` with pyxform's
own message and the spreadsheet row it points to.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

from defusedxml import ElementTree
from django.utils.translation import gettext as _

XFORMS_NS = "http://www.w3.org/2002/xforms"
_ROW = re.compile(r"\[row\s*:\s*(\d+)\]")
_QUOTED = re.compile(r"'([^']+)'")
#: pyxform names the sheet it means: "On the 'choices' sheet, …", "Invalid headers provided for sheet: 'settings'".
_SHEET = re.compile(r"(?:On the '(\w+)' sheet|for sheet: '(\w+)')")
_NOT_NAME = re.compile(r"[^a-z0-9_]+")


class XLSFormError(Exception):
    """A spreadsheet pyxform refused: its message, and the row (and sheet) it concerns when known."""

    def __init__(self, message: str, *, row: int | None = None, sheet: str = "survey"):
        super().__init__(message)
        self.message = message
        self.row = row
        self.sheet = sheet

    def __str__(self) -> str:
        if self.row is None or _ROW.search(self.message):
            return self.message
        return f"[row : {self.row}] {self.message}"


@dataclass
class ConvertedForm:
    form_id: str
    version: str
    title: str
    xml: str
    fields: list[dict]
    warnings: list[str] = field(default_factory=list)
    has_settings_id: bool = False
    has_settings_version: bool = False
    #: The survey sheet's rows as pyxform read them (row N of the sheet is survey[N - 2]): where each question was
    #: written, for messages about it.
    survey: list[dict] = field(default_factory=list)


def form_id_from_file_name(file_name: str) -> str:
    """`DTM Site Assessment (round 3).xlsx` -> `dtm_site_assessment_round_3` (a valid XML name)."""
    stem = PurePath(file_name).stem
    ascii_stem = unicodedata.normalize("NFKD", stem.replace("ı", "i")).encode("ascii", "ignore").decode()
    slug = _NOT_NAME.sub("_", ascii_stem.lower()).strip("_") or "form"
    if not (slug[0].isalpha() or slug[0] == "_"):
        slug = f"form_{slug}"
    return slug[:100]


def title_from_file_name(file_name: str) -> str:
    return PurePath(file_name).stem.replace("_", " ").strip() or "Form"


def _settings_row(definition) -> dict:
    rows = definition.settings or []
    return dict(rows[0]) if rows else {}


def _sheet_of(message: str) -> str:
    """The sheet an error is about, as pyxform names it (the survey sheet when it names none)."""
    match = _SHEET.search(message)
    return (match.group(1) or match.group(2)) if match else "survey"


def _row_of(message: str, definition, sheet: str = "survey") -> int | None:
    """The spreadsheet row an error is about: pyxform's `[row : N]`, else the row of that sheet holding the quoted
    value."""
    match = _ROW.search(message)
    if match:
        return int(match.group(1))
    quoted = _QUOTED.findall(message)
    rows = getattr(definition, sheet, None) if sheet in ("survey", "choices", "external_choices") else None
    for index, row in enumerate(rows or [], start=2):  # row 1 holds the headers
        values = {str(value).strip() for value in row.values() if value is not None}
        if any(value in values for value in quoted):
            return index
    return None


def _file_type(suffix: str) -> str | None:
    return f".{suffix}" if suffix in ("xlsx", "xlsm", "xls", "csv", "md") else None


def convert_xlsform(
    content: bytes,
    *,
    file_name: str,
    new_version: str | Callable[[str], str],
    default_form_id: str | None = None,
    known_title: Callable[[str], str | None] | None = None,
) -> ConvertedForm:
    """Convert an XLSForm (.xlsx bytes).

    When the settings sheet gives no form ID, `default_form_id` or one made from the file name is used;
    when it gives no version, `new_version` (or `new_version(form_id)`) is; when it gives no title, the title the
    form already has (`known_title(form_id)`: a new version keeps its form's title), else one made from the file
    name (a file saved as `upstream.xlsx` must not rename the form "upstream").
    """
    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import get_xlsform
    from pyxform.xls2xform import convert

    suffix = PurePath(file_name).suffix.lower().lstrip(".") or "xlsx"
    try:
        definition = get_xlsform(xlsform=content, file_type=_file_type(suffix))
    except (PyXFormError, ValueError, KeyError, OSError) as exc:
        message = str(exc) or _("The file is not a readable XLSForm (.xlsx).")
        raise XLSFormError(message, row=None, sheet=_sheet_of(message)) from exc
    except Exception as exc:  # openpyxl raises its own zip and XML errors on files that are not spreadsheets
        raise XLSFormError(
            _("The file is not a readable XLSForm (.xlsx): %(error)s") % {"error": exc}, row=None
        ) from exc
    if not definition.survey:
        raise XLSFormError(_("The XLSForm has no 'survey' sheet, or it is empty."), row=None)

    settings = _settings_row(definition)
    form_id = str(settings.get("form_id") or settings.get("id_string") or "").strip()
    version = str(settings.get("version") or "").strip()
    title = str(settings.get("form_title") or "").strip()
    form_id = form_id or default_form_id or form_id_from_file_name(file_name)
    if not version:
        version = new_version(form_id) if callable(new_version) else new_version
    converted_settings = {
        **{key: value for key, value in settings.items() if key not in ("id_string",)},
        "form_id": form_id,
        "version": version,
        "form_title": title or (known_title(form_id) if known_title else None) or title_from_file_name(file_name),
    }
    data = {f.name: getattr(definition, f.name) for f in dataclasses.fields(definition)}
    data["settings"] = [converted_settings]
    data["settings_header"] = [dict.fromkeys(converted_settings)]
    warnings: list[str] = []
    try:
        result = convert(xlsform=data, warnings=warnings)
    except PyXFormError as exc:
        message = str(exc)
        sheet = _sheet_of(message)
        raise XLSFormError(message, row=_row_of(message, definition, sheet), sheet=sheet) from exc
    fields = xform_fields(result.xform)
    hxl = hxl_tags(definition.survey)
    for entry in fields:
        if entry["path"] in hxl:
            entry["hxl"] = hxl[entry["path"]]
    return ConvertedForm(
        form_id=converted_settings["form_id"],
        version=converted_settings["version"],
        title=converted_settings["form_title"],
        xml=result.xform,
        fields=fields,
        warnings=list(warnings),
        has_settings_id=bool(str(settings.get("form_id") or settings.get("id_string") or "").strip()),
        has_settings_version=bool(str(settings.get("version") or "").strip()),
        survey=list(definition.survey or []),
    )


def survey_rows(content: bytes, *, file_name: str) -> list[dict]:
    """The survey sheet's rows of an XLSForm that converted once (a stored version's file); [] if it cannot be
    read again."""
    from pyxform.xls2json_backends import get_xlsform

    suffix = PurePath(file_name).suffix.lower().lstrip(".") or "xlsx"
    try:
        definition = get_xlsform(xlsform=bytes(content), file_type=_file_type(suffix))
    except Exception:  # noqa: BLE001 - the rows only place messages; a form without them is still checked
        return []
    return list(definition.survey or [])


def hxl_tags(survey: list[dict]) -> dict[str, str]:
    """The HXL hashtag of each question that has one in the survey sheet's `hxl` column (as KoboToolbox reads
    it), by question path: `{"population/households": "#affected+hh"}`."""
    tags: dict[str, str] = {}
    groups: list[str] = []
    for row in survey or []:
        kind = " ".join(str(row.get("type") or "").replace("_", " ").split()).lower()
        name = str(row.get("name") or "").strip()
        if kind in ("begin group", "begin repeat"):
            groups.append(name)
            continue
        if kind in ("end group", "end repeat"):
            if groups:
                groups.pop()
            continue
        tag = str(row.get("hxl") or "").strip()
        if name and tag.startswith("#"):
            tags["/".join([*groups, name])] = tag
    return tags


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_CONTROL_TYPES = {
    "input": None,  # the bind type says which
    "select1": "select_one",
    "select": "select_multiple",
    "upload": "binary",
    "trigger": "acknowledge",
    "range": "range",
    "rank": "rank",
}


def xform_fields(xml: str) -> list[dict]:
    """Every question of an XForm, and its repeats, in form order.

    Each entry: `path` relative to the instance root (`site/site_name`, `need/sector`), `name`, `type`
    (`string`, `int`, `decimal`, `date`, `dateTime`, `geopoint`, `select_one`, `select_multiple`,
    `binary`, `repeat`, …), `label`, and `repeat`, the path of the repeat it is in ("" if none).
    """
    root = ElementTree.fromstring(xml.encode())
    model = next(el for el in root.iter() if _local(el.tag) == "model")
    instance = next(el for el in model if _local(el.tag) == "instance" and not el.get("id"))
    data_root = next(iter(instance))
    prefix = f"/{_local(data_root.tag)}/"

    binds = {}
    for bind in model:
        if _local(bind.tag) == "bind" and bind.get("nodeset", "").startswith(prefix):
            binds[bind.get("nodeset")[len(prefix) :]] = bind.get("type", "string")

    labels: dict[str, str] = {}
    controls: dict[str, str] = {}
    repeats: list[str] = []
    body = next((el for el in root.iter() if _local(el.tag) == "body"), None)
    for element in body.iter() if body is not None else []:
        tag = _local(element.tag)
        ref = element.get("ref") or element.get("nodeset") or ""
        if not ref.startswith(prefix):
            continue
        path = ref[len(prefix) :]
        if tag == "repeat":
            repeats.append(path)
        elif tag in _CONTROL_TYPES:
            controls[path] = _CONTROL_TYPES[tag] or ""
        label = next((child for child in element if _local(child.tag) == "label"), None)
        if label is not None and (label.text or "").strip():
            labels.setdefault(path, label.text.strip())

    fields: list[dict] = []
    seen: set[str] = set()

    def visit(element, path: str) -> None:
        for child in element:
            name = _local(child.tag)
            child_path = f"{path}/{name}" if path else name
            if child_path in seen:  # a repeat appears twice in the instance: its template and its first entry
                continue
            seen.add(child_path)
            repeat = next((r for r in sorted(repeats, key=len, reverse=True) if child_path.startswith(f"{r}/")), "")
            if child_path in repeats:
                fields.append(
                    {
                        "path": child_path,
                        "name": name,
                        "type": "repeat",
                        "label": labels.get(child_path, name),
                        "repeat": repeat,
                    }
                )
                visit(child, child_path)
            elif len(child):
                visit(child, child_path)  # a group: its questions carry the group in their path
            else:
                kind = controls.get(child_path) or binds.get(child_path, "string")
                fields.append(
                    {
                        "path": child_path,
                        "name": name,
                        "type": kind,
                        "label": labels.get(child_path, name),
                        "repeat": repeat,
                    }
                )

    visit(data_root, "")
    return fields
