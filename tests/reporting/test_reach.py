"""Stored first reaches (reporting.reach) give exactly the 4W rows computed from the records, after writes of every
kind they follow through the audit log: receipts, a new member, a move, a merge and its undoing, a deletion."""

import dataclasses
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from liman.core.choices import Role
from liman.core.models import AdminArea
from liman.core.services import record_delete
from liman.registry import services as registry
from liman.registry.merge import person_merge, person_unmerge
from liman.reporting import fourw, reach
from liman.reporting.models import FirstReach, ReachState
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


def test_stored_first_reaches_follow_every_kind_of_write(istanbul, mappings, months, served, built):
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
    # A deletion (its people can no longer be found from it): the measure is rebuilt, still the same.
    record_delete(cousin.membership, by=officer, reason="registered in the wrong household")
    assert same(months, offices)
    head = ReachState.objects.filter(measure_key=IN_KIND).values_list("audit_seq", flat=True)
    assert len(set(head)) == 1


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
