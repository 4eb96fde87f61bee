"""The 4W's sex × age computed in the database (measures.age_sex_of, read by the grouped indicator table and 4W) is
`MeasureRow.age_sex` computed in Python, on the days around an 18th birthday, 29 February included."""

import datetime

import pytest
from django.db.models import DateField, Value

from liman.core import measures
from liman.registry import services as registry
from liman.registry.models import Person

pytestmark = pytest.mark.django_db

BIRTHS = [datetime.date(2008, 2, 29), datetime.date(2008, 3, 1), datetime.date(2008, 12, 31), None]
DAYS = [datetime.date(2026, 2, 28), datetime.date(2026, 3, 1), datetime.date(2026, 12, 30), datetime.date(2026, 12, 31)]


def test_the_database_gives_the_age_group_python_gives(istanbul):
    people = [
        registry.person_register(
            office=istanbul,
            data=registry.PersonInput(
                first_name=f"Deniz{n}", family_name="Yas", sex=sex, nationality="SYR", birth_date=born
            ),
            by=None,
        )  # fmt: skip
        for n, (sex, born) in enumerate((sex, born) for sex in "FM" for born in BIRTHS)
    ]
    for day in DAYS:
        found = dict(
            Person.objects.filter(pk__in=[person.pk for person in people])
            .annotate(on=Value(day, output_field=DateField()))
            .annotate(m_age_sex=measures.age_sex_of("sex", "birth_date", "on"))
            .values_list("pk", "m_age_sex")
        )
        expected = {
            person.pk: measures.MeasureRow(
                person_key=person.pk, on=day, office_id=istanbul.pk, district_pcode="", sex=person.sex,
                age_group=measures.age_group_on(person.birth_date, day), population_group="", with_disability=False,
            ).age_sex.value
            for person in people
        }  # fmt: skip
        assert found == expected, day
    assert set(found.values()) == {"women", "men"}  # all 18 by the last day, or of unknown age
