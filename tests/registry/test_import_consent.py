"""Consents of imported people, from a real XLSX file: what a row says about consent is recorded for each purpose it
names (one or several, on the row's legal basis), and every person is registered on a legal basis: the row's when
it names registration, else the one the import form chose for the file."""

from __future__ import annotations

import io

import openpyxl
import pytest

from liman.core.models import ImportBatch
from liman.core.staging import import_commit, import_stage, problem_report
from liman.registry.choices import ConsentPurpose
from liman.registry.consent import consent_for
from liman.registry.models import Consent, Person
from tests.registry.test_import_people import COLUMNS, person

pytestmark = pytest.mark.django_db


def xlsx_file(rows: list[dict]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "people"
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row.get(column) or None for column in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def stage(office, rows: list[dict], **declared) -> ImportBatch:
    return import_stage(
        kind="people", file=io.BytesIO(xlsx_file(rows)), file_name="people.xlsx", office=office, by=None,
        declared=declared,
    )  # fmt: skip


def consents_of(first_name: str) -> set[tuple[str, str]]:
    return set(Consent.objects.filter(person__first_name=first_name).values_list("purpose", "legal_basis"))


def test_each_purpose_a_row_names_is_recorded_and_everyone_is_registered(istanbul):
    rows = [
        # The head agreed to registration, to messages and to her details going to the bank that pays the cash.
        person(first_name="Amira", sex="F", consent_purpose="registration, contact; sharing_payment_provider",
               consent_legal_basis="consent"),
        # Her husband agreed to messages only: he is registered on the basis the form chose for the file.
        person(first_name="Karim", relationship="spouse", consent_purpose="contact", consent_legal_basis="consent"),
        # Nothing said in the row: the purpose and the legal basis chosen for the file.
        person(first_name="Omar", birth_date="2015-06-30", relationship="child"),
    ]  # fmt: skip
    batch = stage(istanbul, rows, consent_purpose="activities", legal_basis="legitimate_interest")
    assert batch.state == ImportBatch.State.VALID, list(problem_report(batch))
    batch = import_commit(batch=batch, by=None)

    assert consents_of("Amira") == {
        ("registration", "consent"), ("contact", "consent"), ("sharing_payment_provider", "consent"),
    }  # fmt: skip
    assert consents_of("Karim") == {("contact", "consent"), ("registration", "legitimate_interest")}
    assert consents_of("Omar") == {("activities", "legitimate_interest"), ("registration", "legitimate_interest")}
    # What relies on the consents finds them: the payment provider's file, the messages.
    amira, karim = Person.objects.get(first_name="Amira"), Person.objects.get(first_name="Karim")
    assert consent_for(amira, ConsentPurpose.SHARING_PAYMENT_PROVIDER) is not None
    assert consent_for(karim, ConsentPurpose.SHARING_PAYMENT_PROVIDER) is None
    assert consent_for(karim, ConsentPurpose.CONTACT) is not None
    assert batch.result["created"]["consents"] == 7


def test_without_a_basis_for_the_file_a_row_registers_on_its_own_basis(istanbul):
    rows = [person(consent_purpose="referral", consent_legal_basis="vital_interest")]
    import_commit(batch=stage(istanbul, rows), by=None)
    assert consents_of("Ahmad") == {("referral", "vital_interest"), ("registration", "vital_interest")}


def test_a_purpose_named_twice_is_recorded_once(istanbul):
    rows = [person(consent_purpose="contact,contact", consent_legal_basis="consent")]
    import_commit(batch=stage(istanbul, rows, legal_basis="consent"), by=None)
    assert sorted(Consent.objects.values_list("purpose", flat=True)) == ["contact", "registration"]


def test_an_unknown_purpose_among_several_blocks_naming_it(istanbul):
    batch = stage(istanbul, [person(consent_purpose="registration, bank", consent_legal_basis="consent")])
    assert batch.state == ImportBatch.State.INVALID
    [(row, column, message, _blocking)] = list(problem_report(batch))
    assert (row, column) == (2, "consent_purpose")
    assert message.startswith("“bank” is not a purpose; write one or more of: registration, referral")
    assert not Person.objects.exists()
