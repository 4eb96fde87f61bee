"""People reached, distinct across activities: the rollup the attendance services keep counts a person once per
activity type, province and month, in the office that reached them first; taking attendance again moves or removes
them; the rollup is always what a rebuild from the participants gives; an office's reader counts its own cells."""

from __future__ import annotations

import datetime

import pytest

from liman.activities import selectors, services
from liman.activities.models import PersonReach, ReachCount, ReachTotal
from liman.activities.reach import reach_rebuild
from liman.core.choices import Role
from tests.factories import staff

pytestmark = pytest.mark.django_db


def _cells() -> dict:
    return {
        (row.office_id, row.month, row.activity_type, row.province_id, row.sex, row.age_group, row.population_group):
        row.people for row in ReachCount.objects.all()
    }  # fmt: skip


def _totals() -> dict:
    return {
        (row.month, row.activity_type, row.province_id, row.sex, row.age_group, row.population_group): row.people
        for row in ReachTotal.objects.all()
    }


def _activity(office, by, kind, title, day):
    activity = services.activity_create(office=office, type=kind, title=title, starts_on=day, ends_on=day, by=by)
    return activity, services.session_add(activity=activity, held_on=day, by=by)


def test_a_person_at_two_trainings_in_a_month_is_reached_once(istanbul, officer, person):
    day = datetime.date(2026, 3, 10)
    first, first_session = _activity(istanbul, officer, "training", "Tailoring", day)
    second, second_session = _activity(istanbul, officer, "training", "Sewing machines", day + datetime.timedelta(5))
    workshop, workshop_session = _activity(istanbul, officer, "workshop", "Rights at work", day)
    present = {}
    for activity, session in ((first, first_session), (second, second_session), (workshop, workshop_session)):
        participant = services.participant_add_person(activity=activity, person=person, by=officer)
        walk_in = services.participant_add_light(
            activity=activity, name=f"Walk-in {activity.title}", sex="F", age_group="18_59",
            population_group="host_community", by=officer,
        )  # fmt: skip
        present[activity.pk] = (participant, walk_in)
        services.attendance_take(session=session, present={participant.pk, walk_in.pk}, by=officer)
    reporter = staff(Role.REPORTING_OFFICER, istanbul, username="ro.ist")
    by_type = {}
    for month, kind, _province, sex, _age, _group, people in selectors.people_reached(reporter):
        assert month == 202603
        by_type[(kind, sex)] = by_type.get((kind, sex), 0) + people
    # The person once in training (two trainings), once in workshop; each walk-in once.
    assert by_type == {("training", "F"): 3, ("workshop", "F"): 2}
    reach = PersonReach.objects.get(person_key=person.pk, activity_type="training")
    assert reach.participant == present[first.pk][0]  # the first present
    # The first training's attendance taken again without them: the second training reaches them now.
    services.attendance_take(session=first_session, present={present[first.pk][1].pk}, by=officer)
    reach = PersonReach.objects.get(person_key=person.pk, activity_type="training")
    assert reach.participant == present[second.pk][0]
    assert sum(row[-1] for row in selectors.people_reached(reporter, type="training")) == 3
    services.attendance_take(session=second_session, present={present[second.pk][1].pk}, by=officer)
    assert not PersonReach.objects.filter(person_key=person.pk, activity_type="training").exists()
    assert sum(row[-1] for row in selectors.people_reached(reporter, type="training")) == 2  # the walk-ins
    kept, totals = _cells(), _totals()
    assert reach_rebuild() == {"reached": 4, "cells": len(kept)} and _cells() == kept and _totals() == totals
    assert sum(totals.values()) == sum(kept.values()) == 4


