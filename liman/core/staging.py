"""Imports through staging (docs/architecture.md, "Imports through staging").

A file lands in an `ImportBatch`: every row is read, checked by the importer of its kind and stored as a
`StagedRow` (its cells encrypted, its problems listed). Nothing else is written until the batch is free of
blocking problems and a user commits it; the commit then writes every record in one transaction, or none.
A row with problems may be corrected on the batch's page (`import_row_correct`: the row and the rules across
rows are checked again, the change audited) or left out (`import_row_leave_out`). Batches left uncommitted
longer than LIMAN_STAGING_KEEP_DAYS lose their staged rows (`import_purge`, `liman import purge`).

Each kind of import (people, field data, assistance lists…) subclasses `Importer` and registers it:

    @staging.register
    class PeopleImporter(staging.Importer):
        kind = "people"
        columns = (Column("first_name", help=...), ...)
        def clean_row(self, raw): ...          # one row: (values, problems)
        def check_batch(self, rows): ...       # rules across rows (households, duplicates)
        def commit(self, rows, batch, by): ... # write the records; return counts
        @classmethod
        def for_batch(cls, batch, *, columns, values): ...  # only for an importer class made per upload

Importers are found in the `importers` module of each installed app.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import gc
import json
import secrets
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any, ClassVar

import orjson
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_tasks import task

from . import audit, crypto, dbstats
from .access import has_role
from .bulk import CHUNK_ROWS, insert_many, large_writes
from .choices import AuditAction, Role
from .models import ImportBatch, Office, StagedRow, TaskProgress, User
from .progress import ProgressReporter
from .services import REFERENCE_ALPHABET
from .tabular import Limits, Table, TableError, has_bidi_controls, read_table, strip_bidi_controls
from .workflows import record_state_change, state_set

#: Staged rows written per transaction while a file is checked (the progress is written between them).
STAGE_COMMIT_ROWS = 20000
#: How many blocking problems a refusal message lists before it says "and N more".
LISTED_PROBLEMS = 20


class ImportRefused(Exception):
    """A file or batch that cannot be staged or committed; `messages` say why, each on its own."""

    def __init__(self, messages: str | Sequence[str]):
        self.messages = [messages] if isinstance(messages, str | Promise) else [str(m) for m in messages]
        super().__init__(" ".join(str(m) for m in self.messages))


#: How many allocations (net) start a collection of young objects while an import holds its rows (Python's own: 700).
IMPORT_GC_THRESHOLD = 100_000
_collections_lock = threading.Lock()
_collections_held = 0
_collections_before: tuple[int, ...] = ()


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Let Python's cycle collector run less often while an import reads, checks or writes its rows.

    An import keeps hundreds of thousands of small objects alive (its rows' values), and each collection of the
    oldest generation walks every one of them: with the usual thresholds they took a tenth of an import's time.
    Cycles are still collected, only less often. The thresholds are the process's: they go back to what they were
    when the last import running in the process ends.
    """
    global _collections_held, _collections_before
    with _collections_lock:
        if _collections_held == 0:
            _collections_before = gc.get_threshold()
            gc.set_threshold(max(IMPORT_GC_THRESHOLD, _collections_before[0]), *_collections_before[1:])
        _collections_held += 1
    try:
        yield
    finally:
        with _collections_lock:
            _collections_held -= 1
            if _collections_held == 0:
                gc.set_threshold(*_collections_before)


@dataclass(frozen=True)
class Column:
    """A column of an import template: its name, whether the file must have it, what goes in it."""

    name: str
    required: bool = True
    help: str | Promise = ""
    choices: tuple[str, ...] = ()
    #: Values the registry keeps encrypted (phones, identity numbers): the audit of a correction says that the
    #: cell changed, not from what to what (the staged row, encrypted, keeps both).
    sensitive: bool = False
    #: For a batch option (`Importer.batch_options`): its label on the upload page, and its choices with labels.
    label: str | Promise = ""
    choice_labels: tuple[tuple[str, str | Promise], ...] = ()


@dataclass(frozen=True)
class Problem:
    """Something wrong in a row: in which column (blank: the whole row), what, and whether it blocks the commit."""

    column: str
    message: str
    blocking: bool = True
    row: int = 0
    #: What the importer's commit needs to know of the problem (JSON), kept with it: see `Importer.checked`.
    detail: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        found = {"column": self.column, "message": str(self.message), "blocking": self.blocking}
        if self.detail is not None:
            found["detail"] = self.detail
        return found


@dataclass(frozen=True)
class StagedValues:
    """One row's cleaned values, as the importer's `clean_row` returned them (JSON types only)."""

    row: int
    values: dict[str, Any]


