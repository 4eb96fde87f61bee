"""Stored first reaches (reporting.reach) give exactly the 4W rows computed from the records, after writes of every
kind they follow through the audit log: receipts, a new member, a move, a merge and its undoing, a deletion."""

import dataclasses
import datetime
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from liman.assistance.models import DistributionPlan, Entitlement
from liman.core import schedule
from liman.core.choices import Role
from liman.core.models import AdminArea
from liman.core.services import record_delete
from liman.registry import services as registry
from liman.registry.choices import WG_DOMAINS
from liman.registry.merge import person_merge, person_unmerge
from liman.reporting import fourw, reach, services
from liman.reporting.models import FirstReach, ProjectReach, ReachState
from liman.reporting.tasks import reach_rebuild_task
from tests.factories import staff

IN_KIND = "assistance.people_in_kind"


@pytest.fixture
def built(db):
    year = timezone.localdate().year
    for key in reach.stored_measures():
        for built_year in (year - 1, year):
            reach.rebuild(key, built_year)


def rows(measure_key, start, end, offices, *, since, stored):
    def ordered(found):
        return sorted(dataclasses.astuple(row) for row in found)

    if stored:
        assert reach.stored_rows(measure_key, start, end, offices, since=since) is not None
        return ordered(fourw.reached(measure_key, start, end, offices, since=since))
    with mock.patch.object(reach, "stored_rows", return_value=None):
        return ordered(fourw.reached(measure_key, start, end, offices, since=since))


def same(months, offices):
    """Stored and computed agree for every month given, for new people and for the year to date."""
    for month in months:
        january = month.replace(month=1)
        for start, since in ((month, january), (january, None)):
            end = fourw.next_month(month)
            computed = rows(IN_KIND, start, end, offices, since=since, stored=False)
            assert rows(IN_KIND, start, end, offices, since=since, stored=True) == computed, (month, start)
    return True


def test_stored_first_reaches_follow_every_kind_of_write(
    istanbul, mappings, months, served, built, django_capture_on_commit_callbacks
):
    locked, last = months
    offices = [istanbul.pk]
    first, _e = served(locked.replace(day=3))
    second, _e = served(last.replace(day=5))
    served(last.replace(day=9), household=first)  # reached again: not new in `last`
    assert same(months, offices)
    assert FirstReach.objects.filter(measure_key=IN_KIND, year=locked.year).count() >= 2
    # A new member of a household that received earlier: reached with it.
    officer = staff(Role.SUPERVISOR, istanbul, username="reach-supervisor")
    cousin = registry.person_register(
        office=istanbul, data=registry.PersonInput(first_name="Lina", family_name="Hane", sex="F", nationality="SYR"),
        by=None,
    )  # fmt: skip
    registry.household_add_member(household=first, person=cousin, relationship="other_relative", by=None)
    assert same(months, offices)
    # The household moves: its people are reported in its new district.
    elsewhere = AdminArea.objects.filter(level=2, parent__pcode="TUR034").order_by("-pcode").first()
    registry.household_place(household=second, district=elsewhere, address="", by=officer)
    assert same(months, offices)
    # A merge: the later household's head is a duplicate of the first's, so not new in `last`; then undone.
    merge = person_merge(survivor=first.head, merged=second.head, by=officer, reason="same person")
    assert same(months, offices)
    person_unmerge(merge=merge, by=officer)
    assert same(months, offices)
    # A deletion (its people can no longer be found from it): the page does not rebuild the measure; it reads it from
    # the records and queues one rebuild (a second read queues none), after which the stored rows are read again.
    record_delete(cousin.membership, by=officer, reason="registered in the wrong household")
    locked_next = fourw.next_month(locked)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert reach.stored_rows(IN_KIND, locked, locked_next, offices, since=locked.replace(month=1)) is None
        assert reach.stored_rows(IN_KIND, locked, locked_next, offices, since=locked.replace(month=1)) is None
    assert len(queued) == 1
    assert set(ReachState.objects.filter(measure_key=IN_KIND).values_list("stale", flat=True)) == {True}
    with mock.patch.object(reach, "stored_rows", return_value=None):
        computed = fourw.reached(IN_KIND, locked, locked_next, offices, since=locked.replace(month=1))
    assert sorted(map(dataclasses.astuple, computed)) == rows(
        IN_KIND, locked, locked_next, offices, since=locked.replace(month=1), stored=False
    )
    reach_rebuild_task.call([IN_KIND])
    assert same(months, offices)
    head = ReachState.objects.filter(measure_key=IN_KIND).values_list("audit_seq", "stale")
    assert len(set(head)) == 1 and not head[0][1]


