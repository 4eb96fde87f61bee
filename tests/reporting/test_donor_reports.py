"""Donor reports: narrative and stories (no identifying data), figures frozen when issued, a reissue that lists what
changed, and the XLSX, DOCX (from the template) and PDF read back."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from liman.core.choices import Role
from liman.core.models import AdminArea, AuditEvent
from liman.reporting import services
from liman.reporting.models import DonorReportIssue
from tests.factories import staff
from tests.movements.pdf import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(istanbul, make_project):
    officer = staff(Role.PROGRAMME_OFFICER, istanbul, username="po.report")
    project = make_project("EU-REP", [istanbul], default_for=istanbul, by=officer)
    report = services.donor_report_create(
        project=project, by=officer, title="Interim report", starts_on=project.starts_on, ends_on=project.ends_on,
        summary="Blankets reached families before winter.",
    )  # fmt: skip
    report.officer = officer
    return report


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_a_story_carries_no_identifying_data(report):
    identifying = (("Call her on +90 532 123 45 67", "telephone"), ("Her ID is 99123456780", "identity"),
                   ("Case IST-C-7K3X9Q2M was closed", "reference"), ("Mail amira@example.org", "e-mail"))  # fmt: skip
    for text, what in identifying:
        with pytest.raises(ValidationError, match=what):
            services.story_add(report=report, by=None, title="A family", text=text, consent=True)
    with pytest.raises(ValidationError, match="agreement"):
        services.story_add(report=report, by=None, title="A family", text="She found work.", consent=False)
    story = services.story_add(report=report, by=None, title="A family in Kadıköy", text="She found work.",
                               consent=True, province=AdminArea.objects.get(pcode="TUR034"))  # fmt: skip
    assert story.pk


def test_issued_figures_are_frozen_and_a_reissue_shows_the_differences(client, report, months, served, settings):
    settings.LIMAN_PDF_FONT = ""  # the built-in font, so that the test reads the PDF's text back
    locked, last = months
    household, _e = served(locked.replace(day=3))
    served(last.replace(day=3), household=household)  # the same two people: counted once
    services.story_add(report=report, by=None, title="Warm again", text="A mother of three kept her children warm.",
                       consent=True)  # fmt: skip
    client.force_login(report.officer)
    assert (
        client.post(reverse("reporting:donor-report-detail", args=[report.pk]), {"action": "issue"}).status_code == 302
    )
    first = DonorReportIssue.objects.get(report=report)
    assert first.number == 1 and first.changes == [] and first.content["indicators"][0]["achieved"] == 2

    served(last.replace(day=9))  # two more people after the first issue
    # The issue is frozen: its downloads still say 2; the draft says 4.
    for fmt, read in (("xlsx", None), ("docx", docx_text), ("pdf", pdf_text)):
        response = client.get(reverse("reporting:donor-report-download", args=[report.pk, 1, fmt]))
        assert response.status_code == 200
        if fmt == "xlsx":
            sheet = load_workbook(io.BytesIO(response.content))["Indicators"]
            rows = list(sheet.values)
            assert rows[0][:8] == ("outcome", "output", "code", "indicator", "unit", "baseline", "target", "achieved")
            assert rows[1][2] == "IND1" and rows[1][7] == 2 and rows[1][6] == 10
            assert sheet._charts, "the workbook carries the chart"
            assert load_workbook(io.BytesIO(response.content))["Stories"]["A2"].value == "Warm again"
        else:
            text = read(response.content)
            assert "IND1" in text and "People who received items" in text
            assert "Warm again" in text and "Blankets reached families" in text
    docx = Document(
        io.BytesIO(client.get(reverse("reporting:donor-report-download", args=[report.pk, 1, "docx"])).content)
    )
    assert [row.cells[4].text for row in docx.tables[0].rows] == ["Achieved", "2"]
    assert docx.inline_shapes, "the chart is in the document"
    draft = load_workbook(
        io.BytesIO(client.get(reverse("reporting:donor-report-download", args=[report.pk, 0, "xlsx"])).content)
    )
    assert list(draft["Indicators"].values)[1][7] == 4

    client.post(reverse("reporting:donor-report-detail", args=[report.pk]), {"action": "issue"})
    second = DonorReportIssue.objects.get(report=report, number=2)
    assert {"indicator": "IND1", "field": "achieved", "before": 2, "after": 4} in second.changes
    assert second.content["indicators"][0]["achieved"] == 4
    assert DonorReportIssue.objects.get(report=report, number=1).content["indicators"][0]["achieved"] == 2
    page = client.get(reverse("reporting:donor-report-detail", args=[report.pk])).content.decode()
    assert "achieved" in page and "Issue 2" in page
    pdf = pdf_text(client.get(reverse("reporting:donor-report-download", args=[report.pk, 2, "pdf"])).content)
    assert "Changes since issue 1" in pdf and "IND1 achieved: 2" in pdf
    assert AuditEvent.objects.filter(action="export", reason__contains="EU-REP issue 2 PDF").exists()


def test_reports_are_scoped_and_written_by_their_offices(client, report, izmir):
    client.force_login(staff(Role.REPORTING_OFFICER, izmir, username="rep.izm.reports"))
    assert client.get(reverse("reporting:donor-report-detail", args=[report.pk])).status_code == 404
    assert client.get(reverse("reporting:donor-report-download", args=[report.pk, 0, "pdf"])).status_code == 404
    assert list(client.get(reverse("reporting:donor-report-list")).context["page"]) == []
    client.force_login(staff(Role.SUPERVISOR, report.project.offices.get(), username="sup.reports"))
    assert client.get(reverse("reporting:donor-report-detail", args=[report.pk])).status_code == 200
    assert (
        client.post(reverse("reporting:donor-report-detail", args=[report.pk]), {"action": "issue"}).status_code == 404
    )


def test_the_narrative_is_edited_and_a_period_outside_the_project_refused(client, report):
    client.force_login(report.officer)
    data = {"action": "edit", "title": "Final report", "starts_on": report.starts_on, "ends_on": report.ends_on,
            "summary": "Done.", "achievements": "All targets met.", "challenges": "", "next_steps": ""}  # fmt: skip
    assert client.post(reverse("reporting:donor-report-detail", args=[report.pk]), data).status_code == 302
    report.refresh_from_db()
    assert (report.title, report.achievements) == ("Final report", "All targets met.")
    data["starts_on"] = report.project.starts_on.replace(year=report.project.starts_on.year - 1)
    page = client.post(reverse("reporting:donor-report-detail", args=[report.pk]), data, follow=True).content.decode()
    assert "within the project" in page


def test_the_report_list_costs_the_same_queries_however_many(client, report, django_assert_max_num_queries):
    client.force_login(report.officer)
    with django_assert_max_num_queries(20):
        client.get(reverse("reporting:donor-report-list"))
    for n in range(3):
        services.donor_report_create(project=report.project, by=None, title=f"Report {n}", starts_on=report.starts_on,
                                     ends_on=report.ends_on)  # fmt: skip
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("reporting:donor-report-list"))
    services.donor_report_create(project=report.project, by=None, title="One more", starts_on=report.starts_on,
                                 ends_on=report.ends_on)  # fmt: skip
    with django_assert_max_num_queries(len(few)):
        page = client.get(reverse("reporting:donor-report-list"))
    assert len(page.context["page"].object_list) == 5


def test_the_report_page_costs_the_same_queries_however_many_issues(client, report, django_assert_max_num_queries):
    client.force_login(report.officer)
    services.story_add(report=report, by=None, title="One", text="A story.", consent=True)
    services.donor_report_issue(report=report, by=None)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("reporting:donor-report-detail", args=[report.pk]))
    for n in range(3):
        services.story_add(report=report, by=None, title=f"Story {n}", text="Another story.", consent=True)
        services.donor_report_issue(report=report, by=None)
    with django_assert_max_num_queries(len(few)):
        page = client.get(reverse("reporting:donor-report-detail", args=[report.pk]))
    assert len(page.context["issues"]) == 4 and len(page.context["content"]["stories"]) == 4


def test_the_api_serves_issued_reports_of_the_callers_projects_only(
    client, report, izmir, django_assert_max_num_queries
):
    first = services.donor_report_issue(report=report, by=report.officer)
    client.force_login(report.officer)
    with django_assert_max_num_queries(12):
        listed = client.get("/api/donor-report-issues/")
    assert listed.status_code == 200
    [row] = listed.json()["results"]
    assert (row["project"], row["number"], row["title"]) == ("EU-REP", 1, "Interim report")
    assert row["content"]["indicators"][0]["code"] == "IND1" and row["changes"] == []
    for _n in range(3):
        services.donor_report_issue(report=report, by=report.officer)
    with django_assert_max_num_queries(12):
        listed = client.get("/api/donor-report-issues/?project=EU-REP")
    assert [row["number"] for row in listed.json()["results"]] == [4, 3, 2, 1]
    assert client.get("/api/donor-report-issues/?project=OTHER").json()["results"] == []
    assert client.get(f"/api/donor-report-issues/{first.pk}/").json()["number"] == 1
    # Another office's reporting officer: the issue does not exist for them.
    client.force_login(staff(Role.REPORTING_OFFICER, izmir, username="ro.izmir.api"))
    assert client.get(f"/api/donor-report-issues/{first.pk}/").status_code == 404
    assert client.get("/api/donor-report-issues/").json()["results"] == []


def test_the_command_writes_a_donor_report_as_the_user_may_read_it(tmp_path, report, izmir, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    period = f"{report.starts_on:%Y-%m}..{report.ends_on:%Y-%m}"
    user = report.officer.username
    xlsx = tmp_path / "report.xlsx"
    call_command("report", "donor", "--project", "EU-REP", "--period", period, "--format", "xlsx",
                 "--output", str(xlsx), "--user", user)  # fmt: skip
    assert "figures as they stand now" in capsys.readouterr().out
    sheet = load_workbook(xlsx).active
    assert any("IND1" in str(cell.value) for row in sheet.iter_rows() for cell in row)
    services.donor_report_issue(report=report, by=report.officer)
    docx = tmp_path / "report.docx"
    call_command("report", "donor", "--project", "EU-REP", "--period", period, "--format", "docx",
                 "--output", str(docx), "--user", user)  # fmt: skip
    assert "issue 1" in capsys.readouterr().out and "Blankets reached families" in docx_text(docx.read_bytes())
    pdf = tmp_path / "report.pdf"
    call_command("report", "donor", "--project", "EU-REP", "--period", period, "--format", "pdf",
                 "--output", str(pdf), "--user", user)  # fmt: skip
    assert pdf.read_bytes().startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="export", actor=report.officer, reason__contains="EU-REP").count() == 3
    outsider = staff(Role.REPORTING_OFFICER, izmir, username="ro.izmir.cli").username
    refusals = [
        (["--user", outsider], "no project 'EU-REP'"),
        (["--user", "nobody"], "no active user"),
        (["--user", user, "--period", "2026-06..2026-01"], "after the first"),
        (["--user", user, "--period", "2026/01"], "YYYY-MM..YYYY-MM"),
        (["--user", user, "--output", str(tmp_path / "x.csv")], ".xlsx"),
    ]
    for extra, message in refusals:
        options = {"--project": "EU-REP", "--period": period, "--format": "xlsx", "--output": str(xlsx)}
        options.update(dict(zip(extra[::2], extra[1::2], strict=True)))
        with pytest.raises(CommandError, match=message):
            call_command("report", "donor", *[part for pair in options.items() for part in pair])