class Importer:
    """One kind of import. Subclasses declare `kind`, `label`, `columns` and `roles`, and implement the checks
    and the commit. An instance serves one batch, so it may keep what it learns across rows."""

    kind: ClassVar[str]
    label: ClassVar[str | Promise]
    columns: ClassVar[tuple[Column, ...]]
    #: Roles that may import this kind into an office.
    roles: ClassVar[frozenset[str]] = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
    #: Templates get the class itself (its kind, label, columns): they must not call it.
    do_not_call_in_templates = True
    #: What `commit` returns counts of, as the report names them.
    created_labels: ClassVar[dict[str, str | Promise]] = {}
    #: What the person importing declares once for the whole file (on the page, or `--name value` on the command
    #: line), e.g. the legal basis of a people import; a column of the same name, where a row fills it, wins.
    batch_options: ClassVar[tuple[Column, ...]] = ()

    def __init__(self, *, office: Office):
        self.office = office
        #: The batch options declared for this batch (name → value), checked against `batch_options`.
        self.declared: dict[str, str] = {}

    def clean_row(self, raw: dict[str, str]) -> tuple[dict[str, Any], list[Problem]]:
        """Check one row (column name → text as given); return its values (JSON types) and problems."""
        raise NotImplementedError

    def check_batch(self, rows: Sequence[StagedValues]) -> list[Problem]:
        """Rules across rows, and against what is already stored; each problem names its row."""
        return []

    def check_state(self) -> Any:
        """What `check_batch` reads of the stored records, summed up (JSON): when it is the same at commit as before
        the batch was last checked, nothing the check depends on has changed, and the commit takes the problems
        found then instead of checking the whole batch again. None (the default): always check again."""
        return None

    def checked(self, problems: Sequence[Problem]) -> None:
        """Before a commit: the problems the rules across rows found, just now or when the batch was last checked
        (see `check_state`). An importer that learns from its checks what its commit needs keeps it here."""

    def commit(self, rows: Sequence[StagedValues], batch: ImportBatch, by: User | None) -> dict[str, int]:
        """Write the records (inside the caller's transaction); return what was created, by name → count."""
        raise NotImplementedError

    @classmethod
    def column_names(cls) -> list[str]:
        return [column.name for column in cls.columns]

    @classmethod
    def for_batch(cls, batch: ImportBatch, *, columns: Sequence[str], values: Mapping[str, Any]) -> type[Importer]:
        """The importer that checks again a row of `batch` after a correction: the registered class itself, unless
        the kind makes a class for each upload (an importer of one form's export builds it again from the staged
        columns, and a row's values, which name the form)."""
        return cls


_IMPORTERS: dict[str, type[Importer]] = {}
_discovered = False


def register(importer: type[Importer]) -> type[Importer]:
    """Make an import kind available to the upload page, the CLI and the template downloads."""
    _IMPORTERS[importer.kind] = importer
    return importer


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("importers")
        _discovered = True


def importer_kinds() -> list[type[Importer]]:
    _discover()
    return sorted(_IMPORTERS.values(), key=lambda importer: importer.kind)


def importer_for(kind: str) -> type[Importer]:
    _discover()
    try:
        return _IMPORTERS[kind]
    except KeyError:
        known = ", ".join(sorted(_IMPORTERS)) or "—"
        raise ImportRefused(
            _("There is no import of kind “%(kind)s”; the kinds are: %(known)s.") % {"kind": kind, "known": known}
        ) from None


def may_import(user: User | None, importer: type[Importer], office: Office) -> bool:
    """Whether `user` may import this kind into `office` (no user: the command line, run by an operator)."""
    return user is None or has_role(user, importer.roles, office=office)


def offices_for_import(user: User, importer: type[Importer]):
    """The offices `user` may import this kind into."""
    if user.is_superuser or any(grant.office_id is None and grant.role in importer.roles for grant in user.grants):
        return Office.objects.filter(is_active=True)
    ids = {grant.office_id for grant in user.grants if grant.role in importer.roles}
    return Office.objects.filter(is_active=True, pk__in=ids)


def _importer(importer_class: type[Importer], batch: ImportBatch) -> Importer:
    """The importer of a staged batch, with what was declared for it at the upload."""
    importer = importer_class(office=batch.office)
    importer.declared = dict(batch.result.get("declared", {}))
    return importer


def checked_declaration(importer_class: type[Importer], declared: Mapping[str, Any] | None) -> dict[str, str]:
    """The batch options declared for an upload, blank ones left out; raises ImportRefused naming a value that is
    not one of the option's choices, or an option the kind does not have."""
    options = {option.name: option for option in importer_class.batch_options}
    found: dict[str, str] = {}
    problems = []
    for name, value in (declared or {}).items():
        text = str(value or "").strip()
        if not text:
            continue
        option = options.get(name)
        if option is None:
            problems.append(
                _("An import of %(kind)s takes no “%(name)s”.") % {"kind": importer_class.label, "name": name}
            )
        elif option.choices and text not in option.choices:
            problems.append(
                _("“%(value)s” is not a %(name)s; choose one of: %(choices)s.")
                % {"value": text, "name": name, "choices": ", ".join(option.choices)}
            )
        else:
            found[name] = text
    if problems:
        raise ImportRefused(problems)
    return found


#: The sheets of an import template that explain it (`import_template_xlsx`): not data, when a workbook is read.
TEMPLATE_HELP_SHEET = gettext_lazy("Help")
TEMPLATE_LISTS_SHEET = "Lists"


def template_note_sheets() -> frozenset[str]:
    """The titles of the template's explanatory sheets, in every language a template may be downloaded in."""
    from django.utils import translation

    titles = {TEMPLATE_LISTS_SHEET}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            titles.add(str(TEMPLATE_HELP_SHEET))
    return frozenset(titles)


def _require_permission(user: User | None, importer: type[Importer], office: Office) -> None:
    if not may_import(user, importer, office):
        raise PermissionDenied(
            _("You may not import %(kind)s into %(office)s.") % {"kind": importer.label, "office": office.code}
        )


# --- reads --------------------------------------------------------------------------------------------------


def waiting_imports(batches):
    """The batches still waiting to be committed: ready, or with problems to correct (neither committed nor
    discarded)."""
    return batches.filter(state__in=[ImportBatch.State.VALID, ImportBatch.State.INVALID])


def import_batches_for(user: User):
    """The import batches of the offices where the user may see them, newest first."""
    return ImportBatch.objects.visible_to(user).select_related("office", "created_by").order_by("-created_at")


def staged_rows_with_problems(batch: ImportBatch):
    """The rows of a batch that have problems, without their (encrypted) cells."""
    return (
        StagedRow.objects.filter(batch=batch)
        .exclude(problems=[])
        .only("row_number", "problems", "is_blocking")
        .order_by("row_number")
    )


def problem_report(batch: ImportBatch) -> Iterable[tuple[int, str, str, bool]]:
    """Every problem of a batch as (row, column, problem, blocks), row by row."""
    for row in staged_rows_with_problems(batch).iterator(chunk_size=CHUNK_ROWS):
        for problem in row.problems:
            yield row.row_number, problem["column"], problem["message"], problem["blocking"]


