"""The partner's distribution report as an XLSX file through staging: checked row by row, corrected, submitted."""

import io

import openpyxl
import pytest
from django.urls import reverse

from liman.consignments.choices import ConsignmentState, ReportSource
from liman.consignments.models import DistributionReport, ReportLine, ReportUpload
from liman.core.models import ImportBatch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_no_second_factor")]

HEADER = [
    "subdistrict_pcode", "subdistrict_name", "households", "people", "female_0_4", "female_5_17", "female_18_59",
    "female_60_plus", "male_0_4", "male_5_17", "male_18_59", "male_60_plus", "tent", "tarp",
]  # fmt: skip
GOOD = [
    ["SY070301", "Dana", 30, 140, 10, 20, 40, 5, 10, 20, 30, 5, 60, 100],
    ["SY070303", "Salqin", 20, 96, 8, 12, 30, 2, 8, 14, 20, 2, 50, 90],
]


@pytest.fixture
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


def xlsx(rows, header=HEADER) -> io.BytesIO:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "distribution_report"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    content = io.BytesIO()
    workbook.save(content)
    content.seek(0)
    content.name = "report.xlsx"
    return content


def upload(client, consignment, rows, **kwargs):
    return client.post(
        reverse("consignments:consignment-report-upload", args=[consignment.pk]), {"file": xlsx(rows, **kwargs)}
    )


def test_a_valid_file_is_staged_then_submitted_as_the_report(client, handed_over, partner_a):
    client.force_login(partner_a[1])

    response = upload(client, handed_over, GOOD)

    staged = ReportUpload.objects.get()
    assert response.status_code == 302 and response.url == reverse("consignments:consignment-upload", args=[staged.pk])
    assert staged.batch.state == ImportBatch.State.VALID and not DistributionReport.objects.exists()
    response = client.post(reverse("consignments:consignment-upload-commit", args=[staged.pk]))
    assert response.status_code == 302
    report = DistributionReport.objects.get()
    assert (report.source, report.households, report.people) == (ReportSource.UPLOAD, 50, 236)
    handed_over.refresh_from_db()
    assert handed_over.state == ConsignmentState.REPORTED
    body = client.get(reverse("consignments:consignment-detail", args=[handed_over.pk])).content.decode()
    assert "Salqin" in body and "SY070303" in body and "236 people reached" in body


def test_a_bad_row_is_reported_by_row_column_and_rule_and_nothing_is_written(client, handed_over, partner_a):
    client.force_login(partner_a[1])
    rows = [GOOD[0], ["SY99030", "Salqin", 200, 95, 8, 12, 30, 2, 8, 14, 20, 2, 50, 90]]

    upload(client, handed_over, rows)

    staged = ReportUpload.objects.get()
    problems = {(row.row_number, problem["column"]): problem["message"] for row in staged.batch.rows.all()
                for problem in row.problems}  # fmt: skip
    assert "is not a Syrian sub-district p-code" in problems[(3, "subdistrict_pcode")]
    assert problems[(3, "people")] == (
        "95 people reached, but the counts by sex and age add up to 96: people is their sum."
    )
    assert problems[(3, "households")] == "More households (200) than people (95) reached."
    assert staged.batch.state == ImportBatch.State.INVALID
    page = client.get(reverse("consignments:consignment-upload", args=[staged.pk])).content.decode()
    assert 'data-row="3"' in page and "<code>households</code>" in page
    assert "Submit the report" not in page
    response = client.post(reverse("consignments:consignment-upload-commit", args=[staged.pk]))
    assert response.status_code == 302 and not DistributionReport.objects.exists() and not ReportLine.objects.exists()
    handed_over.refresh_from_db()
    assert handed_over.state == ConsignmentState.HANDED_OVER


def test_a_row_corrected_on_the_page_lets_the_report_through(client, handed_over, partner_a):
    client.force_login(partner_a[1])
    upload(client, handed_over, [GOOD[0], [*GOOD[1][:3], 95, *GOOD[1][4:]]])
    staged = ReportUpload.objects.get()
    row_url = reverse("consignments:consignment-upload-row", args=[staged.pk, 3])
    page = client.get(row_url)
    assert "is their sum" in page.content.decode()
    cells = {name: field.initial for name, field in page.context["form"].fields.items()}

    response = client.post(row_url, {**cells, "people": "96"})

    assert response.status_code == 302
    staged.batch.refresh_from_db()
    assert staged.batch.state == ImportBatch.State.VALID
    client.post(reverse("consignments:consignment-upload-commit", args=[staged.pk]))
    assert DistributionReport.objects.get().people == 236


def test_more_distributed_than_received_across_rows_blocks_the_row_that_goes_over(client, handed_over, partner_a):
    client.force_login(partner_a[1])  # 115 tents were received (5 lost on the way)
    rows = [GOOD[0], [*GOOD[1][:12], 56, 90]]

    upload(client, handed_over, rows)

    staged = ReportUpload.objects.get()
    row = staged.batch.rows.get(row_number=3)
    assert [p["message"] for p in row.problems if p["column"] == "tent"] == [
        "116 × Family tent reported distributed, but 115 were received at the handover."
    ]
    assert not staged.batch.rows.get(row_number=2).is_blocking


def test_a_column_that_is_not_in_the_template_refuses_the_file(client, handed_over, partner_a):
    client.force_login(partner_a[1])

    response = upload(client, handed_over, [[*GOOD[0], 4]], header=[*HEADER, "blanket"])

    assert response.status_code == 200 and "Unknown columns: blanket" in response.content.decode()
    assert not ReportUpload.objects.exists()


def test_the_template_has_a_column_for_each_item_received(client, handed_over, partner_a):
    client.force_login(partner_a[1])

    response = client.get(reverse("consignments:consignment-report-template", args=[handed_over.pk]))

    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["distribution_report"]
    assert [cell.value for cell in sheet[1]] == [*HEADER[:12], "tarp", "tent"]


def test_another_partner_cannot_upload_or_open_the_upload(client, handed_over, partner_a, partner_b):
    client.force_login(partner_a[1])
    upload(client, handed_over, GOOD)
    staged = ReportUpload.objects.get()
    client.force_login(partner_b[1])

    assert upload(client, handed_over, GOOD).status_code == 404
    assert client.get(reverse("consignments:consignment-upload", args=[staged.pk])).status_code == 404
    assert client.post(reverse("consignments:consignment-upload-commit", args=[staged.pk])).status_code == 404
    assert not DistributionReport.objects.exists()
