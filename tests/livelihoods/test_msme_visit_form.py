"""The shipped form `liman_msme_visit`: it passes pyxform and JavaRosa and binds every field on upload; a visit sent
from ODK Collect (instance XML with the evidence photo) becomes a monitoring visit of the grant with jobs by
nationality and sex; an edit replaces it; a grant of another office waits for review."""

from __future__ import annotations

import uuid

import pytest

from liman.dtm import form_check, targets
from liman.dtm import services as dtm
from liman.dtm.choices import FormTarget, SubmissionState
from liman.dtm.models import Submission
from liman.dtm.xlsform import convert_xlsform
from liman.livelihoods import services as grants
from liman.livelihoods.models import MonitoringVisit
from tests.dtm.conftest import FIELD_PASSWORD, basic, post_instance

pytestmark = pytest.mark.django_db

FORM_FILE = targets.__file__.replace("targets.py", "data/forms/liman_msme_visit.xlsx")


@pytest.fixture
def java():
    import os

    from liman.dtm import javarosa

    reason = javarosa.unavailable_reason()
    if reason:
        if os.environ.get("LIMAN_REQUIRE_JAVA"):
            pytest.fail(f"LIMAN_REQUIRE_JAVA is set but JavaRosa cannot run: {reason}")
        pytest.skip(reason)


def test_the_shipped_form_passes_the_checks_and_binds_every_field(java):
    with open(FORM_FILE, "rb") as handle:
        converted = convert_xlsform(handle.read(), file_name="liman_msme_visit.xlsx", new_version="1")
    [check] = form_check.check_forms([(converted.xml, converted.survey)])
    assert converted.form_id == "liman_msme_visit" and converted.warnings == []
    assert (check.javarosa, [problem.message for problem in check.problems]) == ("passed", [])
    mapping = targets.suggest_mapping(FormTarget.MSME_VISIT, converted.fields)
    assert set(mapping) == {spec.key for spec in targets.fields_for(FormTarget.MSME_VISIT)}


def visit_xml(version, grant: str, *, open_="yes", created=(1, 2, 0, 0, 1, 0), retained=(2, 0, 0, 0, 3, 1),
              instance_id="", deprecated_id="") -> bytes:  # fmt: skip
    """An instance of the shipped form as ODK Collect writes it."""
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    keys = ("syrian_f", "syrian_m", "other_f", "other_m", "turkish_f", "turkish_m")

    def jobs(kind, values):
        return "".join(f"<{kind}_{key}>{value}</{kind}_{key}>" for key, value in zip(keys, values, strict=True))

    return (
        "<?xml version='1.0' ?>"
        '<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f'xmlns:odk="http://www.opendatakit.org/xforms" id="liman_msme_visit" version="{version.version}">'
        "<start>2026-12-05T10:02:11.118+03:00</start><end>2026-12-05T10:29:40.902+03:00</end>"
        "<today>2026-12-05</today><deviceid>collect:Rt5Xz8Lr2Xv6Bn9q</deviceid><username>monitor.ist</username>"
        f"<visit><grant>{grant}</grant><visited_on>2026-12-04</visited_on><business_open>{open_}</business_open>"
        f"</visit><jobs_created>{jobs('created', created)}</jobs_created>"
        f"<jobs_retained>{jobs('retained', retained)}</jobs_retained>"
        "<milestone_photo>1733390980000.jpg</milestone_photo><note>Oven installed, two bakers hired</note>"
        f"<meta><instanceID>{instance_id}</instanceID>{deprecated}<instanceName>visit</instanceName></meta>"
        "</data>"
    ).encode()


def test_a_visit_from_odk_collect_becomes_the_grants_monitoring_visit(client, istanbul, izmir, grant_people,
                                                                      agreement):  # fmt: skip
    version = grants.visit_form_publish(office=istanbul, by=grant_people["officer"])
    assert version.form.target == FormTarget.MSME_VISIT  # a shipped form: bound on upload
    assert grants.visit_form_publish(office=istanbul, by=None) == version
    dtm.field_user_create(office=istanbul, username="monitor.ist", name="Grant monitor", password=FIELD_PASSWORD,
                          by=None)  # fmt: skip
    response = post_instance(client, visit_xml(version, agreement.reference.lower()),
                             attachments={"1733390980000.jpg": b"\xff\xd8\xff\xe0 a photo"},
                             auth=basic("monitor.ist"))  # fmt: skip
    assert response.status_code == 201
    submission = Submission.objects.get(form__form_id="liman_msme_visit")
    assert submission.state == SubmissionState.PROCESSED, submission.review_reason
    visit = MonitoringVisit.objects.get(agreement=agreement)
    assert (visit.jobs_created, visit.jobs_retained, visit.still_operating) == (4, 6, True)
    assert visit.jobs_by_group["created"] == {"syrian_f": 1, "syrian_m": 2, "other_f": 0, "other_m": 0,
                                              "turkish_f": 1, "turkish_m": 0}  # fmt: skip
    assert visit.jobs_by_group["retained"]["turkish_m"] == 1 and str(visit.visited_on) == "2026-12-04"
    assert visit.evidence_photo == "1733390980000.jpg" and visit.submission == submission
    assert submission.attachments.filter(name="1733390980000.jpg").exists()
    assert visit.note == "Oven installed, two bakers hired"
    # An edit from the phone replaces the visit's answers.
    edit = visit_xml(version, agreement.reference, open_="no", created=(0, 0, 0, 0, 0, 0),
                     deprecated_id=submission.instance_id)  # fmt: skip
    assert post_instance(client, edit, auth=basic("monitor.ist")).status_code == 201
    visit = MonitoringVisit.objects.get(agreement=agreement)
    assert (visit.jobs_created, visit.still_operating) == (0, False)
    # The application's reference names the grant too; a grant of another office waits for review.
    other = visit_xml(version, "GA-IZM-NOSUCH")
    assert post_instance(client, other, auth=basic("monitor.ist")).status_code == 201
    waiting = Submission.objects.filter(form__form_id="liman_msme_visit").order_by("-id").first()
    assert waiting.state == SubmissionState.REVIEW
    assert "GA-IZM-NOSUCH is not a grant agreement of this office" in waiting.review_reason
    by_application = visit_xml(version, agreement.application.reference)
    assert post_instance(client, by_application, auth=basic("monitor.ist")).status_code == 201
    assert MonitoringVisit.objects.filter(agreement=agreement).count() == 2


def test_the_grant_page_shows_the_visits_jobs_by_nationality_and_sex(client, istanbul, grant_people, agreement):
    from django.urls import reverse

    version = grants.visit_form_publish(office=istanbul, by=None)
    dtm.field_user_create(office=istanbul, username="monitor.ist", name="Grant monitor", password=FIELD_PASSWORD,
                          by=None)  # fmt: skip
    post_instance(client, visit_xml(version, agreement.reference), auth=basic("monitor.ist"))
    client.force_login(grant_people["officer"])
    page = client.get(
        reverse("livelihoods:grant-application-detail", args=[agreement.application.reference])
    ).content.decode()
    assert "Syrian men: +2 / 0" in page and "Turkish women: +1 / 3" in page and "1733390980000.jpg" in page