# --- staging ------------------------------------------------------------------------------------------------


def import_stage(
    *,
    kind: str,
    file: IO[bytes],
    file_name: str,
    office: Office,
    by: User | None,
    reporter: ProgressReporter | None = None,
    sheet: str | None = None,
    declared: Mapping[str, Any] | None = None,
) -> ImportBatch:
    """Read a file, check every row and store the batch and its rows; write nothing else.

    Raises ImportRefused when the file cannot be taken at all (not what its name says, wrong encoding, too
    large, a workbook of several sheets with data and none named, empty, header only, missing or unknown columns);
    then nothing is stored. Otherwise the batch comes back `valid` (ready to commit) or `invalid` (its rows list
    the blocking problems). `sheet` names the sheet of a workbook to read; `declared`, the importer's
    `batch_options` for the whole file.
    """
    importer_class = importer_for(kind)
    _require_permission(by, importer_class, office)
    importer = importer_class(office=office)
    importer.declared = checked_declaration(importer_class, declared)
    limits = Limits.from_settings()
    try:
        table = read_table(file, file_name, limits=limits, sheet=sheet, skip_sheets=template_note_sheets())
    except TableError as exc:
        raise ImportRefused(str(exc)) from exc
    with contextlib.closing(table):
        return stage_table(importer, table, file_name=file_name, by=by, limits=limits, reporter=reporter)


@fewer_collections()
def stage_table(
    importer: Importer,
    table: Table,
    *,
    file_name: str,
    by: User | None,
    limits: Limits,
    reporter: ProgressReporter | None,
) -> ImportBatch:
    columns = _match_header(type(importer), table.header)
    batch = ImportBatch.objects.create(
        office=importer.office,
        kind=importer.kind,
        file_name=PurePath(file_name).name[:255],
        file_size=table.size,
        encoding=table.encoding,
        notices=[str(notice) for notice in table.notices],
        created_by=by,
        rows_key=crypto.DataKey.generate(),
        result={"declared": importer.declared, **({"sheet": table.sheet} if table.sheet else {})},
    )
    try:
        try:
            _stage_rows(batch, importer, table, columns, limits, reporter)
        except TableError as exc:  # found while reading on: a row that is not CSV, too many rows
            raise ImportRefused(str(exc)) from exc
    except BaseException:
        with contextlib.suppress(DatabaseError):
            batch.delete()  # a file refused half-way leaves nothing behind
        raise
    return batch


def _match_header(importer: type[Importer], header: list[str]) -> list[str]:
    """The column name at each position of the header; raises ImportRefused listing every header problem."""
    names = [cell.strip().lower() for cell in header]
    while names and names[-1] == "":
        names.pop()
    if not names:
        raise ImportRefused(
            _("The first row is blank: it must hold the column names (%(columns)s).")
            % {"columns": ", ".join(importer.column_names())}
        )
    known = {column.name for column in importer.columns}
    problems = []
    for position, name in enumerate(names, start=1):
        if name == "":
            problems.append(_("Column %(position)d has no name in the first row.") % {"position": position})
    repeated = sorted(name for name, count in Counter(names).items() if count > 1 and name)
    if repeated:
        problems.append(_("These columns appear more than once: %(columns)s.") % {"columns": ", ".join(repeated)})
    unknown = [name for name in dict.fromkeys(names) if name and name not in known]
    if unknown:
        problems.append(
            _("Unknown columns: %(columns)s. The columns of this import are: %(known)s.")
            % {"columns": ", ".join(unknown), "known": ", ".join(importer.column_names())}
        )
    missing = [column.name for column in importer.columns if column.required and column.name not in names]
    if missing:
        problems.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if problems:
        problems.append(_("Download the template to see the expected columns."))
        raise ImportRefused(problems)
    return names


def _raw_row(cells: list[str], columns: list[str], limits: Limits) -> tuple[dict[str, str], list[Problem]]:
    """The row as column → text, after the checks every kind shares: stray cells, cell size, bidi controls."""
    problems: list[Problem] = []
    raw: dict[str, str] = {}
    width = len(columns)
    for position, name in enumerate(columns):
        value = cells[position] if position < len(cells) else ""
        if len(value) > limits.max_cell_chars:
            problems.append(
                Problem(
                    name,
                    _("The cell has %(length)d characters; the limit is %(limit)d.")
                    % {"length": len(value), "limit": limits.max_cell_chars},
                )
            )
            value = value[: limits.max_cell_chars]
        if has_bidi_controls(value):
            value = strip_bidi_controls(value)
            problems.append(
                Problem(
                    name,
                    _(
                        "Removed invisible text-direction controls that could make the text display as something "
                        "else; check the value."
                    ),
                    blocking=False,
                )
            )
        if value.startswith("="):
            problems.append(
                Problem(name, _("This looks like a spreadsheet formula; it is kept as text."), blocking=False)
            )
        raw[name] = value
    if any(cell.strip() for cell in cells[width:]):
        problems.append(Problem("", _("The row has more cells than the first row has column names.")))
    return raw, problems


