"""Correcting rows of a staged people import: a bad date fixed on the page, the household rule checked again
across rows, phones and foreigner IDs kept out of the audit's diff."""

from __future__ import annotations

import datetime

import pytest

from liman.core.models import AuditEvent, ImportBatch
from liman.core.staging import import_commit, import_row_correct, import_row_leave_out
from liman.registry.models import Household, Person
from tests.registry.test_import_people import FAMILY, YKN, blocking, csv_data, person, report, stage

pytestmark = pytest.mark.django_db


def fresh(batch) -> ImportBatch:
    return ImportBatch.objects.get(pk=batch.pk)


def test_a_bad_date_corrected_on_the_batch_is_imported_as_corrected(istanbul):
    batch = stage(istanbul, csv_data([*FAMILY, person(first_name="Bad", household_ref="H9", birth_date="1990-02-30")]))
    assert blocking(batch) == [(6, "birth_date", "1990-02-30 is not a real date.")]
    import_row_correct(batch=batch, row_number=6, cells={"birth_date": "1990-02-28"}, by=None)
    batch = import_commit(batch=fresh(batch), by=None)
    assert batch.state == ImportBatch.State.COMMITTED
    assert Person.objects.get(first_name="Bad").birth_date == datetime.date(1990, 2, 28)


def test_correcting_one_of_two_heads_clears_the_household_problem_on_both_rows(istanbul):
    rows = [person(), person(first_name="Fatma", sex="F", relationship="head")]
    batch = stage(istanbul, csv_data(rows))
    assert [row for row, column, _message in blocking(batch)] == [2, 3]
    import_row_correct(batch=batch, row_number=3, cells={"relationship": "spouse"}, by=None)
    assert fresh(batch).state == ImportBatch.State.VALID and report(batch) == []
    import_commit(batch=fresh(batch), by=None)
    assert Household.objects.get().members.count() == 2


def test_a_correction_that_takes_away_the_head_blocks_every_member(istanbul):
    batch = stage(istanbul, csv_data(FAMILY[:3]))
    import_row_correct(batch=batch, row_number=2, cells={"relationship": "spouse"}, by=None)
    assert [row for row, _column, _message in blocking(batch)] == [2, 3, 4]
    assert fresh(batch).state == ImportBatch.State.INVALID


def test_the_audit_of_a_corrected_phone_or_foreigner_id_keeps_the_numbers_out(istanbul):
    batch = stage(istanbul, csv_data([person(phone="0532 123", foreigner_id="12345")]))
    import_row_correct(
        batch=batch,
        row_number=2,
        cells={"phone": "0532 123 45 67", "foreigner_id": YKN, "first_name": "Ahmed"},
        by=None,
    )
    changes = AuditEvent.objects.get().changes
    assert changes == {
        "row 2 phone": ["[encrypted]", "[encrypted]"],
        "row 2 foreigner_id": ["[encrypted]", "[encrypted]"],
        "row 2 first_name": ["Ahmad", "Ahmed"],
    }
    assert fresh(batch).state == ImportBatch.State.VALID


def test_a_row_left_out_is_not_registered(istanbul):
    batch = stage(istanbul, csv_data([*FAMILY, FAMILY[3]]))
    assert (6, "", "This row repeats row 5.") in blocking(batch)
    import_row_leave_out(batch=batch, row_number=6, by=None)
    assert report(batch) == []
    import_commit(batch=fresh(batch), by=None)
    assert Person.objects.count() == 4
