"""Reading CSV and XLSX files as rows of text, and writing them with formulas neutralised: real files only."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile

import openpyxl
import pytest

from liman.core.tabular import (
    Limits,
    TableError,
    cell_text,
    csv_bytes,
    has_bidi_controls,
    neutralise_formula,
    read_table,
    strip_bidi_controls,
    write_xlsx,
    xlsx_bytes,
)

HEADER = "first_name,family_name,birth_date\r\n"


def rows_of(data: bytes, name: str = "people.csv", **limits):
    table = read_table(io.BytesIO(data), name, limits=Limits(**limits))
    return table, list(table.rows)


def xlsx(*rows, sheets: int = 1) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "people"
    for row in rows:
        sheet.append(list(row))
    for number in range(1, sheets):
        workbook.create_sheet(f"extra {number}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- encodings ---------------------------------------------------------------------------------------------


def test_utf8_csv_is_read_as_is():
    table, rows = rows_of((HEADER + "Şükrü,Öztürk,1990-01-02\r\n").encode())
    assert table.encoding == "utf-8" and table.notices == []
    assert table.header == ["first_name", "family_name", "birth_date"]
    assert rows == [(2, ["Şükrü", "Öztürk", "1990-01-02"])]


def test_utf8_csv_with_a_bom_loses_only_the_bom():
    table, rows = rows_of(b"\xef\xbb\xbf" + (HEADER + "Ayşe,Kılıç,1990\r\n").encode())
    assert table.encoding == "utf-8-sig"
    assert table.header[0] == "first_name"
    assert rows == [(2, ["Ayşe", "Kılıç", "1990"])]


def test_windows_1254_csv_is_read_as_turkish_with_a_notice():
    table, rows = rows_of((HEADER + "Ğülşen,İçöz,1990\r\n").encode("cp1254"))
    assert table.encoding == "cp1254"
    assert "Windows-1254" in table.notices[0]
    assert rows == [(2, ["Ğülşen", "İçöz", "1990"])]


def test_a_file_neither_utf8_nor_windows_1254_is_refused_with_the_byte_it_cannot_read():
    latin1_only = HEADER.encode() + b"Jos\x8d,Doe,1990\r\n"  # 0x8D: a Latin-1 control, undefined in cp1254
    with pytest.raises(TableError, match=r"neither UTF-8 nor Windows-1254.*0x8D"):
        read_table(io.BytesIO(latin1_only), "people.csv")


def test_utf16_text_is_refused_with_what_to_save_instead():
    with pytest.raises(TableError, match="UTF-16"):
        read_table(io.BytesIO((HEADER + "A,B,1990\r\n").encode("utf-16")), "people.csv")


def test_semicolon_separated_csv_from_turkish_excel_is_read_with_a_notice():
    table, rows = rows_of("first_name;family_name;birth_date\r\nAli;Kaya;1990\r\n".encode("cp1254"))
    assert rows == [(2, ["Ali", "Kaya", "1990"])]
    assert any("semicolons" in notice for notice in table.notices)


def test_quoted_cells_keep_commas_quotes_and_line_breaks():
    data = HEADER + '"Abu ""Ali""","O\'Brien, Jr","line\nbreak"\r\nnext,row,1990\r\n'
    _table, rows = rows_of(data.encode())
    assert rows == [(2, ['Abu "Ali"', "O'Brien, Jr", "line\nbreak"]), (3, ["next", "row", "1990"])]


def test_arabic_with_zero_width_non_joiner_is_kept_byte_for_byte():
    name = "محمد\u200cرضا"
    _table, rows = rows_of((HEADER + f"{name},رضایی,1990\r\n").encode())
    assert rows[0][1][0].encode() == name.encode()


# --- what a file really is --------------------------------------------------------------------------------


