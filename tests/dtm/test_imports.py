"""Kobo and ODK exports of a form's submissions, through core's staging and commit."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from liman.core import staging
from liman.core.models import ImportBatch
from liman.dtm.importers import stage_export
from liman.dtm.models import SiteAssessment, Submission

pytestmark = pytest.mark.django_db

KOBO_RECORD = {
    "_id": 18236121,
    "formhub/uuid": "0e2d4c2b8a0f4d7f9c3b1a2e5d6f7a8b",
    "start": "2023-04-05T09:12:33.120+03:00",
    "end": "2023-04-05T09:31:02.550+03:00",
    "today": "2023-04-05",
    "site/site_name": "Defne Tent Camp",
    "site/site_type": "tent_camp",
    "site/manager": "Turkish Red Crescent",
    "site/district": "TUR031005",
    "site/location": "36.1872 36.1478 91.5 4.0",
    "site/site_status": "open",
    "population/households": "210",
    **{f"population/{name}": str(value) for name, value in zip(
        ("f_0_4", "f_5_17", "f_18_59", "f_60", "m_0_4", "m_5_17", "m_18_59", "m_60"),
        (50, 150, 230, 40, 55, 160, 205, 45), strict=True)},
    "population/individuals": "935",
    "population/population_groups": "host_community temporary_protection",
    "need": [{"need/sector": "shelter", "need/severity": "5"}, {"need/sector": "health", "need/severity": "3"}],
    "__version__": "vHKZ3kRvnGbP4XcnoGq3Lm",
    "meta/instanceID": "uuid:3f1a7a4e-6a55-4c8a-9d1e-0f2b5c6d7e81",
    "_xform_id_string": "aB3dE5fG7hJ9kL1mN3pQ5r",
    "_uuid": "3f1a7a4e-6a55-4c8a-9d1e-0f2b5c6d7e81",
    "_attachments": [],
    "_status": "submitted_via_web",
    "_geolocation": [36.1872, 36.1478],
    "_submission_time": "2023-04-05T06:40:11",
    "_tags": [],
    "_notes": [],
    "_validation_status": {},
    "_submitted_by": None,
}  # fmt: skip


def json_export(*records) -> io.BytesIO:
    return io.BytesIO(json.dumps({"count": len(records), "results": list(records)}).encode())


def stage(form, content, name="export.json", by=None):
    return stage_export(form=form, stream=content, file_name=name, by=by)


def test_a_kobo_json_export_is_staged_then_committed_as_submissions(site_version):
    batch = stage(site_version.form, json_export(KOBO_RECORD))

    assert (batch.kind, batch.state, batch.row_count) == ("field_submissions", "valid", 1)
    assert not Submission.objects.exists()  # nothing is written before the commit
    staging.import_commit(batch=batch, by=None)

    submission = Submission.objects.get()
    assert (submission.instance_id, submission.source) == ("uuid:3f1a7a4e-6a55-4c8a-9d1e-0f2b5c6d7e81", "import")
    assert submission.received_at.isoformat() == "2023-04-05T06:40:11+00:00"
    assessment = SiteAssessment.objects.get()
    assert (assessment.site.name, assessment.individuals, assessment.site.latitude) == ("Defne Tent Camp", 935, 36.1872)
    assert list(assessment.needs.values_list("sector", "severity")) == [("shelter", 5), ("health", 3)]
    batch.refresh_from_db()
    assert batch.result["created"] == {"submissions": 1, "processed": 1}


def test_importing_the_same_export_again_writes_nothing_new(site_version):
    staging.import_commit(batch=stage(site_version.form, json_export(KOBO_RECORD)), by=None)

    again = stage(site_version.form, json_export(KOBO_RECORD))

    assert again.state == "valid" and again.warning_count == 1
    problems = [p["message"] for row in again.rows.all() for p in row.problems]
    assert problems == ["Already in Liman (uuid:3f1a7a4e-6a55-4c8a-9d1e-0f2b5c6d7e81): left as it is."]
    staging.import_commit(batch=again, by=None)
    assert Submission.objects.count() == 1
    again.refresh_from_db()
    assert again.result["created"] == {"submissions": 0, "skipped": 1}


def test_a_kobo_csv_export_with_group_paths_and_its_helper_columns(site_version):
    header = ["start", "today", "site/site_name", "site/site_type", "site/district", "site/location",
              "_site/location_latitude", "_site/location_longitude", "population/households", "population/individuals",
              "population/population_groups", "population/population_groups/host_community", "_uuid",
              "_submission_time", "_index"]  # fmt: skip
    row = ["2023-04-06T10:00:00.000+03:00", "2023-04-06", "Samandağ Tent City", "tent_camp", "TUR031014",
           "36.0833 35.9757 12 5", "36.0833", "35.9757", "95", "400", "host_community", "1",
           "9b2f0c1e-1d2e-4f3a-8b4c-5d6e7f8a9b0c", "2023-04-06T07:12:00", "1"]  # fmt: skip
    content = io.BytesIO((";".join(header) + "\n" + ";".join(row) + "\n").encode("utf-8"))

    batch = stage(site_version.form, content, "Site assessment - all versions - False - 2023-04-07.csv")

    assert batch.state == "valid"
    assert any("_site/location_latitude" in notice for notice in batch.notices)
    staging.import_commit(batch=batch, by=None)
    assert SiteAssessment.objects.get().site.name == "Samandağ Tent City"


def test_an_odk_central_csv_export_with_dashes_between_groups(site_version):
    header = ["SubmissionDate", "today", "site-site_name", "site-site_type", "site-district", "population-households",
              "population-individuals", "meta-instanceID", "KEY", "SubmitterID", "Status"]  # fmt: skip
    row = ["2023-04-07T08:00:00.000Z", "2023-04-07", "Kırıkhan Informal Site", "informal_site", "TUR031010", "30",
           "130", "uuid:5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "uuid:5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "3",
           "Approved"]  # fmt: skip
    content = io.BytesIO((",".join(header) + "\n" + ",".join(row) + "\n").encode())

    staging.import_commit(batch=stage(site_version.form, content, "submissions.csv"), by=None)

    assert Submission.objects.get().instance_id == "uuid:5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
    assert SiteAssessment.objects.get().households == 30


def test_a_row_without_an_instance_id_blocks_the_import(site_version):
    record = {key: value for key, value in KOBO_RECORD.items() if key not in ("_uuid", "meta/instanceID")}

    batch = stage(site_version.form, json_export(KOBO_RECORD | {"_uuid": "a-1", "meta/instanceID": ""}, record))

    assert batch.state == "invalid"
    rows = {row.row_number: row.problems for row in batch.rows.all() if row.problems}
    assert rows[3][0]["message"] == "No instance ID: the row needs _uuid, meta/instanceID or KEY."
    with pytest.raises(staging.ImportRefused, match="blocking problem"):
        staging.import_commit(batch=batch, by=None)
    assert not Submission.objects.exists()


def test_the_report_says_which_rows_will_wait_for_review_and_why(site_version):
    batch = stage(site_version.form, json_export(KOBO_RECORD | {"site/district": "TUR031099"}))

    assert batch.state == "valid" and batch.warning_count == 1
    (problem,) = batch.rows.get().problems
    assert problem["message"] == (
        "Will wait for review: district (site/district): 'TUR031099' is not a known district (give its p-code or name)"
    )


def test_an_export_of_another_form_is_refused_whole(site_version):
    content = io.BytesIO(b"name,age,_uuid\nAli,40,a1b2\n")

    with pytest.raises(staging.ImportRefused, match="None of the file's columns is a question of the form"):
        stage(site_version.form, content, "other.csv")
    assert not ImportBatch.objects.exists()


def test_uploading_an_export_on_the_page_then_committing_it(client, dtm_officer, site_version):
    client.force_login(dtm_officer)
    upload = SimpleUploadedFile("kobo.json", json_export(KOBO_RECORD).getvalue(), content_type="application/json")

    response = client.post(reverse("dtm:dtm-form-import", args=[site_version.form.pk]), {"file": upload})

    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("dtm:dtm-import", args=[batch.pk])
    page = client.get(response.url).content.decode()
    assert "Commit 1 row" in page
    client.post(response.url, {"action": "commit"})
    batch.refresh_from_db()
    assert batch.state == "committed" and Submission.objects.count() == 1


def _two_sheet_export() -> bytes:
    """A Kobo XLSX export with the submissions on one sheet and a second sheet of data (a repeat group's rows)."""
    from openpyxl import Workbook

    workbook = Workbook()
    submissions = workbook.active
    submissions.title = "Site assessment"
    header = ["start", "today", "site/site_name", "site/site_type", "site/district", "population/households",
              "population/individuals", "_uuid", "_submission_time"]  # fmt: skip
    submissions.append(header)
    row = ["2023-04-06T10:00:00.000+03:00", "2023-04-06", "Samandağ Tent City", "tent_camp", "TUR031014", "95",
           "400", "9b2f0c1e-1d2e-4f3a-8b4c-5d6e7f8a9b0c", "2023-04-06T07:12:00"]  # fmt: skip
    submissions.append(row)
    needs = workbook.create_sheet("need")
    needs.append(["need/sector", "need/severity", "_parent_index"])
    needs.append(["shelter", "5", "1"])
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()


def test_a_workbook_with_two_sheets_of_data_is_refused_until_a_sheet_is_chosen(client, dtm_officer, site_version):
    client.force_login(dtm_officer)
    url = reverse("dtm:dtm-form-import", args=[site_version.form.pk])
    upload = SimpleUploadedFile("kobo.xlsx", _two_sheet_export())

    refused = client.post(url, {"file": upload}).content.decode()
    assert "Site assessment" in refused and "need" in refused and "<select" in refused
    assert not ImportBatch.objects.exists()

    upload = SimpleUploadedFile("kobo.xlsx", _two_sheet_export())
    response = client.post(url, {"file": upload, "sheet": "Site assessment"})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and batch.row_count == 1
