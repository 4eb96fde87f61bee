"""One write path for people: the registration form, the single-person service, the people import and the bulk
service apply the same rules (`registry.rules`), and imported people carry a legal basis as registered ones do.
Also the sheet of a workbook, chosen on the command line and on the page."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from liman.core.choices import Role
from liman.core.models import ImportBatch
from liman.core.staging import ImportRefused, import_commit, import_stage, problem_report
from liman.registry import rules
from liman.registry.forms import RegistrationForm
from liman.registry.models import Consent, Person
from liman.registry.services import PersonEnrolment, PersonInput, people_enrol_bulk, person_register
from tests.factories import staff
from tests.registry.test_import_people import COLUMNS, FAMILY, csv_data, person

pytestmark = pytest.mark.django_db


def stage(office, data: bytes, name: str = "people.csv", **options) -> ImportBatch:
    return import_stage(kind="people", file=io.BytesIO(data), file_name=name, office=office, by=None, **options)


def blocking(batch) -> list[tuple]:
    return [(row, column, message) for row, column, message, blocks in problem_report(batch) if blocks]


# --- every path refuses what a rule refuses -------------------------------------------------------------------

GOOD_PERSON = {
    "first_name": "Ahmad",
    "father_name": "Ali",
    "family_name": "Al-Hassan",
    "sex": "M",
    "birth_date": "1985-03-02",
    "nationality": "SYR",
    "phone": "",
}


def _form_refuses(istanbul, field: str, value: str) -> bool:
    data = {**GOOD_PERSON, field: value, "legal_basis": "consent", "consent_given": "on", "household": "new"}
    form = RegistrationForm(data, user=staff(Role.CASEWORKER, istanbul), offices=[istanbul])
    return not form.is_valid() and field in form.errors


def _service_refuses(istanbul, field: str, value: str) -> bool:
    values = {**GOOD_PERSON, field: value}
    try:
        born = datetime.date.fromisoformat(values["birth_date"])
        person_register(office=istanbul, data=PersonInput(**{**values, "birth_date": born}), by=None)
    except (ValidationError, ValueError):
        return True
    return False


def _bulk_refuses(istanbul, field: str, value: str) -> bool:
    values = {**GOOD_PERSON, field: value}
    enrolment = PersonEnrolment(
        person=PersonInput(**{**values, "birth_date": datetime.date.fromisoformat(values["birth_date"])}),
        household="H1",
        relationship="head",
        consent_purpose="registration",
        legal_basis="consent",
    )
    try:
        people_enrol_bulk(office=istanbul, enrolments=[enrolment], by=None)
    except ValidationError:
        return True
    return False


@pytest.mark.parametrize("rule", rules.PERSON_RULES, ids=lambda rule: rule.why)
def test_every_path_refuses_what_a_rule_refuses(istanbul, rule):
    """A rule added to `rules.PERSON_RULES` (the model's, the form's) that one path does not apply fails here."""
    import_problems = blocking(stage(istanbul, csv_data([person(**{rule.field: rule.bad_value})]), declared=_CONSENT))
    assert [column for _row, column, _message in import_problems] == [rule.field], import_problems
    assert _form_refuses(istanbul, rule.field, rule.bad_value)
    assert _service_refuses(istanbul, rule.field, rule.bad_value)
    assert _bulk_refuses(istanbul, rule.field, rule.bad_value)
    assert not Person.objects.exists()


_CONSENT = {"legal_basis": "consent"}


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        (field.name, bad)
        for field in Person._meta.concrete_fields
        if field.name in rules.PERSON_FIELDS
        for bad in (
            *(["x" * (field.max_length + 1)] if field.max_length else []),
            *(["not-a-choice"] if field.choices else []),
            *([""] if not field.blank else []),
        )
    ],
)
def test_the_import_applies_every_limit_the_model_declares(istanbul, field, bad):
    """Generated from the model's fields: a length, a choice or a required field the import does not check fails."""
    batch = stage(istanbul, csv_data([person(**{field: bad})]), declared=_CONSENT)
    assert field in [column for _row, column, _message in blocking(batch)]


def test_the_bulk_service_refuses_a_household_with_two_heads(istanbul):
    enrolments = [
        PersonEnrolment(
            person=PersonInput(first_name=name, family_name="Kaya", sex="M", nationality="SYR", birth_date=born),
            household="H1",
            relationship="head",
            consent_purpose="registration",
            legal_basis="consent",
        )
        for name, born in (("Ali", datetime.date(1980, 1, 1)), ("Veli", datetime.date(1982, 1, 1)))
    ]
    with pytest.raises(ValidationError, match="has 2 heads"):
        people_enrol_bulk(office=istanbul, enrolments=enrolments, by=None)
    assert not Person.objects.exists()


# --- consent ---------------------------------------------------------------------------------------------------


def test_without_a_legal_basis_every_row_blocks_naming_how_to_give_one(istanbul):
    batch = stage(istanbul, csv_data(FAMILY))
    assert batch.state == ImportBatch.State.INVALID
    assert {column for _row, column, _message in blocking(batch)} == {"consent_legal_basis"}
    assert "--legal-basis" in blocking(batch)[0][2]