def test_a_person_reached_by_two_offices_counts_in_the_first_only(istanbul, izmir, officer, person):
    izmir_officer = staff(Role.PROGRAMME_OFFICER, izmir, username="po.izm")
    day = datetime.date(2026, 4, 2)
    here, here_session = _activity(istanbul, officer, "awareness", "Here", day + datetime.timedelta(3))
    there = services.activity_create(office=izmir, type="awareness", title="There", starts_on=day, ends_on=day,
                                     district=istanbul.province.children.first(), by=izmir_officer)  # fmt: skip
    there_session = services.session_add(activity=there, held_on=day, by=izmir_officer)
    assert there.province_id == here.province_id  # İzmir's team held it in İstanbul
    for activity, session, by in ((here, here_session, officer), (there, there_session, izmir_officer)):
        participant = services.participant_add_person(activity=activity, person=person, by=None)
        services.attendance_take(session=session, present={participant.pk}, by=by)
    istanbul_reader = staff(Role.REPORTING_OFFICER, istanbul, username="ro.ist")
    izmir_reader = staff(Role.REPORTING_OFFICER, izmir, username="ro.izm")
    assert sum(row[-1] for row in selectors.people_reached(istanbul_reader)) == 0
    assert sum(row[-1] for row in selectors.people_reached(izmir_reader)) == 1  # reached first, on the 2nd
    assert sum(cell for cell in _cells().values()) == 1
    # A reader of every office reads the totals across offices: the person once.
    everywhere = staff(Role.REPORTING_OFFICER, None, username="ro.all")
    assert [row[-1] for row in selectors.people_reached(everywhere)] == [1]
    assert list(ReachTotal.objects.values_list("month", "people")) == [(202604, 1)]


def _registered(office, first: str, family: str):
    from liman.registry import services as registry

    return registry.person_register(
        office=office,
        data=registry.PersonInput(first_name=first, family_name=family, sex="F", nationality="SYR",
                                  birth_date=datetime.date(1990, 5, 1), legal_status="temporary_protection"),
        by=None,
    )  # fmt: skip


def _reached(reader) -> int:
    return sum(row[-1] for row in selectors.people_reached(reader))


def _matches_a_rebuild() -> bool:
    kept, totals = _cells(), _totals()
    reach_rebuild()
    return _cells() == kept and _totals() == totals


def test_merging_two_participants_of_a_training_counts_them_once_until_the_merge_is_undone(
    settings, istanbul, officer, person
):
    from liman.registry.merge import person_merge, person_unmerge

    settings.LIMAN_SECOND_FACTOR_ROLES = []
    duplicate = _registered(istanbul, "Rania", "Hadad")
    day = datetime.date(2026, 5, 4)
    training, session = _activity(istanbul, officer, "training", "Tailoring", day)
    present = {services.participant_add_person(activity=training, person=who, by=officer).pk
               for who in (person, duplicate)}  # fmt: skip
    services.attendance_take(session=session, present=present, by=officer)
    reader = staff(Role.REPORTING_OFFICER, istanbul, username="ro.ist")
    assert _reached(reader) == 2
    supervisor = staff(Role.SUPERVISOR, istanbul, username="supervisor.ist")

    merge = person_merge(survivor=person, merged=duplicate, by=supervisor)

    # Both participants stay (one person takes part once: the alias keeps its row), and count as one person.
    assert training.participants.count() == 2
    assert _reached(reader) == 1
    assert list(PersonReach.objects.values_list("person_key", flat=True)) == [person.pk]
    assert _matches_a_rebuild()

    person_unmerge(merge=merge, by=supervisor)

    assert _reached(reader) == 2
    assert set(PersonReach.objects.values_list("person_key", flat=True)) == {person.pk, duplicate.pk}
    assert _matches_a_rebuild()


def test_a_record_merged_into_one_later_merged_again_counts_as_the_last_survivor(settings, istanbul, officer, person):
    from liman.registry.merge import person_merge

    settings.LIMAN_SECOND_FACTOR_ROLES = []
    second, third = _registered(istanbul, "Rania", "Hadad"), _registered(istanbul, "Raniya", "Haddat")
    day = datetime.date(2026, 6, 1)
    workshop, session = _activity(istanbul, officer, "workshop", "Rights at work", day)
    present = {services.participant_add_person(activity=workshop, person=who, by=officer).pk
               for who in (person, second, third)}  # fmt: skip
    services.attendance_take(session=session, present=present, by=officer)
    reader = staff(Role.REPORTING_OFFICER, istanbul, username="ro.ist")
    supervisor = staff(Role.SUPERVISOR, istanbul, username="supervisor.ist")

    person_merge(survivor=second, merged=third, by=supervisor)
    assert _reached(reader) == 2
    person_merge(survivor=person, merged=second, by=supervisor)

    assert _reached(reader) == 1
    assert list(PersonReach.objects.values_list("person_key", flat=True)) == [person.pk]
    assert _matches_a_rebuild()
