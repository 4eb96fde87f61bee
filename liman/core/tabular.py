"""Tables in and out (CSV, XLSX): what a file really is, how its text is encoded, its size, its cells as text.

Reading gives every cell as the string a CSV would give, whatever the format: an XLSX date cell
becomes `1990-02-03`, an integer year `1990`, a numeric ID `99123456789` (never `9.91e10`), a
formula its text (`=HYPERLINK(…)`, never run). Rows stream, so a large file is never held whole.

Writing always neutralises cells that a spreadsheet would run as formulas (OWASP "CSV injection").
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

#: Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): they can make a
#: name display as another ("Trojan Source", CVE-2021-42574). The marks LRM, RLM and ALM are harmless and kept.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: A cell starting with one of these is run as a formula by Excel, LibreOffice or Google Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: C0 control bytes other than tab, line feed and carriage return: a text file has none.
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CHUNK = 1024 * 1024


class TableError(Exception):
    """A file that cannot be read as a table; the message says why, in words the uploader understands."""


def _setting(name: str):
    return field(default_factory=lambda: getattr(settings, name))


@dataclass(frozen=True)
class Limits:
    """How large an imported file, its cells and its row count may be; each limit not given is the setting of the
    same name with `LIMAN_IMPORT_` in front (`max_rows`: `LIMAN_IMPORT_MAX_ROWS`)."""

    max_bytes: int = _setting("LIMAN_IMPORT_MAX_BYTES")
    max_unzipped_bytes: int = _setting("LIMAN_IMPORT_MAX_UNZIPPED_BYTES")
    max_rows: int = _setting("LIMAN_IMPORT_MAX_ROWS")
    max_cell_chars: int = _setting("LIMAN_IMPORT_MAX_CELL_CHARS")
    max_columns: int = _setting("LIMAN_IMPORT_MAX_COLUMNS")
    max_cells: int = _setting("LIMAN_IMPORT_MAX_CELLS")
    #: Parts of a workbook other than its sheets (shared strings, styles), each; openpyxl holds them whole.
    max_part_bytes: int = _setting("LIMAN_IMPORT_MAX_PART_BYTES")
    #: Characters of the texts a workbook shares between its cells, together (openpyxl holds them all).
    max_text_chars: int = _setting("LIMAN_IMPORT_MAX_TEXT_CHARS")

    @classmethod
    def from_settings(cls) -> Limits:
        return cls()


@dataclass
class Table:
    """A table being read: its header, then its rows as `(row number in the file, cells)`; the header is row 1."""

    format: str
    encoding: str
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    size: int
    estimated_rows: int = 0
    notices: list[str] = field(default_factory=list)
    #: The sheet read, for a workbook.
    sheet: str = ""

    def close(self) -> None:
        """Stop reading (the caller's file stays open)."""
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()


# --- what a file is ----------------------------------------------------------------------------------------


def sniff(head: bytes) -> str:
    """What the first bytes of a file say it is: `xlsx`, `zip`, `ods`, `xls`, `pdf`, `utf-16`, `binary` or `text`."""
    if head.startswith(b"PK\x03\x04"):
        if b"[Content_Types].xml" in head:
            return "xlsx"
        if b"mimetypeapplication/vnd.oasis.opendocument" in head:
            return "ods"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _BINARY_BYTES.search(head):
        return "binary"
    return "text"


def _what_it_is(kind: str) -> str:
    return {
        "xlsx": _("an Excel workbook (XLSX)"),
        "zip": _("a zip archive"),
        "ods": _("an OpenDocument spreadsheet (ODS)"),
        "xls": _("an old-style Excel workbook (XLS)"),
        "pdf": _("a PDF document"),
        "utf-16": _("UTF-16 text (Excel's “Unicode text”)"),
        "binary": _("a binary file, not text"),
        "text": _("text (CSV)"),
    }[kind]


def _stream_size(stream: IO[bytes]) -> int:
    position = stream.tell()
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(position)
    return size


def read_table(
    stream: IO[bytes],
    name: str,
    *,
    limits: Limits | None = None,
    sheet: str | None = None,
    skip_sheets: Collection[str] = (),
) -> Table:
    """Open a CSV or XLSX file for reading; raises TableError when it is not what its name says, too large,
    empty, or (for CSV) neither UTF-8 nor Windows-1254 text. `stream` must be a seekable binary file.

    Of a workbook, the sheet named `sheet` is read; when none is named, the only visible sheet holding data, other
    than `skip_sheets` (the notes of an import template): a workbook with two is refused, never half read."""
    limits = limits or Limits.from_settings()
    stream = getattr(stream, "file", stream)  # a Django File: use the real file object underneath
    stream.seek(0)
    size = _stream_size(stream)
    if size > limits.max_bytes:
        raise TableError(
            _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
            % {"size": _megabytes(size), "limit": _megabytes(limits.max_bytes)}
        )
    if size == 0:
        raise TableError(_("The file is empty."))
    head = stream.read(4096)
    stream.seek(0)
    kind = sniff(head)
    extension = PurePath(name).suffix.lower()
    if extension == ".csv":
        if kind != "text":
            raise TableError(
                _("The file is named .csv but it is %(what)s. Save it as “CSV UTF-8” and upload that.")
                % {"what": _what_it_is(kind)}
            )
        return _read_csv(stream, size, limits)
    if extension == ".xlsx":
        if kind not in ("xlsx", "zip"):
            raise TableError(
                _("The file is named .xlsx but it is %(what)s. Save it as an Excel workbook (.xlsx) and upload that.")
                % {"what": _what_it_is(kind)}
            )
        return _read_xlsx(stream, size, limits, sheet, skip_sheets)
    raise TableError(_("Upload a .csv or .xlsx file (this one is named %(name)s).") % {"name": PurePath(name).name})


def _megabytes(size: int) -> str:
    return _("%(mb).1f MB") % {"mb": size / 1024 / 1024}


# --- CSV ---------------------------------------------------------------------------------------------------


def _decodes(stream: IO[bytes], encoding: str) -> tuple[bool, int, int]:
    """(whether the whole stream decodes, the offset of the first bad byte, line count)."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, lines = 0, 0
    while chunk := stream.read(_CHUNK):
        binary = _BINARY_BYTES.search(chunk)
        if binary:
            raise TableError(
                _("The file is not text (it has a control byte at position %(offset)d), so it is not a CSV file.")
                % {"offset": offset + binary.start()}
            )
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            return False, offset + exc.start, lines
        offset += len(chunk)
        lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False, offset, lines
    return True, -1, lines


def _read_csv(stream: IO[bytes], size: int, limits: Limits) -> Table:
    notices: list[str] = []
    utf8, bad_offset, lines = _decodes(stream, "utf-8")
    if utf8:
        stream.seek(0)
        encoding = "utf-8-sig" if stream.read(3) == codecs.BOM_UTF8 else "utf-8"
    else:
        turkish, _offset, lines = _decodes(stream, "cp1254")
        if not turkish:
            stream.seek(bad_offset)
            byte = stream.read(1)
            raise TableError(
                _(
                    "The file is neither UTF-8 nor Windows-1254 (Turkish) text: the byte 0x%(byte)s at position "
                    "%(offset)d cannot be read. Save it from Excel as “CSV UTF-8 (Comma delimited)”."
                )
                % {"byte": byte.hex().upper(), "offset": bad_offset}
            )
        encoding = "cp1254"
        notices.append(
            _(
                "The file is not UTF-8: it was read as Windows-1254 (Turkish), the encoding Turkish Excel saves CSV "
                "in. Check that letters such as ç, ğ, ı, İ, ö, ş and ü look right in the report."
            )
        )
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    first_line = text.readline()
    text.seek(0)
    delimiter = max((",", ";", "\t"), key=first_line.count) if first_line.strip() else ","
    if delimiter == ";":
        notices.append(_("The columns are separated by semicolons (;); they were read as such."))
    elif delimiter == "\t":
        notices.append(_("The columns are separated by tabs; they were read as such."))
    rows = _csv_rows(text, delimiter, limits)
    header = _first_row(rows)
    return Table("csv", encoding, header, rows, size, estimated_rows=max(lines - 1, 0), notices=notices)


def _csv_rows(text: io.TextIOWrapper, delimiter: str, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(text, delimiter=delimiter)
    number = 0
    try:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise TableError(
                    _("Row %(row)d cannot be read as CSV (%(error)s).") % {"row": number + 1, "error": exc}
                ) from exc
            number += 1
            if number > limits.max_rows + 1:
                raise TableError(_too_many_rows(limits))
            if len(cells) > limits.max_columns:
                raise TableError(
                    _("Row %(row)d has %(count)d cells; the limit is %(limit)d columns.")
                    % {"row": number, "count": len(cells), "limit": limits.max_columns}
                )
            yield number, cells
    finally:
        with contextlib.suppress(ValueError):  # the caller may have closed the file already
            text.detach()  # leave the caller's file open


def _too_many_rows(limits: Limits) -> str:
    return _("The file has more than %(limit)d rows. Split it into smaller files.") % {"limit": limits.max_rows}


def _first_row(rows: Iterator[tuple[int, list[str]]]) -> list[str]:
    for _number, cells in rows:
        return cells
    raise TableError(_("The file is empty."))


# --- XLSX --------------------------------------------------------------------------------------------------
#
# A workbook is a zip of XML parts, and a small one can unpack to gigabytes (a "decompression bomb"): a sheet of
# millions of cells, a cell reference far to the right that makes every row that wide, a shared-strings part of
# millions of strings. openpyxl holds some parts whole (shared strings, styles) and builds each row of a sheet whole
# before handing it over, so nothing of a workbook reaches it before it is measured here: the sizes the zip declares
# (Python's zipfile never unpacks more than a member declares), then the shared strings and the chosen sheet, read
# as a stream by expat with every limit checked as it reads. Only then does openpyxl read the sheet, clipped to the
# rows and columns found.

#: Excel's own limit of characters in a cell: a longer one was not written by a spreadsheet.
EXCEL_CELL_CHARS = 32767
_XML_CHUNK = 64 * 1024
_CELL_REFERENCE = re.compile(r"([A-Za-z]{1,3})?(\d+)?")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _is_sheet_part(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def _is_shared_strings(name: str) -> bool:
    return name.lower().endswith("sharedstrings.xml")


def _expat(refuse: Callable[[str], None]):
    """An expat parser that takes no document type (no entities to expand: "billion laughs")."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.buffer_text = True

    def no_doctype(*_args):
        refuse(_("The workbook holds an XML document type declaration, which no spreadsheet writes."))

    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    return parser


def _feed(parser, member: IO[bytes]) -> None:
    from xml.parsers import expat

    try:
        while chunk := member.read(_XML_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise TableError(_("The workbook cannot be read (%(error)s).") % {"error": exc}) from exc
    except (zipfile.BadZipFile, EOFError, OSError) as exc:  # a member longer than it declares, a broken stream
        raise TableError(_("The workbook cannot be read (%(error)s).") % {"error": exc}) from exc


def _count_tags(archive: zipfile.ZipFile, path: str, tags: Sequence[bytes]) -> tuple[int, ...]:
    """How many times each tag opens in a part, and how many elements open at all: counted on the bytes as they
    unpack (at the speed of zlib), before any parser spends time on them."""
    counts = [0] * (len(tags) + 1)
    patterns = [(b"<" + tag + b" ", b"<" + tag + b">", b"<" + tag + b"/>") for tag in tags]
    tail = b""
    with archive.open(path) as member:
        try:
            while chunk := member.read(_CHUNK):
                # The few bytes before the chunk: a tag cut in two by the chunks is counted once, in the next one.
                window = tail + chunk
                for position, forms in enumerate(patterns):
                    counts[position] += sum(window.count(form) for form in forms) - sum(
                        tail.count(form) for form in forms
                    )
                counts[-1] += window.count(b"<") - tail.count(b"<")
                tail = chunk[-16:]
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise TableError(_("The workbook cannot be read (%(error)s).") % {"error": exc}) from exc
    return tuple(counts)


def _local(name: str) -> str:
    return name.rpartition(":")[2]


class _Refused(Exception):
    """Raised from inside expat's callbacks; becomes the TableError it carries."""


def _raise(message: str) -> None:
    raise _Refused(message)


def _check_shared_strings(archive: zipfile.ZipFile, name: str, limits: Limits) -> None:
    """The shared strings (held whole by openpyxl): at most one per cell allowed, none longer than Excel allows."""
    count = 0
    length = 0
    total = 0
    depth_in_text = 0

    def start(tag: str, _attributes) -> None:
        nonlocal count, length, depth_in_text
        tag = _local(tag)
        if tag == "si":
            count += 1
            length = 0
            if count > limits.max_cells:
                _raise(
                    _("The workbook holds more than %(limit)d different texts; the limit is one per cell allowed.")
                    % {"limit": limits.max_cells}
                )
        elif tag == "t":
            depth_in_text += 1

    def end(tag: str) -> None:
        nonlocal depth_in_text
        if _local(tag) == "t":
            depth_in_text -= 1

    def text(data: str) -> None:
        nonlocal length, total
        if depth_in_text:
            length += len(data)
            total += len(data)
            if length > EXCEL_CELL_CHARS:
                _raise(
                    _("Text number %(number)d of the workbook is longer than a spreadsheet cell can be (%(limit)d).")
                    % {"number": count, "limit": EXCEL_CELL_CHARS}
                )
            if total > limits.max_text_chars:
                _raise(
                    _("The texts of the workbook hold more than %(limit)d characters. Split it into smaller files.")
                    % {"limit": limits.max_text_chars}
                )

    strings, _elements = _count_tags(archive, name, (b"si",))
    if strings > limits.max_cells:
        _raise(
            _("The workbook holds more than %(limit)d different texts; the limit is one per cell allowed.")
            % {"limit": limits.max_cells}
        )
    parser = _expat(_raise)
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    with archive.open(name) as member:
        _feed(parser, member)


@dataclass
class _SheetExtent:
    """A sheet of a workbook and what a streamed pass over it found: its last row and column holding a value."""

    title: str
    path: str
    is_visible: bool
    rows: int = 0
    columns: int = 0

    @property
    def has_values(self) -> bool:
        return self.rows > 0


@dataclass
class _Budget:
    """What the sheets of one workbook may hold together: a bomb of many sheets is refused as one of one sheet."""

    cells: int
    elements: int


def _scan_sheet(archive: zipfile.ZipFile, sheet: _SheetExtent, limits: Limits, budget: _Budget) -> None:
    """Measure a sheet's XML and refuse it past the limits (rows, columns, cells, characters in a cell), naming the
    sheet, row and column; note the last row and column that hold a value.

    First the tags are counted as the bytes unpack (a sheet of millions of cells or rows is refused in a second or
    two), then expat streams the sheet for the rest: where each cell is, how long its text."""
    title = sheet.title
    cells, rows, elements = _count_tags(archive, sheet.path, (b"c", b"row"))
    budget.cells -= cells
    budget.elements -= elements
    if rows > limits.max_rows + 1:
        _raise(
            _("The sheet “%(sheet)s” has more than %(limit)d rows. Split it into smaller files.")
            % {"sheet": title, "limit": limits.max_rows}
        )
    if budget.cells < 0:
        _raise(
            _("The sheet “%(sheet)s” takes the workbook past %(limit)d cells. Split it into smaller files.")
            % {"sheet": title, "limit": limits.max_cells}
        )
    if budget.elements < 0:
        # Each cell is a few elements (c, v, f, is, t): many more than that is padding, not a table.
        _raise(_("The sheet “%(sheet)s” is too large to read. Split it into smaller files.") % {"sheet": title})
    row = column = 0
    in_data = False
    value_length = 0
    in_value = False

    def where() -> str:
        return _("sheet “%(sheet)s”, row %(row)d, column %(column)s") % {
            "sheet": title,
            "row": row,
            "column": _column_letters(column),
        }

    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal row, column, in_data, value_length, in_value
        if ":" in tag:  # a prefixed namespace (x:c): rare
            tag = _local(tag)
        if tag == "c":
            if in_data:
                reference = attributes.get("r")
                if reference:
                    letters = _CELL_REFERENCE.fullmatch(reference)
                    column = _column_number(letters.group(1)) if letters and letters.group(1) else column + 1
                else:
                    column += 1
                if column > limits.max_columns:
                    _raise(
                        _("%(where)s: the sheet is wider than %(limit)d columns. Delete the columns beyond the table.")
                        % {"where": where(), "limit": limits.max_columns}
                    )
            in_value = False
        elif tag in ("v", "t", "f"):
            in_value = in_data
            value_length = 0
        elif tag == "row":
            reference = attributes.get("r")
            row = int(reference) if reference and reference.isdigit() else row + 1
            column = 0
            in_value = False
            if row > limits.max_rows + 1:
                _raise(
                    _("The sheet “%(sheet)s” has more than %(limit)d rows (row %(row)d). Split it into smaller files.")
                    % {"sheet": title, "limit": limits.max_rows, "row": row}
                )
        elif tag == "sheetData":
            in_data = True
        else:
            in_value = False

    def text(data: str) -> None:
        nonlocal value_length
        if in_value:
            value_length += len(data)
            if value_length > EXCEL_CELL_CHARS:
                _raise(
                    _("%(where)s: the cell is longer than a spreadsheet cell can be (%(limit)d characters).")
                    % {"where": where(), "limit": EXCEL_CELL_CHARS}
                )
            if row > sheet.rows or column > sheet.columns:
                if data.strip():
                    sheet.rows = max(sheet.rows, row)
                    sheet.columns = max(sheet.columns, column)

    parser = _expat(_raise)
    # No handler of ends: the next start says where the text is (whitespace between elements is not a value).
    parser.StartElementHandler, parser.CharacterDataHandler = start, text
    with archive.open(sheet.path) as member:
        _feed(parser, member)


def _check_parts(archive: zipfile.ZipFile, limits: Limits) -> None:
    """The sizes the zip declares (zipfile unpacks no more than that): the whole, and each part but the sheets."""
    infos = archive.infolist()
    unzipped = sum(info.file_size for info in infos)
    if unzipped > limits.max_unzipped_bytes:
        raise TableError(
            _("The workbook unpacks to %(size)s; the limit is %(limit)s. Split it into smaller files.")
            % {"size": _megabytes(unzipped), "limit": _megabytes(limits.max_unzipped_bytes)}
        )
    for info in infos:
        if not _is_sheet_part(info.filename) and info.file_size > limits.max_part_bytes:
            raise TableError(
                _("The part %(part)s of the workbook unpacks to %(size)s; the limit is %(limit)s.")
                % {
                    "part": info.filename,
                    "size": _megabytes(info.file_size),
                    "limit": _megabytes(limits.max_part_bytes),
                }
            )


_RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _worksheets(archive: zipfile.ZipFile) -> list[_SheetExtent]:
    """The workbook's worksheets in order (title, part, visible), as its workbook part and relationships list them."""
    from defusedxml import ElementTree

    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError as exc:
        raise TableError(_("The workbook cannot be read (it has no %(part)s).") % {"part": exc.args[0]}) from exc
    except Exception as exc:  # defusedxml refuses entities and document types; ElementTree, bad XML
        raise TableError(_("The workbook cannot be read (%(error)s).") % {"error": exc}) from exc
    targets = {}
    for relation in relations:
        if _local_tag(relation.tag) == "Relationship" and relation.get("Type", "").endswith("/worksheet"):
            target = relation.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[relation.get("Id")] = path
    sheets = []
    for element in workbook.iter():
        if _local_tag(element.tag) == "sheet":
            path = targets.get(element.get(f"{{{_RELATIONSHIPS_NS}}}id"))
            if path is not None:
                visible = element.get("state", "visible") == "visible"
                sheets.append(_SheetExtent(element.get("name", ""), path, visible))
    return sheets


def _local_tag(tag: str) -> str:
    return tag.rpartition("}")[2]


def _read_xlsx(
    stream: IO[bytes], size: int, limits: Limits, sheet_name: str | None, skip_sheets: Collection[str]
) -> Table:
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile as exc:
        raise TableError(_("The file is named .xlsx but it is not a readable Excel workbook.")) from exc
    with archive:
        names = set(archive.namelist())
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise TableError(_("The file is named .xlsx but it is a zip archive, not an Excel workbook."))
        _check_parts(archive, limits)
        sheets = _worksheets(archive)
        if not sheets:
            raise TableError(_("The workbook has no sheet."))
        budget = _Budget(cells=limits.max_cells, elements=8 * limits.max_cells + 100_000)
        try:
            for name in names:
                if _is_shared_strings(name):
                    _check_shared_strings(archive, name, limits)
            # Every sheet, not only the one read: openpyxl goes through a sheet without a declared size to find it.
            for sheet in sheets:
                if sheet.path not in names:
                    raise TableError(_("The workbook cannot be read (it has no %(part)s).") % {"part": sheet.path})
                _scan_sheet(archive, sheet, limits, budget)
        except _Refused as exc:
            raise TableError(str(exc)) from None
    chosen = _chosen_sheet(sheets, sheet_name, skip_sheets)
    import openpyxl  # openpyxl parses with defusedxml when it is installed (it is a dependency)

    stream.seek(0)
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=False)
        sheet = workbook[chosen.title]
    except Exception as exc:  # openpyxl raises many kinds of errors on a damaged workbook
        raise TableError(_("The workbook cannot be read (%(error)s).") % {"error": exc}) from exc
    rows = _xlsx_rows(workbook, sheet, chosen, limits)
    header = _first_row(rows)
    return Table("xlsx", "", header, rows, size, estimated_rows=max(chosen.rows - 1, 0), sheet=chosen.title)


def unpacked_size(stream: IO[bytes], name: str) -> int:
    """What a workbook declares it unpacks to (0 for a CSV, or a file that is not a readable zip)."""
    if PurePath(name).suffix.lower() != ".xlsx":
        return 0
    stream = getattr(stream, "file", stream)
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            return sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return 0
    finally:
        stream.seek(0)


def sheet_names(stream: IO[bytes], name: str) -> list[str]:
    """The titles of a workbook's sheets (for a choice of sheet); [] for a file that is not a readable XLSX."""
    if PurePath(name).suffix.lower() != ".xlsx":
        return []
    stream = getattr(stream, "file", stream)
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            _check_parts(archive, Limits.from_settings())
            return [sheet.title for sheet in _worksheets(archive)]
    except (TableError, zipfile.BadZipFile):  # not a workbook: the import says why
        return []
    finally:
        stream.seek(0)


def _chosen_sheet(sheets: list[_SheetExtent], sheet_name: str | None, skip_sheets: Collection[str]) -> _SheetExtent:
    """The sheet to read: the one named, or the only visible sheet holding data (other than `skip_sheets`)."""
    if sheet_name is not None:
        wanted = sheet_name.strip().casefold()
        for sheet in sheets:
            if sheet.title.strip().casefold() == wanted:
                return sheet
        raise TableError(
            _("The workbook has no sheet “%(sheet)s”; its sheets are: %(sheets)s.")
            % {"sheet": sheet_name, "sheets": _quoted(sheet.title for sheet in sheets)}
        )
    candidates = [sheet for sheet in sheets if sheet.is_visible and sheet.title not in skip_sheets] or sheets[:1]
    with_data = [sheet for sheet in candidates if sheet.has_values]
    if len(with_data) > 1:
        raise TableError(
            _(
                "The workbook has %(count)d sheets with data: %(sheets)s. Choose the sheet to import (on the command "
                "line: --sheet NAME), or keep one sheet per file."
            )
            % {"count": len(with_data), "sheets": _quoted(sheet.title for sheet in with_data)}
        )
    return with_data[0] if with_data else candidates[0]


def _quoted(titles: Iterable[str]) -> str:
    return ", ".join(f"“{title}”" for title in titles)


def _xlsx_rows(workbook, sheet, extent: _SheetExtent, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    try:
        if not extent.has_values:
            return
        # Clipped to what the scan found: a declared dimension or a stray far cell cannot widen every row.
        for number, values in enumerate(
            sheet.iter_rows(max_row=extent.rows, max_col=max(extent.columns, 1), values_only=True), start=1
        ):
            if number > limits.max_rows + 1:
                raise TableError(_too_many_rows(limits))
            yield number, [cell_text(value) for value in values]
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    """The text a CSV export would hold for a typed spreadsheet value."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Excel keeps every number as a double: an 11-digit ID is exact in it, and must not come out as 9.9e10.
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    text = getattr(value, "text", None)  # array formulas
    return text if isinstance(text, str) else str(value)


# --- text checks -------------------------------------------------------------------------------------------


def has_bidi_controls(text: str) -> bool:
    return BIDI_CONTROLS.search(text) is not None


def strip_bidi_controls(text: str) -> str:
    return BIDI_CONTROLS.sub("", text)


def looks_like_formula(text: str) -> bool:
    return isinstance(text, str) and text.startswith(FORMULA_TRIGGERS)


def neutralise_formula(value: Any) -> Any:
    """A cell value that no spreadsheet will run: text starting with = + - @ tab or CR gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


# --- writing -----------------------------------------------------------------------------------------------


def write_csv(stream: IO[str], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> None:
    """Write rows as CSV to a text stream, every cell neutralised; the BOM makes Excel read it as UTF-8."""
    if bom:
        stream.write("\ufeff")
    writer = csv.writer(stream, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise_formula(cell_text(value)) for value in row])


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    write_csv(buffer, rows)
    return buffer.getvalue().encode("utf-8")


def _xlsx_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | Decimal | datetime.date | datetime.time):
        return value
    return neutralise_formula(value if isinstance(value, str) else cell_text(value))


def write_xlsx(
    stream: IO[bytes],
    sheets: dict[str, Iterable[Sequence[Any]]],
    *,
    write_only: bool = True,
    decorate: Callable[[Any], None] | None = None,
) -> None:
    """Write one worksheet per entry of `sheets` (title → rows), every text cell neutralised.

    `write_only` streams rows (for large exports); `decorate(workbook)` may style a small one before it is saved.
    """
    import openpyxl

    workbook = openpyxl.Workbook(write_only=write_only)
    if not write_only:
        workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title=title[:31])
        for row in rows:
            sheet.append([_xlsx_value(value) for value in row])
    if decorate is not None:
        decorate(workbook)
    workbook.save(stream)


def xlsx_bytes(sheets: dict[str, Iterable[Sequence[Any]]], **kwargs) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets, **kwargs)
    return buffer.getvalue()
