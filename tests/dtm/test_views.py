"""Field-data pages: forms, binding, submissions for review, field users and their QR code, who sees what."""

import base64
import html
import json
import re
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from liman.core.choices import Role
from liman.dtm import services, views
from liman.dtm.models import FieldUser, Form
from tests.dtm.builders import collect_xml, site_body, site_form, xlsform
from tests.factories import staff

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def officer_client(client, dtm_officer):
    client.force_login(dtm_officer)
    return client


def upload(name: str, content: bytes):
    return SimpleUploadedFile(name, content, content_type=XLSX)


def test_uploading_an_xlsform_publishes_it_and_lists_it(officer_client):
    response = officer_client.post(
        reverse("dtm:dtm-forms"), {"office": "HTY", "file": upload("site.xlsx", site_form())}, follow=True
    )

    assert "Form site_assessment version 2023040301 published." in response.content.decode()
    page = officer_client.get(reverse("dtm:dtm-forms")).content.decode()
    assert "Site assessment" in page and "site_assessment" in page


def test_a_bad_xlsform_on_the_page_shows_pyxforms_message_and_the_row(officer_client):
    bad = xlsform([["type", "name", "label"], ["text", "a", "A"], ["integr", "b", "B"]])

    response = officer_client.post(reverse("dtm:dtm-forms"), {"office": "HTY", "file": upload("bad.xlsx", bad)})

    page = response.content.decode()
    assert "row 3 of the survey sheet" in page
    assert "Unknown question type 'integr'" in html.unescape(page)
    assert not Form.objects.exists()


def test_a_new_version_is_uploaded_on_the_form_page(officer_client, site_version):
    response = officer_client.post(
        reverse("dtm:dtm-form", args=[site_version.form.pk]),
        {"action": "upload", "file": upload("site.xlsx", site_form(version="2023070301"))},
        follow=True,
    )

    assert "version 2023070301 published" in response.content.decode()
    assert site_version.form.versions.count() == 2


def test_closing_a_form_removes_it_from_collects_list(officer_client, site_version, field_user):
    officer_client.post(reverse("dtm:dtm-form", args=[site_version.form.pk]), {"action": "close"})

    site_version.form.refresh_from_db()
    assert not site_version.form.is_open


def test_the_mapping_page_suggests_the_questions_and_saves_the_binding(officer_client, hatay, operation):
    version = services.form_upload(office=hatay, content=site_form(), file_name="site.xlsx", by=None)
    url = reverse("dtm:dtm-form-mapping", args=[version.form.pk])

    page = officer_client.get(url, {"target": "site_assessment"}).content.decode()
    assert re.search(r'<option value="site/site_name" selected>', page)

    mapping = {"site_name": "site/site_name", "site_type": "site/site_type", "district": "site/district",
               "households": "population/households", "individuals": "population/individuals"}  # fmt: skip
    response = officer_client.post(
        url,
        {
            "save": "1",
            "target": "site_assessment",
            "operation": operation.pk,
            **{f"map__{k}": v for k, v in mapping.items()},
        },
    )

    assert response.status_code == 302
    version.form.refresh_from_db()
    assert version.form.target == "site_assessment"
    assert version.form.field_mapping == mapping
    assert version.form.operation == operation


def test_saving_a_binding_processes_the_submissions_that_waited(officer_client, hatay, operation):
    version = services.form_upload(office=hatay, content=site_form(), file_name="site.xlsx", by=None)
    submission = services.submission_receive(
        office=hatay, xml=collect_xml("site_assessment", version.version, site_body())
    ).submission
    from liman.dtm.targets import suggest_mapping

    mapping = suggest_mapping("site_assessment", version.fields)

    response = officer_client.post(
        reverse("dtm:dtm-form-mapping", args=[version.form.pk]),
        {"save": "1", "target": "site_assessment", "operation": operation.pk,
         **{f"map__{k}": v for k, v in mapping.items()}},
        follow=True,
    )  # fmt: skip

    assert "1 waiting submissions were processed again" in response.content.decode()
    submission.refresh_from_db()
    assert submission.state == "processed"


def test_the_review_list_shows_the_reason_and_processing_again_works(officer_client, site_version, operation):
    submission = services.submission_receive(
        office=site_version.form.office,
        xml=collect_xml("site_assessment", site_version.version, site_body(today="2023-06-01")),
    ).submission

    page = officer_client.get(reverse("dtm:dtm-submissions")).content.decode()
    assert "no round of Earthquake response, February 2023 covers 2023-06-01" in page

    import datetime

    services.round_create(operation=operation, number=3, assessment_type="site_assessment",
                          started_on=datetime.date(2023, 5, 29), by=None)  # fmt: skip
    response = officer_client.post(reverse("dtm:dtm-submission-retry", args=[submission.pk]), follow=True)

    assert "The submission was processed." in response.content.decode()