def _stage_rows(
    batch: ImportBatch,
    importer: Importer,
    table,
    columns: list[str],
    limits: Limits,
    reporter: ProgressReporter | None,
) -> None:
    staged: list[StagedValues] = []
    pending: list[dict[str, Any]] = []
    key = _rows_key(batch)
    errors = warnings = 0
    blocking_rows: set[int] = set()
    estimate = max(table.estimated_rows, 1)
    if reporter is not None:
        reporter.update(0, estimate, _("Checking rows"))

    for number, cells in table.rows:
        if not any(cell.strip() for cell in cells):
            continue  # blank rows (spreadsheets keep some at the end) are not data
        raw, problems = _raw_row(cells, columns, limits)
        values, row_problems = importer.clean_row(raw)
        problems += row_problems
        staged.append(StagedValues(number, values))
        is_blocking = any(problem.blocking for problem in problems)
        if problems:
            blocking = sum(1 for problem in problems if problem.blocking)
            errors += blocking
            warnings += len(problems) - blocking
            if is_blocking:
                blocking_rows.add(number)
        data: dict[str, Any] = {"raw": raw, "values": values}
        if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
            data["extra"] = cells[len(columns) :]  # shown to whoever corrects the row: not imported
        pending.append(
            {
                "batch_id": batch.pk,
                "row_number": number,
                "data": _sealed(key, batch, number, data),
                "problems": [problem.as_json() for problem in problems],
                "is_blocking": is_blocking,
            }
        )
        if len(pending) >= STAGE_COMMIT_ROWS:
            _insert_staged(pending)
            pending.clear()
            if reporter is not None:
                reporter.update(len(staged), max(estimate, len(staged)), _("Checking rows"))
    _insert_staged(pending)
    if not staged:
        raise ImportRefused(_("The file has a header row but no data rows."))

    state = _check_state(importer)
    cross = importer.check_batch(staged)
    _add_problems(batch, cross)
    errors += sum(1 for problem in cross if problem.blocking)
    warnings += sum(1 for problem in cross if not problem.blocking)
    blocking_rows |= {problem.row for problem in cross if problem.blocking}

    batch.row_count = len(staged)
    batch.error_count = errors
    batch.warning_count = warnings
    _batch_state(batch, ImportBatch.State.INVALID if errors else ImportBatch.State.VALID)
    batch.result = _with_check_state({**batch.result, "rows_blocked": len(blocking_rows)}, state)
    batch.save(update_fields=["row_count", "error_count", "warning_count", "state", "result"])
    if reporter is not None:
        reporter.update(len(staged), len(staged), _("Checked"))


def _batch_state(batch: ImportBatch, state: str, *, by: User | None = None) -> None:
    """Set the batch's state (the caller saves it) with its history row; a check is the uploader's."""
    by = by if by is not None else batch.created_by
    record_state_change(batch, field="state", old=batch.state, new=state, by=by)
    batch.state = state


def _check_state(importer: Importer) -> Any:
    """The importer's `check_state`, as it reads back from the batch's JSON."""
    state = importer.check_state()
    return None if state is None else json.loads(json.dumps(state, cls=DjangoJSONEncoder))


def _with_check_state(result: dict[str, Any], state: Any) -> dict[str, Any]:
    """The batch's result, saying what the stored records were like when the batch was last checked."""
    result = {key: value for key, value in result.items() if key != "checked_against"}
    return result if state is None else {**result, "checked_against": state}


def _problems_across(batch: ImportBatch) -> list[Problem]:
    """The problems the rules across rows found when the batch was last checked, as stored with its rows."""
    return [
        Problem(problem["column"], problem["message"], problem["blocking"], number, problem.get("detail"))
        for number, problems in StagedRow.objects.filter(batch=batch)
        .exclude(problems=[])
        .order_by("row_number")
        .values_list("row_number", "problems")
        for problem in problems
        if problem.get("across")
    ]


def _rows_key(batch: ImportBatch) -> crypto.DataKey:
    """The key the batch's staged rows are sealed with."""
    if not batch.rows_key:
        raise ImportRefused(_("The rows of this import are no longer kept; upload the file again."))
    return crypto.DataKey(batch.rows_key)


def _drop_rows_key(batch: ImportBatch) -> None:
    """Forget the key of the batch's rows: what is left of their data (a backup, a copy) cannot be read again."""
    batch.rows_key = ""
    batch.save(update_fields=["rows_key"])


def _sealed(key: crypto.DataKey, batch: ImportBatch, row_number: int, data: Mapping[str, Any]) -> str:
    try:
        text = orjson.dumps(data)  # an import seals every row: the fast encoder, the same JSON
    except TypeError:  # what only the standard library takes (an integer beyond 64 bits)
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return key.seal(text, context=f"{batch.pk}/{row_number}")


def _opened(key: crypto.DataKey, batch: ImportBatch, row_number: int, token: str) -> dict[str, Any]:
    return orjson.loads(key.open_bytes(token, context=f"{batch.pk}/{row_number}"))


def staged_row_data(batch: ImportBatch, row: StagedRow) -> dict[str, Any]:
    """What a staged row holds: its cells as given (`raw`), its values as checked (`values`), the cells beyond
    the file's columns (`extra`) and the corrections made (`corrections`)."""
    return _opened(_rows_key(batch), batch, row.row_number, row.data)


def _insert_staged(rows: Sequence[Mapping[str, Any]]) -> None:
    # One transaction for many statements: each commit waits for the disk (PostgreSQL's fsync, SQLite's WAL), and
    # fewer, larger ones still let the progress bar (written in between) move.
    with transaction.atomic():
        insert_many(StagedRow, rows)


def _add_problems(batch: ImportBatch, problems: Iterable[Problem]) -> None:
    """Add problems found across rows to the staged rows they name (marked `across`: a correction of any row
    checks the rules across rows again and replaces them)."""
    by_row: dict[int, list[Problem]] = defaultdict(list)
    for problem in problems:
        by_row[problem.row].append(problem)
    if not by_row:
        return
    numbers = sorted(by_row)
    changed: list[tuple[Any, ...]] = []
    problems_field = StagedRow._meta.get_field("problems")
    for start in range(0, len(numbers), 500):
        rows = StagedRow.objects.filter(batch=batch, row_number__in=numbers[start : start + 500]).values_list(
            "pk", "row_number", "problems"
        )
        for pk, number, existing in rows:
            merged = existing + [_across(problem) for problem in by_row[number]]
            blocking = any(item["blocking"] for item in merged)
            changed.append((problems_field.get_db_prep_save(merged, connection), blocking, pk))
    _update_problems(changed)


def _across(problem: Problem) -> dict[str, Any]:
    return {**problem.as_json(), "across": True}


