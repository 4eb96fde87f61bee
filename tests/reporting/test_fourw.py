"""The 3RP 4W: new people only, each once, population groups, group counts, locking and adjustments, the CLI."""

import csv
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from liman.assistance import services as stock
from liman.core import measures
from liman.core.choices import Role
from liman.core.models import AdminArea, Office
from liman.registry import services as registry
from liman.reporting import fourw, services
from liman.reporting.models import FourWRow, FourWSubmission
from tests.factories import staff

from .conftest import noon

pytestmark = pytest.mark.django_db

IN_KIND = "assistance.people_in_kind"


def table_of(month, offices):
    return fourw.table(month, fourw.office_lines(month, [office.pk for office in offices]))


def rows_for(table, code):
    header = table[0]
    return [dict(zip(header, row, strict=True)) for row in table[1:] if row[header.index("indicator_code")] == code]


@pytest.fixture(autouse=True, params=["computed", "stored"])
def first_reaches(request, db):
    """Every test twice: the 4W computed from the records, and read from first reaches stored (built empty at the
    start, then kept from the audit log by reporting.reach as the test writes)."""
    if request.param == "stored":
        from liman.reporting import reach

        year = timezone.localdate().year
        for key in reach.stored_measures():
            for built in (year - 1, year):
                reach.rebuild(key, built)
    return request.param


def test_every_app_declares_its_measures():
    assert {
        "assistance.people_in_kind", "assistance.people_met_border", "cash.households_paid",
        "cash.people_in_households_paid", "cases.victims_of_trafficking_assisted", "movements.refugees_departed",
        "feedback.complaints_responded",
    } <= set(measures.MEASURES)  # fmt: skip
    assert measures.measure("cases.victims_of_trafficking_assisted").sensitivity == "protection"
    with pytest.raises(LookupError, match="No measure"):
        measures.measure("nothing.here")


def test_household_members_counted_once_as_new_people_of_the_month(istanbul, mappings, months, served):
    locked, last = months
    household, _entitlement = served(locked.replace(day=3))
    served(locked.replace(day=20), household=household)  # twice in the month: still counted once
    served(last.replace(day=5), household=household)  # reached again next month: not new then
    table = table_of(locked, [istanbul])
    assert table[0] == list(fourw.COLUMNS)
    [row] = rows_for(table, "BN-1.1")
    assert (row["girls"], row["boys"], row["women"], row["men"], row["total"]) == (0, 1, 1, 0, 2)
    assert row["population_group"] == "Syrians under temporary protection"
    assert row["district_pcode"] == served.district.pcode
    assert row["province_pcode"] == "TUR034" and row["province"] and row["district"]
    assert row["month"] == locked.strftime("%Y-%m")
    assert rows_for(table_of(last, [istanbul]), "BN-1.1") == []
    if last.year == locked.year:  # the year to date counts them once over both months
        ytd = fourw.year_to_date(last, [istanbul.pk])
        assert ytd[(IN_KIND, served.district.pcode, "TUR034", "Syrians under temporary protection")] == 2


def test_a_merged_duplicate_counts_as_its_survivor(istanbul, mappings, months, served):
    from liman.registry.merge import person_merge

    locked, _last = months
    household, _e = served(locked.replace(day=3))
    other, _e = served(locked.replace(day=4))
    head, duplicate = household.head, other.head
    supervisor = staff(Role.SUPERVISOR, istanbul, username="rep-supervisor")
    person_merge(survivor=head, merged=duplicate, by=supervisor, reason="same person")
    [row] = rows_for(table_of(locked, [istanbul]), "BN-1.1")
    # Four people in two households, one of them a duplicate of another: three people.
    assert row["total"] == 3


def test_population_groups_from_nationality_and_legal_status(istanbul, mappings, months, served):
    locked, _last = months
    household, _e = served(locked.replace(day=3))
    host = registry.person_register(
        office=istanbul, data=registry.PersonInput(first_name="Ayşe", family_name="Yılmaz", sex="F",
                                                   nationality="TUR"), by=None,
    )  # fmt: skip
    afghan = registry.person_register(
        office=istanbul,
        data=registry.PersonInput(first_name="Gul", family_name="Karimi", sex="F", nationality="AFG",
                                  legal_status="international_protection_applicant"),
        by=None,
    )  # fmt: skip
    for person in (host, afghan):
        registry.household_add_member(household=household, person=person, relationship="other_relative", by=None)
    groups = {row["population_group"]: row["total"] for row in rows_for(table_of(locked, [istanbul]), "BN-1.1")}
    assert groups == {"Syrians under temporary protection": 2, "Host community": 1, "Other nationalities": 1}