def test_the_submission_page_shows_answers_of_repeats_and_attachments(officer_client, site_version):
    submission = services.submission_receive(
        office=site_version.form.office,
        xml=collect_xml("site_assessment", site_version.version, site_body()),
        attachments=[services.AttachmentUpload("1681723451234.jpg", b"jpeg", "image/jpeg")],
    ).submission

    page = officer_client.get(reverse("dtm:dtm-submission", args=[submission.pk])).content.decode()

    assert "need[2]/sector" in page and "wash" in page
    assert "1681723451234.jpg" in page
    attachment = submission.attachments.get()
    download = officer_client.get(reverse("dtm:dtm-attachment", args=[attachment.pk]))
    assert b"".join(download.streaming_content) == b"jpeg"


def test_creating_a_field_user_shows_the_password_once_and_a_collect_qr_code(officer_client):
    response = officer_client.post(
        reverse("dtm:dtm-field-users"), {"office": "HTY", "username": "enumerator.hty.07", "name": "Deniz Kaya"}
    )

    page = response.content.decode()
    assert response["Cache-Control"] == "no-store"
    password = re.search(r'<span class="secret">([^<]+)</span>', page).group(1)
    assert services.field_user_check_password(FieldUser.objects.get(), password)
    assert "<svg" in page and "http://testserver/openrosa" in page


def test_the_collect_qr_payload_is_zlib_compressed_base64_json_as_odk_central_makes_it():
    from liman.dtm.openrosa import collect_qr_payload, collect_settings

    payload = collect_qr_payload(
        collect_settings(server_url="http://liman.example/openrosa", username="u1", password="p-1234", project="HTY")
    )

    settings = json.loads(zlib.decompress(base64.b64decode(payload)))
    assert settings["general"]["server_url"] == "http://liman.example/openrosa"
    assert (settings["general"]["username"], settings["general"]["password"]) == ("u1", "p-1234")
    assert settings["project"]["name"] == "HTY"


def test_the_qr_code_needs_the_right_password(officer_client, field_user):
    url = reverse("dtm:dtm-field-user", args=[field_user.pk])

    wrong = officer_client.post(url, {"action": "qr", "password": "not-it"}).content.decode()
    right = officer_client.post(url, {"action": "qr", "password": "field-pass-2023"}).content.decode()

    assert "That is not this field user" in wrong and "<svg" not in wrong
    assert "<svg" in right


def test_a_new_password_replaces_the_old_one(officer_client, field_user):
    response = officer_client.post(reverse("dtm:dtm-field-user", args=[field_user.pk]), {"action": "reset"})

    field_user.refresh_from_db()
    assert not services.field_user_check_password(field_user, "field-pass-2023")
    new = re.search(r'<span class="secret">([^<]+)</span>', response.content.decode()).group(1)
    assert services.field_user_check_password(field_user, new)


def test_a_supervisor_sees_forms_but_cannot_upload_or_manage_field_users(client, hatay, site_version, field_user):
    client.force_login(staff(Role.SUPERVISOR, hatay))

    page = client.get(reverse("dtm:dtm-forms")).content.decode()
    assert "site_assessment" in page and 'type="file"' not in page
    assert client.post(reverse("dtm:dtm-field-user", args=[field_user.pk]), {"action": "reset"}).status_code == 404


def test_a_caseworker_does_not_see_field_data(client, hatay, site_version):
    client.force_login(staff(Role.CASEWORKER, hatay))

    assert client.get(reverse("dtm:dtm-forms")).status_code == 404
    assert client.get(reverse("dtm:dtm-home")).status_code == 404
    assert client.get(reverse("dtm:dtm-form", args=[site_version.form.pk])).status_code == 404


def test_the_field_data_menu_entry_is_for_dtm_roles(client, hatay, dtm_officer):
    client.force_login(dtm_officer)
    assert 'data-nav="dtm"' in client.get(reverse("core:home")).content.decode()

    client.force_login(staff(Role.CASEWORKER, hatay))
    assert 'data-nav="dtm"' not in client.get(reverse("core:home")).content.decode()


@pytest.mark.parametrize("count", [1, 12])
def test_lists_cost_the_same_number_of_queries_whatever_their_length(
    officer_client, hatay, field_user, django_assert_max_num_queries, count
):
    for n in range(count):
        version = services.form_upload(office=hatay, content=site_form(form_id=f"f{n}"), file_name="f.xlsx", by=None)
        services.submission_receive(office=hatay, xml=collect_xml(f"f{n}", version.version, site_body()))
        services.field_user_create(office=hatay, username=f"enum.{n}", password="long-password", by=None)

    for name, query in (("dtm:dtm-forms", {}), ("dtm:dtm-submissions", {"state": "all"}), ("dtm:dtm-field-users", {})):
        with django_assert_max_num_queries(14):
            assert officer_client.get(reverse(name), query).status_code == 200


