"""The OpenRosa server as ODK Collect and KoboCollect use it: form list, download, manifest, submission."""

import re
import uuid

import pytest
from defusedxml import ElementTree

from liman.core.models import AuditEvent
from liman.dtm import services
from liman.dtm.models import Site, SiteAssessment, Submission
from liman.dtm.openrosa import digest_authorization
from tests.dtm.builders import collect_xml, site_body
from tests.dtm.conftest import FIELD_PASSWORD, basic, post_instance
from tests.factories import OfficeFactory

NS = {"x": "http://openrosa.org/xforms/xformsList", "m": "http://openrosa.org/xforms/xformsManifest"}
pytestmark = pytest.mark.django_db


def instance(version, **kwargs) -> bytes:
    instance_id = kwargs.pop("instance_id", "")
    deprecated_id = kwargs.pop("deprecated_id", "")
    return collect_xml(
        version.form.form_id, version.version, site_body(**kwargs), instance_id=instance_id, deprecated_id=deprecated_id
    )


def message(response) -> str:
    return ElementTree.fromstring(response.content).find("{http://openrosa.org/http/response}message").text


# --- form list, download, manifest -------------------------------------------------------------------------------


def test_form_list_gives_id_version_hash_and_download_and_manifest_urls(client, site_version, field_user):
    response = client.get("/openrosa/formList", **basic())

    assert response.status_code == 200
    assert response["X-OpenRosa-Version"] == "1.0"
    assert response["Content-Type"].startswith("text/xml")
    xform = ElementTree.fromstring(response.content).find("x:xform", NS)
    assert xform.find("x:formID", NS).text == "site_assessment"
    assert xform.find("x:version", NS).text == "2023040301"
    assert xform.find("x:hash", NS).text == f"md5:{site_version.xml_md5}"
    assert xform.find("x:downloadUrl", NS).text == f"http://testserver/openrosa/forms/{site_version.pk}/form.xml"
    assert xform.find("x:manifestUrl", NS).text == f"http://testserver/openrosa/forms/{site_version.pk}/manifest"


def test_form_list_shows_only_the_field_users_office_and_open_forms(client, site_version, field_user, edirne):
    services.form_upload(office=edirne, content=_other_form(), file_name="edirne_count.xlsx", by=None)
    closed = services.form_upload(office=site_version.form.office, content=_other_form(), file_name="old.xlsx", by=None)
    services.form_close(form=closed.form, by=None)

    response = client.get("/openrosa/formList", **basic())

    ids = [node.text for node in ElementTree.fromstring(response.content).iter(f"{{{NS['x']}}}formID")]
    assert ids == ["site_assessment"]


def _other_form() -> bytes:
    from tests.dtm.builders import xlsform

    return xlsform([["type", "name", "label"], ["integer", "count", "Count"]])


def test_form_download_is_the_xform_with_its_version(client, site_version, field_user):
    response = client.get(f"/openrosa/forms/{site_version.pk}/form.xml", **basic())

    assert response.status_code == 200
    assert 'id="site_assessment" version="2023040301"' in response.content.decode()


def test_manifest_lists_media_files_with_hash_and_url(client, hatay, field_user):
    version = services.form_upload(
        office=hatay,
        content=_other_form(),
        file_name="with_media.xlsx",
        media=[services.MediaUpload("districts.csv", b"name,label\nTUR031001,Altinozu\n", "text/csv")],
        by=None,
    )

    manifest = ElementTree.fromstring(client.get(f"/openrosa/forms/{version.pk}/manifest", **basic()).content)
    media = manifest.find("m:mediaFile", NS)
    assert media.find("m:filename", NS).text == "districts.csv"
    assert media.find("m:hash", NS).text.startswith("md5:")
    download = client.get(media.find("m:downloadUrl", NS).text, **basic())
    assert b"".join(download.streaming_content) == b"name,label\nTUR031001,Altinozu\n"


def test_a_form_of_another_office_cannot_be_downloaded(client, field_user, edirne):
    version = services.form_upload(office=edirne, content=_other_form(), file_name="count.xlsx", by=None)

    assert client.get(f"/openrosa/forms/{version.pk}/form.xml", **basic()).status_code == 404


# --- authentication ---------------------------------------------------------------------------------------------


def test_without_credentials_the_answer_is_a_digest_and_basic_challenge(client, field_user):
    response = client.get("/openrosa/formList", HTTP_X_OPENROSA_VERSION="1.0")

    assert response.status_code == 401
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Digest realm="Liman", qop="auth", nonce="')
    assert 'Basic realm="Liman"' in challenge