def test_border_group_counts_by_age_sex_and_nationality(izmir, mappings, months):
    locked, _last = months
    crew = staff(Role.MOBILE_TEAM, izmir, username="rep-crew")
    stock.incident_record(
        office=izmir, occurred_at=noon(locked.replace(day=9)), district=AdminArea.objects.get(pcode="TUR035011"),
        terrain="sea", authority="coast_guard", how_met="rescue_at_sea",
        group_counts=[("f", "5_17", "AFG", 12), ("m", "18_59", "AFG", 14), ("f", "60", "SYR", 3)],
        with_disability=4, by=crew,
    )  # fmt: skip
    rows = {row["population_group"]: row for row in rows_for(table_of(locked, [izmir]), "PRT-1.4")}
    other, syrian = rows["Other nationalities"], rows["Syrians under temporary protection"]
    assert (other["girls"], other["boys"], other["women"], other["men"]) == (12, 0, 0, 14)
    assert (syrian["women"], syrian["total"]) == (3, 3)
    assert other["with_disability"] + syrian["with_disability"] == 4
    assert all(row["total"] == row["girls"] + row["boys"] + row["women"] + row["men"] for row in rows.values())


def test_a_locked_month_does_not_change_and_the_next_month_shows_the_adjustment(istanbul, mappings, months, served):
    locked, last = months
    officer = staff(Role.REPORTING_OFFICER, istanbul, username="rep-officer")
    household, _e = served(locked.replace(day=3))
    before = table_of(locked, [istanbul])
    submission = services.fourw_submit(month=locked, office=istanbul, by=officer)
    assert FourWRow.objects.filter(submission=submission).count() == len(before) - 1
    # A correction to a record the locked month counted: the head was born in 2015, a girl, not a woman.
    head = household.head
    registry.person_update(person=head, changes={"birth_date": datetime.date(locked.year - 11, 2, 1)},
                           by=officer, reason="date of birth corrected from her ID")  # fmt: skip
    assert table_of(locked, [istanbul]) == before  # the submitted figures stand
    live = fourw.new_in_month(locked, [istanbul.pk], geography=fourw.Geography())
    assert sum(values[0] for values in live.values()) == 1  # recomputed, she is now a girl
    rows = rows_for(table_of(last, [istanbul]), "BN-1.1")
    [adjustment] = [row for row in rows if "adjustment to " + locked.strftime("%Y-%m") in row["activity"]]
    assert (adjustment["girls"], adjustment["women"], adjustment["total"]) == (1, -1, 0)
    # Once the next month is submitted with the adjustment, the one after shows none.
    services.fourw_submit(month=last, office=istanbul, by=officer)
    assert FourWRow.objects.filter(submission__month=last, adjustment_for=locked).exists()
    after = fourw.next_month(last)
    assert rows_for(fourw.table(after, fourw.office_lines(after, [istanbul.pk])), "BN-1.1") == []


def test_a_receipt_recorded_late_for_a_locked_month_is_an_adjustment(istanbul, mappings, months, served):
    locked, last = months
    officer = staff(Role.REPORTING_OFFICER, istanbul, username="rep-officer")
    served(locked.replace(day=3))
    services.fourw_submit(month=locked, office=istanbul, by=officer)
    served(locked.replace(day=25))  # entered after the month was submitted
    [row] = rows_for(table_of(locked, [istanbul]), "BN-1.1")
    assert row["total"] == 2
    [adjustment] = rows_for(table_of(last, [istanbul]), "BN-1.1")
    assert adjustment["total"] == 2 and "adjustment" in adjustment["activity"]


def test_submitting_is_refused_for_a_month_not_over_or_already_submitted(istanbul, mappings, months):
    locked, _last = months
    officer = staff(Role.REPORTING_OFFICER, istanbul, username="rep-officer")
    this_month = timezone.localdate().replace(day=1)
    with pytest.raises(ValidationError, match="not over yet"):
        services.fourw_submit(month=this_month, office=istanbul, by=officer)
    services.fourw_submit(month=locked, office=istanbul, by=officer)
    with pytest.raises(ValidationError, match="already submitted"):
        services.fourw_submit(month=locked, office=istanbul, by=officer)
    assert FourWSubmission.objects.count() == 1


def test_the_command_writes_the_4w_with_exactly_its_columns(tmp_path, istanbul, mappings, months, served, capsys):
    locked, _last = months
    served(locked.replace(day=3))
    output = tmp_path / "4w.csv"
    call_command("report", "4w", "--month", locked.strftime("%Y-%m"), "--output", str(output))
    with output.open(encoding="utf-8-sig") as stream:
        rows = list(csv.reader(stream))
    assert tuple(rows[0]) == fourw.COLUMNS
    [row] = [r for r in rows[1:] if r[4] == "BN-1.1"]
    assert row[16] == "2"
    xlsx = tmp_path / "4w.xlsx"
    call_command("report", "4w", "--month", locked.strftime("%Y-%m"), "--output", str(xlsx))
    import openpyxl

    sheet = openpyxl.load_workbook(xlsx).active
    assert tuple(cell.value for cell in sheet[1]) == fourw.COLUMNS


def test_the_command_refuses_a_bad_month_or_file(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("report", "4w", "--month", "10/2026", "--output", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match=".csv or .xlsx"):
        call_command("report", "4w", "--month", "2026-10", "--output", str(tmp_path / "x.pdf"))


def test_offices_are_counted_apart(istanbul, izmir, mappings, months, served):
    locked, _last = months
    served(locked.replace(day=3))
    assert rows_for(table_of(locked, [izmir]), "BN-1.1") == []
    assert rows_for(table_of(locked, Office.objects.all()), "BN-1.1")
