"""The same figure wherever it is shown: the project page, the donor report's XLSX, DOCX and PDF (over the month and
to date), the project and country dashboards and the 4W give the same number of people (and the same sex × age
split) for the same indicator and period, whether computed from the records or read from the stored first
reaches."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from liman.core.choices import Role
from liman.reporting import fourw, reach, services
from liman.reporting.models import DonorReportIssue
from tests.factories import staff
from tests.movements.pdf import pdf_text

from .test_donor_reports import docx_text

pytestmark = pytest.mark.django_db

IN_KIND = "assistance.people_in_kind"


@pytest.mark.parametrize("stored", [False, True], ids=["computed", "stored"])
def test_every_place_gives_the_same_figure(client, istanbul, make_project, months, served, settings, stored):
    settings.LIMAN_PDF_FONT = ""
    _locked, last = months
    officer = staff(Role.REPORTING_OFFICER, istanbul, username="rep.same.everywhere")
    project = make_project("EU-SAME", [istanbul], default_for=istanbul, by=officer)
    household, _e = served(last.replace(day=3))
    served(last.replace(day=12), household=household)  # the same two people again: once each
    served(last.replace(day=14))
    served(last.replace(day=20))  # six people in all, reached only in `last`
    expected, split = 6, {"girls": 0, "boys": 3, "women": 3, "men": 0}
    month_end = fourw.next_month(last) - datetime.timedelta(days=1)
    if stored:
        for key in reach.stored_measures():
            reach.rebuild(key, last.year)
        reach.build_missing_projects()
        after = month_end + datetime.timedelta(days=1)
        assert reach.stored_rows(IN_KIND, last, after, [istanbul.pk], since=last.replace(month=1)) is not None
        assert reach.project_rows(IN_KIND, project, project.starts_on, after) is not None
    client.force_login(officer)
    found = {}

    page = client.get(reverse("reporting:project-detail", args=[project.pk])).context["table"]
    found["project page"] = page[0][2].achieved
    assert page[0][2].by_age_sex == split
    assert (
        f'<td class="num">{expected}</td>'
        in client.get(reverse("reporting:project-detail", args=[project.pk])).content.decode()
    )

    report = services.donor_report_create(project=project, by=officer, title="Monthly", starts_on=last,
                                          ends_on=month_end)  # fmt: skip
    client.post(reverse("reporting:donor-report-detail", args=[report.pk]), {"action": "issue"})
    issue = DonorReportIssue.objects.get(report=report)
    found["donor report (frozen)"] = issue.content["indicators"][0]["achieved"]
    assert issue.content["indicators"][0]["by_age_sex"] == split
    workbook = load_workbook(
        io.BytesIO(client.get(reverse("reporting:donor-report-download", args=[report.pk, 1, "xlsx"])).content)
    )
    row = list(workbook["Indicators"].values)[1]
    found["donor report XLSX"] = row[7]
    assert dict(zip(("girls", "boys", "women", "men"), row[9:13], strict=True)) == split
    to_date = services.donor_report_create(project=project, by=officer, title="To date",
                                           starts_on=project.starts_on, ends_on=month_end)  # fmt: skip
    client.post(reverse("reporting:donor-report-detail", args=[to_date.pk]), {"action": "issue"})
    content = DonorReportIssue.objects.get(report=to_date).content["indicators"][0]
    found["donor report to date"] = content["achieved"]
    assert content["by_age_sex"] == split
    docx = docx_text(client.get(reverse("reporting:donor-report-download", args=[report.pk, 1, "docx"])).content)
    found["donor report DOCX"] = expected if f"\n{expected}\n" in docx else docx
    pdf = pdf_text(client.get(reverse("reporting:donor-report-download", args=[report.pk, 1, "pdf"])).content)
    found["donor report PDF"] = expected if f"\n{expected}\n" in pdf and "0 · 3 · 3 · 0" in pdf else pdf

    dashboard = client.get(reverse("reporting:project-dashboard", args=[project.pk])).context
    found["project dashboard"] = dashboard["series"][0].total
    found["project dashboard progress"] = dashboard["table"][0][2].achieved
    found["project dashboard month"] = dashboard["series"][0].by_month[
        dashboard["series"][0].months.index(f"{last:%Y-%m}")
    ]
    country = client.get(reverse("reporting:reporting-dashboard"), {"year": last.year, "measure": IN_KIND})
    found["country dashboard month"] = country.context["chosen"].by_month[
        country.context["chosen"].months.index(f"{last:%Y-%m}")
    ]

    fourw_rows = [row for row in client.get(reverse("reporting:fourw"), {"month": f"{last:%Y-%m}"}).context["view"].rows
                  if row[4] == "BN-1.1"]  # fmt: skip
    found["4W"] = sum(row[16] for row in fourw_rows)
    assert [sum(row[i] for row in fourw_rows) for i in (12, 13, 14, 15)] == list(split.values())

    assert found == dict.fromkeys(found, expected), found
