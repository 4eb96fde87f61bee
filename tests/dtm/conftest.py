import base64
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from liman.core.choices import OfficeType, Role
from liman.core.models import AdminArea
from liman.dtm import services
from liman.dtm.targets import suggest_mapping
from tests.dtm.builders import site_form
from tests.factories import OfficeFactory, staff

FIELD_PASSWORD = "field-pass-2023"


@pytest.fixture
def hatay(db):
    return OfficeFactory(code="HTY", name="Hatay Field Office", type=OfficeType.FIELD,
                         province=AdminArea.objects.get(pcode="TUR031"))  # fmt: skip


@pytest.fixture
def edirne(db):
    return OfficeFactory(code="EDR", name="Edirne Mobile Team Base", type=OfficeType.MOBILE,
                         province=AdminArea.objects.get(pcode="TUR022"))  # fmt: skip


@pytest.fixture
def dtm_officer(hatay):
    return staff(Role.DTM_OFFICER, hatay, username="dtm.hty")


@pytest.fixture
def operation(hatay):
    operation = services.operation_create(
        office=hatay,
        code="TUR-EQ-2023",
        name="Earthquake response, February 2023",
        kind="emergency",
        started_on=datetime.date(2023, 2, 6),
        provinces=AdminArea.objects.filter(pcode__in=["TUR031", "TUR046"]),
        by=None,
    )
    services.round_create(
        operation=operation,
        number=1,
        assessment_type="emergency_tracking",
        started_on=datetime.date(2023, 2, 13),
        ended_on=datetime.date(2023, 2, 26),
        by=None,
    )
    services.round_create(
        operation=operation,
        number=2,
        assessment_type="site_assessment",
        started_on=datetime.date(2023, 4, 3),
        ended_on=datetime.date(2023, 4, 21),
        by=None,
    )
    return operation


@pytest.fixture
def site_version(hatay, operation):
    """The site-assessment form of the Hatay office, published and bound to the earthquake operation."""
    version = services.form_upload(office=hatay, content=site_form(), file_name="site_assessment.xlsx", by=None)
    services.form_bind(
        form=version.form,
        target="site_assessment",
        mapping=suggest_mapping("site_assessment", version.fields),
        operation=operation,
        by=None,
    )
    return version


@pytest.fixture
def field_user(hatay):
    user, _password = services.field_user_create(
        office=hatay, username="enumerator.hty", name="Leyla Haddad", password=FIELD_PASSWORD, by=None
    )
    return user


def basic(username: str = "enumerator.hty", password: str = FIELD_PASSWORD) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}", "HTTP_X_OPENROSA_VERSION": "1.0"}


def post_instance(client, xml: bytes, *, attachments: dict[str, bytes] | None = None, auth: dict | None = None):
    """POST as ODK Collect does: multipart with xml_submission_file and one part per attachment."""
    data = {"xml_submission_file": SimpleUploadedFile("instance.xml", xml, content_type="text/xml")}
    for name, content in (attachments or {}).items():
        data[name] = SimpleUploadedFile(name, content, content_type="image/jpeg")
    return client.post("/openrosa/submission", data, **(auth or basic()))