def _update_problems(changed: Sequence[tuple[Any, bool, int]]) -> None:
    """Write (problems as the database takes them, blocks, pk) of staged rows in one statement."""
    if not changed:
        return
    problems_field = StagedRow._meta.get_field("problems")
    quote = connection.ops.quote_name
    sql = "UPDATE {table} SET {problems} = %s, {blocking} = %s WHERE {pk} = %s".format(  # noqa: S608
        table=quote(StagedRow._meta.db_table),
        problems=quote(problems_field.column),
        blocking=quote(StagedRow._meta.get_field("is_blocking").column),
        pk=quote(StagedRow._meta.pk.column),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, changed)


# --- commit and discard -------------------------------------------------------------------------------------


def import_commit(*, batch: ImportBatch, by: User | None, reporter: ProgressReporter | None = None) -> ImportBatch:
    """Write a valid batch's records in one transaction, with one audit event for the batch; never twice.

    The rules across rows and against stored records are checked again first: a record registered since the
    batch was staged can make it invalid, and then the batch says so and nothing is written. An importer that sums
    up what its check reads (`Importer.check_state`) is spared that when nothing of it has changed since the
    batch was last checked: its problems are those found then.
    """
    importer_class = importer_for(batch.kind)
    _require_permission(by, importer_class, batch.office)
    refused: list[str] = []
    if reporter is not None:
        reporter.update(0, batch.row_count, _("Writing records"))
    with fewer_collections(), transaction.atomic():
        locked = ImportBatch.objects.select_for_update().select_related("office").get(pk=batch.pk)
        _refuse_unless_valid(locked)
        importer = _importer(importer_class, locked)
        key = _rows_key(locked)
        rows = [
            StagedValues(number, _opened(key, locked, number, data)["values"])
            for number, data in StagedRow.objects.filter(batch=locked)
            .order_by("row_number")
            .values_list("row_number", "data")
            .iterator(chunk_size=CHUNK_ROWS)
        ]
        state = _check_state(importer)
        if state is not None and locked.result.get("checked_against") == state:
            across = _problems_across(locked)  # nothing the check reads has changed since: it would find the same
        else:
            across = importer.check_batch(rows)
        blocking = [problem for problem in across if problem.blocking]
        if blocking:
            _add_problems(locked, blocking)
            _batch_state(locked, ImportBatch.State.INVALID, by=by)
            locked.error_count += len(blocking)
            locked.save(update_fields=["state", "error_count"])
            refused = [_("Something changed since the file was checked; nothing was written.")]
            refused += [_problem_line(problem) for problem in blocking[:LISTED_PROBLEMS]]
            if len(blocking) > LISTED_PROBLEMS:
                refused.append(_("…and %(count)d more.") % {"count": len(blocking) - LISTED_PROBLEMS})
        else:
            importer.checked(across)
            with large_writes():
                counts = importer.commit(rows, locked, by)
            _batch_state(locked, ImportBatch.State.COMMITTED, by=by)
            locked.committed_at = timezone.now()
            locked.result = {**locked.result, "created": counts}
            locked.save(update_fields=["state", "committed_at", "result"])
            audit.record(
                AuditAction.CREATE,
                actor=by,
                obj=locked,
                changes={name: [None, count] for name, count in counts.items()},
                reason=_("Import of %(file)s") % {"file": locked.file_name},
            )
            # The records now hold the data: the staged copy keeps only the report (the rows with problems).
            staged = StagedRow.objects.filter(batch=locked)
            staged.filter(problems=[]).delete()
            staged.update(data="")
            _drop_rows_key(locked)
    if refused:
        raise ImportRefused(refused)
    if len(rows) >= dbstats.LARGE_WRITE:
        dbstats.refresh_statistics()  # the planner's picture of tables that just grew (SQLite keeps none itself)
    if reporter is not None:
        reporter.update(locked.row_count, locked.row_count, _("Written"))
    return locked


def _problem_line(problem: Problem) -> str:
    if problem.column:
        return _("Row %(row)d, %(column)s: %(message)s") % {
            "row": problem.row,
            "column": problem.column,
            "message": problem.message,
        }
    return _("Row %(row)d: %(message)s") % {"row": problem.row, "message": problem.message}


def _refuse_unless_valid(batch: ImportBatch) -> None:
    if batch.state == ImportBatch.State.COMMITTED:
        raise ImportRefused(
            _("This import was already committed on %(at)s.")
            % {"at": timezone.localtime(batch.committed_at).strftime("%Y-%m-%d %H:%M")}
        )
    if batch.state == ImportBatch.State.DISCARDED:
        raise ImportRefused(_("This import was discarded; upload the file again."))
    if batch.result.get("recheck"):
        raise ImportRefused(
            _("The rows across the file are being checked again after a correction; commit once that is done.")
        )
    if batch.state != ImportBatch.State.VALID:
        raise ImportRefused(
            ngettext(
                "This import has %(count)d blocking problem; correct the rows on its page, or the file and upload it "
                "again.",
                "This import has %(count)d blocking problems; correct the rows on its page, or the file and upload it "
                "again.",
                batch.error_count,
            )
            % {"count": batch.error_count}
        )


def import_discard(*, batch: ImportBatch, by: User | None) -> ImportBatch:
    """Throw a batch away: its staged rows (and the data in them) are deleted; a committed batch stays."""
    importer_class = importer_for(batch.kind)
    _require_permission(by, importer_class, batch.office)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.state == ImportBatch.State.COMMITTED:
            raise ImportRefused(_("This import was already committed; it cannot be discarded."))
        if locked.state == ImportBatch.State.DISCARDED:
            return locked
        StagedRow.objects.filter(batch=locked).delete()
        _drop_rows_key(locked)
        return state_set(locked, field="state", new=ImportBatch.State.DISCARDED, by=by)


# --- correcting rows of a staged batch ----------------------------------------------------------------------