def test_a_page_brings_every_stored_measure_up_to_date_in_a_few_queries(
    istanbul, mappings, months, served, built, django_assert_max_num_queries
):
    locked, last = months
    served(locked.replace(day=3))
    assert len(reach.stored_measures()) >= 3
    reach.catch_up_all()
    with reach.reading(), django_assert_max_num_queries(3):
        for key in reach.stored_measures():
            reach.catch_up(key)  # nothing of theirs written since the last read: no rows recomputed
    served(last.replace(day=5))
    with reach.reading(), django_assert_max_num_queries(30):
        for key in reach.stored_measures():
            reach.catch_up(key)  # the new household's people recomputed in each measure, in one transaction
    assert same(months, [istanbul.pk])


def test_the_scheduled_catch_up_rebuilds_what_a_deletion_made_stale(istanbul, mappings, months, served, built):
    locked, _last = months
    served(locked.replace(day=3))
    ReachState.objects.filter(measure_key=IN_KIND).update(stale=True)
    assert reach.catch_up(IN_KIND) == set()
    result = schedule.job("reach-catch-up").function()
    years = ReachState.objects.filter(measure_key=IN_KIND).values_list("year", flat=True)
    assert result["caught_up"][IN_KIND] == sorted(map(str, years))
    assert not ReachState.objects.filter(stale=True).exists()
    assert same(months, [istanbul.pk])


def test_a_measure_or_year_not_built_is_computed_from_the_records(istanbul, mappings, months, served):
    locked, _last = months
    served(locked.replace(day=3))
    assert (
        reach.stored_rows(IN_KIND, locked, fourw.next_month(locked), [istanbul.pk], since=locked.replace(month=1))
        is None
    )
    [row] = [r for r in fourw.table(locked, fourw.office_lines(locked, [istanbul.pk]))[1:] if r[4] == "BN-1.1"]
    assert row[16] == 2
    with pytest.raises(LookupError, match="declares no stored first reach"):
        reach.rebuild("assistance.people_met_border", locked.year)


def test_the_command_rebuilds_the_stored_first_reaches(istanbul, mappings, months, served, capsys):
    locked, _last = months
    served(locked.replace(day=3))
    call_command("report", "rebuild-reach", "--year", str(locked.year))
    out = capsys.readouterr().out
    assert f"{IN_KIND} {locked.year}: 2 rows" in out
    assert ReachState.objects.filter(measure_key=IN_KIND, year=locked.year).exists()
    assert same([locked], [istanbul.pk])


def project_table(project, *, stored: bool, start=None, end=None):
    """The project's indicator table over [start, end] (its life by default), read from its stored first reaches or
    computed from the records."""
    from liman.reporting import selectors

    def figures(table):
        return [(p.indicator.code, p.achieved, p.by_age_sex, p.by_group, p.by_province, p.with_disability)
                for _outcome, _output, p in table]  # fmt: skip

    start, end = start or project.starts_on, end or project.ends_on
    if stored:
        assert reach.project_rows(IN_KIND, project, start, end + datetime.timedelta(days=1)) is not None
        return figures(selectors.indicator_table(project, start=start, end=end))
    with mock.patch.object(reach, "project_rows", return_value=None):
        return figures(selectors.indicator_table(project, start=start, end=end))


