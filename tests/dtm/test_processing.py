"""From submissions to records: each submission becomes a validated record, or waits for review with the reason."""

import datetime

import pytest

from liman.core.models import AdminArea
from liman.dtm import services
from liman.dtm.instance import parse_geopoint
from liman.dtm.models import DatasetRecord, FlowCount, PresenceFigure, Site, SiteAssessment, Submission
from liman.dtm.targets import suggest_mapping
from tests.dtm.builders import FLOW_CHOICES, FLOW_SURVEY, collect_xml, site_body, xlsform

pytestmark = pytest.mark.django_db


def receive(version, body: str, **kwargs) -> Submission:
    xml = collect_xml(version.form.form_id, version.version, body, **kwargs)
    return services.submission_receive(office=version.form.office, xml=xml).submission


def test_a_site_assessment_gets_sex_and_age_groups_population_groups_and_ranked_needs(site_version):
    submission = receive(site_version, site_body(needs=(("wash", 4), ("shelter", 3), ("health", 2))))

    assert submission.state == "processed"
    assessment = SiteAssessment.objects.get()
    assert (assessment.round.number, assessment.assessed_on) == (2, datetime.date(2023, 4, 5))
    assert (assessment.households, assessment.individuals) == (120, 480)
    assert (assessment.f_0_4, assessment.m_60) == (30, 24)
    assert sorted(assessment.population_groups.values_list("group", flat=True)) == [
        "host_community", "temporary_protection",
    ]  # fmt: skip
    assert list(assessment.needs.values_list("rank", "sector", "severity")) == [
        (1, "wash", 4), (2, "shelter", 3), (3, "health", 2),
    ]  # fmt: skip


def test_a_known_site_id_assesses_that_site_in_a_later_round(site_version, operation):
    receive(site_version, site_body(today="2023-02-20"))
    site = Site.objects.get()

    receive(site_version, site_body(site_id=site.site_id, site_name="renamed by mistake", today="2023-04-10"))

    assert Site.objects.count() == 1
    assert sorted(site.assessments.values_list("round__number", flat=True)) == [1, 2]


def test_the_same_site_twice_in_a_round_waits_for_review(site_version):
    receive(site_version, site_body())

    second = receive(site_version, site_body(households=100))

    assert second.state == "review"
    assert "already assessed" in second.review_reason
    assert SiteAssessment.objects.count() == 1


def test_an_unknown_district_waits_for_review_with_the_question_and_the_reason(site_version):
    submission = receive(site_version, site_body(district="TUR031099"))

    assert submission.state == "review"
    assert submission.review_reason == "district: 'TUR031099' is not a known district (give its p-code or name)"
    assert not Site.objects.exists()


def test_every_problem_is_listed_with_its_field_and_question(site_version):
    submission = receive(site_version, site_body(households="many", location="91 200 0 0"))

    assert submission.state == "review"
    assert "households (population/households): 'many' is not a whole number" in submission.review_reason
    assert "location (site/location): '91 200 0 0' is outside the globe" in submission.review_reason


def test_a_sum_of_sex_and_age_groups_that_disagrees_with_the_total_waits_for_review(site_version):
    body = site_body().replace("<individuals>480</individuals>", "<individuals>500</individuals>")

    submission = receive(site_version, body)

    assert submission.state == "review"
    assert "must equal the sum" in submission.review_reason


def test_a_submission_outside_every_round_waits_and_is_processed_once_a_round_covers_it(site_version, operation):
    submission = receive(site_version, site_body(today="2023-06-01"))
    assert submission.state == "review" and "no round" in submission.review_reason

    services.round_create(
        operation=operation, number=3, assessment_type="site_assessment", started_on=datetime.date(2023, 5, 29),
        by=None,
    )  # fmt: skip
    services.submission_retry(submission=submission, by=None)

    submission.refresh_from_db()
    assert submission.state == "processed"
    assert SiteAssessment.objects.get().round.number == 3


def test_a_form_without_a_target_keeps_its_submissions_until_it_is_bound(hatay, operation):
    version = services.form_upload(office=hatay, content=_site(), file_name="unbound.xlsx", by=None)
    submission = receive(version, site_body())
    assert submission.state == "received" and not SiteAssessment.objects.exists()

    services.form_bind(
        form=version.form, target="site_assessment", mapping=suggest_mapping("site_assessment", version.fields),
        operation=operation, by=None,
    )  # fmt: skip
    assert services.form_reprocess(form=version.form, by=None) == 1

    assert SiteAssessment.objects.get().submission == submission