@dataclass
class StagedRowForCorrection:
    """One staged row as its editor shows it: the cells as the file (or a correction) gave them, by column."""

    batch: ImportBatch
    row_number: int
    columns: list[Column]
    raw: dict[str, str]
    problems: list[dict[str, Any]]
    #: Cells beyond the columns of the file's first row (not imported; a correction drops them).
    extra: list[str]
    #: Earlier corrections: who (user name), when (ISO), column, from, to.
    corrections: list[dict[str, str]]


def _correctable_importer(batch: ImportBatch, data: Mapping[str, Any]) -> type[Importer]:
    """The importer that checks the rows of `batch` again; refuses when its rows cannot be corrected here."""
    columns = list(data.get("raw", {}))
    importer_class = importer_for(batch.kind).for_batch(batch, columns=columns, values=data.get("values", {}))
    # An importer made for each upload that cannot be made again knows other columns than the file had.
    if not columns or not set(columns) <= set(importer_class.column_names()):
        raise ImportRefused(
            _("The rows of this import cannot be corrected here; correct the file and upload it again.")
        )
    return importer_class


def _refuse_unless_open(batch: ImportBatch) -> None:
    if batch.state not in (ImportBatch.State.VALID, ImportBatch.State.INVALID):
        _refuse_unless_valid(batch)  # says why: committed or discarded


def _staged_row(batch: ImportBatch, row_number: int) -> StagedRow:
    try:
        return StagedRow.objects.get(batch=batch, row_number=row_number)
    except StagedRow.DoesNotExist:
        raise ImportRefused(_("Row %(row)d is not in this import (or was left out).") % {"row": row_number}) from None


def staged_row_for_correction(batch: ImportBatch, row_number: int) -> StagedRowForCorrection:
    """A row of an open batch for its editor; raises ImportRefused when it cannot be corrected (the batch was
    committed or discarded, the row is not there, the kind of import cannot check it again)."""
    _refuse_unless_open(batch)
    staged = _staged_row(batch, row_number)
    data = staged_row_data(batch, staged)
    importer_class = _correctable_importer(batch, data)
    by_name = {column.name: column for column in importer_class.columns}
    return StagedRowForCorrection(
        batch=batch,
        row_number=row_number,
        columns=[by_name[name] for name in data["raw"]],
        raw=data["raw"],
        problems=staged.problems,
        extra=[cell for cell in data.get("extra", []) if cell.strip()],
        corrections=data.get("corrections", []),
    )


def import_row_correct(
    *, batch: ImportBatch, row_number: int, cells: Mapping[str, str], by: User | None, check_across: bool = True
) -> StagedRowForCorrection:
    """Correct cells of a staged row: the row is checked again, then the rules across rows for the whole batch,
    and the batch becomes valid once no blocking problem is left. Who changed which cell from what to what is
    audited (for a sensitive column, only that it changed) and kept in the staged row.

    `cells` maps column names to their new text; columns the row does not have are refused, unchanged cells
    are left as they were. Cells beyond the file's columns, if the row had any, are dropped.

    With `check_across=False` (a large batch, whose rules across rows take a while), the row is checked at once
    and the batch waits, not committable, for `import_batch_recheck` (run in the background).
    """
    importer_class = importer_for(batch.kind)
    _require_permission(by, importer_class, batch.office)
    limits = Limits.from_settings()
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().select_related("office").get(pk=batch.pk)
        _refuse_unless_open(locked)
        staged = _staged_row(locked, row_number)
        data = staged_row_data(locked, staged)
        importer_class = _correctable_importer(locked, data)
        columns = list(data["raw"])
        unknown = sorted(set(cells) - set(columns))
        if unknown:
            raise ImportRefused(
                _("Row %(row)d has no column %(columns)s.") % {"row": row_number, "columns": ", ".join(unknown)}
            )
        changed = {
            name: (data["raw"][name], str(text)) for name, text in cells.items() if str(text) != data["raw"][name]
        }
        if not changed and not data.get("extra"):
            return staged_row_for_correction(locked, row_number)
        raw, problems = _raw_row([str(cells.get(name, data["raw"][name])) for name in columns], columns, limits)
        importer = _importer(importer_class, locked)
        values, row_problems = importer.clean_row(raw)
        problems += row_problems
        at = timezone.now()
        who = by.get_username() if by is not None else ""
        corrections = data.get("corrections", []) + [
            {"by": who, "at": at.isoformat(), "column": name, "from": old, "to": raw[name]}
            for name, (old, _new) in changed.items()
        ]
        if data.get("extra"):  # the cells beyond the columns go: say which
            dropped = " | ".join(data["extra"])
            corrections.append({"by": who, "at": at.isoformat(), "column": "", "from": dropped, "to": ""})
        staged.data = _sealed(
            _rows_key(locked), locked, row_number, {"raw": raw, "values": values, "corrections": corrections}
        )
        staged.problems = [problem.as_json() for problem in problems]  # the rules across rows come next
        staged.is_blocking = any(problem.blocking for problem in problems)
        staged.save(update_fields=["data", "problems", "is_blocking"])
        if check_across:
            _check_again(locked, importer)
        else:
            _await_check_again(locked)
        sensitive = {column.name for column in importer_class.columns if column.sensitive}
        audit.record(
            AuditAction.UPDATE,
            actor=by,
            obj=locked,
            changes=_correction_diff(row_number, changed, raw, sensitive, dropped=len(data.get("extra", []))),
            reason=_("Correction of row %(row)d of %(file)s") % {"row": row_number, "file": locked.file_name},
        )
        return staged_row_for_correction(locked, row_number)