def test_a_projects_stored_first_reaches_follow_receipts_tags_and_merges(
    istanbul, months, served, make_project, django_capture_on_commit_callbacks
):
    locked, last = months
    officer = staff(Role.SUPERVISOR, istanbul, username="reach-supervisor")
    first = make_project("EU-A", [istanbul], default_for=istanbul)
    one, _e = served(locked.replace(day=3))
    served(last.replace(day=5))
    assert reach.rebuild_projects() == {f"EU-A {IN_KIND}": 4}
    assert project_table(first, stored=True) == project_table(first, stored=False)
    assert project_table(first, stored=True)[0][1] == 4
    # Receipts of a new distribution (tagged at creation) and of the same household again: keys recomputed.
    served(last.replace(day=9))
    served(last.replace(day=10), household=one)
    assert project_table(first, stored=True) == project_table(first, stored=False)
    assert project_table(first, stored=True)[0][1] == 6
    # A merge: two records of one person count once.
    two = served(last.replace(day=11))[0]
    person_merge(survivor=one.head, merged=two.head, by=officer, reason="same person")
    assert project_table(first, stored=True) == project_table(first, stored=False)
    # A re-tag moves records between projects: both projects' stored rows are rebuilt by a task, computed meanwhile.
    second = make_project("EU-B", [istanbul])
    reach.build_missing_projects()
    plan = one.entitlements.order_by("pk").first().plan
    services.record_retag(record=plan, project=second, by=officer, reason="Paid from the EU-B grant")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        start, end = first.starts_on, first.ends_on + datetime.timedelta(days=1)
        assert reach.project_rows(IN_KIND, first, start, end) is None
    assert len(queued) == 1
    reach_rebuild_task.call([IN_KIND])
    for project in (first, second):
        assert project_table(project, stored=True) == project_table(project, stored=False)


def test_a_period_from_the_projects_first_day_is_read_from_its_stored_first_reaches(
    istanbul, months, served, make_project
):
    """A donor report to date (a dashboard to today) holds the people first reached before its end, at that first
    reach: the stored rows. A period starting later also counts people reached before it and again in it: computed."""
    locked, last = months
    project = make_project("EU-A", [istanbul], default_for=istanbul)
    earlier, _e = served(locked.replace(day=3))
    served(last.replace(day=5))
    served(last.replace(day=9), household=earlier)
    reach.rebuild_projects()
    end_of_locked = fourw.next_month(locked) - datetime.timedelta(days=1)
    end_of_last = fourw.next_month(last) - datetime.timedelta(days=1)
    for end in (end_of_locked, end_of_last, project.ends_on):
        assert project_table(project, stored=True, end=end) == project_table(project, stored=False, end=end), end
    assert project_table(project, stored=True, end=end_of_locked)[0][1] == 2
    assert project_table(project, stored=True, end=end_of_last)[0][1] == 4
    assert reach.project_rows(IN_KIND, project, last, project.ends_on + datetime.timedelta(days=1)) is None
    assert project_table(project, stored=False, start=last, end=end_of_last)[0][1] == 4  # two of them reached again


def test_a_first_reach_is_stored_on_its_local_day(istanbul, months, served, make_project):
    """Received at 00:30 in Istanbul on the first of a month (21:30 UTC on the last day of the month before): first
    reached on the first of the month, in the 4W's stored rows and the project's, as computed from the records."""
    locked, last = months
    project = make_project("EU-A", [istanbul], default_for=istanbul)
    _household, entitlement = served(last)
    after_midnight = timezone.make_aware(datetime.datetime.combine(last, datetime.time(0, 30)))
    assert after_midnight.astimezone(datetime.UTC).date() < last
    Entitlement.objects.filter(pk=entitlement.pk).update(received_at=after_midnight)
    assert sum(reach.rebuild(IN_KIND, year) for year in {locked.year, last.year}) == 2
    reach.rebuild_projects()
    assert set(FirstReach.objects.filter(measure_key=IN_KIND).values_list("first_on", flat=True)) == {last}
    assert set(ProjectReach.objects.filter(measure_key=IN_KIND).values_list("first_on", flat=True)) == {last}
    assert same(months, [istanbul.pk])
    assert project_table(project, stored=True) == project_table(project, stored=False)


