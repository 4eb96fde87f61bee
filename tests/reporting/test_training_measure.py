"""The training-completed measure (liman.activities.measures): each person who completed a training once (a merged
duplicate as its survivor), light records by their sign-in sheet, disaggregated like the other measures."""

import datetime

from liman.activities import services as activities
from liman.core import measures
from liman.core.choices import Role
from liman.core.models import AdminArea
from liman.registry import services as registry
from liman.registry.merge import person_merge
from liman.reporting import fourw
from tests.factories import staff

KEY = "activities.training_completed"


def register(office, first, sex, born, nationality="SYR", status="temporary_protection"):
    return registry.person_register(
        office=office,
        data=registry.PersonInput(first_name=first, family_name="Kaya", sex=sex, nationality=nationality,
                                  birth_date=born, legal_status=status),
        by=None,
    )  # fmt: skip


def test_people_who_completed_a_training_each_once(istanbul, months):
    locked, _last = months
    officer = staff(Role.PROGRAMME_OFFICER, istanbul, username="train-po")
    district = AdminArea.objects.filter(parent__pcode="TUR034").order_by("pcode").first()
    training = activities.activity_create(
        office=istanbul, type="training", title="Tailoring", starts_on=locked.replace(day=2),
        ends_on=locked.replace(day=20), district=district, by=officer,
    )  # fmt: skip
    session = activities.session_add(activity=training, held_on=locked.replace(day=2), by=officer)
    activities.activity_start(activity=training, by=officer)
    woman = register(istanbul, "Rania", "F", datetime.date(1990, 5, 1))
    duplicate = register(istanbul, "Rania", "F", datetime.date(1990, 5, 1))
    host = register(istanbul, "Ali", "M", datetime.date(1980, 1, 1), nationality="TUR", status="")
    present = [
        activities.participant_add_person(activity=training, person=p, by=officer) for p in (woman, duplicate, host)
    ]
    girl = activities.participant_add_light(
        activity=training, name="Light girl", sex="F", age_group="5_17", population_group="syrian_tp", by=officer
    )
    absent = activities.participant_add_light(
        activity=training, name="Absent", sex="M", age_group="18_59", population_group="host_community", by=officer
    )
    activities.attendance_take(session=session, present={p.pk for p in [*present, girl]}, by=officer)
    person_merge(survivor=woman, merged=duplicate, by=staff(Role.SUPERVISOR, istanbul, username="train-sup"),
                 reason="same person")  # fmt: skip
    assert measures.measure(KEY).unit == measures.Unit.PEOPLE
    rows = fourw.reached(KEY, locked, fourw.next_month(locked), [istanbul.pk])
    by_age_sex = sorted((row.age_sex, row.population_group, row.district_pcode) for row in rows)
    assert by_age_sex == [
        ("girls", "Syrians under temporary protection", district.pcode),
        ("men", "Host community", district.pcode),
        ("women", "Syrians under temporary protection", district.pcode),
    ]
    assert absent.pk not in {row.person_key for row in rows} and -absent.pk not in {row.person_key for row in rows}
    # Not in the month after, nor in another office.
    assert fourw.reached(KEY, fourw.next_month(locked), fourw.next_month(fourw.next_month(locked)), [istanbul.pk]) == []
    assert fourw.reached(KEY, locked, fourw.next_month(locked), [istanbul.pk + 1000]) == []