def import_row_leave_out(
    *, batch: ImportBatch, row_number: int, by: User | None, check_across: bool = True
) -> ImportBatch:
    """Leave a row of a staged batch out of the import (a row repeated, a person who should not be there): its
    staged data is deleted, the rules across rows are checked again, and the leaving out is audited."""
    importer_class = importer_for(batch.kind)
    _require_permission(by, importer_class, batch.office)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().select_related("office").get(pk=batch.pk)
        _refuse_unless_open(locked)
        staged = _staged_row(locked, row_number)
        importer_class = _correctable_importer(locked, staged_row_data(locked, staged))
        if locked.row_count <= 1:
            raise ImportRefused(_("This is the import's only row: discard the import instead."))
        staged.delete()
        locked.row_count -= 1
        locked.result = {**locked.result, "rows_left_out": [*locked.result.get("rows_left_out", []), row_number]}
        locked.save(update_fields=["row_count", "result"])
        if check_across:
            _check_again(locked, _importer(importer_class, locked))
        else:
            _await_check_again(locked)
        audit.record(
            AuditAction.UPDATE,
            actor=by,
            obj=locked,
            changes={f"row {row_number}": ["staged", "left out"]},
            reason=_("Row %(row)d of %(file)s left out of the import") % {"row": row_number, "file": locked.file_name},
        )
    return locked


def _correction_diff(
    row_number: int, changed: Mapping[str, tuple[str, str]], raw: Mapping[str, str], sensitive: set[str], dropped: int
) -> dict[str, list]:
    """The audit's diff of a correction: `row 7 birth_date: [old, new]`, as the file had it and as it is now."""
    diff = {
        f"row {row_number} {name}": [audit.REDACTED, audit.REDACTED] if name in sensitive else [old, raw[name]]
        for name, (old, _new) in changed.items()
    }
    if dropped:
        diff[f"row {row_number} cells beyond the columns"] = [dropped, 0]
    return diff


def import_batch_recheck(*, batch: ImportBatch, by: User | None) -> ImportBatch:
    """Check the rules across rows of a batch again, after corrections that left it waiting for this check."""
    _require_permission(by, importer_for(batch.kind), batch.office)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().select_related("office").get(pk=batch.pk)
        _refuse_unless_open(locked)
        first = StagedRow.objects.filter(batch=locked).order_by("row_number").first()
        importer_class = _correctable_importer(locked, staged_row_data(locked, first) if first else {})
        _check_again(locked, _importer(importer_class, locked))
    return locked


def _await_check_again(batch: ImportBatch) -> None:
    """Leave the batch waiting for the rules across rows to be checked again: not committable until then."""
    batch.result = {**batch.result, "recheck": True}
    _batch_state(batch, ImportBatch.State.INVALID)
    batch.save(update_fields=["result", "state"])


@fewer_collections()
def _check_again(batch: ImportBatch, importer: Importer) -> None:
    """Check the rules across rows of the whole batch again (after a row changed), replace the problems they
    found before, and count the batch's problems and state afresh."""
    rows: list[tuple[int, int, list[dict[str, Any]]]] = []
    staged: list[StagedValues] = []
    key = _rows_key(batch)
    for pk, number, data, problems in (
        StagedRow.objects.filter(batch=batch)
        .order_by("row_number")
        .values_list("pk", "row_number", "data", "problems")
        .iterator(chunk_size=CHUNK_ROWS)
    ):
        rows.append((pk, number, problems))
        staged.append(StagedValues(number, _opened(key, batch, number, data)["values"]))
    by_row: dict[int, list[dict[str, Any]]] = defaultdict(list)
    state = _check_state(importer)
    for problem in importer.check_batch(staged):
        by_row[problem.row].append(_across(problem))
    problems_field = StagedRow._meta.get_field("problems")
    changed = []
    errors = warnings = 0
    blocked = 0
    for pk, number, existing in rows:
        problems = [problem for problem in existing if not problem.get("across")] + by_row.get(number, [])
        if problems != existing:
            changed.append(
                (
                    problems_field.get_db_prep_save(problems, connection),
                    any(problem["blocking"] for problem in problems),
                    pk,
                )
            )
        blocking = sum(1 for problem in problems if problem["blocking"])
        errors += blocking
        warnings += len(problems) - blocking
        blocked += 1 if blocking else 0
    _update_problems(changed)
    batch.error_count, batch.warning_count = errors, warnings
    _batch_state(batch, ImportBatch.State.INVALID if errors else ImportBatch.State.VALID)
    result = {key: value for key, value in batch.result.items() if key != "recheck"}
    batch.result = _with_check_state({**result, "rows_blocked": blocked}, state)
    batch.save(update_fields=["error_count", "warning_count", "state", "result"])


# --- purge of abandoned batches -----------------------------------------------------------------------------


def staging_keep_days() -> int:
    """Days a batch may stay staged, neither committed nor discarded, before its rows are purged."""
    return settings.LIMAN_STAGING_KEEP_DAYS


def abandoned_batches(*, older_than_days: int | None = None):
    """Batches uploaded more than `older_than_days` ago (LIMAN_STAGING_KEEP_DAYS by default) and still open:
    never committed nor discarded, their staged rows still hold the file's personal data."""
    days = staging_keep_days() if older_than_days is None else older_than_days
    if days < 0:
        raise ValueError(f"older_than_days must be 0 or more, not {days}.")
    cutoff = timezone.now() - datetime.timedelta(days=days)
    return (
        ImportBatch.objects.filter(
            state__in=(ImportBatch.State.VALID, ImportBatch.State.INVALID), created_at__lt=cutoff
        )
        .select_related("office")
        .order_by("created_at")
    )


def import_purge(*, older_than_days: int | None = None, by: User | None = None) -> list[ImportBatch]:
    """Delete the staged rows of abandoned batches (see `abandoned_batches`), so that a file's personal data does
    not outlive its use; each batch stays as a discarded record of the upload, with an audit event saying why.
    Returns the batches purged. Each batch goes in a transaction of its own: a purge stopped half-way leaves
    whole batches, purged or not."""
    days = staging_keep_days() if older_than_days is None else older_than_days
    purged = []
    for batch in abandoned_batches(older_than_days=days):
        with transaction.atomic():
            locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
            if locked.state not in (ImportBatch.State.VALID, ImportBatch.State.INVALID):
                continue  # committed or discarded meanwhile
            StagedRow.objects.filter(batch=locked).delete()
            _drop_rows_key(locked)
            reason = ngettext(
                "Purged: not committed within %(days)d day of its upload.",
                "Purged: not committed within %(days)d days of its upload.",
                days,
            ) % {"days": days}
            purged.append(state_set(locked, field="state", new=ImportBatch.State.DISCARDED, by=by, reason=reason))
    return purged