def _site() -> bytes:
    from tests.dtm.builders import site_form

    return site_form(form_id="")


def test_dismissing_needs_a_reason(site_version):
    from django.core.exceptions import ValidationError

    submission = receive(site_version, site_body(district="nowhere"))

    with pytest.raises(ValidationError):
        services.submission_dismiss(submission=submission, reason=" ", by=None)
    services.submission_dismiss(submission=submission, reason="Test entry from training", by=None)
    submission.refresh_from_db()
    assert (submission.state, submission.review_reason) == ("dismissed", "Test entry from training")


@pytest.fixture
def flow_version(edirne):
    point_district = AdminArea.objects.get(pcode="TUR022001")
    services.flow_point_create(
        office=edirne, code="EDR-PAZARKULE", name="Pazarkule", type="border_crossing", district=point_district, by=None
    )
    version = services.form_upload(
        office=edirne, content=xlsform(FLOW_SURVEY, choices=FLOW_CHOICES), file_name="flow_count.xlsx", by=None
    )
    services.form_bind(
        form=version.form, target="flow_count", mapping=suggest_mapping("flow_count", version.fields), by=None
    )
    return version


def test_a_flow_count_submission_becomes_one_count_per_repeat_entry(flow_version):
    rows = "".join(
        f"<row><nationality>{n}</nationality><sex>{s}</sex><age_group>{a}</age_group><individuals>{c}</individuals></row>"
        for n, s, a, c in (("AFG", "M", "18_59", 41), ("SYR", "F", "5_17", 7))
    )
    body = f"<point>edr-pazarkule</point><counted_on>2023-08-14</counted_on><direction>outgoing</direction>{rows}"

    submission = receive(flow_version, body)

    assert submission.state == "processed"
    counts = FlowCount.objects.order_by("nationality")
    assert [(c.nationality, c.sex, c.age_group, c.individuals) for c in counts] == [
        ("AFG", "M", "18_59", 41), ("SYR", "F", "5_17", 7),
    ]  # fmt: skip
    assert {(c.province.pcode, c.month) for c in counts} == {("TUR022", datetime.date(2023, 8, 1))}


def test_a_flow_count_at_an_unknown_point_waits_for_review(flow_version):
    body = "<point>NOWHERE</point><counted_on>2023-08-14</counted_on><direction>outgoing</direction>"

    submission = receive(flow_version, body)

    assert submission.state == "review"
    assert "no flow monitoring point has the code NOWHERE" in submission.review_reason


def test_presence_figures_from_a_submission(hatay):
    survey = [
        ["type", "name", "label"], ["date", "period", "Month"], ["text", "province", "Province"],
        ["text", "source", "Source"], ["begin_repeat", "row", "Figures"], ["text", "population_group", "Group"],
        ["text", "nationality", "Nationality"], ["integer", "individuals", "Individuals"], ["end_repeat", "", ""],
    ]  # fmt: skip
    version = services.form_upload(office=hatay, content=xlsform(survey), file_name="presence.xlsx", by=None)
    services.form_bind(
        form=version.form, target="presence", mapping=suggest_mapping("presence", version.fields), by=None
    )
    body = (
        "<period>2023-07-15</period><province>Hatay</province><source>pmm</source>"
        "<row><population_group>temporary_protection</population_group><nationality>SY</nationality>"
        "<individuals>301832</individuals></row>"
    )

    assert receive(version, body).state == "processed"

    figure = PresenceFigure.objects.get()
    assert (figure.period, figure.province.pcode, figure.nationality, figure.individuals) == (
        datetime.date(2023, 7, 1), "TUR031", "SYR", 301_832,
    )  # fmt: skip


def test_a_dataset_submission_keeps_its_answers_without_the_meta_block(hatay, site_version):
    services.form_bind(form=site_version.form, target="dataset", mapping={"collected_on": "today"}, by=None)

    receive(site_version, site_body())

    record = DatasetRecord.objects.get()
    assert record.collected_on == datetime.date(2023, 4, 5)
    assert record.values["site/site_name"] == "Antakya Tent City"
    assert not any(key.startswith("meta/") for key in record.values)


def test_geopoints_read_as_collect_writes_them():
    point = parse_geopoint("36.2025 36.1604 84.2 4.9")

    assert (point.latitude, point.longitude, point.altitude, point.accuracy) == (36.2025, 36.1604, 84.2, 4.9)
    assert parse_geopoint("36.2 36.1").altitude is None
