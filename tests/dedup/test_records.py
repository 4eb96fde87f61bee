"""People as the matcher reads them: strings keyed by the engine's columns, read without model instances."""

from __future__ import annotations

import datetime

import pytest

from liman.dedup.engine import COLUMNS
from liman.dedup.records import person_records, records_by_id
from liman.registry import services as registry
from liman.registry.choices import DatePrecision
from liman.registry.models import Identifier, Person

from .conftest import register

pytestmark = pytest.mark.django_db


def test_a_record_has_exactly_the_matchers_columns_as_strings(istanbul):
    person = register(istanbul, "Leyla", "Haddad", sex="F", birth_date=datetime.date(1990, 5, 17))
    (record,) = person_records(Person.objects.filter(pk=person.pk))
    assert set(record) == set(COLUMNS)
    assert all(isinstance(value, str) for value in record.values())
    assert record["record_id"] == str(person.pk) and record["birth_date"] == "1990-05-17"


def test_a_year_only_birth_date_is_given_as_the_year(istanbul):
    person = register(
        istanbul, "Omar", "Karimi", birth_date=datetime.date(1970, 1, 1), birth_date_precision=DatePrecision.YEAR
    )
    assert records_by_id([person.pk])[person.pk]["birth_date"] == "1970"


def test_the_foreigner_id_is_its_blind_index_never_the_number(istanbul):
    person = register(istanbul, "Yusuf", "Demir", foreigner_id="99123456780")
    record = records_by_id([person.pk])[person.pk]
    assert "99123456780" not in record["foreigner_id"]
    assert record["foreigner_id"] == Identifier.objects.get(person=person).value_index


def test_household_and_phone_are_in_the_record(istanbul):
    head = register(istanbul, "Ahmad", "Khalil", phone="0532 111 22 33")
    household = registry.household_create(office=istanbul, head=head, by=None)
    record = records_by_id([head.pk])[head.pk]
    assert record["household_id"] == str(household.pk) and record["phone"] == "+905321112233"


def test_records_stream_in_chunks_at_three_queries_a_chunk(istanbul, django_assert_num_queries):
    for n in range(5):
        register(istanbul, f"Name{n}", "Family", birth_date=datetime.date(1980 + n, 1, 2))
    people = Person.objects.filter(office=istanbul)
    # Chunks of 2: 3 chunks of people, each with one query for foreigner IDs and one for households.
    with django_assert_num_queries(9):
        records = list(person_records(people, chunk=2))
    assert [record["first_name"] for record in records] == [f"Name{n}" for n in range(5)]