@task()
def import_purge_task(older_than_days: int | None = None) -> dict:
    """The purge of abandoned batches as a background task (for a daily timer: `liman import purge` does the
    same from the command line)."""
    purged = import_purge(older_than_days=older_than_days)
    return {"purged": [str(batch.pk) for batch in purged]}


_BASE32_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#: References looked up per query (more make PostgreSQL's plan of the list slower than the round trips they save).
REFERENCES_PER_QUERY = 500


def new_references(prefix: str, model: type[models.Model], count: int) -> list[str]:
    """`count` new random references (`IST-7K3X9Q2M`) not used by `model`: `new_reference` for many records.

    Random, as `new_reference`'s, so two offices importing at once never race for the same one.
    """
    # Five random bytes are eight letters of five bits: base 32, its letters put into the references' alphabet.
    to_alphabet = str.maketrans(_BASE32_LETTERS, REFERENCE_ALPHABET)
    chosen: set[str] = set()
    while len(chosen) < count:
        wanted = count - len(chosen)
        letters = base64.b32encode(secrets.token_bytes(5 * wanted)).decode("ascii").translate(to_alphabet)
        fresh = {f"{prefix}-{letters[at : at + 8]}" for at in range(0, 8 * wanted, 8)}
        fresh -= chosen
        candidates = list(fresh)
        for start in range(0, len(candidates), REFERENCES_PER_QUERY):
            taken = model._default_manager.filter(reference__in=candidates[start : start + REFERENCES_PER_QUERY])
            fresh -= set(taken.values_list("reference", flat=True))
        chosen |= fresh
    return list(chosen)


# --- background work ----------------------------------------------------------------------------------------


def spool_upload(upload) -> str:
    """Keep an uploaded file until a background task stages it; returns its name in the default storage."""
    from django.core.files.storage import default_storage

    suffix = PurePath(upload.name).suffix.lower()
    return default_storage.save(f"imports/spool/{uuid.uuid4().hex}{suffix}", upload)


def inline_bytes() -> int:
    """Uploads up to this size are checked while the page waits; larger ones go to the background."""
    return settings.LIMAN_IMPORT_INLINE_BYTES


def inline_rows() -> int:
    """Batches up to this many rows are committed while the page waits; larger ones in the background."""
    return settings.LIMAN_IMPORT_INLINE_ROWS


def _refusal_messages(exc: Exception) -> list[str]:
    return [str(message) for message in getattr(exc, "messages", [str(exc)])]


@task()
def import_stage_task(
    progress_id: str,
    spool_name: str,
    kind: str,
    office_id: int,
    user_id: int | None,
    file_name: str,
    sheet: str | None = None,
    declared: dict[str, str] | None = None,
) -> dict:
    """Stage a spooled upload, reporting progress; the spooled file is deleted whatever happens."""
    from django.core.files.storage import default_storage

    reporter = ProgressReporter.for_task(progress_id)
    try:
        by = User.objects.get(pk=user_id) if user_id else None
        office = Office.objects.get(pk=office_id)
        with reporter.running(), default_storage.open(spool_name, "rb") as stream:
            batch = import_stage(
                kind=kind,
                file=stream,
                file_name=file_name,
                office=office,
                by=by,
                reporter=reporter,
                sheet=sheet,
                declared=declared,
            )
    except (ImportRefused, PermissionDenied) as exc:
        result = {"refused": _refusal_messages(exc)}
        TaskProgress.objects.filter(pk=progress_id).update(result=result)
        return result
    finally:
        default_storage.delete(spool_name)
    result = {"batch": str(batch.pk)}
    reporter.finish(result)
    return result


def _batch_task(progress_id: str, batch_id: str, user_id: int | None, work) -> dict:
    """Run `work(batch, by, reporter)` for a background task; a refusal is the task's result, not a failure."""
    reporter = ProgressReporter.for_task(progress_id)
    result = {"batch": batch_id}
    try:
        by = User.objects.get(pk=user_id) if user_id else None
        with reporter.running():
            work(ImportBatch.objects.get(pk=batch_id), by, reporter)
    except (ImportRefused, PermissionDenied) as exc:
        result["refused"] = _refusal_messages(exc)
        TaskProgress.objects.filter(pk=progress_id).update(result=result)
        return result
    reporter.finish(result)
    return result


@task()
def import_commit_task(progress_id: str, batch_id: str, user_id: int | None) -> dict:
    """Commit a large batch in the background, reporting progress."""

    def commit(batch, by, reporter):
        import_commit(batch=batch, by=by, reporter=reporter)

    return _batch_task(progress_id, batch_id, user_id, commit)


@task()
def import_recheck_task(progress_id: str, batch_id: str, user_id: int | None) -> dict:
    """Check the rules across rows of a large batch again after a correction, reporting progress."""

    def recheck(batch, by, reporter):
        reporter.update(0, 1, _("Checking the rules across rows"))
        import_batch_recheck(batch=batch, by=by)

    return _batch_task(progress_id, batch_id, user_id, recheck)


#: For templates and messages: what each state means to the person importing.
STATE_HELP = {
    ImportBatch.State.INVALID: gettext_lazy(
        "Correct the rows with blocking problems below (or leave them out), or correct the file and upload it again."
    ),
    ImportBatch.State.VALID: gettext_lazy("Every row can be imported. Commit to write the records."),
    ImportBatch.State.COMMITTED: gettext_lazy("The records were written."),
    ImportBatch.State.DISCARDED: gettext_lazy("This import was discarded; nothing was written."),
}
