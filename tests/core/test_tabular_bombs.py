"""Workbooks built to exhaust a reader ("decompression bombs"): small zips of XML that unpack to millions of cells,
rows, columns or characters. Each is a real XLSX, zipped with deflate in a temporary folder, and each is refused
while it is read, with a message naming the limit (and the sheet, row and column); the command line refuses one
within a bounded peak of memory. No timings are asserted: the tests just must not take long."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from liman.core.tabular import Limits, TableError, read_table

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="people" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>first_name</t></is></c></row>'
)
SHEET_TAIL = "</sheetData></worksheet>"
NO_STRINGS = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"></sst>'


def _repeated(member, piece: bytes, times: int) -> None:
    block = piece * max(1, (1024 * 1024) // len(piece))
    per_block = len(block) // len(piece)
    written = 0
    while written + per_block <= times:
        member.write(block)
        written += per_block
    member.write(piece * (times - written))


def bomb(
    path: Path,
    *,
    cells: tuple[bytes, int] | None = None,
    strings: tuple[bytes, int] | None = None,
    dimension: str = "",
    tail_rows: bytes = b"",
) -> Path:
    """A workbook whose sheet (after its header row) repeats `cells` (a piece of XML, how many times), or whose
    shared strings repeat `strings`; deflated, as a spreadsheet zips it."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write(SHEET_HEAD.format(dimension=dimension).encode())
            if cells is not None:
                piece, times = cells
                if piece.startswith(b"<row"):
                    _repeated(member, piece, times)
                else:
                    member.write(b'<row r="2">')
                    _repeated(member, piece, times)
                    member.write(b"</row>")
            member.write(tail_rows)
            member.write(SHEET_TAIL.encode())
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            if strings is None:
                member.write(NO_STRINGS.encode())
            else:
                member.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
                _repeated(member, *strings)
                member.write(b"</sst>")
    return path


def refusal(path: Path, **limits) -> str:
    with path.open("rb") as stream, pytest.raises(TableError) as refused:
        table = read_table(stream, path.name, limits=Limits(**limits))
        list(table.rows)
    return str(refused.value)


def test_the_bomb_builder_makes_a_workbook_openpyxl_reads(tmp_path):
    path = bomb(tmp_path / "small.xlsx", cells=(b"<c><v>1</v></c>", 3))
    assert [list(row) for row in openpyxl.load_workbook(path, read_only=True).active.values] == [
        ["first_name"],
        [1, 1, 1],
    ]
    with path.open("rb") as stream:
        table = read_table(stream, path.name)
        assert list(table.rows) == [(2, ["1", "1", "1"])]


def test_millions_of_cells_in_one_row_are_refused_at_the_column_limit(tmp_path):
    path = bomb(tmp_path / "wide.xlsx", cells=(b"<c><v>1</v></c>", 2_000_000))
    assert path.stat().st_size < 1_000_000  # it unpacks to some 30 MB
    message = refusal(path)
    assert "sheet “people”, row 2, column SG" in message and "wider than 500 columns" in message


def test_millions_of_rows_are_refused_at_the_row_limit(tmp_path):
    path = bomb(tmp_path / "long.xlsx", cells=(b"<row><c><v>1</v></c></row>", 3_000_000))
    message = refusal(path)
    assert "The sheet “people” has more than 200000 rows" in message


def test_a_sheet_of_millions_of_cells_is_refused_at_the_cell_limit(tmp_path):
    row = b"<row>" + b"<c><v>1</v></c>" * 100 + b"</row>"
    path = bomb(tmp_path / "cells.xlsx", cells=(row, 100_000))  # 10 million cells in 100,000 rows
    assert "The sheet “people” takes the workbook past 3000000 cells" in refusal(path)


def test_one_cell_longer_than_a_spreadsheet_allows_is_refused_naming_it(tmp_path):
    piece = b'<c r="B2" t="inlineStr"><is><t>' + b"A" * 50_000_000 + b"</t></is></c>"
    path = bomb(tmp_path / "long-cell.xlsx", cells=(piece, 1))
    assert "sheet “people”, row 2, column B: the cell is longer than a spreadsheet cell can be" in refusal(path)


def test_shared_strings_that_expand_to_millions_are_refused(tmp_path):
    path = bomb(tmp_path / "strings.xlsx", strings=(b"<si><t>x</t></si>", 4_000_000))
    assert "more than 3000000 different texts" in refusal(path)


def test_a_workbook_declared_larger_than_the_limit_is_refused_before_it_is_unpacked(tmp_path):
    path = bomb(tmp_path / "large.xlsx", cells=(b"<c><v>1</v></c>", 2_000_000))
    assert "The workbook unpacks to" in refusal(path, max_unzipped_bytes=10 * 1024 * 1024)