def _nonce(client) -> str:
    challenge = client.head("/openrosa/submission", HTTP_X_OPENROSA_VERSION="1.0")["WWW-Authenticate"]
    return re.search(r'nonce="([^"]+)"', challenge).group(1)


def test_digest_authentication_as_collect_does_it_over_http(client, site_version, field_user):
    nonce = _nonce(client)
    header = digest_authorization(
        username="enumerator.hty", password=FIELD_PASSWORD, realm="Liman", nonce=nonce, method="GET",
        uri="/openrosa/formList",
    )  # fmt: skip

    response = client.get("/openrosa/formList", HTTP_AUTHORIZATION=header, HTTP_X_OPENROSA_VERSION="1.0")

    assert response.status_code == 200
    assert b"site_assessment" in response.content


def test_digest_with_a_wrong_password_is_refused_and_audited(client, field_user):
    nonce = _nonce(client)
    header = digest_authorization(
        username="enumerator.hty", password="wrong-password", realm="Liman", nonce=nonce, method="GET",
        uri="/openrosa/formList",
    )  # fmt: skip

    response = client.get("/openrosa/formList", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert AuditEvent.objects.filter(action="login_failed", actor_username="field:enumerator.hty").exists()


def test_an_expired_nonce_is_answered_stale_so_collect_retries(client, field_user, settings):
    settings.LIMAN_OPENROSA_NONCE_SECONDS = -120
    nonce = _nonce(client)
    header = digest_authorization(
        username="enumerator.hty", password=FIELD_PASSWORD, realm="Liman", nonce=nonce, method="GET",
        uri="/openrosa/formList",
    )  # fmt: skip

    response = client.get("/openrosa/formList", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert "stale=true" in response["WWW-Authenticate"]


def _digest_post(client, nonce: str, body: bytes, nc: int):
    header = digest_authorization(
        username="enumerator.hty", password=FIELD_PASSWORD, realm="Liman", nonce=nonce, method="POST",
        uri="/openrosa/submission", nc=nc,
    )  # fmt: skip
    return post_instance(client, body, auth={"HTTP_AUTHORIZATION": header, "HTTP_X_OPENROSA_VERSION": "1.0"})


def test_a_captured_digest_header_is_not_accepted_again_with_another_body(client, site_version, field_user):
    nonce = _nonce(client)
    first = _digest_post(client, nonce, instance(site_version, site_name="First"), nc=1)

    replays = [_digest_post(client, nonce, instance(site_version, site_name=name), nc=1) for name in ("Two", "Three")]

    assert first.status_code == 201
    assert [response.status_code for response in replays] == [401, 401]
    assert all('nonce="' in response["WWW-Authenticate"] for response in replays)
    assert re.search(r'nonce="([^"]+)"', replays[0]["WWW-Authenticate"]).group(1) != nonce
    assert Submission.objects.count() == 1
    assert AuditEvent.objects.filter(reason="OpenRosa: Digest header sent again").count() == 2


def test_the_same_nonce_with_a_growing_count_is_accepted_and_a_lower_count_refused(client, site_version, field_user):
    nonce = _nonce(client)

    statuses = [
        _digest_post(client, nonce, instance(site_version, site_name=f"Site {nc}"), nc=nc).status_code
        for nc in (1, 2, 5, 3)
    ]

    assert statuses == [201, 201, 201, 401]


def test_a_digest_without_a_nonce_count_is_challenged(client, field_user):
    nonce = _nonce(client)
    header = digest_authorization(
        username="enumerator.hty", password=FIELD_PASSWORD, realm="Liman", nonce=nonce, method="GET",
        uri="/openrosa/formList",
    ).replace("qop=auth, ", "")  # fmt: skip

    assert client.get("/openrosa/formList", HTTP_AUTHORIZATION=header).status_code == 401


def test_two_challenges_in_the_same_second_get_different_nonces(client, field_user):
    assert _nonce(client) != _nonce(client)


def test_basic_with_a_wrong_password_is_refused(client, field_user):
    assert client.get("/openrosa/formList", **basic(password="not-the-password")).status_code == 401


def test_a_deactivated_field_user_cannot_sign_in(client, field_user):
    services.field_user_deactivate(field_user=field_user, by=None)

    assert client.get("/openrosa/formList", **basic()).status_code == 401


def test_a_signed_in_staff_member_reads_the_form_list_but_cannot_submit(client, site_version, dtm_officer):
    client.force_login(dtm_officer)

    assert b"site_assessment" in client.get("/openrosa/formList").content
    response = post_instance(client, instance(site_version), auth={})
    assert response.status_code == 401  # a phone submits with its field user's credentials
    assert not Submission.objects.exists()


# --- submission -----------------------------------------------------------------------------------------------


def test_head_submission_answers_204_with_the_openrosa_headers(client, field_user):
    response = client.head("/openrosa/submission", **basic())

    assert response.status_code == 204
    assert response["X-OpenRosa-Version"] == "1.0"
    assert response["X-OpenRosa-Accept-Content-Length"] == "10000000"


def test_a_submission_is_stored_with_its_version_and_answered_201(client, site_version, field_user):
    xml = instance(site_version, instance_id="uuid:6f0d54b1-2a3c-4c4e-9a43-4f5e8c1b7d21")

    response = post_instance(client, xml, attachments={"1681723451234.jpg": b"\xff\xd8\xff\xe0 photo"})

    assert response.status_code == 201
    assert response["X-OpenRosa-Version"] == "1.0"
    assert "X-OpenRosa-Accept-Content-Length" in response
    assert message(response) == "Form received successfully."
    submission = Submission.objects.get()
    assert submission.instance_id == "uuid:6f0d54b1-2a3c-4c4e-9a43-4f5e8c1b7d21"
    assert submission.form_version == site_version
    assert submission.submitted_by == field_user
    assert submission.data["need"] == [{"sector": "shelter", "severity": "4"}, {"sector": "wash", "severity": "3"}]
    assert submission.data["site"]["location"] == "36.2025 36.1604 84.2 4.9"
    assert [a.name for a in submission.attachments.all()] == ["1681723451234.jpg"]
    assert submission.attachments.get().file.read() == b"\xff\xd8\xff\xe0 photo"


def test_the_same_instance_sent_twice_is_stored_once_and_both_answered_201(client, site_version, field_user):
    xml = instance(site_version)

    first = post_instance(client, xml)
    second = post_instance(client, xml)

    assert (first.status_code, second.status_code) == (201, 201)
    assert Submission.objects.count() == 1
    assert SiteAssessment.objects.count() == 1
    assert message(second) == "This form was already received; nothing was changed."


def test_attachments_sent_in_a_second_post_are_added_to_the_submission(client, site_version, field_user):
    # Collect splits a large submission: the same XML, each POST with some of the files.
    xml = instance(site_version)
    post_instance(client, xml, attachments={"a.jpg": b"first"})

    response = post_instance(client, xml, attachments={"b.jpg": b"second"})

    assert response.status_code == 201
    assert sorted(Submission.objects.get().attachments.values_list("name", flat=True)) == ["a.jpg", "b.jpg"]


def test_the_same_instance_id_with_other_content_is_a_conflict(client, site_version, field_user):
    instance_id = f"uuid:{uuid.uuid4()}"
    post_instance(client, instance(site_version, instance_id=instance_id, households=120))

    response = post_instance(client, instance(site_version, instance_id=instance_id, households=999))

    assert response.status_code == 409
    assert instance_id in message(response)
    assert Submission.objects.get().data["population"]["households"] == "120"


def test_an_edit_naming_the_earlier_instance_becomes_its_new_version(client, site_version, field_user):
    first_id, edit_id = f"uuid:{uuid.uuid4()}", f"uuid:{uuid.uuid4()}"
    post_instance(client, instance(site_version, instance_id=first_id, households=120))

    response = post_instance(
        client, instance(site_version, instance_id=edit_id, deprecated_id=first_id, households=130)
    )

    assert response.status_code == 201
    first, edit = Submission.objects.get(instance_id=first_id), Submission.objects.get(instance_id=edit_id)
    assert (first.is_current, first.state) == (False, "superseded")
    assert edit.is_current and edit.supersedes == first and edit.root_instance_id == first_id
    assert SiteAssessment.objects.get().households == 130  # the edit replaced what the first version became


def test_an_edit_sent_twice_is_stored_once(client, site_version, field_user):
    first_id = f"uuid:{uuid.uuid4()}"
    post_instance(client, instance(site_version, instance_id=first_id))
    edit = instance(site_version, deprecated_id=first_id, households=130)

    responses = [post_instance(client, edit), post_instance(client, edit)]

    assert [response.status_code for response in responses] == [201, 201]
    assert Submission.objects.count() == 2


def test_an_edit_of_an_already_replaced_version_is_a_conflict(client, site_version, field_user):
    first_id = f"uuid:{uuid.uuid4()}"
    post_instance(client, instance(site_version, instance_id=first_id))
    post_instance(client, instance(site_version, deprecated_id=first_id, households=130))

    response = post_instance(client, instance(site_version, deprecated_id=first_id, households=140))

    assert response.status_code == 409
    assert Submission.objects.count() == 2


@pytest.mark.parametrize(
    "xml",
    [
        b'<?xml version="1.0"?><!DOCTYPE data [<!ENTITY x "boom">]><data id="site_assessment">&x;</data>',
        b'<?xml version="1.0"?><!DOCTYPE data SYSTEM "http://evil.example/x.dtd"><data id="site_assessment"/>',
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><data id="s">&e;</data>',
    ],
    ids=["internal-entity", "external-dtd", "external-entity"],
)
def test_xml_with_a_dtd_or_entities_is_refused_and_nothing_is_written(client, site_version, field_user, xml):
    response = post_instance(client, xml)

    assert response.status_code == 400
    assert "DTD" in message(response)
    assert not Submission.objects.exists()


def test_a_submission_for_an_unknown_form_gets_an_openrosa_error(client, field_user):
    response = post_instance(client, collect_xml("no_such_form", "1", "<a>1</a>"))

    assert response.status_code == 404
    assert "no_such_form" in message(response)
    assert not Submission.objects.exists()


def test_a_submission_for_a_closed_form_is_refused(client, site_version, field_user):
    services.form_close(form=site_version.form, by=None)

    response = post_instance(client, instance(site_version))

    assert response.status_code == 403
    assert "closed" in message(response)
    assert not Submission.objects.exists()


def test_a_submission_for_a_form_of_another_office_is_unknown(client, site_version, edirne):
    services.field_user_create(office=edirne, username="enumerator.edr", password=FIELD_PASSWORD, by=None)

    response = post_instance(client, instance(site_version), auth=basic("enumerator.edr"))

    assert response.status_code == 404
    assert not Submission.objects.exists()


def test_a_submission_over_the_size_limit_is_refused(client, site_version, field_user, settings):
    settings.LIMAN_OPENROSA_MAX_BYTES = 2000

    response = post_instance(client, instance(site_version), attachments={"big.jpg": b"x" * 5000})

    assert response.status_code == 413
    assert "2000" in message(response)
    assert not Submission.objects.exists()


def test_a_submission_of_an_unknown_version_is_refused(client, site_version, field_user):
    response = post_instance(client, collect_xml("site_assessment", "1999", site_body()))

    assert response.status_code == 404
    assert "1999" in message(response)


def test_a_submission_without_instance_id_is_refused(client, site_version, field_user):
    xml = instance(site_version).replace(b"<instanceID>", b"<other>").replace(b"</instanceID>", b"</other>")

    response = post_instance(client, xml)

    assert response.status_code == 400
    assert "instanceID" in message(response)


def test_the_submission_creates_the_site_on_the_map(client, site_version, field_user):
    post_instance(client, instance(site_version, site_name="Narlıca Orchard Site", location="36.2451 36.1833 92 4.5"))

    site = Site.objects.get()
    assert (site.name, site.district.pcode, site.province.pcode) == ("Narlıca Orchard Site", "TUR031001", "TUR031")
    assert (site.latitude, site.longitude) == (36.2451, 36.1833)
    assert site.site_id == "TUR031001-S001"


def test_the_server_address_collect_is_given_answers_without_a_login(client):
    response = client.get("/openrosa")

    assert response.status_code == 200
    assert response["X-OpenRosa-Version"] == "1.0"


def test_other_offices_can_use_the_same_form_id(client, site_version, field_user):
    other = OfficeFactory(code="GAZ")
    from tests.dtm.builders import site_form

    version = services.form_upload(office=other, content=site_form(), file_name="site.xlsx", by=None)

    assert version.form.form_id == site_version.form.form_id
    assert version.form != site_version.form


def test_a_form_closed_after_submissions_refuses_the_next_one(client, site_version, field_user):
    assert post_instance(client, instance(site_version)).status_code == 201  # the version is now known to the server

    services.form_close(form=site_version.form, by=None)

    assert post_instance(client, instance(site_version, site_name="Another site")).status_code == 403


def test_a_binding_changed_after_submissions_applies_to_the_next_one(client, site_version, field_user):
    assert post_instance(client, instance(site_version)).status_code == 201
    services.form_bind(form=site_version.form, target="none", mapping={}, by=None)

    post_instance(client, instance(site_version, site_name="Reyhanlı Container City"))

    assert Submission.objects.get(data__site__site_name="Reyhanlı Container City").state == "received"
    assert SiteAssessment.objects.count() == 1