def test_a_pdf_named_csv_is_refused():
    with pytest.raises(TableError, match="named .csv but it is a PDF document"):
        read_table(io.BytesIO(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF"), "people.csv")


def test_an_xlsx_named_csv_is_refused():
    with pytest.raises(TableError, match="named .csv but it is an Excel workbook"):
        read_table(io.BytesIO(xlsx(["first_name"])), "people.csv")


def test_a_csv_named_xlsx_is_refused():
    with pytest.raises(TableError, match=r"named .xlsx but it is text \(CSV\)"):
        read_table(io.BytesIO((HEADER + "A,B,1990\r\n").encode()), "people.xlsx")


def test_a_zip_that_is_not_a_workbook_named_xlsx_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(TableError, match="zip archive, not an Excel workbook"):
        read_table(io.BytesIO(buffer.getvalue()), "people.xlsx")


def test_a_binary_file_named_csv_is_refused():
    with pytest.raises(TableError, match="not text"):
        read_table(io.BytesIO(b"first_name\n\x00\x01\x02\x03"), "people.csv")


def test_another_extension_is_refused():
    with pytest.raises(TableError, match=r"\.csv or \.xlsx"):
        read_table(io.BytesIO(b"a,b\n"), "people.txt")


def test_an_empty_file_is_refused():
    with pytest.raises(TableError, match="empty"):
        read_table(io.BytesIO(b""), "people.csv")


# --- sizes -------------------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read():
    with pytest.raises(TableError, match=r"The file is 0\.0 MB; the limit is 0\.0 MB"):
        read_table(io.BytesIO((HEADER + "A,B,1990\r\n" * 10).encode()), "people.csv", limits=Limits(max_bytes=50))


def test_a_file_over_the_row_limit_is_refused_when_reading_reaches_it():
    table = read_table(io.BytesIO((HEADER + "A,B,1990\r\n" * 4).encode()), "people.csv", limits=Limits(max_rows=3))
    with pytest.raises(TableError, match="more than 3 rows"):
        list(table.rows)


def test_a_workbook_that_unpacks_too_large_is_refused():
    with pytest.raises(TableError, match="unpacks to"):
        read_table(
            io.BytesIO(xlsx(["first_name"], ["A" * 5000])), "people.xlsx", limits=Limits(max_unzipped_bytes=1000)
        )


# --- XLSX --------------------------------------------------------------------------------------------------


def test_typed_xlsx_cells_read_as_the_same_text_a_csv_gives():
    data = xlsx(
        ["birth_date", "year", "foreigner_id", "float", "flag", "text"],
        [datetime.date(1990, 2, 3), 1990, 99123456789, 1.5, True, "Ali"],
        [datetime.datetime(1985, 12, 31, 0, 0), 2001.0, 99123456789.0, None, False, ""],
    )
    table, rows = rows_of(data, "people.xlsx")
    assert table.format == "xlsx" and table.encoding == ""
    assert rows == [
        (2, ["1990-02-03", "1990", "99123456789", "1.5", "TRUE", "Ali"]),
        (3, ["1985-12-31", "2001", "99123456789", "", "FALSE", ""]),
    ]


def test_xlsx_formula_cells_come_out_as_their_text_never_run():
    _table, rows = rows_of(xlsx(["first_name"], ['=HYPERLINK("http://evil.example","click")']), "people.xlsx")
    assert rows == [(2, ['=HYPERLINK("http://evil.example","click")'])]


def test_xlsx_blank_rows_keep_the_row_numbers_of_the_sheet():
    _table, rows = rows_of(xlsx(["first_name"], ["Ali"], [None], ["Veli"]), "people.xlsx")
    assert rows == [(2, ["Ali"]), (3, [""]), (4, ["Veli"])]


def workbook_of(sheets: dict[str, list[list]], *, hidden: tuple[str, ...] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_empty_sheets_beside_the_data_are_no_problem():
    table, rows = rows_of(xlsx(["first_name"], ["Ali"], sheets=3), "people.xlsx")
    assert (table.sheet, table.notices, rows) == ("people", [], [(2, ["Ali"])])


def test_a_workbook_with_two_sheets_of_data_is_refused_naming_them():
    data = workbook_of({"Ankara": [["first_name"], ["Ali"]], "İzmir": [["first_name"], ["Veli"]]})
    with pytest.raises(TableError, match="2 sheets with data: “Ankara”, “İzmir”. Choose the sheet"):
        read_table(io.BytesIO(data), "people.xlsx")


def test_the_sheet_named_is_read_whatever_its_place():
    data = workbook_of({"Ankara": [["first_name"], ["Ali"]], "İzmir": [["first_name"], ["Veli"]]})
    table = read_table(io.BytesIO(data), "people.xlsx", sheet="İzmir ")
    assert (table.sheet, list(table.rows)) == ("İzmir", [(2, ["Veli"])])


def test_a_sheet_name_the_workbook_lacks_is_refused_listing_its_sheets():
    data = workbook_of({"Ankara": [["first_name"], ["Ali"]]})
    with pytest.raises(TableError, match="no sheet “Bursa”; its sheets are: “Ankara”"):
        read_table(io.BytesIO(data), "people.xlsx", sheet="Bursa")


def test_hidden_sheets_and_the_notes_of_a_template_are_not_data():
    data = workbook_of(
        {"people": [["first_name"], ["Ali"]], "Help": [["column", "what"]], "Lists": [["sex"], ["M"]]},
        hidden=("Lists",),
    )
    table = read_table(io.BytesIO(data), "people.xlsx", skip_sheets={"Help"})
    assert (table.sheet, list(table.rows)) == ("people", [(2, ["Ali"])])


def test_sheet_names_lists_the_sheets_of_a_workbook_and_nothing_of_a_csv():
    from liman.core.tabular import sheet_names

    data = workbook_of({"Ankara": [["a"]], "İzmir": [["b"]]})
    assert sheet_names(io.BytesIO(data), "people.xlsx") == ["Ankara", "İzmir"]
    assert sheet_names(io.BytesIO(b"a,b\r\n"), "people.csv") == []


def test_cell_text_keeps_long_numeric_ids_exact():
    assert cell_text(99123456789.0) == "99123456789"
    assert cell_text(1e20) == "1e+20"
    assert cell_text(datetime.datetime(2020, 1, 2, 13, 5)) == "2020-01-02 13:05:00"


# --- text checks -------------------------------------------------------------------------------------------


def test_bidi_overrides_and_isolates_are_found_and_removed_but_marks_are_kept():
    spoof = "Ali\u202eilA\u202c \u2066x\u2069"
    assert has_bidi_controls(spoof)
    assert strip_bidi_controls(spoof) == "AliilA x"
    with_marks = "محمد\u200f\u200e\u061c\u200c"
    assert not has_bidi_controls(with_marks) and strip_bidi_controls(with_marks) == with_marks


@pytest.mark.parametrize("value", ["=1+1", "+90532", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_triggers_are_neutralised(value):
    assert neutralise_formula(value) == "'" + value


@pytest.mark.parametrize("value", ["Ali", "O'Brien", "", "1990", 5, None])
def test_other_values_are_left_alone(value):
    assert neutralise_formula(value) == value


# --- writing -----------------------------------------------------------------------------------------------


def test_write_csv_neutralises_every_formula_and_starts_with_a_bom():
    data = csv_bytes([["name", "phone"], ['=HYPERLINK("http://evil.example","x")', "+905321234567"]])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["name", "phone"], ['\'=HYPERLINK("http://evil.example","x")', "'+905321234567"]]


def test_write_xlsx_stores_formulas_as_text_and_keeps_numbers_and_dates_typed():
    buffer = io.BytesIO()
    write_xlsx(buffer, {"out": [["=1+1", 1990, datetime.date(1990, 1, 2), "@cmd"]]})
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    cells = [cell for cell in sheet[1]]
    assert [cell.value for cell in cells[:2]] == ["'=1+1", 1990]
    assert cells[0].data_type == "s"
    assert cells[2].value.date() == datetime.date(1990, 1, 2)
    assert cells[3].value == "'@cmd"


def test_what_is_written_reads_back_the_same():
    data = xlsx_bytes({"people": [["first_name", "birth_date"], ["Ayşe", datetime.date(1990, 1, 2)]]})
    _table, rows = rows_of(data, "people.xlsx")
    assert rows == [(2, ["Ayşe", "1990-01-02"])]