def test_a_far_cell_reference_cannot_widen_every_row(tmp_path):
    path = bomb(tmp_path / "far.xlsx", cells=(b'<c r="XFD2"><v>1</v></c>', 1))
    assert "sheet “people”, row 2, column XFD: the sheet is wider than 500 columns" in refusal(path)


def test_a_declared_dimension_of_the_whole_grid_is_not_believed(tmp_path):
    """openpyxl pads every row to the declared dimension: the rows read are those the sheet holds."""
    path = bomb(
        tmp_path / "dimension.xlsx", cells=(b"<c><v>7</v></c>", 1), dimension='<dimension ref="A1:XFD1048576"/>'
    )
    with path.open("rb") as stream:
        table = read_table(stream, path.name)
        assert (table.header, list(table.rows)) == (["first_name"], [(2, ["7"])])


def test_a_document_type_in_a_part_is_refused(tmp_path):
    path = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>',
        )
        archive.writestr("xl/sharedStrings.xml", NO_STRINGS)
    assert "document type declaration" in refusal(path)


def test_a_bomb_on_the_second_sheet_is_refused_too(tmp_path):
    """openpyxl reads through every sheet that declares no size when it opens a workbook: each is measured first."""
    path = tmp_path / "second.xlsx"
    workbook = WORKBOOK.replace(
        '<sheet name="people" sheetId="1" r:id="rId1"/>',
        '<sheet name="people" sheetId="1" r:id="rId1"/><sheet name="more" sheetId="2" r:id="rId3"/>',
    )
    rels = WORKBOOK_RELS.replace(
        "</Relationships>",
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet2.xml"/></Relationships>',
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", rels)
        archive.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD.format(dimension="") + SHEET_TAIL)
        with archive.open("xl/worksheets/sheet2.xml", "w") as member:
            member.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            member.write(b"<row>" + b"<c><v>1</v></c>" * 1_000_000 + b"</row>")
            member.write(SHEET_TAIL.encode())
        archive.writestr("xl/sharedStrings.xml", NO_STRINGS)
    assert "sheet “more”, row 1, column SG" in refusal(path)


MEASURED_IMPORT = """
import sys
from liman.cli import main
sys.argv = ["liman", "import", "people", sys.argv[1], "--office", "IST"]
try:
    code = main()
except SystemExit as exc:
    code = exc.code
# The high-water mark of this process's own memory (VmHWM): ru_maxrss would carry over the parent's peak on
# Linux, which is pytest's whole suite when it runs in one.
with open("/proc/self/status") as status:
    peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(f"PEAK {peak_kib}", file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("wide.xlsx", {"cells": (b"<c><v>1</v></c>", 15_000_000)}),
        ("strings.xlsx", {"strings": (b"<si><t>x</t></si>", 12_000_000)}),
    ],
)
def test_the_command_refuses_a_bomb_with_a_bounded_peak_of_memory(tmp_path, name, build):
    """The real command, on a throwaway SQLite database of its own, its peak memory measured by the process."""
    path = bomb(tmp_path / name, **build)
    assert path.stat().st_size < 2_000_000  # each unpacks to some 200 MB
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "liman.settings",
        "LIMAN_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "LIMAN_FIELD_KEYS": "qQdhGAWPo0e_pt_DhChbBEm8n2UqzRr55C2EW1kVoEw=",
        "LIMAN_BLIND_INDEX_KEY": "bomb-test-blind-index-key",
    }
    liman = Path(sys.executable).with_name("liman")
    subprocess.run([liman, "migrate", "core", "-v0"], env=env, check=True, capture_output=True)
    create_office = (
        "from liman.core.models import AdminArea, Office; "
        "Office.objects.create(code='IST', name='Istanbul', type='sub', province=AdminArea.objects.get(pcode='TUR034'))"
    )
    subprocess.run([liman, "shell", "-c", create_office], env=env, check=True, capture_output=True)
    result = subprocess.run(
        [sys.executable, "-c", MEASURED_IMPORT, str(path)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stderr
    assert f"{name} was rejected; nothing was written." in result.stderr
    peak_mib = int(result.stderr.rsplit("PEAK ", 1)[1].split()[0]) / 1024
    assert peak_mib < 500, f"peak memory {peak_mib:.0f} MiB"


def test_a_huge_csv_field_is_refused_naming_its_row():
    data = b"first_name\r\nAli\r\n" + b'"' + b"A" * 200_000 + b'"\r\n'
    with pytest.raises(TableError, match="Row 3 cannot be read as CSV"):
        list(read_table(io.BytesIO(data), "people.csv").rows)


def test_a_csv_row_wider_than_the_column_limit_is_refused_naming_it():
    data = b"first_name\r\nAli\r\n" + b"," * 600 + b"\r\n"
    with pytest.raises(TableError, match="Row 3 has 601 cells; the limit is 500 columns"):
        list(read_table(io.BytesIO(data), "people.csv").rows)