def test_a_person_merged_from_records_that_differ_counts_once_as_the_survivor(
    istanbul, months, served, make_project, built
):
    """A merged duplicate whose own values differ (sex, birth date, nationality; the survivor has a disability) and
    who keeps its own household (both records had one), reached before the survivor: counted once, first reached
    through the alias's household, with the survivor's sex, age, population group and disability, in the 4W and
    the project's table, stored or computed, on either database."""
    locked, last = months
    offices = [istanbul.pk]
    officer = staff(Role.SUPERVISOR, istanbul, username="reach-merge-supervisor")
    project = make_project("EU-M", [istanbul], default_for=istanbul)
    alias_home, _e = served(locked.replace(day=3))
    survivor_home, _e = served(last.replace(day=5))
    alias, survivor = (
        alias_home.members.get(relationship="child").person,
        survivor_home.members.get(relationship="child").person,
    )
    registry.person_update(
        person=alias, by=officer,
        changes={"sex": "F", "birth_date": datetime.date(locked.year - 30, 3, 1), "nationality": "TUR"},
    )  # fmt: skip
    registry.disability_assess(person=survivor, answers={**dict.fromkeys(WG_DOMAINS, 1), "walking": 4}, by=officer)
    reach.rebuild_projects()
    person_merge(survivor=survivor, merged=alias, by=officer, reason="same boy")
    assert alias_home.members.filter(person=alias).exists()  # the alias kept its own household

    geography = fourw.Geography()
    january = locked.replace(month=1)

    def fourw_of_locked(stored):
        def count():
            found = fourw.first_reach(IN_KIND, locked, fourw.next_month(locked), offices, geography=geography,
                                      since=january)  # fmt: skip
            by_group: dict = {}
            for (_office, _key, _district, _province, group), values in found.items():
                by_group[group] = [a + b for a, b in zip(by_group.get(group, [0] * 5), values, strict=True)]
            return by_group

        if stored:
            assert reach.stored_rows(IN_KIND, locked, fourw.next_month(locked), offices, since=january) is not None
            return count()
        with mock.patch.object(reach, "stored_rows", return_value=None):
            return count()

    # Amira (a woman) and the boy, as the survivor is: Syrian under temporary protection, with a disability.
    expected = {"Syrians under temporary protection": [0, 1, 1, 0, 1]}
    assert fourw_of_locked(stored=True) == fourw_of_locked(stored=False) == expected
    assert same(months, offices)
    table = project_table(project, stored=True)
    assert table == project_table(project, stored=False)
    [(_code, achieved, by_age_sex, by_group, _province, with_disability)] = table
    assert (achieved, by_age_sex, by_group, with_disability) == (
        3, {"girls": 0, "boys": 1, "women": 2, "men": 0}, {"Syrians under temporary protection": 3}, 1
    )  # fmt: skip
    # Built again from the records, the stored rows give the same.
    reach.rebuild_projects()
    for key in reach.stored_measures():
        reach.rebuild(key, locked.year)
    assert project_table(project, stored=True) == table
    assert fourw_of_locked(stored=True) == expected


def test_a_person_first_reached_by_two_offices_counts_once_at_the_first(istanbul, izmir, mappings, months, served):
    """Over several offices, a key stored once per office counts once, at the earliest day, then the lower office
    (as computed from the records): in the rows and in the counts grouped in the database."""
    locked, _last = months
    offices = [istanbul.pk, izmir.pk]
    home, _e = served(locked.replace(day=9))
    _home, earlier = served(locked.replace(day=5), household=home)  # then recorded as Izmir's
    both, _e = served(locked.replace(day=7))
    _both, same_day = served(locked.replace(day=7), household=both)  # the same day by Izmir
    DistributionPlan.objects.filter(pk__in=[earlier.plan_id, same_day.plan_id]).update(office=izmir)
    for key in reach.stored_measures():
        reach.rebuild(key, locked.year)  # the arrangement bypassed the audit log
    assert FirstReach.objects.filter(measure_key=IN_KIND, year=locked.year).count() == 8  # 4 people × 2 offices
    assert same(months, offices)
    geography = fourw.Geography()

    def people_by_office():
        found = fourw.first_reach(IN_KIND, locked, fourw.next_month(locked), offices, geography=geography,
                                  since=locked.replace(month=1))  # fmt: skip
        return {office: sum(sum(values[:4]) for key, values in found.items() if key[0] == office) for office in offices}

    lower = min(offices)
    expected = {istanbul.pk: 0, izmir.pk: 2}  # the household first reached by Izmir, on the 5th
    expected[lower] += 2  # the household reached by both on the 7th: at the lower office
    assert people_by_office() == expected
    with mock.patch.object(reach, "stored_rows", return_value=None):
        assert people_by_office() == expected