def test_an_operation_and_its_round_are_created_on_their_pages(officer_client):
    response = officer_client.post(
        reverse("dtm:dtm-operation-create"),
        {"office": "HTY", "code": "TUR-FL-2024", "name": "Floods, Hatay 2024", "kind": "emergency",
         "started_on": "2024-03-02", "provinces": ["TUR031"]},
    )  # fmt: skip
    from liman.dtm.models import Operation

    operation = Operation.objects.get(code="TUR-FL-2024")
    assert response.url == reverse("dtm:dtm-operation", args=[operation.pk])
    officer_client.post(
        reverse("dtm:dtm-round-create", args=[operation.pk]),
        {"number": 1, "assessment_type": "emergency_tracking", "started_on": "2024-03-04"},
    )
    assert [str(r) for r in operation.rounds.all()] == ["TUR-FL-2024 round 1 · Emergency tracking"]
    assert "Floods, Hatay 2024" in officer_client.get(reverse("dtm:dtm-home")).content.decode()


def test_a_sites_page_shows_its_assessments_and_needs(officer_client, site_version):
    services.submission_receive(
        office=site_version.form.office, xml=collect_xml("site_assessment", site_version.version, site_body())
    )
    from liman.dtm.models import Site

    page = officer_client.get(reverse("dtm:dtm-site", args=[Site.objects.get().site_id])).content.decode()

    assert "Antakya Tent City" in page and "1. Shelter (4)" in page and "Temporary protection" in page


def test_a_wrong_answer_is_corrected_on_the_page_and_the_submission_processed_again(officer_client, site_version):
    """A district code that does not exist (TUR031099) is corrected on the submission's page: the submission is
    processed, the correction is kept beside the XML the phone sent, and the audit log holds old, new and why."""
    from liman.core.models import AuditEvent
    from liman.dtm.models import SiteAssessment

    submission = services.submission_receive(
        office=site_version.form.office,
        xml=collect_xml("site_assessment", site_version.version, site_body(district="TUR031099")),
    ).submission
    assert submission.state == "review"
    page = officer_client.get(reverse("dtm:dtm-submission", args=[submission.pk])).content.decode()
    path = next(p for p, v in views._flatten(submission.data) if v == "TUR031099")
    assert f'<option value="{path}" selected>' in page, "the answer the review reason quotes is offered first"

    url = reverse("dtm:dtm-submission-correct", args=[submission.pk])
    refused = officer_client.post(url, {"path": "site/nowhere", "value": "x", "reason": "typo"}, follow=True)
    assert "has no answer site/nowhere" in refused.content.decode()
    response = officer_client.post(url, {"path": path, "value": "TUR031001", "reason": "Enumerator typo"}, follow=True)

    assert "The answer was corrected and the submission processed." in response.content.decode()
    submission.refresh_from_db()
    assert submission.state == "processed" and SiteAssessment.objects.filter(submission=submission).exists()
    assert "TUR031099" in submission.xml, "the XML stays as the phone sent it"
    assert [(c["path"], c["old"], c["new"], c["reason"]) for c in submission.corrections] == [
        (path, "TUR031099", "TUR031001", "Enumerator typo")
    ]
    event = AuditEvent.objects.filter(object_type="dtm.submission", object_id=str(submission.pk)).latest("seq")
    assert event.changes[f"answer {path}"] == ["TUR031099", "TUR031001"] and event.reason == "Enumerator typo"
    assert "Enumerator typo" in officer_client.get(reverse("dtm:dtm-submission", args=[submission.pk])).content.decode()

    again = officer_client.post(url, {"path": path, "value": "TUR031002", "reason": "again"}, follow=True)
    assert "is processed" in again.content.decode()
    submission.refresh_from_db()
    assert len(submission.corrections) == 1


def test_answers_inside_repeats_are_corrected_by_their_number():
    data = {"site": {"district": "X"}, "needs": [{"sector": "wash"}, {"sector": "food"}], "tags": ["a", "b"]}
    assert services.answer_set(data, "needs[2]/sector", "shelter") == "food"
    assert services.answer_set(data, "tags[1]", "z") == "a"
    assert data["needs"][1]["sector"] == "shelter" and data["tags"] == ["z", "b"]
    for missing in ("needs[3]/sector", "site", "needs", "site/nope", "needs[0]/sector", "site/district/deeper"):
        assert services.answer_set(data, missing, "v") is None, missing