def test_the_legal_basis_chosen_for_the_file_gives_every_person_a_consent_row(istanbul):
    batch = stage(istanbul, csv_data(FAMILY), declared={"legal_basis": "vital_interest"})
    import_commit(batch=batch, by=None)
    assert Consent.objects.count() == Person.objects.count() == 4
    assert set(Consent.objects.values_list("purpose", "legal_basis")) == {("registration", "vital_interest")}


def test_a_row_may_give_its_own_purpose_and_legal_basis(istanbul):
    rows = [{**row, "consent_legal_basis": "consent"} for row in FAMILY]
    rows[1] = {**rows[1], "consent_purpose": "resettlement", "consent_legal_basis": "public_interest"}
    import_commit(batch=stage(istanbul, csv_data(rows)), by=None)
    # Fatma is registered too: on her row's legal basis, the file choosing none.
    fatma = set(Consent.objects.filter(person__first_name="Fatma").values_list("purpose", "legal_basis"))
    assert fatma == {("resettlement", "public_interest"), ("registration", "public_interest")}
    assert Consent.objects.filter(purpose="registration", legal_basis="consent").count() == 3


def test_an_unknown_legal_basis_in_a_row_blocks_naming_the_choices(istanbul):
    batch = stage(istanbul, csv_data([person(consent_legal_basis="because")]))
    [(row, column, message)] = blocking(batch)
    assert (row, column) == (2, "consent_legal_basis") and "consent, vital_interest" in message


def test_an_unknown_legal_basis_for_the_file_is_refused(istanbul):
    with pytest.raises(ImportRefused, match="“because” is not a legal_basis"):
        stage(istanbul, csv_data(FAMILY), declared={"legal_basis": "because"})


def test_the_command_declares_the_legal_basis(istanbul, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_data(FAMILY))
    out = io.StringIO()
    call_command("import", "people", str(path), office="IST", legal_basis="consent", stdout=out)
    assert "4 consents" in out.getvalue()
    assert Consent.objects.filter(purpose="registration", legal_basis="consent").count() == 4


def test_the_upload_page_declares_the_legal_basis(client, istanbul, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    client.force_login(staff(Role.SUPERVISOR, istanbul))
    assert 'name="legal_basis"' in client.get(reverse("core:import-new"), {"kind": "people"}).content.decode()
    upload = io.BytesIO(csv_data(FAMILY))
    upload.name = "people.csv"
    client.post(
        reverse("core:import-new"),
        {"kind": "people", "office": istanbul.pk, "file": upload, "legal_basis": "legitimate_interest"},
    )
    batch = ImportBatch.objects.get()
    assert batch.state == ImportBatch.State.VALID
    client.post(reverse("core:import-commit", args=[batch.pk]))
    assert Consent.objects.filter(legal_basis="legitimate_interest").count() == 4


# --- the sheet of a workbook -------------------------------------------------------------------------------------


def two_sheets() -> bytes:
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "Ankara"
    second = workbook.create_sheet("İzmir")
    for sheet, rows in ((first, FAMILY[:3]), (second, FAMILY[3:])):
        sheet.append(COLUMNS)
        for row in rows:
            sheet.append([row.get(column, "") for column in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_command_refuses_a_workbook_of_two_sheets_unless_one_is_named(istanbul, tmp_path):
    path = tmp_path / "people.xlsx"
    path.write_bytes(two_sheets())
    err = io.StringIO()
    with pytest.raises(CommandError, match="rejected; nothing was written") as caught:
        call_command("import", "people", str(path), office="IST", legal_basis="consent", stderr=err)
    assert caught.value.returncode == 1
    assert "2 sheets with data: “Ankara”, “İzmir”" in err.getvalue() and "--sheet NAME" in err.getvalue()
    out = io.StringIO()
    call_command("import", "people", str(path), office="IST", legal_basis="consent", sheet="İzmir", stdout=out)
    assert list(Person.objects.values_list("first_name", flat=True)) == ["Zahra"]


def test_the_page_offers_the_sheets_of_a_workbook_it_refused(client, istanbul, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    client.force_login(staff(Role.SUPERVISOR, istanbul))
    upload = io.BytesIO(two_sheets())
    upload.name = "people.xlsx"
    page = client.post(
        reverse("core:import-new"), {"kind": "people", "office": istanbul.pk, "file": upload, "legal_basis": "consent"}
    ).content.decode()
    assert "2 sheets with data" in page and '<option value="İzmir">İzmir</option>' in page
    upload = io.BytesIO(two_sheets())
    upload.name = "people.xlsx"
    data = {"kind": "people", "office": istanbul.pk, "file": upload, "legal_basis": "consent", "sheet": "Ankara"}
    client.post(reverse("core:import-new"), data)
    batch = ImportBatch.objects.get()
    assert (batch.row_count, batch.result["sheet"]) == (3, "Ankara")
