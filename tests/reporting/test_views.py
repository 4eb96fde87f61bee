"""The 4W page (scoped to the user's offices, reviewed and submitted by a reporting officer), its downloads, and
the project pages with their indicator tables."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from liman.core.choices import Role
from liman.core.models import AuditEvent, Programme
from liman.reporting import fourw, selectors, services
from liman.reporting.models import FourWSubmission
from tests.factories import staff

pytestmark = pytest.mark.django_db


def test_the_page_shows_the_users_offices_only(client, istanbul, izmir, mappings, months, served):
    locked, _last = months
    served(locked.replace(day=3))
    client.force_login(staff(Role.REPORTING_OFFICER, izmir, username="rep.izm"))
    page = client.get(reverse("reporting:fourw"), {"month": locked.strftime("%Y-%m")})
    assert page.status_code == 200
    assert page.context["view"].rows == []
    client.force_login(staff(Role.REPORTING_OFFICER, istanbul, username="rep.ist"))
    page = client.get(reverse("reporting:fourw"), {"month": locked.strftime("%Y-%m")})
    [row] = [row for row in page.context["view"].rows if row[4] == "BN-1.1"]
    assert row[16] == 2 and row[-1] == 2  # total, and the year to date beside it
    assert "BN-1.1" in page.content.decode()


def test_others_get_no_page(client, istanbul, mappings):
    client.force_login(staff(Role.CASEWORKER, istanbul, username="cw.ist"))
    assert client.get(reverse("reporting:fourw")).status_code == 404
    assert client.get(reverse("reporting:project-list")).status_code == 404


def test_a_bad_month_is_not_found(client, istanbul, mappings):
    client.force_login(staff(Role.REPORTING_OFFICER, istanbul, username="rep.ist"))
    assert client.get(reverse("reporting:fourw"), {"month": "2026-13"}).status_code == 404


def test_the_officer_submits_and_the_month_is_locked(client, istanbul, izmir, mappings, months, served):
    locked, _last = months
    served(locked.replace(day=3))
    officer = staff(Role.REPORTING_OFFICER, istanbul, username="rep.ist")
    client.force_login(officer)
    response = client.post(
        reverse("reporting:fourw-submit"), {"month": locked.strftime("%Y-%m"), "office": [istanbul.pk]}
    )
    assert response.status_code == 302
    submission = FourWSubmission.objects.get(office=istanbul, month=locked)
    assert submission.submitted_by == officer and submission.rows.filter(measure_key="assistance.people_in_kind")
    # An office the officer does not report for cannot be submitted by them.
    assert (
        client.post(
            reverse("reporting:fourw-submit"), {"month": locked.strftime("%Y-%m"), "office": [izmir.pk]}
        ).status_code
        == 404
    )
    assert not FourWSubmission.objects.filter(office=izmir).exists()
    # Twice: refused with a message, nothing more stored.
    again = client.post(reverse("reporting:fourw-submit"), {"month": locked.strftime("%Y-%m"), "office": [istanbul.pk]},
                        follow=True)  # fmt: skip
    assert "already submitted" in again.content.decode()
    assert FourWSubmission.objects.count() == 1
    page = client.get(reverse("reporting:fourw"), {"month": locked.strftime("%Y-%m")})
    assert page.context["view"].locked == [submission] and page.context["may_submit"] == []


def test_a_programme_officer_reads_but_does_not_submit(client, istanbul, mappings, months):
    locked, _last = months
    client.force_login(staff(Role.PROGRAMME_OFFICER, istanbul, username="po.ist"))
    assert client.get(reverse("reporting:fourw"), {"month": locked.strftime("%Y-%m")}).context["may_submit"] == []
    response = client.post(
        reverse("reporting:fourw-submit"), {"month": locked.strftime("%Y-%m"), "office": [istanbul.pk]}
    )
    assert response.status_code == 404


def test_the_download_is_the_page_and_is_audited(client, istanbul, mappings, months, served):
    locked, _last = months
    served(locked.replace(day=3))
    client.force_login(staff(Role.REPORTING_OFFICER, istanbul, username="rep.ist"))
    month = locked.strftime("%Y-%m")
    page = client.get(reverse("reporting:fourw"), {"month": month}).context["view"].rows
    response = client.get(reverse("reporting:fourw-download", args=[month, "csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == fourw.COLUMNS
    assert [row[16] for row in rows[1:]] == [str(row[16]) for row in page]
    assert AuditEvent.objects.filter(action="export", reason__contains="4W").exists()
    assert client.get(reverse("reporting:fourw-download", args=[month, "xlsx"])).status_code == 200


def test_the_page_costs_the_same_queries_however_many_people(client, istanbul, mappings, months, served):
    locked, _last = months
    client.force_login(staff(Role.REPORTING_OFFICER, istanbul, username="rep.ist"))
    served(locked.replace(day=3))
    client.get(reverse("reporting:fourw"), {"month": locked.strftime("%Y-%m")})  # the session's once-a-minute refresh
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("reporting:fourw"), {"month": locked.strftime("%Y-%m")})
    for day in (4, 5, 6, 7):
        served(locked.replace(day=day))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("reporting:fourw"), {"month": locked.strftime("%Y-%m")})
    assert len(many) == len(few) <= 40


@pytest.fixture
def project(istanbul, mappings):
    officer = staff(Role.REPORTING_OFFICER, istanbul, username="rep.proj")
    from liman.reporting.models import Donor

    year = datetime.date.today().year
    project = services.project_create(
        by=officer, offices=[istanbul], grant_code="EU-TEST-1", title="Basic needs", donor=Donor.objects.create(
            code="EU", name="European Union"), starts_on=datetime.date(year - 1, 1, 1),
        ends_on=datetime.date(year, 12, 31), budget=1_000_000, currency="eur", sectors=["Basic Needs"],
    )  # fmt: skip
    outcome = services.outcome_add(project=project, code="OC1", title="Needs met", by=officer)
    output = services.output_add(outcome=outcome, code="OP1", title="Items given", by=officer)
    services.indicator_add(
        output=output, code="IND1", title="People who received items", by=officer,
        measure_key="assistance.people_in_kind", targets=[(project.starts_on, project.ends_on, 10)],
        disaggregations=["sex_age", "population_group"],
    )  # fmt: skip
    manual = services.indicator_add(output=output, code="IND2", title="Trainings", kind="manual", unit="people",
                                    by=officer, targets=[(project.starts_on, project.ends_on, 4)])  # fmt: skip
    services.manual_value_enter(indicator=manual, starts_on=project.starts_on, ends_on=project.starts_on, value=3,
                                evidence="attendance list", by=officer)  # fmt: skip
    # Istanbul's distributions belong to the project from now on (tagged as they are created).
    services.project_default_set(office=istanbul, programme=Programme.objects.get(code="assistance"),
                                 project=project, by=officer)  # fmt: skip
    return project


def test_project_indicator_table_counts_each_person_once(client, istanbul, izmir, project, months, served):
    locked, last = months
    household, _e = served(locked.replace(day=3))
    served(last.replace(day=3), household=household)
    [(outcome, output, computed), (_o, _p, manual)] = selectors.indicator_table(project)
    assert (computed.achieved, computed.target, computed.percent) == (2, 10, 20)
    assert computed.by_age_sex == {"girls": 0, "boys": 1, "women": 1, "men": 0}
    assert computed.by_group == {"Syrians under temporary protection": 2}
    assert (manual.achieved, manual.target) == (3, 4)
    assert project.currency == "EUR" and computed.indicator.unit == "people"
    client.force_login(staff(Role.REPORTING_OFFICER, istanbul, username="rep.ist"))
    page = client.get(reverse("reporting:project-detail", args=[project.pk]))
    assert page.status_code == 200 and "EU-TEST-1" in page.content.decode()
    # The same figure on the 4W (same month range) and the project page.
    client.force_login(staff(Role.REPORTING_OFFICER, izmir, username="rep.izm"))
    assert client.get(reverse("reporting:project-detail", args=[project.pk])).status_code == 404
    assert client.get(reverse("reporting:project-list")).context["projects"].count() == 0


def test_an_indicator_needs_a_declared_measure_and_known_filters(project):
    from django.core.exceptions import ValidationError

    output = project.outcomes.get().outputs.get()
    with pytest.raises(ValidationError, match="measures the apps offer"):
        services.indicator_add(output=output, code="X1", title="x", by=None, measure_key="nope")
    with pytest.raises(ValidationError, match="Unknown filter"):
        services.indicator_add(output=output, code="X2", title="x", by=None, measure_key="cash.households_paid",
                               measure_filter={"colour": "red"})  # fmt: skip


def test_the_same_figure_on_the_4w_its_year_to_date_and_the_project_page(client, istanbul, project, months, served):
    locked, last = months
    household, _e = served(locked.replace(day=3))
    served(last.replace(day=3), household=household)  # the same two people again
    served(last.replace(day=9))  # two more
    start = locked if locked.year != last.year else last.replace(month=1)
    end = fourw.next_month(last) - datetime.timedelta(days=1)
    [(_o, _p, computed), _manual] = selectors.indicator_table(project, start=start, end=end)
    monthly = sum(
        row[16]
        for month in (locked, last)
        for row in fourw.table(month, fourw.office_lines(month, [istanbul.pk]))[1:]
        if row[4] == "BN-1.1"
    )
    assert computed.achieved == monthly == 4
    if locked.year == last.year:
        ytd = fourw.year_to_date(last, [istanbul.pk])
        assert sum(n for key, n in ytd.items() if key[0] == "assistance.people_in_kind") == 4
    client.force_login(staff(Role.REPORTING_OFFICER, istanbul, username="rep.same"))
    page = client.get(reverse("reporting:fourw"), {"month": last.strftime("%Y-%m")}).context["view"].rows
    assert sum(row[16] for row in page if row[4] == "BN-1.1") == 2  # new in the last month: the two newcomers


def test_the_page_costs_the_same_queries_however_many_served(client, istanbul, mappings, months, served):
    """The stored first reaches brought up to date once for every measure, then one read per measure: the page's
    queries do not grow with the records, households or measures read."""
    from liman.reporting import reach

    locked, _last = months
    client.force_login(staff(Role.REPORTING_OFFICER, istanbul, username="rep.ist"))
    served(locked.replace(day=3))
    for key in reach.stored_measures():
        reach.rebuild(key, locked.year)
    month = {"month": locked.strftime("%Y-%m")}
    client.get(reverse("reporting:fourw"), month)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("reporting:fourw"), month).status_code == 200
    for day in (4, 5, 6):
        served(locked.replace(day=day))
    reach.catch_up_all()
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("reporting:fourw"), month).status_code == 200
    assert len(many) <= len(few), [query["sql"][:120] for query in many.captured_queries]
    assert len(few) <= 40, [query["sql"][:120] for query in few.captured_queries]
