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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

#: Defaults for the limits below; each has a setting of the same name with `LIMAN_IMPORT_` in front.
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_UNZIPPED_BYTES = 500 * 1024 * 1024
DEFAULT_MAX_ROWS = 200_000
DEFAULT_MAX_CELL_CHARS = 1000

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


@dataclass(frozen=True)
class Limits:
    """How large an imported file, its cells and its row count may be."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_unzipped_bytes: int = DEFAULT_MAX_UNZIPPED_BYTES
    max_rows: int = DEFAULT_MAX_ROWS
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_bytes=getattr(settings, "LIMAN_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES),
            max_unzipped_bytes=getattr(settings, "LIMAN_IMPORT_MAX_UNZIPPED_BYTES", DEFAULT_MAX_UNZIPPED_BYTES),
            max_rows=getattr(settings, "LIMAN_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS),
            max_cell_chars=getattr(settings, "LIMAN_IMPORT_MAX_CELL_CHARS", DEFAULT_MAX_CELL_CHARS),
        )


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


def read_table(stream: IO[bytes], name: str, *, limits: Limits | None = None) -> Table:
    """Open a CSV or XLSX file for reading; raises TableError when it is not what its name says, too large,
    empty, or (for CSV) neither UTF-8 nor Windows-1254 text. `stream` must be a seekable binary file."""
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
        return _read_xlsx(stream, size, limits)
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


def _read_xlsx(stream: IO[bytes], size: int, limits: Limits) -> Table:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            unzipped = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise TableError(_("The file is named .xlsx but it is not a readable Excel workbook.")) from exc
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise TableError(_("The file is named .xlsx but it is a zip archive, not an Excel workbook."))
    if unzipped > limits.max_unzipped_bytes:
        raise TableError(
            _("The workbook unpacks to %(size)s; the limit is %(limit)s. Split it into smaller files.")
            % {"size": _megabytes(unzipped), "limit": _megabytes(limits.max_unzipped_bytes)}
        )
    import openpyxl  # openpyxl parses with defusedxml when it is installed (it is a dependency)

    stream.seek(0)
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds of errors on a damaged workbook
        raise TableError(_("The workbook cannot be read (%(error)s).") % {"error": exc}) from exc
    sheet = workbook.worksheets[0]
    notices = []
    if len(workbook.worksheets) > 1:
        notices.append(_("Only the first sheet, “%(sheet)s”, was read.") % {"sheet": sheet.title})
    rows = _xlsx_rows(workbook, sheet, limits)
    header = _first_row(rows)
    return Table("xlsx", "", header, rows, size, estimated_rows=max((sheet.max_row or 1) - 1, 0), notices=notices)


def _xlsx_rows(workbook, sheet, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
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
